"""The role catalogue (roles.yaml): permissions, unmasked fields, MFA and separation of duties."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

from policecloud.platform.access.errors import AccessError


@dataclass(frozen=True)
class Permission:
    name: str
    personal_data: bool
    zh: str
    en: str


@dataclass(frozen=True)
class Role:
    name: str
    zh: str
    en: str
    permissions: frozenset[str]
    unmasked: frozenset[str]
    exclusive: str | None
    mfa: bool

    @property
    def sees_personal_data(self) -> bool:
        return any(permissions()[p].personal_data for p in self.permissions)

    @property
    def requires_mfa(self) -> bool:
        return self.mfa or self.sees_personal_data


@dataclass(frozen=True)
class Catalogue:
    permissions: dict[str, Permission]
    roles: dict[str, Role]
    masked_fields: frozenset[str]


@cache
def catalogue() -> Catalogue:
    text = resources.files("policecloud.platform.access").joinpath("roles.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    perms = {
        name: Permission(name, bool(p["personal_data"]), p["zh"], p["en"]) for name, p in data["permissions"].items()
    }
    roles = {}
    for name, r in data["roles"].items():
        unknown = set(r.get("permissions", [])) - set(perms)
        if unknown:
            raise ValueError(f"role {name} names unknown permissions {sorted(unknown)}")
        roles[name] = Role(
            name=name,
            zh=r["zh"],
            en=r["en"],
            permissions=frozenset(r.get("permissions", [])),
            unmasked=frozenset(r.get("unmasked", [])),
            exclusive=r.get("exclusive"),
            mfa=bool(r.get("mfa", False)),
        )
    return Catalogue(perms, roles, frozenset(data["masked_fields"]))


def permissions() -> dict[str, Permission]:
    return catalogue().permissions


def roles() -> dict[str, Role]:
    return catalogue().roles


def role(name: str) -> Role:
    try:
        return roles()[name]
    except KeyError:
        known = ", ".join(roles())
        raise AccessError(
            400,
            "unknown_role",
            f"Unknown role {name!r} (known: {known}).",
            f"未知角色 {name!r}（可选：{known}）。",
        ) from None


ADMIN_GROUP = "admin_triad"


def is_admin_role(name: str) -> bool:
    """One of the three administrative duties (system administration, security administration, audit)."""
    return role(name).exclusive == ADMIN_GROUP


def personal_data_roles() -> frozenset[str]:
    """Roles that see personal data, derived from the permissions' ``personal_data`` flag (never listed by hand)."""
    return frozenset(name for name, r in roles().items() if r.sees_personal_data)


def _refuse_pair(pair: str, en_why: str, zh_why: str) -> AccessError:
    return AccessError(
        409,
        "separation_of_duties",
        f"Separation of duties: one person cannot hold {pair}; {en_why}",
        f"三员分立：同一人不能兼任 {pair}；{zh_why}",
    )


def check_separation_of_duties(role_names: Iterable[str]) -> None:
    """Refuse a role set that puts two exclusive duties (sysadmin / secadmin / auditor) on one person, or an
    administrative duty together with a role that sees personal data (an administrator administers; the
    auditor's own audit.read is personal data, but that is the audit duty itself, not a second role)."""
    names = sorted(set(role_names))
    by_group: dict[str, list[str]] = {}
    for name in names:
        group = role(name).exclusive
        if group:
            by_group.setdefault(group, []).append(name)
    for group_names in by_group.values():
        if len(group_names) > 1:
            raise _refuse_pair(
                " + ".join(group_names),
                "system administrator, security administrator and auditor must be different people.",
                "系统管理员、安全管理员、安全审计员必须由不同人员担任。",
            )
    admins = [n for n in names if is_admin_role(n)]
    readers = [n for n in names if n not in admins and n in personal_data_roles()]
    if admins and readers:
        raise _refuse_pair(
            f"{admins[0]} + {readers[0]}",
            "an administrator (system, security or audit) may hold no role that sees personal data.",
            "系统管理员、安全管理员、安全审计员不得兼任可查看个人信息的业务角色。",
        )


def permissions_of(role_names: Iterable[str]) -> frozenset[str]:
    return frozenset().union(*(role(n).permissions for n in role_names))


def unmasked_fields_of(role_names: Iterable[str]) -> frozenset[str]:
    return frozenset().union(*(role(n).unmasked for n in role_names))


def mfa_required(role_names: Iterable[str]) -> bool:
    return any(role(n).requires_mfa for n in role_names)
