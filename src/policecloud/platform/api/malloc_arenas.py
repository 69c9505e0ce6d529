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
"""

from __future__ import annotations

import ctypes
import ctypes.util

M_ARENA_MAX = -8  # glibc's malloc.h
SERVER_ARENAS = 2


def limit_arenas(arenas: int = SERVER_ARENAS) -> bool:
    """Ask glibc for at most ``arenas`` malloc arenas; False where the C library is not glibc (nothing done)."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
        libc.gnu_get_libc_version  # noqa: B018  (only glibc has it: musl's mallopt ignores M_ARENA_MAX)
    except (OSError, AttributeError, TypeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return mallopt(M_ARENA_MAX, int(arenas)) == 1
