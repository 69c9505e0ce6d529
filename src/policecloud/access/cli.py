"""``policecloud user add|list|disable|reset-mfa`` and ``policecloud audit verify|tail``.

These commands run on the server with direct database access (the operator's shell); every change they make is
audited with the actor ``cli:<login name>``.
"""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from policecloud.access import accounts, audit
from policecloud.access import events as ev
from policecloud.access.errors import AccessError
from policecloud.clikit import console, fail, rich_table, settings_of
from policecloud.config import Settings

user_app = typer.Typer(help="User accounts (用户账户): add, list, disable, reset the second factor.")
audit_app = typer.Typer(help="The hash-chained audit log (审计日志): verify, show recent entries.")


def register(app: typer.Typer) -> None:
    app.add_typer(user_app, name="user")
    app.add_typer(audit_app, name="audit")


def cli_actor() -> audit.Actor:
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    return audit.Actor(f"cli:{who}", "local")


@contextmanager
def cli_store(settings: Settings) -> Iterator[Session]:
    """A session on an up-to-date store; access errors become one clear line, no traceback."""
    from policecloud.store import make_engine, make_sessionmaker, upgrade

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.operational_database_url)
    upgrade(engine)
    session = make_sessionmaker(engine)()
    try:
        yield session
    except AccessError as exc:
        session.rollback()
        raise fail(str(exc)) from None
    finally:
        session.close()
        engine.dispose()


@user_app.command("add")
def add_user(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Login name (lower case).")],
    jurisdiction: Annotated[str, typer.Option("--jurisdiction", "-j", help="Division or station code.")],
    role: Annotated[list[str], typer.Option("--role", "-r", help="A role; repeat for several.")],
    display_name: Annotated[str, typer.Option("--name", help="Display name.")] = "",
    agency: Annotated[str | None, typer.Option(help="Partner agency (for the partner role).")] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
) -> None:
    """Create a user; prints the TOTP secret once when the role needs a second factor."""
    settings = settings_of(ctx)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password / 密码", hide_input=True, confirmation_prompt=True)
    with cli_store(settings) as session:
        user, enrollment = accounts.create_user(
            session,
            settings,
            cli_actor(),
            username=username,
            password=password,
            jurisdiction=jurisdiction,
            roles=role,
            display_name=display_name,
            partner_agency=agency,
        )
        session.commit()
        console.print(
            f"created {user.username} ({', '.join(user.role_names) or 'no role'}) in {user.jurisdiction_code}"
        )
        if enrollment:
            _print_enrollment(enrollment)


def _print_enrollment(enrollment: accounts.Enrollment) -> None:
    console.print("TOTP secret (shown once; add it to an authenticator app) / 动态口令密钥（仅显示一次）:")
    console.print(f"  {enrollment.secret}")
    console.print(f"  {enrollment.uri}", soft_wrap=True)


@user_app.command("list")
def list_users(ctx: typer.Context) -> None:
    """List users with their roles, jurisdiction and state."""
    with cli_store(settings_of(ctx)) as session:
        table = rich_table("Users / 用户", ["username", "roles", "jurisdiction", "grants", "state", "MFA"])
        for user in accounts.list_users(session):
            state = "disabled" if user.disabled else ("locked" if user.locked_until else "active")
            table.add_row(
                user.username,
                ", ".join(user.role_names),
                user.jurisdiction_code,
                ", ".join(sorted(g.code for g in user.grants)),
                state,
                "yes" if user.totp_secret else "no",
            )
        console.print(table)


@user_app.command("disable")
def disable_user(ctx: typer.Context, username: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """Disable a user; their sessions stop working at the next request."""
    with cli_store(settings_of(ctx)) as session:
        accounts.disable_user(session, cli_actor(), accounts.get_user(session, username))
        session.commit()
        console.print(f"disabled {username}")


@user_app.command("reset-mfa")
def reset_mfa(ctx: typer.Context, username: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """Issue a new TOTP secret for a user (the old one stops working)."""
    with cli_store(settings_of(ctx)) as session:
        enrollment = accounts.reset_mfa(session, cli_actor(), accounts.get_user(session, username))
        session.commit()
        console.print(f"new second factor for {username}")
        _print_enrollment(enrollment)


def _parse_anchor(text: str) -> tuple[int, str]:
    seq, _, digest = text.partition(":")
    if not seq.isdigit() or len(digest) != 64:
        raise fail(f"an anchor is SEQ:HASH as printed by 'audit verify', not {text!r}")
    return int(seq), digest.lower()


@audit_app.command("verify")
def verify(
    ctx: typer.Context,
    anchor: Annotated[
        list[str] | None,
        typer.Option(help="SEQ:HASH printed by an earlier verify and kept outside the database; repeatable."),
    ] = None,
) -> None:
    """Check the hash chain; names the first edited, deleted or inserted entry (exit 1 if broken)."""
    anchors = dict(_parse_anchor(a) for a in anchor or [])
    with cli_store(settings_of(ctx)) as session:
        report = audit.verify(session, anchors)
        if report.ok:
            audit.append(session, ev.AuditVerified(True, report.entries, None), cli_actor())
            session.commit()
            console.print(report.summary())
            return
    console.print(f"[bold red]{report.summary()}[/]")
    raise typer.Exit(1)


@audit_app.command("tail")
def tail(
    ctx: typer.Context,
    count: Annotated[int, typer.Option("-n", help="How many entries.")] = 20,
    event: Annotated[str | None, typer.Option(help="Event name or prefix, e.g. 'auth.'.")] = None,
) -> None:
    """Show the most recent audit entries."""
    from sqlalchemy import select

    from policecloud.store.models import AuditEntry

    with cli_store(settings_of(ctx)) as session:
        stmt = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(max(1, count))
        if event:
            stmt = stmt.where(AuditEntry.event.startswith(event, autoescape=True))
        rows = list(session.execute(stmt).scalars())[::-1]
        table = rich_table("Audit log / 审计日志", ["seq", "time (UTC)", "actor", "client", "event", "payload"])
        for row in rows:
            payload = json.dumps(json.loads(row.payload), ensure_ascii=False)
            table.add_row(str(row.seq), row.at[:19], row.actor, row.client, row.event, payload[:120])
        console.print(table)
