"""The API server bounds glibc's malloc arenas, so that request threads share (and reuse) freed memory."""

from __future__ import annotations

import platform
import subprocess
import sys
import textwrap

import pytest

# Twelve threads allocate at once; the heaps of glibc's thread arenas are 64 MiB-aligned anonymous mappings.
PROGRAM = textwrap.dedent(
    """
    import sys, threading
    if sys.argv[1] == "limit":
        from policecloud.platform.api.malloc_arenas import limit_arenas
        assert limit_arenas()
    together = threading.Barrier(12)
    def work():
        kept = [bytearray(100_000) for _ in range(20)]
        together.wait()
    threads = [threading.Thread(target=work) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    heaps = 0
    for line in open("/proc/self/maps"):
        fields = line.split()
        start, end = (int(x, 16) for x in fields[0].split("-"))
        if len(fields) == 5 and start % (64 << 20) == 0 and end - start <= 64 << 20:
            heaps += 1
    print(heaps)
    """
)


def thread_arenas(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", PROGRAM, mode], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return int(done.stdout.strip())


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc arenas")
def test_the_server_limit_keeps_threads_to_two_arenas() -> None:
    assert thread_arenas("default") > 2  # without the limit, threads get arenas of their own
    assert thread_arenas("limit") <= 1  # the main arena and at most one more


TRIM_PROGRAM = textwrap.dedent(
    """
    import sys, threading, time
    from policecloud.platform.api import malloc_arenas

    def rss_kib():
        for line in open("/proc/self/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])

    # Many small blocks, then every other one freed: the free half sits between live blocks, below the heap's top,
    # where returning memory from the top alone cannot reach it.
    blocks = [bytearray(20_000) for _ in range(12_000)]
    del blocks[::2]
    before = rss_kib()
    stop = threading.Event()
    assert malloc_arenas.start_trimming(every_seconds=0.05, stop=stop) is not None
    time.sleep(0.5)
    stop.set()
    print(before, rss_kib())
    """
)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc_trim")
def test_the_trimming_thread_gives_free_pages_inside_the_heap_back() -> None:
    done = subprocess.run([sys.executable, "-c", TRIM_PROGRAM], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    before, after = map(int, done.stdout.split())
    assert before - after > 50_000  # KiB: most of the ≈ 115 MiB freed between live blocks left the process
