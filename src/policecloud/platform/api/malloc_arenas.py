"""Bound glibc's malloc arenas in the API server: less freed memory kept per thread under read load.

Synchronous routes run on Starlette's thread pool (up to 40 threads). glibc gives threads their own malloc arena,
up to 8 per core, and each arena keeps the memory its largest requests freed (DuckDB query buffers, Arrow and
Python objects of a dossier or a trajectory) for its next allocations instead of returning it to the system. With
16 arenas on a 2-core machine the server's resident size climbed for as long as new peaks met idle arenas.
With 2 arenas the freed memory is shared and reused: the level is 60–80 MiB lower, but the measured slope did not
change, so this bounds the arenas, not the growth (docs/BENCHMARKS.md, "Demo soak").

``MALLOC_ARENA_MAX`` in the environment does the same, but only if it is set before the process starts;
``mallopt(M_ARENA_MAX)`` works from inside, as long as it runs before a second thread allocates (glibc fixes the
limit once more than eight arenas exist): ``serve`` calls it first thing. Under ``policecloud demo``, which builds
the province in the same process before serving, the arenas the build made stay in use and are shared.

What the arenas keep free is still resident: glibc gives memory back to the system only from the top of a heap,
so a freed block under a live one stays in RSS. ``serve`` also starts :func:`start_trimming`, a thread that asks
glibc every minute (``malloc_trim(0)``) to release the free pages inside its heaps too (``madvise``); the
measured effect on a 30-minute soak is in docs/BENCHMARKS.md ("Demo soak").
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import threading

M_ARENA_MAX = -8  # glibc's malloc.h
SERVER_ARENAS = 2
TRIM_SECONDS = 60.0


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        libc.gnu_get_libc_version  # noqa: B018  (only glibc has it: musl's mallopt ignores M_ARENA_MAX)
    except (OSError, AttributeError, TypeError):
        return None
    return libc


def limit_arenas(arenas: int = SERVER_ARENAS) -> bool:
    """Ask glibc for at most ``arenas`` malloc arenas; False where the C library is not glibc (nothing done)."""
    libc = _glibc()
    if libc is None:
        return False
    mallopt = libc.mallopt
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return mallopt(M_ARENA_MAX, int(arenas)) == 1


def trim() -> bool:
    """Give the free pages of glibc's heaps back to the system now; False where that is not glibc."""
    libc = _glibc()
    if libc is None:
        return False
    libc.malloc_trim.argtypes, libc.malloc_trim.restype = [ctypes.c_size_t], ctypes.c_int
    libc.malloc_trim(0)
    return True


def start_trimming(every_seconds: float = TRIM_SECONDS, stop: threading.Event | None = None) -> threading.Thread | None:
    """A daemon thread calling :func:`trim` every ``every_seconds`` until ``stop`` is set; None if not glibc."""
    if _glibc() is None:
        return None
    stop = stop or threading.Event()

    def loop() -> None:
        while not stop.wait(every_seconds):
            trim()

    thread = threading.Thread(target=loop, name="malloc-trim", daemon=True)
    thread.start()
    return thread
