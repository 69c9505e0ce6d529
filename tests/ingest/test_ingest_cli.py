"""The commands: ``ingest --json``, ``quarantine --source --reason --export``, ``freshness``; exit codes."""

from __future__ import annotations

import csv
import json

import pytest
from typer.testing import CliRunner

from policecloud.platform.cli import app


@pytest.fixture
def run(tmp_path, province):
    sources, mappings = province
    env = {
        "POLICECLOUD_DATA_DIR": str(tmp_path / "data"),
        "POLICECLOUD_SOURCES_DIR": str(sources),
        "POLICECLOUD_MAPPINGS_DIR": str(mappings),
        "COLUMNS": "200",
    }
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, list(args), env=env)

    invoke.sources, invoke.mappings = sources, mappings
    return invoke


def test_ingest_writes_a_json_report_that_reconciles(run, tmp_path):
    report_path = tmp_path / "report.json"
    result = run("ingest", "--json", str(report_path))
    assert result.exit_code == 0, result.output
    assert "population_registry" in result.output and "id_number.check_digit ×1" in result.output
    units = {u["source"]: u for u in json.loads(report_path.read_text(encoding="utf-8"))}
    assert set(units) == {
        "population_registry",
        "exchange_gbk",
        "checkpoint_passes",
        "checkpoint_passes_parquet",
        "vehicle_db",
    }
    people = units["population_registry"]
    assert (people["rows_read"], people["rows_landed"], people["rows_quarantined"]) == (5, 3, 2)
    assert people["reconciled"] and not people["skipped"]
    assert people["reasons"] == {"csv.too_many_columns": 1, "id_number.check_digit": 1, "required.missing": 1}
    again = run("ingest", "--json", str(report_path))
    assert again.exit_code == 0, again.output
    assert all(u["skipped"] for u in json.loads(report_path.read_text(encoding="utf-8")))


def test_ingest_exits_1_when_a_source_fails_and_still_ingests_the_others(run, tmp_path):
    (run.sources / "people.csv").unlink()
    report_path = tmp_path / "report.json"
    result = run("ingest", "--json", str(report_path))
    assert result.exit_code == 1
    assert "population_registry: no file matches 'people.csv'" in result.output
    ingested = {u["source"] for u in json.loads(report_path.read_text(encoding="utf-8"))}
    assert "population_registry" not in ingested and "exchange_gbk" in ingested


def test_ingest_of_an_unknown_source_or_broken_mappings_is_a_clear_error(run):
    unknown = run("ingest", "nowhere")
    assert unknown.exit_code == 2
    (run.mappings / "bad.yaml").write_text("source: bad\nlabel: {zh: 坏, en: bad}\nentity: Nothing\n", "utf-8")
    broken = run("ingest")
    assert broken.exit_code == 2


def test_quarantine_filters_and_exports(run, tmp_path):
    assert run("ingest").exit_code == 0
    listed = run("quarantine", "--source", "checkpoint_passes")
    assert listed.exit_code == 0, listed.output
    assert "jsonl.invalid_json" in listed.output and "population_registry" not in listed.output
    target = tmp_path / "q.csv"
    exported = run(
        "quarantine", "--source", "population_registry", "--reason", "id_number.check_digit", "--export", str(target)
    )
    assert exported.exit_code == 0, exported.output
    assert "exported 1 quarantined rows" in exported.output
    with open(target, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["source"], r["row"], r["field"], r["raw"], r["reason"], r["row_rejected"]) for r in rows] == [
        ("population_registry", "3", "id_number", "110105194912310021", "id_number.check_digit", "false")
    ]
    wrong = run("quarantine", "--export", str(tmp_path / "q.txt"))
    assert wrong.exit_code == 2


def test_freshness_lists_every_source_with_its_rejection_rate(run):
    assert run("ingest").exit_code == 0
    result = run("freshness")
    assert result.exit_code == 0, result.output
    lines = {line.split("│")[1].strip(): line for line in result.output.splitlines() if line.count("│") > 3}
    assert {"population_registry", "exchange_gbk", "checkpoint_passes", "vehicle_db"} <= set(lines)
    assert "40.00%" in lines["population_registry"]  # 2 of 5 rows rejected
    assert "0.00%" in lines["exchange_gbk"]


def test_freshness_and_quarantine_on_an_empty_warehouse_say_so(run, tmp_path):
    fresh = run("freshness")
    assert fresh.exit_code == 0, fresh.output
    assert "nothing has been ingested yet" in fresh.output
    listed = run("quarantine")
    assert listed.exit_code == 0, listed.output
    exported = run("quarantine", "--export", str(tmp_path / "q.csv"))
    assert exported.exit_code == 2 and "nothing has been quarantined yet" in exported.output
    assert not (tmp_path / "q.csv").exists()


def test_ingest_hands_its_new_batches_to_the_after_ingest_hook_and_the_event_index_follows(run, tmp_path, monkeypatch):
    """ingest → ``after_ingest`` (with the batches it committed) → the derived event index takes them in."""
    from policecloud.platform import hooks
    from policecloud.platform.registry import App

    assert run("ingest", "--no-update-indexes").exit_code == 0
    built = run("index", "events")
    assert built.exit_code == 0, built.output
    seen: list[list[str]] = []
    spy = App(name="spy", zh="", en="", hooks={"after_ingest": lambda settings, batches: seen.append(batches) or []})
    real = hooks.discover_apps
    monkeypatch.setattr(hooks, "discover_apps", lambda extra=(): [*real(extra), spy])
    line = {"hphm": "鄂A77777", "kkbh": "KK001", "jgsj": "2024-05-04 08:00:00", "cd": "1"}
    (run.sources / "passes" / "2024-05-04.jsonl").write_text(json.dumps(line, ensure_ascii=False) + "\n", "utf-8")
    report_path = tmp_path / "report.json"
    result = run("ingest", "--json", str(report_path))
    assert result.exit_code == 0, result.output
    new = [u["batch_id"] for u in json.loads(report_path.read_text(encoding="utf-8")) if not u["skipped"]]
    assert len(new) == 1 and seen == [new]
    assert "index updated: event_index: 1 rows of 1 new batches" in result.output.replace("\n", "")
    # Nothing new: the hook is not called, and nothing is refreshed.
    seen.clear()
    again = run("ingest")
    assert again.exit_code == 0 and seen == [] and "index updated" not in again.output
