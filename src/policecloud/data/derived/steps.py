"""The derived indexes this layer owns: the event key index and the dossier's sorted link copies."""

from __future__ import annotations

from policecloud.data.derived.refresh import DerivedIndex
from policecloud.platform.config import Settings


def _event_index(settings: Settings) -> str:
    from policecloud.data.derived.events.build import build_event_index
    from policecloud.data.derived.events.tables import default_index_dir

    report = build_event_index(settings.warehouse_dir, default_index_dir(settings.data_dir))
    if not report.total_rows:
        return "up to date"
    return f"{report.total_rows:,} rows of {len(report.batches)} new batches ({report.rows_per_second:,.0f} rows/s)"


def _event_index_exists(settings: Settings) -> bool:
    from policecloud.data.derived.events.tables import default_index_dir

    return (default_index_dir(settings.data_dir) / "current.json").exists()


def _link_index(settings: Settings) -> str:
    from policecloud.data.derived.links import build_link_index
    from policecloud.data.resolve.master import current_run

    if current_run(settings.data_dir) is None:
        return "skipped: no master data yet"
    built = build_link_index(settings.data_dir)
    return f"built {', '.join(built)}" if built else "up to date"


def declared() -> list[DerivedIndex]:
    return [
        DerivedIndex("event_index", _event_index, _event_index_exists, frozenset({"ingest"})),
        DerivedIndex("link_index", _link_index, lambda s: True, frozenset({"resolve"})),
    ]
