"""Crash-safe file replacement: the whole new content or the old one, never a torn file.

Everything the platform publishes by pointer or state file (warehouse commit records, master-data and index
pointers, run states, index manifests) is written to a temporary file, flushed to disk, then renamed over the
target: a rename within one directory is atomic on POSIX file systems.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
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
