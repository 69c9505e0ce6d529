"""Where the API server's memory goes: the API served by uvicorn in this process (a thread) over a demo data
directory built by ``bench/soak_demo.py``, ``--clients`` threads looping the soak's round (search, lookup, dossier,
timeline, relations, trajectory) without pauses; every ``--every`` rounds: RSS, glibc ``mallinfo2()`` (bytes in use
and free in its arenas), Python's allocated blocks, ``duckdb_memory()`` of the dossier connection, optionally gc
object counts by type and tracemalloc snapshots compared. Results in docs/BENCHMARKS.md ("Demo soak").

    MALLOC_ARENA_MAX=2 python bench/memory_probe.py --data-dir /tmp/soak-small --rounds 3000 --every 150
"""

from __future__ import annotations

import argparse
import collections
import ctypes
import gc
import json
import os
import random
import statistics
import sys
import threading
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import soak_demo

p = argparse.ArgumentParser()
p.add_argument("--data-dir", type=Path, required=True)
p.add_argument("--rounds", type=int, default=2000, help="total rounds over all clients")
p.add_argument("--clients", type=int, default=3)
p.add_argument("--every", type=int, default=100)
p.add_argument("--tracemalloc", action="store_true")
p.add_argument("--frames", type=int, default=12)
p.add_argument("--trim", action="store_true", help="malloc_trim(0) before each sample")
p.add_argument("--types", action="store_true", help="gc object counts by type")
p.add_argument("--steps", default="search,lookup,dossier,timeline,relations,trajectory")
p.add_argument("--out", type=Path)
p.add_argument("--limit-arenas", action="store_true", help="what serve does: mallopt(M_ARENA_MAX, 2) first")
args = p.parse_args()
if args.limit_arenas:
    from policecloud.platform.api.malloc_arenas import limit_arenas

    print("limit_arenas:", limit_arenas(), flush=True)

os.environ.update(soak_demo.PRODUCTION_ARGON2)
os.environ["POLICECLOUD_DATA_DIR"] = str(args.data_dir)

import uvicorn  # noqa: E402

from policecloud.platform.api.factory import create_app  # noqa: E402
from policecloud.platform.config import Settings  # noqa: E402
from policecloud.platform.store import make_engine, upgrade  # noqa: E402

if args.tracemalloc:
    tracemalloc.start(args.frames)

settings = Settings.from_env()
engine = make_engine(settings.operational_database_url)
upgrade(engine)
app = create_app(settings, engine=engine)
port = soak_demo.free_port()
server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
threading.Thread(target=server.run, daemon=True).start()
while not server.started:
    time.sleep(0.1)
base = f"http://127.0.0.1:{port}"
users = {u["username"]: u for u in json.loads((args.data_dir / "demo-users.json").read_text())}
plates, names = soak_demo.samples(args.data_dir)
clients = [soak_demo.Client(base, users[n]) for n in soak_demo.CLIENT_USERS[: args.clients]]
steps = set(args.steps.split(","))
libc = ctypes.CDLL("libc.so.6")


class Mallinfo2(ctypes.Structure):
    _fields_ = [
        (n, ctypes.c_size_t)
        for n in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


libc.mallinfo2.restype = Mallinfo2


def malloc_stats() -> str:
    m = libc.mallinfo2()
    return f"malloc used {m.uordblks / 2**20:6.1f} free {m.fordblks / 2**20:6.1f} mmap {m.hblkhd / 2**20:5.1f}"


def rss() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def one_round(client, rng):
    if "search" in steps:
        q = rng.choice(names) if names and rng.random() < 0.3 else rng.choice(plates)
        client.get("/api/search", q=q)
    if "lookup" not in steps:
        return
    _status, found = client.get("/api/dossier/lookup", q=rng.choice(plates))
    vehicles = [i["entity_id"] for i in found.get("items", []) if i.get("entity_type") == "vehicle"]
    if vehicles:
        for part, step in (
            ("", "dossier"),
            ("/timeline", "timeline"),
            ("/relations", "relations"),
            ("/trajectory", "trajectory"),
        ):
            if step in steps:
                client.get(f"/api/dossier/{vehicles[0]}{part}")


counter = [0]
lock = threading.Lock()
stop = threading.Event()


def loop(client, seed):
    rng = random.Random(seed)
    while not stop.is_set():
        one_round(client, rng)
        with lock:
            counter[0] += 1


def types_count():
    return collections.Counter(type(o).__name__ for o in gc.get_objects())


def duck_mem():
    src = getattr(app.state, "dossier", None)
    if src is None or src._con is None:
        return None
    try:
        cur = src._con.cursor()
        rows = cur.execute(
            "SELECT tag, memory_usage_bytes FROM duckdb_memory() WHERE memory_usage_bytes > 0"
        ).fetchall()
        cur.close()
        return {t: round(b / 2**20, 1) for t, b in rows}
    except Exception as e:
        return repr(e)


threads = [threading.Thread(target=loop, args=(c, n), daemon=True) for n, c in enumerate(clients)]
started = time.monotonic()
series = [(0, 0.0, rss())]
print(f"start RSS {series[0][2]:.1f} MiB", flush=True)
for t in threads:
    t.start()
snap0 = None
types0 = None
next_mark = args.every
while True:
    time.sleep(0.2)
    n = counter[0]
    if n >= next_mark:
        next_mark += args.every
        stats = malloc_stats()
        if args.trim:
            before = rss()
            libc.malloc_trim(0)
            stats += f"  (RSS before trim {before:.1f})"
        m = rss()
        series.append((n, time.monotonic() - started, m))
        extra = ""
        if args.types:
            tc = types_count()
            if types0 is None:
                types0 = tc
            else:
                diff = (tc - types0).most_common(8)
                extra = " types+ " + ", ".join(f"{k}:{v}" for k, v in diff)
        print(
            f"round {n:6d}  t {series[-1][1]:6.0f}s  RSS {m:7.1f} MiB  {stats}"
            f"  threads {threading.active_count()} pyblocks {sys.getallocatedblocks()}"
            f"  duck {duck_mem()}{extra}",
            flush=True,
        )
        if args.tracemalloc and snap0 is None and n >= args.rounds * 0.2:
            gc.collect()
            snap0 = tracemalloc.take_snapshot()
            print("tracemalloc baseline taken", flush=True)
    if n >= args.rounds:
        break
stop.set()
for t in threads:
    t.join(timeout=60)
if args.tracemalloc and snap0 is not None:
    gc.collect()
    snap1 = tracemalloc.take_snapshot()
    cur, peak = tracemalloc.get_traced_memory()
    print(f"tracemalloc current {cur / 2**20:.1f} MiB peak {peak / 2**20:.1f} MiB")
    for stat in snap1.compare_to(snap0, "lineno")[:15]:
        print(stat)
    for stat in snap1.compare_to(snap0, "traceback")[:8]:
        print(f"\n+{stat.size_diff / 1024:.0f} KiB  count+{stat.count_diff}")
        for line in stat.traceback.format()[-16:]:
            print("   ", line)
xs = [r for r, _, _ in series[1:]]
ys = [m for _, _, m in series[1:]]
half = len(xs) // 2
slope = statistics.linear_regression(xs, ys).slope * 1000 if len(xs) > 2 else None
slope2 = statistics.linear_regression(xs[half:], ys[half:]).slope * 1000 if len(xs) - half > 2 else None
secs = series[-1][1]
print(
    json.dumps(
        {
            "rounds": series[-1][0],
            "seconds": round(secs),
            "rss_first": ys[0],
            "rss_end": ys[-1],
            "rss_max": max(ys),
            "slope_mib_per_1000_rounds": slope and round(slope, 2),
            "slope_second_half": slope2 and round(slope2, 2),
            "rounds_per_s": round(series[-1][0] / secs, 2),
        }
    )
)
if args.out:
    args.out.write_text(
        json.dumps({"series": series, "args": vars(args) | {"data_dir": str(args.data_dir), "out": str(args.out)}})
    )
server.should_exit = True
os._exit(0)
