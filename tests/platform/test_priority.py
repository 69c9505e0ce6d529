"""Work that may wait (password hashing, bulk intake) runs on threads of a lower CPU priority."""

from __future__ import annotations

import asyncio
import os
import sys
import threading

import pytest

from policecloud.platform.access import credentials
from policecloud.platform.priority import BackgroundPool
from policecloud.platform.store.testing import fast_settings

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="threads have a nice value of their own on Linux")


def _nice_of_this_thread() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@linux_only
def test_pool_threads_run_at_a_lower_priority_than_the_caller() -> None:
    pool = BackgroundPool("test-low", threads=1, niceness=7)
    caller = _nice_of_this_thread()
    assert pool.run(_nice_of_this_thread) == min(caller + 7, 19)
    assert _nice_of_this_thread() == caller  # the caller's own priority is untouched


def test_pool_returns_results_and_raises_the_callers_exceptions() -> None:
    pool = BackgroundPool("test-errors", threads=2, niceness=3)
    assert pool.run(sum, [1, 2, 3]) == 6
    with pytest.raises(ZeroDivisionError):
        pool.run(lambda: 1 / 0)
    assert asyncio.run(pool.run_async(max, 4, 9)) == 9


def test_pool_runs_at_most_its_threads_at_once() -> None:
    pool = BackgroundPool("test-bound", threads=2, niceness=0)
    running, peak, lock = [0], [0], threading.Lock()
    gate = threading.Event()

    def job() -> None:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        gate.wait(0.2)
        with lock:
            running[0] -= 1

    callers = [threading.Thread(target=pool.run, args=(job,)) for _ in range(6)]
    for t in callers:
        t.start()
    for t in callers:
        t.join()
    assert peak[0] == 2


@linux_only
def test_password_hashes_are_computed_on_the_low_priority_hashing_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, int]] = []
    real = credentials.password_hasher

    class Watched:
        def __init__(self, settings) -> None:
            self.inner = real(settings)

        def hash(self, password: str) -> str:
            seen.append((threading.current_thread().name, _nice_of_this_thread()))
            return self.inner.hash(password)

        def verify(self, stored: str, password: str) -> bool:
            seen.append((threading.current_thread().name, _nice_of_this_thread()))
            return self.inner.verify(stored, password)

    monkeypatch.setattr(credentials, "password_hasher", Watched)
    settings = fast_settings()
    stored = credentials.hash_password(settings, "correct horse 12")
    assert credentials.verify_password(settings, stored, "correct horse 12")
    assert not credentials.verify_password(settings, stored, "wrong horse 12")
    caller = _nice_of_this_thread()
    assert len(seen) == 3
    for name, nice in seen:
        assert name.startswith(credentials.HASHING.name)
        assert nice == min(caller + credentials.HASHING.niceness, 19)
