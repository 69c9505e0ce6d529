"""The request context: who acts (user and roles), where they may look (jurisdiction), why (purpose) and from
where (client), built the same way by every entry point — an HTTP route (``requires``), the alert WebSocket and
a CLI command — and the only source of the actor, client and purpose of their audit events.

An audit event that records a purpose declares ``purpose`` as a keyword-only field left empty; :meth:`stamp`
fills it from the context, so a route cannot forget it or write another one.
"""

from __future__ import annotations

import dataclasses
import getpass
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from policecloud.platform.access import audit
from policecloud.platform.access.audit import Actor
from policecloud.platform.access.events import AuditEvent
from policecloud.platform.access.jurisdiction import JurisdictionScope
from policecloud.platform.access.principal import Principal
from policecloud.platform.access.purpose import Purpose


@dataclass(frozen=True)
class RequestContext:
    user: str  # the username; "anonymous" for a public route, "cli:<login>" for the operator at the console
    roles: frozenset[str]
    scope: JurisdictionScope | None  # None: not limited (the operator's console, a public route)
    purpose: Purpose | None
    client: str  # the client's address; "local" for the console
    via: str  # "http", "websocket" or "cli"

    @classmethod
    def of(cls, principal: Principal | None, purpose: Purpose | None, client: str, via: str) -> RequestContext:
        """The context of an authenticated caller (or of an anonymous one, when ``principal`` is None)."""
        if principal is None:
            return cls("anonymous", frozenset(), None, purpose, client, via)
        return cls(principal.username, principal.roles, principal.scope, purpose, client, via)

    @classmethod
    def console(
        cls, purpose: Purpose | None, scope: JurisdictionScope | None = None, *, login: str | None = None
    ) -> RequestContext:
        """The operator at the console (a CLI command): the login name (``login`` names another, e.g. the
        demo's or a test's), the machine itself."""
        return cls(f"cli:{login or _login()}", frozenset({"operator"}), scope, purpose, "local", "cli")

    def with_purpose(self, purpose: Purpose | None) -> RequestContext:
        """The same caller for another purpose: one command acting for several (e.g. an import whose every
        entry carries its own source reference)."""
        return dataclasses.replace(self, purpose=purpose)

    @property
    def actor(self) -> Actor:
        return Actor(self.user, self.client)

    def stamp(self, event: AuditEvent) -> AuditEvent:
        """``event`` with the context's purpose, if it is an event that records one (and gave none itself)."""
        if "purpose" not in {f.name for f in dataclasses.fields(event)}:
            return event
        if getattr(event, "purpose"):  # noqa: B009  (a dataclass field, not every event has it)
            raise ValueError(f"{event.name}: the purpose comes from the request context, not from the event")
        return dataclasses.replace(event, purpose=self.purpose.as_dict() if self.purpose else {})

    def record(self, session: Session, event: AuditEvent, now: datetime | None = None) -> int:
        """Append ``event`` to the audit log, stamped with the context's purpose, as the context's actor (its user
        and client); returns its sequence number."""
        return audit.append(session, self.stamp(event), self.actor, now)


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
