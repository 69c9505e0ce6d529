"""The demo's steps, each usable alone: generate the province, ingest it, create demo users."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from policecloud.platform.config import Settings

# Demo accounts: one per kind of user a visitor may want to try. Passwords are printed and written to
# DATA_DIR/demo-users.json — this is a demo on synthetic data, never a deployment.
DEMO_USERS = (
    ("admin", "系统管理员 Demo", ["sysadmin"], "420000"),
    ("security", "安全管理员 Demo", ["secadmin"], "420000"),
    ("auditor", "审计员 Demo", ["auditor"], "420000"),
    ("analyst", "情报分析员 Demo（省厅）", ["analyst"], "420000"),
    ("dispatcher", "指挥调度员 Demo（武汉）", ["dispatcher"], "420100"),
    ("patrol", "巡警 Demo（洪山）", ["patrol"], "420111"),
    ("investigator", "侦查员 Demo（武汉）", ["investigator"], "420100"),
)
DEMO_PASSWORD = "Demo-Province-2026!"


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    roles: list[str]
    jurisdiction: str
    totp_secret: str | None


def generate_province(settings: Settings, scale: str, seed: int) -> Path:
    """The synthetic province under DATA_DIR/province, generated once and reused after."""
    from policecloud.synth.config import SynthConfig
    from policecloud.synth.generate import generate, is_complete

    out = settings.province_dir
    if not is_complete(out, scale, seed):
        generate(SynthConfig.for_scale(scale, seed=seed), out, progress=True)
    return out


def ingest_province(settings: Settings) -> list:
    """Ingest every mapped source that the province has; returns the unit reports."""
    from policecloud.data.ingest import readers
    from policecloud.data.ingest.mapping import load_mappings
    from policecloud.data.ingest.run import ingest_unit
    from policecloud.data.model.schema import load_schema
    from policecloud.data.warehouse import open_warehouse

    schema = load_schema()
    warehouse = open_warehouse(settings.warehouse_dir)
    reports = []
    for mapping in load_mappings(settings.mappings_dir, schema).values():
        try:
            units = readers.units(mapping, settings.sources_dir)
        except readers.ReadError:
            continue  # a source this province does not emit
        for unit in units:
            reports.append(ingest_unit(warehouse, mapping, unit, settings.sources_dir, schema))
    return reports


def ensure_demo_users(settings: Settings) -> list[DemoUser]:
    """Create the demo accounts once; their passwords and TOTP secrets are kept in demo-users.json."""
    from policecloud.platform.access import accounts, audit
    from policecloud.platform.store import make_engine, make_sessionmaker, upgrade

    path = settings.data_dir / "demo-users.json"
    if path.exists():
        return [DemoUser(**u) for u in json.loads(path.read_text(encoding="utf-8"))]
    engine = make_engine(settings.operational_database_url)
    upgrade(engine)
    users = []
    with make_sessionmaker(engine)() as session:
        actor = audit.Actor(name="cli:demo", client="local")
        for username, name, roles, jurisdiction in DEMO_USERS:
            _, enrollment = accounts.create_user(
                session,
                settings,
                actor,
                username=username,
                password=DEMO_PASSWORD,
                jurisdiction=jurisdiction,
                roles=roles,
                display_name=name,
                provisioned=True,  # demo accounts: password and second factor set up here, kept in demo-users.json
            )
            users.append(
                DemoUser(username, DEMO_PASSWORD, roles, jurisdiction, enrollment.secret if enrollment else None)
            )
        session.commit()
    engine.dispose()
    path.write_text(json.dumps([u.__dict__ for u in users], ensure_ascii=False, indent=2), encoding="utf-8")
    return users


def current_code(secret: str | None, now: dt.datetime | None = None) -> str:
    import pyotp

    return pyotp.TOTP(secret).at(now or dt.datetime.now(dt.UTC)) if secret else ""
