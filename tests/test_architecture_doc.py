"""docs/ARCHITECTURE.md cannot go stale silently: its package table names exactly the packages under
src/policecloud, and the layer orders it states are the ones import-linter checks (pyproject.toml)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
DOC = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")


def packages() -> set[str]:
    """Every directory with an ``__init__.py`` (a leftover ``__pycache__`` folder is no package)."""
    return {".".join(p.parent.relative_to(SRC).parts) for p in (SRC / "policecloud").rglob("__init__.py")}


def named() -> set[str]:
    """The first cell of every row of the doc's tables that names a package."""
    return set(re.findall(r"^\| `(policecloud(?:\.\w+)*)` \|", DOC, flags=re.MULTILINE))


def test_the_doc_names_every_package_and_only_packages():
    in_code, in_doc = packages(), named()
    assert not in_code - in_doc, f"in the code, not in docs/ARCHITECTURE.md: {sorted(in_code - in_doc)}"
    assert not in_doc - in_code, f"in docs/ARCHITECTURE.md, not in the code: {sorted(in_doc - in_code)}"


def test_the_doc_states_the_layers_import_linter_checks():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    layered = [c for c in config["contracts"] if c["type"] == "layers"]
    assert len(layered) == 3
    for contract in layered:
        order = " > ".join(layer.replace("policecloud.", "") for layer in contract["layers"])
        assert order in DOC, f"docs/ARCHITECTURE.md does not state the layers of {contract['id']!r}: {order}"
    assert not any(c.get("ignore_imports") for c in config["contracts"]), "the doc says there are no ignore_imports"


def test_the_doc_names_every_hook():
    from policecloud.platform.hooks import SPECS

    for name in SPECS:
        assert f"| `{name}(" in DOC, f"docs/ARCHITECTURE.md does not describe the hook {name!r}"
