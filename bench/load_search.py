"""Search under load, with a login flood and live intake alongside: latency, completeness of the audit log.

Starts ``policecloud serve`` on 127.0.0.1 over a copy of a built province (``policecloud demo --scale tiny
--no-serve`` makes one; the operational store is always fresh) with the production Argon2 costs, then runs each
scenario for ``--seconds`` with headless locust (``bench/load_search_users.py``), one locust process per client
kind:

- ``search×N``: N analysts searching (``GET /api/search`` with a purpose, a pause of ``--search-wait`` s between
  searches, queries drawn from the indexed data);
- ``+flood``: another client logging in as unknown users as fast as it can (``--flood-users`` connections);
- ``+intake``: a feed account posting checkpoint passes at ``--intake-rate`` events/s (batches of 1,000).

For each scenario it prints the search figures (requests, failures, p50/p95/p99/max in ms, req/s), the flood's
and intake's throughput, and checks the audit log: entries of the scenario's analyst = searches answered. At the
end ``policecloud audit verify`` walks the chain. Everything is bounded in time; the server is stopped at the
end (also on errors). Run it against an older checkout for the baseline with PYTHONPATH pointing at its src:

    python bench/load_search.py --data-dir /tmp/tiny                 # 20 s per scenario
    PYTHONPATH=/tmp/before/src python bench/load_search.py --data-dir /tmp/tiny --label before
    python bench/load_search.py --data-dir /tmp/tiny --baseline-src /tmp/before/src   # both, then side by side
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path


def _first_of(modules: tuple[str, ...], name: str):
    """``name`` from the first of ``modules`` that exists: the baseline may be a checkout of the old layout."""
    import importlib

    for module in modules:
        try:
            return getattr(importlib.import_module(module), name)
        except ModuleNotFoundError:
            continue
    raise ModuleNotFoundError(f"none of {modules} defines {name}")


HERE = Path(__file__).resolve().parent
USERS_FILE = HERE / "load_search_users.py"
PRODUCTION_ARGON2 = {
    "POLICECLOUD_ARGON2_TIME_COST": "3",
    "POLICECLOUD_ARGON2_MEMORY_KIB": "65536",
    "POLICECLOUD_ARGON2_PARALLELISM": "4",
}
SCENARIOS = {  # name: (searchers, login flood, intake)
    "search×8": (8, False, False),
    "search×32": (32, False, False),
    "search×8+flood": (8, True, False),
    "search×8+flood+intake": (8, True, True),
    "search×32+flood+intake": (32, True, True),
}


def fresh_copy(source: Path, workdir: Path) -> Path:
    """The built province without its operational store (each run starts with an empty audit log)."""
    target = workdir / "data"
    shared = ("province", "master")  # only read: linked, not copied (a `small` province is large)
    skip = shutil.ignore_patterns("policecloud.db*", "events", "server.log", "demo-users.json", "bench-*", *shared)
    shutil.copytree(source, target, ignore=skip)
    for name in shared:
        if (source / name).exists():
            (target / name).symlink_to((source / name).resolve())
    return target


def sample_queries(data_dir: Path, n: int) -> list[str]:
    sys.path.insert(0, str(HERE))
    connect_sources = _first_of(
        ("policecloud.apps.search.documents", "policecloud.search.documents"), "connect_sources"
    )
    from search_latency import sample_queries as drawn

    with connect_sources(data_dir / "master", data_dir / "warehouse") as con:
        kinds = drawn(con, random.Random(1), n)
    return [q for items in kinds.values() for q in items]


def locust(classes: str, users: int, seconds: int, url: str, conf: dict, prefix: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "LOAD_SEARCH_CONF": json.dumps(conf, ensure_ascii=False),
        "LOAD_SEARCH_COUNTS": f"{prefix}.json",
    }
    command = [sys.executable, "-m", "locust", "-f", str(USERS_FILE), "--headless", "-u", str(users),
               "-r", str(users), "-t", f"{seconds}s", "--stop-timeout", "10", "-H", url, "--only-summary",
               "--csv", str(prefix), "--exit-code-on-error", "0", "--loglevel", "WARNING", classes]  # fmt: skip
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=open(f"{prefix}.log", "wb"))


def stats(prefix: Path, name: str) -> dict[str, float]:
    counts = json.loads(Path(f"{prefix}.json").read_text())
    answered = counts.get(name, 0)  # also those finished while stopping
    with open(f"{prefix}_stats.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["Name"] == name:
                return {
                    "requests": int(row["Request Count"]),
                    "failures": int(row["Failure Count"]),
                    "p50_ms": float(row["50%"]),
                    "p95_ms": float(row["95%"]),
                    "p99_ms": float(row["99%"]),
                    "max_ms": float(row["Max Response Time"]),
                    "rps": float(row["Requests/s"]),
                    "answered": answered,
                    "statuses": counts.get("statuses", {}),
                }
    return {"requests": 0, "failures": 0, "answered": answered}


def audit_counts(engine, since_seq: int) -> tuple[int, dict[tuple[str, str], int]]:
    from sqlalchemy import func, select

    AuditEntry = _first_of(("policecloud.platform.store.models", "policecloud.store.models"), "AuditEntry")

    with engine.connect() as con:
        head = con.execute(select(func.max(AuditEntry.seq))).scalar() or 0
        rows = con.execute(
            select(AuditEntry.actor, AuditEntry.event, func.count())
            .where(AuditEntry.seq > since_seq)
            .group_by(AuditEntry.actor, AuditEntry.event)
        ).all()
    return head, {(actor, event): n for actor, event, n in rows}


def warm_up(url: str, token: str, queries: list[str], clients: int = 8) -> None:
    """Searches from ``clients`` threads at once before measuring: a server's pool threads, their store
    connections and the index's searchers are made by its first concurrent requests, not by steady use."""
    from concurrent.futures import ThreadPoolExecutor

    def search_once(q: str) -> None:
        query = urllib.parse.urlencode({"q": q, "purpose": "case:A4201112026110001"})
        request = urllib.request.Request(f"{url}/api/search?{query}", headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(search_once, queries[: 30 * clients]))


def run(args: argparse.Namespace) -> dict:
    ServerProcess = _first_of(("policecloud.apps.alerts.testing", "policecloud.alerts.testing"), "ServerProcess")

    workdir = Path(tempfile.mkdtemp(prefix="load-search-"))
    data_dir = fresh_copy(args.data_dir, workdir)
    queries = sample_queries(data_dir, args.queries)
    server = ServerProcess(data_dir, env=PRODUCTION_ARGON2)
    report: dict = {"label": args.label, "seconds": args.seconds, "search_wait": args.search_wait, "scenarios": {}}
    try:
        tokens = {name: server.token(f"bench.{i}", ["investigator"], "420000") for i, name in enumerate(SCENARIOS)}
        feed = server.token("bench.feed", ["feed"], "420000")
        warm = server.token("bench.warm-up", ["investigator"], "420000")
        server.start(timeout=60)
        warm_up(server.url, warm, queries)
        for i, (name, (searchers, flood, intake)) in enumerate(SCENARIOS.items()):
            if args.only and name not in args.only:
                continue
            seq, _ = audit_counts(server.engine, 0)
            conf = {"search_token": tokens[name], "feed_token": feed, "queries": queries,
                    "search_wait": args.search_wait, "intake_batch": 1000,
                    "intake_posts_per_s": args.intake_rate / 1000 / args.intake_users}  # fmt: skip
            prefix = workdir / f"s{i}"
            procs = [locust("Searcher", searchers, args.seconds, server.url, conf, prefix)]
            if flood:
                procs.append(locust("LoginFlood", args.flood_users, args.seconds, server.url, conf, workdir / f"f{i}"))
            if intake:
                procs.append(locust("Intake", args.intake_users, args.seconds, server.url, conf, workdir / f"i{i}"))
            for proc in procs:
                proc.wait(timeout=args.seconds + 60)
            time.sleep(0.5)
            _, counts = audit_counts(server.engine, seq)
            search = stats(prefix, "search")
            entry = {"search": search}
            answered = search["answered"]
            audited = counts.get((f"bench.{i}", "data.read"), 0)
            entry["audit"] = {"searches_answered": answered, "entries": audited, "complete": audited == answered}
            if flood:
                entry["flood"] = stats(workdir / f"f{i}", "login")
                entry["audit"]["login_entries"] = sum(n for (_, e), n in counts.items() if e.startswith("auth."))
            if intake:
                posted = stats(workdir / f"i{i}", "events")
                posted["events_per_s"] = posted["answered"] * 1000 / args.seconds
                entry["intake"] = posted
            report["scenarios"][name] = entry
            print(line(name, entry), flush=True)
    finally:
        server.stop()
    verify = subprocess.run(
        [sys.executable, "-m", "policecloud", "audit", "verify"],
        env={**os.environ, "POLICECLOUD_DATA_DIR": str(data_dir)}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    report["audit_verify"] = {"exit": verify.returncode, "output": " ".join(verify.stdout.split())}
    print(f"policecloud audit verify (exit {verify.returncode}): {report['audit_verify']['output']}")
    server.engine.dispose()
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return report


def line(name: str, entry: dict) -> str:
    s, a = entry["search"], entry["audit"]
    out = (f"{name:24s} search {s['requests']:6d} req {s['failures']:4d} failed  p50 {s.get('p50_ms', 0):6.0f}  "
           f"p95 {s.get('p95_ms', 0):6.0f}  p99 {s.get('p99_ms', 0):6.0f}  max {s.get('max_ms', 0):7.0f} ms  "
           f"{s.get('rps', 0):6.1f} req/s  audit {a['entries']}/{a['searches_answered']}"
           f"{' ok' if a['complete'] else ' MISMATCH'}")  # fmt: skip
    if "flood" in entry:
        statuses = " ".join(f"{k}×{v}" for k, v in sorted(entry["flood"].get("statuses", {}).items()))
        out += f"  | flood {entry['flood'].get('rps', 0):.0f} logins/s ({statuses})"
    if "intake" in entry:
        out += (
            f"  | intake {entry['intake']['events_per_s']:,.0f} events/s p99 {entry['intake'].get('p99_ms', 0):.0f} ms"
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True, help="A built province (policecloud demo).")
    parser.add_argument("--seconds", type=int, default=20, help="Duration of each scenario.")
    parser.add_argument("--search-wait", type=float, nargs=2, default=(0.1, 0.3), help="Pause between searches.")
    parser.add_argument("--flood-users", type=int, default=4)
    parser.add_argument("--intake-rate", type=int, default=10000, help="Events/s posted by the feed.")
    parser.add_argument("--intake-users", type=int, default=2)
    parser.add_argument("--queries", type=int, default=100, help="Queries drawn per kind.")
    parser.add_argument("--only", action="append", help="Run only this scenario (repeatable).")
    parser.add_argument("--label", default="current")
    parser.add_argument("--json", type=Path, help="Also write the figures here.")
    parser.add_argument("--keep", action="store_true", help="Keep the work directory (locust logs, store).")
    parser.add_argument("--baseline-src", type=Path, help="Also run the scenarios on this checkout's src first.")
    args = parser.parse_args()
    baseline = run_baseline(args) if args.baseline_src else None
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"load_search [{args.label}] {started}, {os.cpu_count()} cores, {args.seconds} s per scenario, "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    report = run(args)
    report["started"] = started
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    if baseline:
        compare(baseline, report)


def run_baseline(args: argparse.Namespace) -> dict:
    """The same scenarios with the code of another checkout (its src first on the path), in a child process."""
    out = Path(tempfile.mkdtemp(prefix="load-search-baseline-")) / "baseline.json"
    command = [sys.executable, __file__, "--data-dir", str(args.data_dir), "--seconds", str(args.seconds),
               "--search-wait", *map(str, args.search_wait), "--flood-users", str(args.flood_users),
               "--intake-rate", str(args.intake_rate), "--intake-users", str(args.intake_users),
               "--queries", str(args.queries), "--label", "baseline", "--json", str(out)]  # fmt: skip
    for name in args.only or ():
        command += ["--only", name]
    env = {**os.environ, "PYTHONPATH": str(args.baseline_src.resolve())}
    subprocess.run(command, env=env, check=True, timeout=len(SCENARIOS) * (args.seconds + 90) + 300)
    return json.loads(out.read_text(encoding="utf-8"))


def compare(baseline: dict, report: dict) -> None:
    print("search p50 / p99 ms (answered, audit complete): baseline → this code")
    for name, now in report["scenarios"].items():
        before = baseline["scenarios"].get(name)
        if before is None:
            continue

        def cell(entry: dict) -> str:
            s, a = entry["search"], entry["audit"]
            return (f"{s.get('p50_ms', 0):.0f} / {s.get('p99_ms', 0):.0f} "
                    f"({a['searches_answered']}, {'yes' if a['complete'] else 'NO'})")  # fmt: skip

        print(f"  {name:24s} {cell(before):>24s}  →  {cell(now)}")


if __name__ == "__main__":
    main()
