"""The platform of apps: how a capability plugs its routes, menu entries and audit events into the core.

A capability adds a module ``<package>.app`` defining ``APP = App(...)`` (or ``APPS = [...]``) in a sub-package of
``policecloud.platform``, ``policecloud.data`` or ``policecloud.apps`` (or in any importable package named in
``Settings.apps`` / ``POLICECLOUD_APPS``); :func:`discover_apps` finds it, the API factory mounts its routers, the
shell lists its menu entries and :mod:`policecloud.platform.hooks` calls its hooks, so the core (access, audit,
store, web shell) never names a capability. Every route must declare its access policy
with :func:`policecloud.platform.api.policy.requires` (the permission-matrix test refuses routes without one).
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import APIRouter

    from policecloud.platform.access.events import AuditEvent


@dataclass(frozen=True)
class MenuEntry:
    """One entry of the platform's menu (一屏功能展示), shown to users holding ``permission``."""

    key: str
    zh: str
    en: str
    path: str
    permission: str | None = None


@dataclass(frozen=True)
class App:
    """A capability as the platform sees it."""

    name: str
    zh: str
    en: str
    routers: Sequence[APIRouter] = ()
    menu: Sequence[MenuEntry] = ()
    # Permissions the app's routes check; each must exist in the role catalogue (checked by the tests).
    permissions: Sequence[str] = ()
    audit_events: Sequence[type[AuditEvent]] = field(default_factory=tuple)
    # Tables (and their fields) a data-sharing agreement may name for partner agencies.
    shareable: Mapping[str, Sequence[str]] = field(default_factory=dict)
    # Hook implementations by hook name (see policecloud.platform.hooks): how a lower layer reaches this app.
    hooks: Mapping[str, Callable[..., object]] = field(default_factory=dict)


# Where the built-in apps live, in the order their routers are mounted and their hooks run: the core first, then
# the data layers (bottom up), then the apps. A package outside these (a test's, a plug-in's) is named by the
# caller (``extra``; the CLI and ``create_app`` take it from ``Settings.apps`` / ``POLICECLOUD_APPS``).
NAMESPACES = ("policecloud.platform", "policecloud.data", "policecloud.apps")


def builtin_packages() -> list[str]:
    """Every sub-package of the namespaces, in order (core, data, apps; by name inside each)."""
    out = []
    for namespace in NAMESPACES:
        package = importlib.import_module(namespace)
        out += [
            f"{namespace}.{i.name}"
            for i in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name)
            if i.ispkg
        ]
    return out


def discover_apps(extra: Iterable[str] = ()) -> list[App]:
    """Every ``APP``/``APPS`` of every ``<package>.app`` module of the built-in packages and of ``extra``."""
    found: list[App] = []
    for package in [*builtin_packages(), *extra]:
        if importlib.util.find_spec(f"{package}.app") is None:
            continue
        module = importlib.import_module(f"{package}.app")
        if hasattr(module, "APP"):
            found.append(module.APP)
        found.extend(getattr(module, "APPS", ()))
    names = [a.name for a in found]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"two platform apps share the name(s) {duplicates}")
    return found
