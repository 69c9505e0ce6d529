"""Route access policies: ``requires(...)`` authenticates, authorizes, demands a purpose and hands the route
an :class:`Access` (session, principal, purpose, actor, clock). The policy is attached to the dependency as
``__policy__`` so tests and docs can read every route's rule from the application itself.

Reads and writes reach the store differently (docs/security.md, "The audit log under load"): a GET/HEAD request
gets a read-only session (a snapshot that takes no write lock) and its audit entries go to the process's audit
writer at ``Access.commit()``, which returns once they are committed; any other method gets a write session and
appends its entries inside its own transaction, so the change and its record commit together or not at all.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import unquote

from fastapi import Depends, Header, Query, Request
from sqlalchemy.orm import Session

from policecloud.platform.access import audit
from policecloud.platform.access import events as ev
from policecloud.platform.access.audit_writer import AuditWriter
from policecloud.platform.access.auth import authenticate
from policecloud.platform.access.context import RequestContext
from policecloud.platform.access.enrolment import password_change_required
from policecloud.platform.access.errors import AccessError, denied
from policecloud.platform.access.principal import Principal
from policecloud.platform.access.purpose import Purpose, parse_purpose
from policecloud.platform.config import Settings
from policecloud.platform.store.engine import make_sessionmaker, read_snapshot_engine

SESSION_COOKIE = "pc_session"
READ_METHODS = frozenset({"GET", "HEAD"})  # their routes change nothing in the store but the audit log


@dataclass(frozen=True)
class Policy:
    permission: str | None  # None: any authenticated user (or anyone, when public)
    personal_data: bool = False  # the route reads or writes personal data: a purpose is required
    jurisdiction: bool = False  # rows are limited to the caller's jurisdiction scope
    public: bool = False  # no login needed
    refuse_all: bool = False  # nobody may do this (e.g. altering the audit log); attempts are audited


@dataclass
class Access:
    """What a route needs to act on behalf of the caller, inside one unit of work."""

    db: Session
    settings: Settings
    now: datetime
    actor: audit.Actor
    principal: Principal | None
    purpose: Purpose | None
    request: Request
    pending: list[audit.PendingEntry] = field(default_factory=list)  # a read's entries, written at commit

    @property
    def user(self) -> Principal:
        assert self.principal is not None, "route declared public but reads the principal"
        return self.principal

    @property
    def context(self) -> RequestContext:
        """Who, roles, jurisdiction, purpose and client: what the WebSocket and the CLI build the same way."""
        return RequestContext.of(self.principal, self.purpose, self.actor.client, "http")

    def audit(self, event: ev.AuditEvent) -> None:
        """Record ``event`` with the request context's actor, client and purpose: in this request's transaction
        if it may write, else at :meth:`commit`."""
        event = self.context.stamp(event)
        if self.db.info.get(audit.WRITER_INFO_KEY) is not None:
            self.pending.append(audit.prepare(event, self.actor, self.now))
        else:
            audit.append(self.db, event, self.actor, self.now)

    def commit(self) -> None:
        """Commit the request's work; a read's entries are committed (by the audit writer) before this returns."""
        self.db.commit()
        writer = self.db.info.get(audit.WRITER_INFO_KEY)
        if writer is not None and self.pending:
            entries, self.pending = self.pending, []
            writer.append(entries)

    def refuse(self, error: AccessError, event: ev.AuditEvent | None = None) -> AccessError:
        """Record the refusal (with nothing else of this request) and return the error to raise."""
        self.db.rollback()
        self.pending.clear()
        self.audit(event or ev.AccessDenied(_route_name(self.request), error.code))
        self.commit()
        return error


_writer_lock = threading.Lock()


def audit_writer(state: Any) -> AuditWriter:
    """The application's audit writer (one per process and store), made on first need."""
    with _writer_lock:
        writer = getattr(state, "audit_writer", None)
        if writer is None:
            writer = state.audit_writer = AuditWriter(state.sessionmaker)
        return writer


def _read_sessionmaker(state: Any) -> Callable[[], Session]:
    with _writer_lock:
        maker = getattr(state, "read_sessionmaker", None)
        if maker is None:
            maker = state.read_sessionmaker = make_sessionmaker(read_snapshot_engine(state.engine))
        return maker


def get_db(request: Request) -> Iterator[Session]:
    state = request.app.state
    if request.method in READ_METHODS:
        session = _read_sessionmaker(state)()
        session.info[audit.WRITER_INFO_KEY] = audit_writer(state)
    else:
        session = state.sessionmaker()
    try:
        yield session
    finally:
        session.close()  # anything not committed by the route is rolled back


def session_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.cookies.get(SESSION_COOKIE)


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


def _route_name(request: Request) -> str:
    route = request.scope.get("route")
    return f"{request.method} {getattr(route, 'path', request.url.path)}"


def _purpose_text(query_value: str | None, header_value: str | None) -> str | None:
    if query_value:
        return query_value
    return unquote(header_value) if header_value else None


def requires(
    permission: str | None = None,
    *,
    personal_data: bool = False,
    jurisdiction: bool = False,
    public: bool = False,
    refuse_all: bool = False,
) -> Any:
    """The dependency enforcing a route's policy; use as ``access: Annotated[Access, requires(...)]``."""
    policy = Policy(permission, personal_data, jurisdiction, public, refuse_all)

    def enforce(request: Request, db: Session, purpose_raw: str | None) -> Access:
        state = request.app.state
        now = state.clock()
        principal = None
        if not policy.public:
            principal = authenticate(db, state.settings, now, session_token(request))
        actor = audit.Actor(principal.username if principal else "anonymous", client_address(request))
        access = Access(db, state.settings, now, actor, principal, None, request)
        if policy.refuse_all:
            raise access.refuse(
                AccessError(403, "append_only", "The audit log cannot be changed.", "审计日志不可修改。"),
                ev.AuditTamperAttempt(request.method, request.url.path, "refused by the API"),
            )
        if principal is not None and principal.must_change_password and policy.permission:
            raise access.refuse(password_change_required())  # first login: only the password change is open
        if principal is not None and policy.permission and not principal.can(policy.permission):
            raise access.refuse(denied())
        if policy.personal_data:
            access.purpose = parse_purpose(purpose_raw)
        return access

    if personal_data:

        def dependency(
            request: Request,
            db: Annotated[Session, Depends(get_db)],
            purpose: Annotated[
                str | None,
                Query(description="Why: 'case:<no>', 'incident:<no>' or a justification (≥ 10 characters)."),
            ] = None,
            x_purpose: Annotated[str | None, Header(description="The purpose, percent-encoded.")] = None,
        ) -> Access:
            return enforce(request, db, _purpose_text(purpose, x_purpose))
    else:

        def dependency(request: Request, db: Annotated[Session, Depends(get_db)]) -> Access:
            return enforce(request, db, None)

    dependency.__policy__ = policy  # type: ignore[attr-defined]
    return Depends(dependency)


def policy_of(dependency: Callable[..., Any]) -> Policy | None:
    return getattr(dependency, "__policy__", None)
