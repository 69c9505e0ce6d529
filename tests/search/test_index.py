"""Building, switching and updating the versioned index."""

from __future__ import annotations

import json
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import tantivy

from policecloud.apps.search import index as index_module
from policecloud.apps.search.index import (
    IndexHandle,
    IndexMissing,
    build_index,
    current_version,
    open_current,
    update_index,
)
from policecloud.apps.search.query import search
from policecloud.apps.search.testing import HONGSHAN, T0, call, mini_province, write_master, write_table


@pytest.fixture
def world(tmp_path):
    return mini_province(tmp_path, crowd=20)


def doc_ids(idx) -> list[str]:
    searcher = idx.searcher()
    found = searcher.search(tantivy.Query.all_query(), 10_000)
    return sorted(searcher.doc(a).get_first("doc_id") for _, a in found.hits)


def test_a_build_writes_a_version_and_points_at_it(world):
    report = build_index(world.master_dir, world.warehouse_dir, world.search_root)
    version = current_version(world.search_root)
    assert version is not None and version.name == report.version and report.mode == "full"
    assert json.loads((world.search_root / "current.json").read_text()) == {"version": report.version}
    idx = open_current(world.search_root)
    expected = sorted([e["entity_id"] for e in world.entities] + [c["doc_id"] for c in world.calls.values()])
    assert doc_ids(idx) == expected and report.added == report.total == len(expected)
    assert idx.manifest["master_run"] == "run-1" and idx.manifest["home_province"] == "42"
    assert idx.similar["刘"] == {"柳": 1}
    assert report.docs_per_second > 0


def test_a_rebuild_switches_atomically_and_removes_the_old_version(world):
    first = build_index(world.master_dir, world.warehouse_dir, world.search_root)
    handle = IndexHandle(world.search_root)
    old = handle.get()
    second = build_index(world.master_dir, world.warehouse_dir, world.search_root)
    assert second.version != first.version
    assert not (world.search_root / first.version).exists()
    assert [p.name for p in world.search_root.iterdir() if p.is_dir()] == [second.version]
    assert handle.get() is not old and handle.get().version == second.version
    # an index opened before the switch keeps answering (its files stay open)
    assert search(old, "电动车被盗", county_prefixes=None).total == 1


def test_concurrent_first_requests_open_the_index_once(world, monkeypatch):
    build_index(world.master_dir, world.warehouse_dir, world.search_root)
    opened, real = [], index_module.open_current

    def counted(root):
        opened.append(root)
        time.sleep(0.05)  # an opening takes a while: the other requests arrive meanwhile
        return real(root)

    monkeypatch.setattr(index_module, "open_current", counted)
    handle, together = IndexHandle(world.search_root), threading.Barrier(8)

    def first_request():
        together.wait()
        return handle.get()

    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda _: first_request(), range(8)))
    assert len(opened) == 1 and all(g is got[0] for g in got)


def test_a_failed_build_leaves_the_current_version_in_place(world, monkeypatch):
    first = build_index(world.master_dir, world.warehouse_dir, world.search_root)

    def crash(*_args):
        raise OSError("disk full")

    monkeypatch.setattr(index_module, "switch", crash)
    with pytest.raises(OSError):
        build_index(world.master_dir, world.warehouse_dir, world.search_root)
    assert current_version(world.search_root).name == first.version
    assert [p.name for p in world.search_root.iterdir() if p.is_dir()] == [first.version]
    assert search(open_current(world.search_root), "电动车被盗", county_prefixes=None).total == 1


def test_an_update_rewrites_only_what_changed(world):
    build_index(world.master_dir, world.warehouse_dir, world.search_root)
    unchanged = update_index(world.master_dir, world.warehouse_dir, world.search_root)
    assert (unchanged.mode, unchanged.added, unchanged.deleted) == ("incremental", 0, 0)

    # a new resolution run: one person gets more records, one entity disappears (merged), one is new
    zhang = world.persons["zhang_wei"]["entity_id"]
    gone = world.persons["d1"]["entity_id"]
    for e in world.entities:
        if e["entity_id"] == zhang:
            e["records"] += 3
            e["last_seen"] = T0 + timedelta(days=5)
    world.entities = [e for e in world.entities if e["entity_id"] != gone]
    world.statements = [s for s in world.statements if s["entity_id"] != gone]
    new = world.add_entity("P", "person", "欧阳修", "420111198001010015", HONGSHAN, 1, {"name": ["欧阳修"]})
    write_master(world, "run-2")
    # and a new batch of 110 calls
    write_table(
        world.warehouse_dir,
        "calls-2",
        "call110",
        [call("J42011120261002000009", "报警人称家中煤气泄漏。", "湖北省武汉市洪山区珞喻路5号", "赵云", "13900001111")],
    )

    report = update_index(world.master_dir, world.warehouse_dir, world.search_root)
    assert (report.added, report.deleted) == (3, 2)  # zhang (changed), 欧阳修, the new call; zhang + d1 deleted
    idx = open_current(world.search_root)
    ids = doc_ids(idx)
    assert len(ids) == len(set(ids)) == report.total
    assert new in ids and gone not in ids and "call110:calls-2:1" in ids
    assert search(idx, "煤气泄漏", county_prefixes=None).hits[0].id == "call110:calls-2:1"
    assert [h.records for h in search(idx, "张伟", county_prefixes=[HONGSHAN]).hits[:1]] == [9]
    assert idx.manifest["master_run"] == "run-2"


def test_an_update_interrupted_before_its_state_was_saved_is_redone_without_duplicates(world):
    build_index(world.master_dir, world.warehouse_dir, world.search_root)
    version = current_version(world.search_root)
    saved = version / "state.saved"
    shutil.copy(version / "state.parquet", saved)
    write_table(
        world.warehouse_dir,
        "calls-2",
        "call110",
        [call("J42011120261002000009", "报警人称家中煤气泄漏。", "湖北省武汉市洪山区珞喻路5号", "赵云", "13900001111")],
    )
    update_index(world.master_dir, world.warehouse_dir, world.search_root)
    shutil.copy(saved, version / "state.parquet")  # as if the process died after tantivy's commit
    again = update_index(world.master_dir, world.warehouse_dir, world.search_root)
    assert (again.added, again.deleted) == (1, 0)
    ids = doc_ids(open_current(world.search_root))
    assert len(ids) == len(set(ids)) == again.total


def test_an_index_of_another_schema_version_is_rebuilt_not_updated(world):
    first = build_index(world.master_dir, world.warehouse_dir, world.search_root)
    manifest = world.search_root / first.version / "manifest.json"
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "schema_version": 0}))
    report = update_index(world.master_dir, world.warehouse_dir, world.search_root)
    assert report.mode == "full" and report.version != first.version


def test_texts_only_and_missing_index(world):
    with pytest.raises(IndexMissing):
        open_current(world.search_root)
    assert IndexHandle(world.search_root).get() is None
    report = build_index(None, world.warehouse_dir, world.search_root)
    assert report.total == len(world.calls)
    assert search(open_current(world.search_root), "电动车", county_prefixes=["42"]).total == 2
