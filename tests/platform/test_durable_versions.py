"""VersionedDir: versions in directories, one pointer file naming the live one (event index, search, master)."""

from __future__ import annotations

import json
import os

import pytest

from policecloud.platform import durable
from policecloud.platform.durable import PointerCorrupt, VersionedDir


def _write_version(store: VersionedDir, marker: str):
    path = store.new_version()
    path.mkdir(parents=True)
    (path / "data.txt").write_text(marker, encoding="utf-8")
    return path


def test_nothing_published(tmp_path):
    store = VersionedDir(tmp_path / "idx", prefix="v")
    assert store.live_name() is None
    assert store.live() is None
    assert store.versions() == []
    assert store.prune() == []


def test_publish_writes_the_pointer_format_existing_data_dirs_use(tmp_path):
    index = VersionedDir(tmp_path, prefix="v")
    version = _write_version(index, "one")
    index.publish(version)
    assert (tmp_path / "current.json").read_bytes() == json.dumps({"version": version.name}).encode()
    assert index.live() == version
    master = VersionedDir(tmp_path / "master", key="run", versions_dir=tmp_path / "master" / "runs")
    run = master.new_version("%Y%m%dT%H%M%S%fZ")
    run.mkdir(parents=True)
    master.publish(run.name)
    assert (tmp_path / "master" / "current.json").read_text() == f'{{"run": "{run.name}"}}'
    assert master.live() == run and run.parent == tmp_path / "master" / "runs"


def test_new_versions_are_unique_and_sort_by_time(tmp_path):
    store = VersionedDir(tmp_path, prefix="v")
    names = []
    for _ in range(5):
        path = store.new_version("%Y%m%d")  # a coarse format forces the -n suffixes
        path.mkdir()
        names.append(path.name)
    assert len(set(names)) == 5 and all(n.startswith("v") for n in names)
    assert [p.name for p in store.versions()] == sorted(names)


@pytest.mark.parametrize(
    "content", [b"", b"{not json", b"[1, 2]", b'{"other": "v1"}', b'{"version": 3}', b'{"version": "../x"}', b"\xff"]
)
def test_corrupt_pointer(tmp_path, content):
    store = VersionedDir(tmp_path, prefix="v")
    (tmp_path / "v1").mkdir()
    (tmp_path / "current.json").write_bytes(content)
    assert store.live_name() is None and store.live() is None
    with pytest.raises(PointerCorrupt, match=r"current\.json is corrupt"):
        store.live_name(strict=True)


def test_pointer_to_a_missing_directory_is_not_live(tmp_path):
    store = VersionedDir(tmp_path, prefix="v")
    store.publish("v-gone")
    assert store.live_name() == "v-gone"
    assert store.live() is None


def test_crash_between_writing_a_version_and_publishing_it_keeps_the_old_one(tmp_path):
    store = VersionedDir(tmp_path, prefix="v")
    old = _write_version(store, "old")
    store.publish(old)
    new = _write_version(store, "new")  # fully written, then the process dies before publish
    assert store.live() == old
    assert (store.live() / "data.txt").read_text() == "old"
    # the next writer cleans up what the crash left; the old version stays live
    assert store.prune() == [new]
    assert store.versions() == [old] and store.live() == old


def test_crash_inside_publish_before_the_rename_keeps_the_old_one(tmp_path, monkeypatch):
    store = VersionedDir(tmp_path, prefix="v")
    old = _write_version(store, "old")
    store.publish(old)
    new = _write_version(store, "new")

    def die(src, dst):
        raise KeyboardInterrupt("killed before the rename")

    monkeypatch.setattr(durable.os, "replace", die)
    with pytest.raises(KeyboardInterrupt):
        store.publish(new)
    monkeypatch.undo()
    assert (tmp_path / "current.json.tmp").exists()  # the new pointer was written, never renamed into place
    assert store.live() == old
    store.prune()
    assert store.versions() == [old]
    store.publish(_write_version(store, "again"))  # a later publish overwrites the leftover temporary file
    assert not (tmp_path / "current.json.tmp").exists()


def test_prune_keeps_live_newest_and_leaves_non_versions_alone(tmp_path):
    store = VersionedDir(tmp_path, prefix="v")
    made = [tmp_path / f"v{i}" for i in range(1, 6)]
    for path in made:
        path.mkdir()
    (tmp_path / "work-v9").mkdir()
    (tmp_path / "vfile").write_text("not a directory")
    (made[2] / "FINISHED").touch()
    (made[3] / "FINISHED").touch()
    store.publish(made[0])  # the live one is the oldest: kept anyway
    removed = store.prune(keep_newest=1, only=lambda p: (p / "FINISHED").exists())
    assert removed == [made[2]]
    assert sorted(os.listdir(tmp_path)) == ["current.json", "v1", "v2", "v4", "v5", "vfile", "work-v9"]
    assert store.prune() == [made[1], made[3], made[4]]
    assert store.versions() == [made[0]]
