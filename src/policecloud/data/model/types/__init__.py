"""Element types: every module of this package that defines ``ELEMENT_TYPES`` registers its types.

Adding a type means adding a module; nothing here names a type.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from policecloud.data.model.types.base import Checked, ElementType, InvalidValue

__all__ = ["Checked", "ElementType", "InvalidValue", "get", "registry"]


@cache
def registry() -> dict[str, ElementType]:
    """All element types by name."""
    found: dict[str, ElementType] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for etype in getattr(module, "ELEMENT_TYPES", ()):
            if etype.name in found:
                raise RuntimeError(f"element type {etype.name!r} defined twice ({module.__name__})")
            found[etype.name] = etype
    return found


def get(name: str) -> ElementType:
    try:
        return registry()[name]
    except KeyError:
        known = ", ".join(sorted(registry()))
        raise KeyError(f"unknown element type {name!r}; known types: {known}") from None
