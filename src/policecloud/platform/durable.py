"""Crash-safe file replacement: the whole new content or the old one, never a torn file.

Everything the platform publishes by pointer or state file (warehouse commit records, master-data and index
pointers, run states, index manifests) is written to a temporary file, flushed to disk, then renamed over the
target: a rename within one directory is atomic on POSIX file systems. ``VersionedDir`` is the one scheme of
"a directory of versions plus a pointer file naming the live one" (the event key index, the search index and
the master-data runs all use it).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any


def fsync_file(handle: IO[Any]) -> None:
    """Flush an open file's buffer and its content to disk (before it is renamed into place, or a record of it
    is written)."""
    handle.flush()
    os.fsync(handle.fileno())


def fsync_and_replace(temp: Path, target: Path) -> None:
    """Flush an already written ``temp`` to disk, then rename it over ``target``."""
    with open(temp, "rb") as handle:
        fsync_file(handle)
    os.replace(temp, target)


def write_json_atomic(path: Path, value: Any, *, indent: int | None = None, sort_keys: bool = False) -> None:
    """Replace ``path`` with ``value`` as JSON (UTF-8, non-ASCII kept; unknown types written with ``str``)."""
    temp = path.with_name(path.name + ".tmp")
    with open(temp, "w", encoding="utf-8") as handle:
        json.dump(value, handle, ensure_ascii=False, indent=indent, sort_keys=sort_keys, default=str)
        fsync_file(handle)
    os.replace(temp, path)


def fsync_dir(path: Path) -> None:
    """Flush a directory's entries (the names of files just renamed into it) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing) for the block: one writer at a time, across
    processes. The lock goes with the process, so a killed writer never leaves it held."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class PointerCorrupt(ValueError):
    """The pointer file exists but does not name a version (not JSON, not an object, no such key, not a name)."""

    def __init__(self, pointer: Path, key: str) -> None:
        super().__init__(f"{pointer} is corrupt: expected a JSON object naming a version under {key!r}")
        self.pointer = pointer


@dataclass(frozen=True)
class VersionedDir:
    """Versions in directories and ``<root>/current.json`` = ``{key: name}`` naming the live one.

    A writer fills a new version directory completely, then ``publish`` replaces the pointer (temporary file,
    fsync, rename): readers see the old version or the new one, never a half-written one. A crash before the
    rename leaves the old version live and the new one unpublished, for ``prune`` to remove on the next run.
    Version names sort by creation time (a UTC timestamp), so "newest" is "last by name".
    """

    root: Path  # where the pointer lives
    key: str = "version"  # the pointer's one key: {"version": …} (indexes) or {"run": …} (master data)
    versions_dir: Path | None = None  # where the versions live (default: next to the pointer)
    prefix: str = ""  # only directories whose names start with it are versions (others are left alone)
    pointer_name: str = "current.json"

    @property
    def pointer(self) -> Path:
        return Path(self.root) / self.pointer_name

    @property
    def home(self) -> Path:
        return Path(self.versions_dir if self.versions_dir is not None else self.root)

    def new_version(self, name_format: str = "%Y%m%dT%H%M%S%f") -> Path:
        """A fresh, unused version path (not created): ``prefix`` + the UTC time in ``name_format``, with
        ``-1``, ``-2`` … appended if the name is taken."""
        stamp = self.prefix + datetime.now(UTC).strftime(name_format)
        path, n = self.home / stamp, 1
        while path.exists():
            path, n = self.home / f"{stamp}-{n}", n + 1
        return path

    def live_name(self, *, strict: bool = False) -> str | None:
        """The name the pointer holds; None when nothing was ever published. A corrupt pointer is None too,
        or ``PointerCorrupt`` with ``strict`` (for stores where a corrupt pointer must not pass for "none")."""
        try:
            value = json.loads(self.pointer.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (UnicodeDecodeError, json.JSONDecodeError):
            value = None
        name = value.get(self.key) if isinstance(value, dict) else None
        if not isinstance(name, str) or not name or name in (".", "..") or "/" in name or "\\" in name:
            if strict:
                raise PointerCorrupt(self.pointer, self.key)
            return None
        return name

    def live(self) -> Path | None:
        """The live version directory, or None when none is published (or it no longer exists)."""
        name = self.live_name()
        path = self.home / name if name else None
        return path if path is not None and path.is_dir() else None

    def publish(self, version: Path | str) -> None:
        """Make ``version`` the live one: write the pointer to a temporary file, fsync it, rename it over."""
        write_json_atomic(self.pointer, {self.key: Path(version).name})

    def versions(self, only: Callable[[Path], bool] | None = None) -> list[Path]:
        """The version directories (with ``only``: those it accepts), oldest first."""
        if not self.home.is_dir():
            return []
        found = (p for p in self.home.iterdir() if p.is_dir() and p.name.startswith(self.prefix))
        return sorted(p for p in found if only is None or only(p))

    def prune(self, *, keep_newest: int = 0, only: Callable[[Path], bool] | None = None) -> list[Path]:
        """Remove the versions that are not live, except the ``keep_newest`` newest of them; ``only`` limits
        which versions may be removed (e.g. finished ones). Returns the removed paths."""
        live = self.live_name()
        others = [p for p in self.versions(only) if p.name != live]
        doomed = others[: max(0, len(others) - keep_newest)]
        for path in doomed:
            shutil.rmtree(path, ignore_errors=True)
        return doomed
