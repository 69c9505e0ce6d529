"""The sorted copies of the master tables: built once per run, picked up by a running reader, and the same answers
as without them."""

from __future__ import annotations

import datetime as dt

import pyarrow.parquet as pq

from policecloud.apps.dossier import profile as prof
from policecloud.apps.dossier import relations as rel
from policecloud.apps.dossier.reader import DossierSource, Viewer
from policecloud.apps.dossier.testing import IDS, RUN, write_mini_province
from policecloud.data.derived.links import ROW_GROUP_SIZE, build_link_index, index_files

VIEWER = Viewer(("42",))


def _answers(source: DossierSource) -> list:
    with source.cursor() as cur:
        out = []
        for entity_id in (IDS["zhang"], IDS["hotel"], IDS["car"], IDS["house"]):
            entity = prof.find_entity(cur, VIEWER, entity_id)
            out.append(prof.profile(source, cur, VIEWER, entity, today=dt.date(2026, 11, 25)))
            out.append(rel.relations(cur, source.tables(), VIEWER, entity_id, per_kind=100))
        out.append(rel.shortest_path(cur, source.tables(), VIEWER, IDS["phone_li"], IDS["wang"]))
        return out


def test_sorted_links_give_the_same_answers_and_are_used_once_built(tmp_path):
    write_mini_province(tmp_path)
    source = DossierSource(tmp_path)
    before = _answers(source)
    assert index_files(tmp_path, RUN) == {}
    took = build_link_index(tmp_path)
    assert set(took) == {
        "links_by_entity",
        "links_by_record",
        "statements_by_entity",
        "statements_by_value",
        "entities_by_id",
    }
    assert build_link_index(tmp_path) == {}  # already there
    files = index_files(tmp_path, RUN)
    by_entity = pq.read_table(files["links_e"]).column("entity_id").to_pylist()
    assert by_entity == sorted(by_entity)
    statements = pq.read_table(files["statements_e"]).column("entity_id").to_pylist()
    assert statements == sorted(statements)
    assert pq.ParquetFile(files["links_r"]).metadata.row_group(0).num_rows <= ROW_GROUP_SIZE
    with source.cursor() as cur:  # the running reader switched its views to the copies
        (plan,) = cur.execute("SELECT sql FROM duckdb_views() WHERE view_name = 'links_e'").fetchone()
        assert "links_by_entity" in plan
    assert _answers(source) == before
    source.close()
