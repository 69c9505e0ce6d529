"""Work that may wait runs at a lower CPU priority, so interactive reads keep their latency under load.

Password hashing (Argon2 is made to cost ≈ 0.1–0.2 s of both cores) and bulk event intake (parsing and
validating 1,000 events costs tens of milliseconds) run on small pools of their own whose threads lower their
nice value. Linux keeps a nice value per thread (``setpriority`` on the thread id) and a thread's children
inherit it (libargon2's lane threads), so these threads take the CPU the searches and dossiers leave idle and
bound how many such jobs run at once. Where that is not available the work runs at the normal priority.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def lower_this_thread(niceness: int) -> bool:
    """Raise the calling thread's nice value by ``niceness``; False where threads have no priority of their own.

    Linux only: elsewhere ``setpriority(PRIO_PROCESS, n)`` takes ``n`` as a process id, and a thread id could name
    another process."""
    if sys.platform != "linux":
        return False
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + niceness)
    except OSError:  # not permitted here: the work still runs, at the normal priority
        return False
    return True


class BackgroundPool:
    """A few threads at a lower priority; started on first use, shared by the whole process."""

    def __init__(self, name: str, threads: int, niceness: int) -> None:
        self.name, self.threads, self.niceness = name, threads, niceness
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None

    def _pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    self.threads, self.name, initializer=lower_this_thread, initargs=(self.niceness,)
                )
            return self._executor

    def run(self, fn: Callable[..., T], *args: object) -> T:
        """``fn(*args)`` on one of the pool's threads; the caller waits (exceptions come back to it)."""
        return self._pool().submit(fn, *args).result()

    async def run_async(self, fn: Callable[..., T], *args: object) -> T:
        """The same from the event loop, which stays free meanwhile."""
        return await asyncio.wrap_future(self._pool().submit(fn, *args))
