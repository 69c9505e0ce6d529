"""``policecloud index search`` and ``policecloud search`` on the mini province."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from policecloud.apps.search.testing import mini_province
from policecloud.platform.cli import app
from policecloud.platform.store import make_engine
from policecloud.platform.store.models import AuditEntry

runner = CliRunner()


def test_index_then_search_from_the_command_line(tmp_path):
    world = mini_province(tmp_path, crowd=10)
    base = ["--data-dir", str(tmp_path)]
    built = runner.invoke(app, [*base, "index", "search"])
    assert built.exit_code == 0, built.output
    assert "full" in built.output and (tmp_path / "search" / "current.json").exists()
    again = runner.invoke(app, [*base, "index", "search"])
    assert again.exit_code == 0 and "incremental" in again.output

    refused = runner.invoke(app, [*base, "search", "张伟", "--purpose", "看看"])
    assert refused.exit_code != 0 and "purpose" in refused.output

    found = runner.invoke(app, [*base, "search", world.others["vehicle"]["plate"], "-p", "case:A4201112026110001"])
    assert found.exit_code == 0, found.output
    assert "identifier" in found.output and world.others["vehicle"]["entity_id"] in found.output
    engine = make_engine(f"sqlite:///{tmp_path / 'policecloud.db'}")
    with Session(engine) as session:
        (entry,) = session.execute(select(AuditEntry).where(AuditEntry.event == "data.read")).scalars()
    engine.dispose()
    payload = json.loads(entry.payload)
    assert entry.actor.startswith("cli:") and payload["resource"] == "search"
    assert payload["result_ids"] == [world.others["vehicle"]["entity_id"]]


def test_index_search_without_master_data_explains_what_to_do(tmp_path):
    result = runner.invoke(app, ["--data-dir", str(tmp_path), "index", "search"])
    assert result.exit_code != 0 and "resolve" in result.output
