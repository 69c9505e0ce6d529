"""Records for tests: an alert, a watchlist entry or a geofence in a given jurisdiction (used by the API's
permission matrix to give each early-warning route a fresh target inside or outside the caller's scope)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from policecloud.apps.alerts.models import Alert, Geofence, WatchlistEntry

PLACEHOLDERS = {"{alert_id}": "alerts", "{entry_id}": "entries", "{fence_id}": "geofences"}


def make_alert(session: Session, code: str, now: datetime, subject: str = "鄂A12345") -> Alert:
    alert = Alert(
        alert_type="vehicle", rule="watch:0", subject=subject, reason="被盗抢车辆", place_code="4201110001",
        place_name="测试卡口", lon=114.4, lat=30.5, jurisdiction_code=code, owner_jurisdiction=code,
        event_kind="checkpoint_pass", first_event="checkpoint_pass:test", first_seen=now, last_seen=now, hits=1,
        status="new", created_at=now, updated_at=now,
    )  # fmt: skip
    session.add(alert)
    session.flush()
    return alert


def make_entry(session: Session, code: str, now: datetime) -> WatchlistEntry:
    entry = WatchlistEntry(
        kind="vehicle", value="鄂A12345", reason="被盗抢车辆", reference="", owner="test", jurisdiction_code=code,
        valid_from=now, valid_until=now + timedelta(days=30), active=True, created_at=now,
    )  # fmt: skip
    session.add(entry)
    session.flush()
    return entry


def make_geofence(session: Session, code: str, now: datetime) -> Geofence:
    ring = [[114.3, 30.4], [114.5, 30.4], [114.5, 30.6], [114.3, 30.6]]
    fence = Geofence(
        name="测试围栏", polygon=json.dumps(ring), start_minute=0, end_minute=1440, watched_only=True,
        reason="重点区域", owner="test", jurisdiction_code=code, valid_from=now, valid_until=None, active=True,
        created_at=now,
    )  # fmt: skip
    session.add(fence)
    session.flush()
    return fence


_MAKERS = {"alerts": make_alert, "entries": make_entry, "geofences": make_geofence}


def seed_target(path: str, list_key: str | None, engine: Engine, code: str, now: datetime) -> tuple[int, str] | None:
    """For a route path with an early-warning placeholder (or listing ``list_key``): a fresh record in
    ``code``; returns (its id, the path with the id filled in), or None when the route is not one of ours."""
    kind = next((k for p, k in PLACEHOLDERS.items() if p in path), None) or (list_key if list_key in _MAKERS else None)
    if kind is None:
        return None
    with Session(engine, expire_on_commit=False) as session:
        record = _MAKERS[kind](session, code, now)
        session.commit()
    for placeholder in PLACEHOLDERS:
        path = path.replace(placeholder, str(record.id))
    return record.id, path


# --- a real server in a subprocess (fault test, end-to-end test, latency benchmark) ---------------------------
class ServerProcess:
    """``policecloud serve`` on 127.0.0.1 in a subprocess over ``data_dir``, with users made in its store.

    Sessions are created directly in the store (no password round trip, no second factor) — for tests and
    benchmarks only. ``kill()`` sends SIGKILL: nothing gets a chance to flush.
    """

    def __init__(self, data_dir, port: int | None = None, env: dict[str, str] | None = None) -> None:
        import socket

        from policecloud.platform.config import Settings
        from policecloud.platform.store import make_engine, upgrade

        self.data_dir = data_dir
        if port is None:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.settings = Settings(data_dir=data_dir, argon2_time_cost=1, argon2_memory_kib=8, argon2_parallelism=1)
        data_dir.mkdir(parents=True, exist_ok=True)
        self.engine = make_engine(self.settings.operational_database_url)
        upgrade(self.engine)
        self.env = dict(env or {})
        self.process = None

    def token(self, username: str, roles: list[str], jurisdiction: str = "420000") -> str:
        import secrets

        from policecloud.platform.access import accounts, audit
        from policecloud.platform.access.auth import token_digest
        from policecloud.platform.access.credentials import random_password
        from policecloud.platform.store.models import AuthSession

        with Session(self.engine, expire_on_commit=False) as session:
            user = accounts.find_user(session, username)
            if user is None:
                user, _ = accounts.create_user(
                    session, self.settings, audit.Actor("cli:test", "local"), username=username,
                    password=random_password(), jurisdiction=jurisdiction, roles=roles, provisioned=True,
                )  # fmt: skip
            token = secrets.token_urlsafe(24)
            now = datetime.now(UTC)
            session.add(AuthSession(token_hash=token_digest(token), user_id=user.id, created_at=now, last_seen_at=now))
            session.commit()
        return token

    def start(self, timeout: float = 30.0) -> ServerProcess:
        import os
        import subprocess
        import sys
        import time
        import urllib.request

        env = {**os.environ, "POLICECLOUD_DATA_DIR": str(self.data_dir), "POLICECLOUD_ARGON2_TIME_COST": "1",
               "POLICECLOUD_ARGON2_MEMORY_KIB": "8", "POLICECLOUD_ARGON2_PARALLELISM": "1", **self.env}  # fmt: skip
        log = open(self.data_dir / "server.log", "ab")  # noqa: SIM115  (handed to the child)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "policecloud", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {(self.data_dir / 'server.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/api/health", timeout=1) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("server did not become healthy in time")

    def kill(self) -> None:
        import signal

        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        import signal

        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except Exception:
                self.kill()
        self.process = None

    def close(self) -> None:
        self.stop()
        self.engine.dispose()
