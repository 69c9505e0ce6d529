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
    language: str = "zh-CN"
    timezone: str = "Asia/Shanghai"
    database_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def warehouse_dir(self) -> Path:
        return self.data_dir / "warehouse"

    @property
    def sources_dir(self) -> Path:
        return self.data_dir / "sources"

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
        if v := env.get(ENV_PREFIX + "LANGUAGE"):
            kwargs["language"] = v
        if v := env.get(ENV_PREFIX + "DATABASE_URL"):
            kwargs["database_url"] = v
        if v := env.get(ENV_PREFIX + "HOST"):
            kwargs["host"] = v
        if v := env.get(ENV_PREFIX + "PORT"):
            kwargs["port"] = int(v)
        return cls(**kwargs)
