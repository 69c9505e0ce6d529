"""Settings: one object built at start-up and passed down. Nothing here is read at import time."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

ENV_PREFIX = "POLICECLOUD_"


@dataclass(frozen=True)
class Settings:
    """Everything the platform needs to know about where it runs.

    Build it once with :meth:`from_env` (or directly in tests) and pass it to what needs it.
    """

    data_dir: Path = Path("var")
    mappings_dir: Path = Path("mappings")  # one YAML mapping per source (see docs/ingestion.md)
    source_root: Path | None = None  # overrides sources_dir
    language: str = "zh-CN"
    timezone: str = "Asia/Shanghai"
    database_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    # Access control (see docs/security.md). Argon2 costs are argon2-cffi's defaults; tests pass lower ones.
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    argon2_parallelism: int = 4
    lockout_failures: int = 5
    lockout_minutes: int = 10
    session_idle_minutes: int = 30
    # A session's last-seen time is written at most this often (a read then writes nothing of its own).
    session_touch_seconds: int = 60
    # Login attempts per client address and per account name in each window (successful ones are given back);
    # 429 beyond (api/login_limits.py).
    login_limit_per_client: int = 10
    login_limit_per_account: int = 10
    login_limit_window_seconds: int = 60
    login_refusal_delay_seconds: float = 1.0  # a 429 is answered this much later (slows a looping client)
    # Request bodies are refused (413) past these sizes before they are parsed (api/body_limit.py); the event
    # intake takes batches of up to 5,000 events, a device registry load up to 50,000 devices (~200 bytes each).
    max_body_bytes: int = 1024 * 1024
    max_event_batch_bytes: int = 8 * 1024 * 1024
    max_device_load_bytes: int = 16 * 1024 * 1024
    cookie_secure: bool = True
    # Early warning (see docs/alerts.md): where the durable event log lives (default: data_dir/events), how
    # long the same target at the same place stays one alert, and how many events a log segment holds.
    event_log_dir: Path | None = None
    alert_dedup_seconds: int = 600
    event_segment_events: int = 50000
    # The alert stream (WS /api/alerts/stream): how often an idle stream re-checks its session (every push is
    # checked anyway), the largest hello it reads, and origins besides the server's own that may open it.
    alert_stream_recheck_seconds: float = 5.0
    alert_stream_hello_max_bytes: int = 4096
    alert_stream_origins: tuple[str, ...] = ()
    # Signed audit checkpoints (docs/security.md): where their files go (default data_dir/audit/checkpoints) and
    # the public keys ("ed25519:<base64>" or .pub files) `audit verify` trusts besides those given on its line.
    audit_checkpoint_dir: Path | None = None
    audit_public_keys: tuple[str, ...] = ()
    # Apps from outside the package tree (importable package names, each with an ``app`` module and maybe a
    # ``cli`` module): mounted, hooked and given commands like the built-in ones (docs/ARCHITECTURE.md).
    apps: tuple[str, ...] = ()
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def warehouse_dir(self) -> Path:
        return self.data_dir / "warehouse"

    @property
    def events_dir(self) -> Path:
        return self.event_log_dir or self.data_dir / "events"

    @property
    def sources_dir(self) -> Path:
        """Where source extracts land; by default the synthetic province's (``policecloud synth``)."""
        return self.source_root or self.province_dir / "sources"

    @property
    def audit_checkpoints_dir(self) -> Path:
        return self.audit_checkpoint_dir or self.data_dir / "audit" / "checkpoints"

    @property
    def province_dir(self) -> Path:
        return self.data_dir / "province"

    @property
    def operational_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'policecloud.db'}"

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read POLICECLOUD_* variables; called by entry points, never at import."""
        env = os.environ if environ is None else environ
        kwargs: dict[str, object] = {}
        if v := env.get(ENV_PREFIX + "DATA_DIR"):
            kwargs["data_dir"] = Path(v)
        if v := env.get(ENV_PREFIX + "SOURCES_DIR"):
            kwargs["source_root"] = Path(v)
        if v := env.get(ENV_PREFIX + "MAPPINGS_DIR"):
            kwargs["mappings_dir"] = Path(v)
        if v := env.get(ENV_PREFIX + "LANGUAGE"):
            kwargs["language"] = v
        if v := env.get(ENV_PREFIX + "DATABASE_URL"):
            kwargs["database_url"] = v
        if v := env.get(ENV_PREFIX + "HOST"):
            kwargs["host"] = v
        if v := env.get(ENV_PREFIX + "PORT"):
            kwargs["port"] = int(v)
        for name in (
            "argon2_time_cost",
            "argon2_memory_kib",
            "argon2_parallelism",
            "lockout_failures",
            "lockout_minutes",
            "session_idle_minutes",
            "session_touch_seconds",
            "login_limit_per_client",
            "login_limit_per_account",
            "login_limit_window_seconds",
            "max_body_bytes",
            "max_event_batch_bytes",
            "max_device_load_bytes",
        ):
            if v := env.get(ENV_PREFIX + name.upper()):
                kwargs[name] = int(v)
        if v := env.get(ENV_PREFIX + "AUDIT_CHECKPOINT_DIR"):
            kwargs["audit_checkpoint_dir"] = Path(v)
        if v := env.get(ENV_PREFIX + "ALERT_STREAM_ORIGINS"):
            kwargs["alert_stream_origins"] = tuple(v.replace(",", " ").split())
        if v := env.get(ENV_PREFIX + "APPS"):
            kwargs["apps"] = tuple(v.replace(",", " ").split())
        if v := env.get(ENV_PREFIX + "AUDIT_PUBLIC_KEYS"):
            kwargs["audit_public_keys"] = tuple(v.replace(",", " ").split())
        if v := env.get(ENV_PREFIX + "COOKIE_SECURE"):
            kwargs["cookie_secure"] = v.lower() not in ("0", "false", "no")
        return cls(**kwargs)
