"""``policecloud user add|list|disable|reset-mfa|grant|revoke`` and ``policecloud audit verify|tail|keygen|checkpoint``.

These commands run on the server with direct database access (the operator's shell); every change they make is
audited with the actor ``cli:<login name>``. The audit checkpoint commands are the auditor's: their key is kept
away from the database owner (policecloud.platform.access.audit_checkpoint, docs/security.md).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from policecloud.platform.access import accounts, audit_checkpoint
from policecloud.platform.access import events as ev
from policecloud.platform.access.context import RequestContext
from policecloud.platform.access.errors import AccessError
from policecloud.platform.clikit import console, fail, rich_table, settings_of
from policecloud.platform.config import Settings

user_app = typer.Typer(
    help="User accounts (用户账户): add, list, disable, reset the second factor, grant and revoke jurisdictions."
)
audit_app = typer.Typer(
    help="The hash-chained audit log (审计日志): verify it and its signed checkpoints, sign a checkpoint, "
    "show recent entries."
)


def register(app: typer.Typer) -> None:
    app.add_typer(user_app, name="user")
    app.add_typer(audit_app, name="audit")


def cli_context() -> RequestContext:
    """The request context of a CLI command: the operator at the console (``cli:<login>``, client ``local``),
    built in one place for every audited command; its entries are written through it (``record``, or its
    ``actor`` where a service function appends them)."""
    return RequestContext.console(None)


@contextmanager
def cli_store(settings: Settings) -> Iterator[Session]:
    """A session on an up-to-date store; access errors, an unreachable store and a statement the database
    refuses (e.g. the audit log's triggers) become one clear line, no traceback."""
    from sqlalchemy import make_url
    from sqlalchemy.exc import DBAPIError

    from policecloud.platform.store import make_engine, make_sessionmaker, upgrade

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.operational_database_url)
    try:
        upgrade(engine)
    except DBAPIError as exc:
        engine.dispose()
        where = make_url(settings.operational_database_url).render_as_string(hide_password=True)
        raise fail(f"cannot open the store at {where}: {str(exc.orig).strip().splitlines()[0]}") from None
    session = make_sessionmaker(engine)()
    try:
        yield session
    except AccessError as exc:
        session.rollback()
        raise fail(str(exc)) from None
    except DBAPIError as exc:
        session.rollback()
        raise fail(f"the store refused: {str(exc.orig).strip().splitlines()[0]}", code=1) from None
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
    provisioned: Annotated[
        bool,
        typer.Option(
            "--provisioned",
            help="A machine, demo or test account set up completely now: the password is final and the second "
            "factor is enrolled here (its secret printed once). Recorded in the audit log.",
        ),
    ] = False,
) -> None:
    """Create a user. The user changes this initial password and enrols their second factor at first login
    (unless --provisioned)."""
    settings = settings_of(ctx)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password / 密码", hide_input=True, confirmation_prompt=True)
    with cli_store(settings) as session:
        user, enrollment = accounts.create_user(
            session,
            settings,
            cli_context().actor,
            username=username,
            password=password,
            jurisdiction=jurisdiction,
            roles=role,
            display_name=display_name,
            partner_agency=agency,
            provisioned=provisioned,
        )
        session.commit()
        console.print(
            f"created {user.username} ({', '.join(user.role_names) or 'no role'}) in {user.jurisdiction_code}"
        )
        if enrollment:
            _print_enrollment(enrollment)
        if not provisioned:
            console.print(
                "At first login the user must choose a new password and, if the role needs one, enrol a second "
                "factor. / 首次登录时须修改初始密码，并按角色要求自行绑定动态口令。"
            )


def _print_enrollment(enrollment: accounts.Enrollment) -> None:
    console.print("TOTP secret (shown once; add it to an authenticator app) / 动态口令密钥（仅显示一次）:")
    console.print(f"  {enrollment.secret}")
    console.print(f"  {enrollment.uri}", soft_wrap=True)


@user_app.command("list")
def list_users(ctx: typer.Context) -> None:
    """List users with their roles, jurisdiction, grants in force (with their last day) and state."""
    from datetime import UTC, datetime

    today = datetime.now(UTC).date()
    with cli_store(settings_of(ctx)) as session:
        table = rich_table("Users / 用户", ["username", "roles", "jurisdiction", "grants", "state", "MFA"])
        for user in accounts.list_users(session):
            state = "disabled" if user.disabled else ("locked" if user.locked_until else "active")
            if state == "active" and user.must_change_password:
                state = "first-login"  # still to change the initial password
            table.add_row(
                user.username,
                ", ".join(user.role_names),
                user.jurisdiction_code,
                ", ".join(f"{g.code} until {g.valid_until.isoformat()}" for g in accounts.active_grants(user, today)),
                state,
                "yes" if user.totp_secret else "no",
            )
        console.print(table)


@user_app.command("disable")
def disable_user(ctx: typer.Context, username: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """Disable a user; their sessions stop working at the next request."""
    with cli_store(settings_of(ctx)) as session:
        accounts.disable_user(session, cli_context().actor, accounts.get_user(session, username))
        session.commit()
        console.print(f"disabled {username}")


@user_app.command("reset-mfa")
def reset_mfa(ctx: typer.Context, username: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """Clear a user's second factor and end their sessions; the user enrols a new one at their next login."""
    from datetime import UTC, datetime

    with cli_store(settings_of(ctx)) as session:
        ended = accounts.reset_mfa(
            session, cli_context().actor, accounts.get_user(session, username), datetime.now(UTC)
        )
        session.commit()
        console.print(
            f"second factor of {username} cleared, {ended} session(s) ended; the user enrols a new one at next "
            "login / 已清除动态口令并结束其会话，用户下次登录时自行重新绑定"
        )


@user_app.command("grant")
def grant(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Login name.")],
    code: Annotated[str, typer.Argument(help="Jurisdiction code to add to the user's scope.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (at least 10 characters), e.g. the case.")],
    days: Annotated[
        int, typer.Option("--days", help=f"How long, 1–{accounts.MAX_GRANT_DAYS} days (the last day included).")
    ] = accounts.DEFAULT_GRANT_DAYS,
) -> None:
    """Grant a user an extra jurisdiction for a bounded time (audited)."""
    from datetime import UTC, datetime

    with cli_store(settings_of(ctx)) as session:
        user = accounts.get_user(session, username)
        granted = accounts.grant_jurisdiction(
            session, cli_context().actor, user, code, reason, now=datetime.now(UTC), days=days
        )
        session.commit()
        console.print(f"granted {granted.code} to {username} until {granted.valid_until.isoformat()} (inclusive)")


@user_app.command("revoke")
def revoke(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Login name.")],
    code: Annotated[str, typer.Argument(help="The granted jurisdiction code.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (at least 10 characters).")],
) -> None:
    """Revoke a jurisdiction grant in force (audited; exit 2 if the user holds no such grant)."""
    from datetime import UTC, datetime

    with cli_store(settings_of(ctx)) as session:
        user = accounts.get_user(session, username)
        accounts.revoke_jurisdiction(session, cli_context().actor, user, code, reason, now=datetime.now(UTC))
        session.commit()
        console.print(f"revoked {code} from {username}")


def _parse_anchor(text: str) -> tuple[int, str]:
    seq, _, digest = text.partition(":")
    if not seq.isdigit() or len(digest) != 64:
        raise fail(f"an anchor is SEQ:HASH as printed by 'audit verify', not {text!r}")
    return int(seq), digest.lower()


def _trusted_keys(settings: Settings, given: list[str]) -> list[audit_checkpoint.VerifyKey]:
    try:
        return [audit_checkpoint.parse_public_key(k) for k in [*given, *settings.audit_public_keys]]
    except audit_checkpoint.CheckpointError as exc:
        raise fail(str(exc)) from None


def _print_check(report: audit_checkpoint.CheckReport) -> None:
    """The checkpoint line first, the chain's summary (with its anchor) last; then every problem."""
    *checkpoints, summary = report.lines()[1:] + report.lines()[:1]
    for line in checkpoints:
        console.print(line)
    console.print(summary if report.chain.ok else f"[bold red]{summary}[/]")
    for problem in report.chain_problems + report.problems:
        console.print(f"[bold red]problem:[/] {problem}")


CheckpointsOption = Annotated[
    Path | None,
    typer.Option(
        "--checkpoints", help="Directory of checkpoint files (default: POLICECLOUD_AUDIT_CHECKPOINT_DIR or "
        "<data dir>/audit/checkpoints).", show_default=False,
    ),
]  # fmt: skip


@audit_app.command("verify")
def verify(
    ctx: typer.Context,
    anchor: Annotated[
        list[str] | None,
        typer.Option(help="SEQ:HASH printed by an earlier verify and kept outside the database; repeatable."),
    ] = None,
    checkpoints: CheckpointsOption = None,
    public_key: Annotated[
        list[str] | None,
        typer.Option(
            "--public-key",
            help="A public key whose checkpoints are trusted: 'ed25519:<base64>' or a .pub file; repeatable "
            "(added to POLICECLOUD_AUDIT_PUBLIC_KEYS).",
        ),
    ] = None,
) -> None:
    """Check the hash chain and every signed checkpoint; names the first edited, deleted, inserted or rewritten
    entry (exit 1 if anything is wrong, 2 on bad input)."""
    settings = settings_of(ctx)
    anchors = dict(_parse_anchor(a) for a in anchor or [])
    if checkpoints is not None and not checkpoints.is_dir():
        raise fail(f"no checkpoint directory at {checkpoints}")
    directory = checkpoints or settings.audit_checkpoints_dir
    trusted = _trusted_keys(settings, public_key or [])
    if not trusted and directory.is_dir() and any(directory.glob("*.json")):
        raise fail(
            f"{directory} holds checkpoints but no public key was given to check them: pass --public-key "
            "(the auditor's own copy) or set POLICECLOUD_AUDIT_PUBLIC_KEYS"
        )
    with cli_store(settings) as session:
        audit_checkpoint.snapshot(session)
        report = audit_checkpoint.check(session, directory, trusted, anchors=anchors)
        session.rollback()  # end the read (and, on SQLite, the lock) before writing
        if report.ok:
            cli_context().record(session, ev.AuditVerified(True, report.chain.entries, None))
            session.commit()
    _print_check(report)
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("keygen")
def keygen(
    out: Annotated[Path, typer.Option("--out", help="Where to write the private key (never overwritten).")],
) -> None:
    """Create the Ed25519 key that signs checkpoints. Run it as the audit (or security) administrator, on an
    account the database owner cannot read: the private key file gets mode 0600, the public key goes to
    OUT.pub and is printed to register with verify."""
    try:
        public = audit_checkpoint.generate_key(out)
    except audit_checkpoint.CheckpointError as exc:
        raise fail(str(exc)) from None
    console.print(f"private key: {out} (mode 0600; keep it away from the database and its owner)")
    console.print(f"public key {audit_checkpoint.key_id(public)} (also in {out}.pub):")
    console.print(audit_checkpoint.public_key_text(public), soft_wrap=True)


@audit_app.command("checkpoint")
def checkpoint(
    ctx: typer.Context,
    key: Annotated[Path, typer.Option("--key", help="The private key made by 'audit keygen'.")],
    checkpoints: CheckpointsOption = None,
) -> None:
    """Sign the current head of the chain and write it outside the database; meant to run periodically from
    a timer the auditor owns. Refuses (exit 1) when the chain does not verify since the newest checkpoint."""
    from datetime import UTC, datetime

    settings = settings_of(ctx)
    try:
        signing = audit_checkpoint.load_signing_key(key)
    except audit_checkpoint.CheckpointError as exc:
        raise fail(str(exc)) from None
    directory = checkpoints or settings.audit_checkpoints_dir
    trusted = [signing.verify_key, *_trusted_keys(settings, [])]
    with cli_store(settings) as session:
        audit_checkpoint.snapshot(session)
        report = audit_checkpoint.check(session, directory, trusted, full=False)
        session.rollback()
        if not report.chain.ok or report.chain_problems:
            _print_check(report)
            console.print("[bold red]not signing a chain that does not verify[/]")
            raise typer.Exit(1)
        for problem in report.problems:  # other files' trouble is for verify to report; the chain is sound
            console.print(f"[yellow]warning:[/] {problem}")
        try:
            made = audit_checkpoint.take(
                session, signing, directory, report.chain, cli_context().actor, datetime.now(UTC)
            )
        except audit_checkpoint.CheckpointError as exc:
            raise fail(str(exc)) from None
        session.commit()
    console.print(f"checkpoint of entry {made.seq} ({made.hash}) signed by key {made.key_id}: {made.path}")


@audit_app.command("tail")
def tail(
    ctx: typer.Context,
    count: Annotated[int, typer.Option("-n", help="How many entries.")] = 20,
    event: Annotated[str | None, typer.Option(help="Event name or prefix, e.g. 'auth.'.")] = None,
) -> None:
    """Show the most recent audit entries."""
    from sqlalchemy import select

    from policecloud.platform.store.models import AuditEntry

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
