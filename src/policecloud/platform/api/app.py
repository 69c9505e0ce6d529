"""The core's own apps, registered through the same interface as every capability (policecloud.platform.registry)."""

from __future__ import annotations

from policecloud.platform.access import events as ev
from policecloud.platform.api.routers import audit, auth, partners, shell, users
from policecloud.platform.registry import App, MenuEntry

APPS = [
    App(
        name="platform",
        zh="平台",
        en="Platform",
        routers=[shell.router, auth.router],
        audit_events=[
            ev.LoginSucceeded,
            ev.LoginFailed,
            ev.AccountLocked,
            ev.LoggedOut,
            ev.PasswordChanged,
            ev.MfaEnrolmentOffered,
            ev.MfaEnrolled,
            ev.AccessDenied,
        ],
    ),
    App(
        name="admin",
        zh="用户与权限",
        en="Users and permissions",
        routers=[users.router, partners.router],
        menu=[
            MenuEntry("users", "用户管理", "Users", "/users", "users.read"),
            MenuEntry("agreements", "共享协议", "Sharing agreements", "/partners", "partners.manage"),
        ],
        permissions=["users.read", "users.manage", "roles.assign", "partners.manage"],
        audit_events=[
            ev.UserCreated,
            ev.UserDisabled,
            ev.MfaReset,
            ev.RolesChanged,
            ev.JurisdictionGranted,
            ev.JurisdictionRevoked,
            ev.AgreementCreated,
        ],
    ),
    App(
        name="audit",
        zh="安全审计",
        en="Audit",
        routers=[audit.router],
        menu=[MenuEntry("audit", "审计日志", "Audit log", "/audit", "audit.read")],
        permissions=["audit.read"],
        audit_events=[ev.AuditSearched, ev.AuditVerified, ev.AuditCheckpointed, ev.AuditTamperAttempt],
    ),
]
