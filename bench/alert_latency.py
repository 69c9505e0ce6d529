"""Alert latency: from an event accepted by the intake to the alert received by a WebSocket client.

For each rate (events/s) a fresh server runs on 127.0.0.1 (a subprocess, embedded store and event log); a
load generator process posts checkpoint passes at that rate for ``--seconds``; 1 % of the events carry a
watched plate (each a different plate, so each raises a new alert). A WebSocket client subscribed as a
province-level dispatcher timestamps every alert on arrival; latency = arrival − ``accepted_at`` (the
moment the intake accepted the batch, same machine clock). A warm-up alert of its own ("W" plate) takes the
server's one-off first-alert costs and is not counted. All loops are bounded and stop by themselves.

    python bench/alert_latency.py                      # 1k, 5k, 10k events/s, 60 s each
    python bench/alert_latency.py --rates 5000 --seconds 10
    python bench/alert_latency.py --rates 5000 --raw /tmp/alerts.txt   # also every alert's two timestamps
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

WATCHED_EVERY = 100  # one event in this many matches a watchlist entry
TICK_S = 0.1  # the generator posts one batch every tick (a gateway flushing every 100 ms)


def _plate(prefix: str, n: int) -> str:
    return f"鄂{prefix}{n:05d}"


MEASURED = _plate("B", 0)[:2]  # watched plates of the measured load; "W" is the warm-up's


def generate_load(url: str, token: str, rate: int, seconds: float, out: multiprocessing.Queue) -> None:
    """Post ``rate`` events/s for ``seconds`` (bounded: stops at the deadline even if behind)."""
    from policecloud.apps.alerts.replay import FeedClient

    client = FeedClient(url, token)
    stamp = datetime.now(UTC).isoformat()
    # Warm-up (not measured): a fresh server's first alert pays one-off costs (SQL statement compilation,
    # first inserts), which is not what a long-running platform's latency is about; one watched plate of
    # its own ("W" series) takes that path once. The receiver counts only the measured "B" series.
    warm = [
        {"kind": "checkpoint_pass", "id": f"W{i}", "time": stamp, "checkpoint": "4201110001",
         "plate": _plate("W", i) if i == 0 else _plate("C", i)}
        for i in range(50)
    ]  # fmt: skip
    client.request("POST", "/api/events", {"events": warm})
    time.sleep(1.0)
    per_tick = max(1, round(rate * TICK_S))
    sent = accepted = watched = 0
    started = time.monotonic()
    deadline = started + seconds
    tick = 0
    while time.monotonic() < deadline:
        due = started + tick * TICK_S
        wait = due - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        now = datetime.now(UTC).isoformat()
        batch = []
        for _ in range(per_tick):
            if sent % WATCHED_EVERY == 0:
                plate = _plate("B", watched % 100000)
                watched += 1
            else:
                plate = _plate("A", sent % 100000)
            checkpoint = f"42011100{sent % 90 + 10:02d}"
            batch.append({"kind": "checkpoint_pass", "id": f"B{sent}", "time": now, "checkpoint": checkpoint,
                          "plate": plate})  # fmt: skip
            sent += 1
        accepted += client.request("POST", "/api/events", {"events": batch})["accepted"]
        tick += 1
    client.close()
    out.put({"sent": sent, "accepted": accepted, "watched": watched, "seconds": time.monotonic() - started})


async def receive_alerts(
    url: str, token: str, until: float, arrivals: list[tuple[float, float]], ready: asyncio.Event
) -> None:
    import websockets

    async with websockets.connect(url.replace("http", "ws", 1) + "/api/alerts/stream", max_queue=None) as ws:
        await ws.send(json.dumps({"token": token, "purpose": "性能测试：预警推送延迟基准测试"}))
        hello = json.loads(await ws.recv())
        assert hello["topic"] == "ready", hello
        ready.set()
        while time.time() < until:
            try:
                message = await asyncio.wait_for(ws.recv(), timeout=max(0.05, until - time.time()))
            except TimeoutError:
                break
            received = time.time()
            data = json.loads(message)
            measured = data.get("topic") == "alert" and str(data.get("subject", "")).startswith(MEASURED)
            if measured and data.get("new") and data.get("accepted_at"):
                arrivals.append((data["accepted_at"], received))


def run_rate(rate: int, seconds: float, workdir: Path, raw: Path | None = None) -> dict:
    from sqlalchemy.orm import Session

    from policecloud.apps.alerts import watchlists
    from policecloud.apps.alerts.testing import ServerProcess

    server = ServerProcess(workdir / f"rate-{rate}")
    entries = int(rate * seconds / WATCHED_EVERY) + 10
    with Session(server.engine) as session:
        now = datetime.now(UTC)
        plates = [_plate("W", 0)] + [_plate("B", n) for n in range(min(entries, 100000))]
        for plate in plates:
            watchlists.add_entry(
                session, kind="vehicle", value=plate, reason="基准测试", owner="bench",
                jurisdiction_code="420000", valid_from=datetime(2026, 1, 1, tzinfo=UTC), valid_until=None, now=now,
            )  # fmt: skip
        session.commit()
    server.start()
    try:
        viewer = server.token("bench.viewer", ["dispatcher"], "420000")
        feed = server.token("bench.feed", ["feed"], "420000")
        arrivals: list[tuple[float, float]] = []
        results: multiprocessing.Queue = multiprocessing.get_context("spawn").Queue()

        async def main() -> dict:
            ready = asyncio.Event()
            until = time.time() + seconds + 10  # the load, then up to 10 s to drain
            receiver = asyncio.create_task(receive_alerts(server.url, viewer, until, arrivals, ready))
            await asyncio.wait_for(ready.wait(), 30)
            ctx = multiprocessing.get_context("spawn")
            loader = ctx.Process(target=generate_load, args=(server.url, feed, rate, seconds, results))
            loader.start()
            load = await asyncio.to_thread(results.get, True, seconds + 120)
            await asyncio.to_thread(loader.join, 30)
            while len(arrivals) < load["watched"] and time.time() < until:
                await asyncio.sleep(0.1)
            receiver.cancel()
            return load

        load = asyncio.run(main())
    finally:
        server.close()
    if raw is not None:  # accepted_at and arrival of every alert, to line up with server-side timings
        with open(raw, "a") as out:
            out.writelines(f"{rate} {accepted!r} {received!r}\n" for accepted, received in arrivals)
    ordered = sorted(received - accepted for accepted, received in arrivals)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000 if ordered else float("nan")

    return {
        "rate": rate,
        "achieved": load["accepted"] / load["seconds"],
        "alerts_expected": load["watched"],
        "alerts_received": len(arrivals),
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "max_ms": max(ordered) * 1000 if ordered else float("nan"),
        "mean_ms": statistics.fmean(ordered) * 1000 if ordered else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="1000,5000,10000", help="events per second, comma-separated")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long each rate is sustained")
    parser.add_argument("--raw", type=Path, help="append every alert's accepted_at and arrival time to this file")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="pc-bench-alerts-") as tmp:
        for rate in (int(r) for r in args.rates.split(",")):
            row = run_rate(rate, args.seconds, Path(tmp), args.raw)
            rows.append(row)
            print(
                f"{row['rate']:>6} ev/s target  {row['achieved']:>8.0f} ev/s achieved  "
                f"alerts {row['alerts_received']}/{row['alerts_expected']}  "
                f"p50 {row['p50_ms']:.1f} ms  p99 {row['p99_ms']:.1f} ms  max {row['max_ms']:.1f} ms",
                flush=True,
            )
    print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
