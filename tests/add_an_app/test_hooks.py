"""The hooks: only declared names, every implementation in app order, the built-in indexes declared by their owners."""

from __future__ import annotations

import pytest

from policecloud.data.derived.refresh import indexes
from policecloud.platform import hooks
from policecloud.platform.config import Settings
from policecloud.platform.registry import App


def test_an_unknown_hook_is_refused():
    with pytest.raises(KeyError, match="unknown hook 'after_ingets'"):
        hooks.call("after_ingets", apps=[])


def test_every_implementation_runs_in_app_order_and_others_are_skipped():
    first = App("a", "", "", hooks={"after_resolve": lambda settings, run_id: f"a:{run_id}"})
    second = App("b", "", "", hooks={"after_resolve": lambda settings, run_id: f"b:{run_id}"})
    assert hooks.call("after_resolve", None, "r1", apps=[first, App("c", "", ""), second]) == ["a:r1", "b:r1"]


def test_the_derived_indexes_come_from_their_owners_in_the_order_of_the_layers():
    found = indexes(Settings())
    assert [i.name for i in found] == ["event_index", "link_index", "search_index"]
    assert {i.name for i in found if "ingest" in i.after} == {"event_index", "search_index"}
    assert {i.name for i in found if "resolve" in i.after} == {"link_index", "search_index"}
