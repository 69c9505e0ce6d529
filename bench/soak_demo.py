"""Soak of the demo: the platform served on 127.0.0.1 with the live replay at high speed and a few clients
searching and reading dossiers for a given time; the server's memory is sampled, and at the end every read
path must still work and the audit chain must be intact.

1. builds the demo province in ``--data-dir`` once (``policecloud demo --no-serve --scale …``), or reuses it;
2. starts ``policecloud serve`` on 127.0.0.1 (production Argon2 costs, no request log), as the demo does;
3. replays the province into it as the demo does (the watchlists imported, a feed session, the replay plan of
   ``policecloud.apps.alerts.replay_plan``), at ``--speed``× and over again when the days run out;
4. ``--clients`` threads, each logged in as a demo account, loop: search a plate or a name, look the plate up,
   read the vehicle's dossier, timeline, relations and trajectory (``--pause`` seconds between rounds);
5. samples the server's RSS (the process and its children) every ``--sample-seconds``;
6. after ``--minutes``: stops the replay and the clients, runs the API read paths once more, stops the server,
   then ``policecloud freshness``, ``index all``, a warehouse layout check and ``audit verify``.

It prints the RSS series (start / min / max / end and the slope, also after a warm-up) and the results, and
writes them as JSON (``--out``). Everything is bounded in time; the server is stopped on errors too.

    python bench/soak_demo.py --data-dir /tmp/soak-small --scale small --minutes 30
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

PURPOSE = "case:A4201112026110001"
PRODUCTION_ARGON2 = {
    "POLICECLOUD_ARGON2_TIME_COST": "3",
    "POLICECLOUD_ARGON2_MEMORY_KIB": "65536",
    "POLICECLOUD_ARGON2_PARALLELISM": "4",
}
CLIENT_USERS = ("analyst", "investigator", "dispatcher", "patrol")
POLICECLOUD = [sys.executable, "-m", "policecloud"]


class Stop(Exception):
    """The soak's time is up: the replay stops between two batches."""


# --- the server ------------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(data_dir: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "POLICECLOUD_DATA_DIR": str(data_dir), **PRODUCTION_ARGON2}
    log = open(data_dir / "soak-server.log", "ab")  # noqa: SIM115  (handed to the child)
    process = subprocess.Popen(
        [*POLICECLOUD, "serve", "--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    log.close()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited: {(data_dir / 'soak-server.log').read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1):
                return process
        except OSError:
            time.sleep(0.2)
    stop_server(process)
    raise RuntimeError("the server did not answer in two minutes")


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` and its descendants, in MiB (from /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo.extend(children.get(current, []))
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


# --- HTTP --------------------------------------------------------------------------------------------------------
class Client:
    """A logged-in demo account: JSON requests with its bearer token, latency and status kept."""

    def __init__(self, base: str, user: dict) -> None:
        from policecloud.demo.steps import current_code

        self.base = base
        self.name = user["username"]
        body = {"username": user["username"], "password": user["password"], "client": "api"}
        if user.get("totp_secret"):
            body["totp"] = current_code(user["totp_secret"])
        status, reply, _ = self.call("POST", "/api/auth/login", body, token=None)
        if status != 200 or "token" not in reply:
            raise RuntimeError(f"login of {self.name} failed: {status} {reply}")
        self.token = reply["token"]
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}

    def call(self, method: str, path: str, body=None, token: str | None = "self") -> tuple[int, dict, float]:
        headers = {"Accept": "application/json"}
        if token == "self":
            headers["Authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base + path, data=data, headers=headers, method=method)
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status, payload = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, payload = error.code, error.read()
        except OSError as error:
            status, payload = 599, json.dumps({"error": str(error)}).encode()
        elapsed = time.perf_counter() - started
        try:
            reply = json.loads(payload) if payload else {}
        except ValueError:
            reply = {}
        return status, reply, elapsed

    def get(self, path: str, **params) -> tuple[int, dict]:
        query = urllib.parse.urlencode({**params, "purpose": PURPOSE})
        status, reply, elapsed = self.call("GET", f"{path}?{query}")
        self.latencies.append(elapsed)
        self.statuses[status] = self.statuses.get(status, 0) + 1
        return status, reply

    def round(self, rng: random.Random, plates: list[str], names: list[str]) -> list[tuple[str, int]]:
        """One search and dossier read; returns (step, status) of each request."""
        steps = []
        query = rng.choice(names) if names and rng.random() < 0.3 else rng.choice(plates)
        status, _ = self.get("/api/search", q=query)
        steps.append(("search", status))
        plate = rng.choice(plates)
        status, found = self.get("/api/dossier/lookup", q=plate)
        steps.append(("lookup", status))
        vehicles = [i["entity_id"] for i in found.get("items", []) if i.get("entity_type") == "vehicle"]
        if vehicles:
            entity = vehicles[0]
            for part in ("", "/timeline", "/relations", "/trajectory"):
                status, _ = self.get(f"/api/dossier/{entity}{part}")
                steps.append(("dossier" + (part.replace("/", "_") or ""), status))
        return steps


# --- the pieces of the soak ----------------------------------------------------------------------------------
def build(data_dir: Path, scale: str) -> None:
    if (data_dir / "demo-users.json").exists() and (data_dir / "warehouse").exists():
        return
    print(f"building the {scale} demo province in {data_dir} …", flush=True)
    subprocess.run(
        [*POLICECLOUD, "--data-dir", str(data_dir), "demo", "--scale", scale, "--no-serve"],
        check=True, env={**os.environ, **PRODUCTION_ARGON2},
    )  # fmt: skip


def samples(data_dir: Path, n: int = 300) -> tuple[list[str], list[str]]:
    """Plates and names to look for, drawn from the warehouse."""
    import duckdb

    from policecloud.data.warehouse import open_warehouse

    warehouse = open_warehouse(data_dir / "warehouse")
    plates = [r[0] for r in warehouse.sql(f"SELECT DISTINCT plate FROM checkpoint_pass WHERE plate IS NOT NULL "
                                           f"USING SAMPLE {n * 4} ROWS")][:n]  # fmt: skip
    names: list[str] = []
    if "person" in warehouse.tables():
        try:
            names = [r[0] for r in warehouse.sql(f"SELECT DISTINCT name FROM person WHERE name IS NOT NULL "
                                                  f"USING SAMPLE {n * 4} ROWS")][:n]  # fmt: skip
        except duckdb.Error:  # a person table without names: plates only
            names = []
    return plates, names


def replay_loop(settings, base: str, speed: float, deadline: float, report: dict) -> None:
    """The demo's replay (its plan first, then every day again) until ``deadline``."""
    from policecloud.apps.alerts import sources
    from policecloud.apps.alerts.live import prepare
    from policecloud.apps.alerts.replay import FeedClient, replay
    from policecloud.apps.alerts.replay_plan import ReplayPlan, plan_replay, planned_events

    province = settings.province_dir
    client = FeedClient(base, prepare(settings, province))
    client.request("PUT", "/api/map/devices", {"devices": sources.devices(province / "sources")})
    plan = plan_replay(province / "sources")
    report.update(first_hit=str(plan.first_hit), replay_start=str(plan.start), sent=0, accepted=0, rounds=0)

    totals = {"sent": 0, "accepted": 0}

    def check(progress) -> None:  # the day's counts so far, added to those of the days before
        report["sent"] = totals["sent"] + progress.sent
        report["accepted"] = totals["accepted"] + progress.accepted
        if time.monotonic() > deadline:
            raise Stop

    try:
        while time.monotonic() < deadline:
            for _day, events in planned_events(province / "sources", plan):
                replay(client, events, speed, batch_size=1000, progress=check)
                totals.update(sent=report["sent"], accepted=report["accepted"])
            report["rounds"] += 1
            plan = ReplayPlan(sources.days(province / "sources"), None, None)  # the whole days again
    except Stop:
        pass
    except Exception as error:  # reported: a soak counts failures, it does not die of one
        report["error"] = repr(error)
    finally:
        client.close()


def client_loop(client: Client, seed: int, plates, names, pause: float, deadline: float, failures: list) -> None:
    rng = random.Random(seed)
    while time.monotonic() < deadline:
        for step, status in client.round(rng, plates, names):
            if status >= 500 or status == 599:
                failures.append((client.name, step, status, datetime.now(UTC).isoformat()))
        time.sleep(pause)


def final_api_checks(base: str, users: list[dict], plates: list[str], names: list[str]) -> dict[str, object]:
    client = Client(base, users[0])
    rng = random.Random(99)
    results: dict[str, object] = {}
    for _ in range(5):
        for step, status in client.round(rng, plates, names):
            results.setdefault(step, []).append(status)
    return {step: sorted(set(statuses)) for step, statuses in results.items()}


def run_cli(data_dir: Path, *args: str, timeout: float = 1800) -> dict[str, object]:
    started = time.perf_counter()
    done = subprocess.run(
        [*POLICECLOUD, "--data-dir", str(data_dir), *args], capture_output=True, text=True, timeout=timeout,
        env={**os.environ, "COLUMNS": "160"},
    )  # fmt: skip
    tail = (done.stdout + done.stderr).strip().splitlines()[-6:]
    return {"exit": done.returncode, "seconds": round(time.perf_counter() - started, 1), "tail": tail}


def slope_mib_per_hour(series: list[tuple[float, float]]) -> float | None:
    if len(series) < 3:
        return None
    xs = [t / 3600 for t, _ in series]
    ys = [m for _, m in series]
    return statistics.linear_regression(xs, ys).slope


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="The demo's data directory (built if empty).")
    parser.add_argument("--scale", default="tiny", choices=["tiny", "small"])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--speed", type=float, default=300.0, help="Replay speed (× real time).")
    parser.add_argument("--no-replay", action="store_true", help="Clients only (to tell where memory goes).")
    parser.add_argument("--clients", type=int, default=3)
    parser.add_argument("--pause", type=float, default=0.5, help="Seconds between a client's rounds.")
    parser.add_argument("--sample-seconds", type=float, default=30.0)
    parser.add_argument("--warmup-minutes", type=float, default=5.0, help="Left out of the second slope.")
    parser.add_argument("--out", type=Path, default=None, help="Write the results as JSON here.")
    args = parser.parse_args()

    from policecloud import __version__
    from policecloud.platform.config import Settings

    data_dir = args.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    build(data_dir, args.scale)
    users_by_name = {u["username"]: u for u in json.loads((data_dir / "demo-users.json").read_text())}
    users = [users_by_name[name] for name in CLIENT_USERS[: max(1, args.clients)] if name in users_by_name]
    plates, names = samples(data_dir)
    settings = Settings.from_env().with_(data_dir=data_dir)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parent).stdout.strip()  # fmt: skip
    results: dict[str, object] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"), "commit": commit, "version": __version__,
        "scale": args.scale, "minutes": args.minutes, "speed": None if args.no_replay else args.speed,
        "clients": len(users),
        "command": " ".join(sys.argv),
    }  # fmt: skip
    server = start_server(data_dir, port)
    series: list[tuple[float, float]] = []
    failures: list = []
    replay_report: dict = {}
    threads: list[threading.Thread] = []
    try:
        started = time.monotonic()
        deadline = started + args.minutes * 60
        series.append((0.0, rss_mib(server.pid)))
        print(f"server pid {server.pid} on {base}; RSS {series[0][1]:.0f} MiB at start", flush=True)
        replayer = threading.Thread(target=replay_loop, args=(settings, base, args.speed, deadline, replay_report),
                                    daemon=True)  # fmt: skip
        if not args.no_replay:
            replayer.start()
        clients = [Client(base, user) for user in users]
        for n, client in enumerate(clients):
            thread = threading.Thread(
                target=client_loop, args=(client, n, plates, names, args.pause, deadline, failures), daemon=True
            )
            thread.start()
            threads.append(thread)
        while time.monotonic() < deadline:
            time.sleep(min(args.sample_seconds, max(0.0, deadline - time.monotonic())))
            if server.poll() is not None:
                raise RuntimeError("the server died during the soak")
            elapsed = time.monotonic() - started
            series.append((elapsed, rss_mib(server.pid)))
            requests = sum(len(c.latencies) for c in clients)
            sent = replay_report.get("sent", 0)
            print(f"{elapsed / 60:5.1f} min  RSS {series[-1][1]:7.1f} MiB  requests {requests:,}  "
                  f"events sent {sent:,}  server errors {len(failures)}", flush=True)  # fmt: skip
        if replayer.is_alive():
            replayer.join(timeout=120)
        for thread in threads:
            thread.join(timeout=120)
        latencies = [x for c in clients for x in c.latencies]
        statuses: dict[str, int] = {}
        for c in clients:
            for status, count in c.statuses.items():
                statuses[str(status)] = statuses.get(str(status), 0) + count
        results["clients_report"] = {
            "requests": len(latencies), "statuses": statuses, "server_errors": len(failures),
            "p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
            "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
            "max_ms": round(max(latencies, default=0) * 1000, 1), "first_failures": failures[:10],
        }  # fmt: skip
        results["replay"] = replay_report
        results["final_api"] = final_api_checks(base, users, plates, names)
    finally:
        for_rss_end = rss_mib(server.pid) if server.poll() is None else None
        stop_server(server)
    warm = [(t, m) for t, m in series if t >= args.warmup_minutes * 60]
    mib = [m for _, m in series]
    results["rss_mib"] = {
        "samples": [[round(t), round(m, 1)] for t, m in series], "start": round(mib[0], 1),
        "min": round(min(mib), 1), "max": round(max(mib), 1), "end": round(mib[-1], 1),
        "before_stop": for_rss_end and round(for_rss_end, 1),
        "slope_mib_per_hour": round(slope_mib_per_hour(series) or 0, 1),
        "slope_after_warmup_mib_per_hour": round(slope_mib_per_hour(warm) or 0, 1),
    }  # fmt: skip
    # Every read path of the warehouse and the derived stores, and the audit chain, once the server is down.
    from policecloud.data.warehouse import DuckDBWarehouse

    warehouse = DuckDBWarehouse(data_dir / "warehouse")
    results["warehouse"] = {
        "misplaced_files": len(warehouse.misplaced()),
        "live_batches": sum(1 for b in warehouse.batches() if b.meta.get("source") == "live"),
        "live_rows": sum(sum(b.rows.values()) for b in warehouse.batches() if b.meta.get("source") == "live"),
    }  # fmt: skip
    results["freshness"] = run_cli(data_dir, "freshness")
    results["index_all"] = run_cli(data_dir, "index", "all")
    results["audit_verify"] = run_cli(data_dir, "audit", "verify")
    results["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    print(json.dumps(results, ensure_ascii=False, indent=2))
    if args.out:
        args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
