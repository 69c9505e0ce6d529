"""Password hashing (Argon2id, costs from the settings) and TOTP second factors (RFC 6238 via pyotp)."""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from policecloud.platform.access.errors import invalid
from policecloud.platform.config import Settings
from policecloud.platform.priority import BackgroundPool

MIN_PASSWORD_CHARS = 12
TOTP_ISSUER = "policecloud"


def password_hasher(settings: Settings) -> PasswordHasher:
    return PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_kib,
        parallelism=settings.argon2_parallelism,
    )


def check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS or password.isdigit() or password.isalpha():
        raise invalid(
            "weak_password",
            f"Passwords need at least {MIN_PASSWORD_CHARS} characters mixing letters with digits or symbols.",
            f"密码至少{MIN_PASSWORD_CHARS}位，并且须同时包含字母和数字或符号。",
        )


def random_password() -> str:
    """A password for a service account nobody types: random, and always within the policy (a random
    URL-safe string alone is all letters about once in a hundred draws, which the policy refuses)."""
    return secrets.token_urlsafe(18) + "-7"


# Every hash runs on these threads, at a lower CPU priority and never more than two at once: a flood of logins
# takes only the CPU that reads leave idle (see policecloud.platform.priority).
HASHING = BackgroundPool("argon2", threads=2, niceness=10)


def hash_password(settings: Settings, password: str) -> str:
    check_password_policy(password)
    return HASHING.run(password_hasher(settings).hash, password)


def verify_password(settings: Settings, stored_hash: str, password: str) -> bool:
    try:
        return HASHING.run(password_hasher(settings).verify, stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def burn_verification(settings: Settings) -> None:
    """Spend the time of one verification, so unknown usernames answer as slowly as wrong passwords."""
    verify_password(settings, _dummy_hash(settings), "not-the-password")


_DUMMY: dict[tuple[int, int, int], str] = {}


def _dummy_hash(settings: Settings) -> str:
    key = (settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism)
    if key not in _DUMMY:
        _DUMMY[key] = password_hasher(settings).hash("dummy password 0")
    return _DUMMY[key]


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=TOTP_ISSUER)


def totp_now(secret: str, at: datetime) -> str:
    return pyotp.TOTP(secret).at(at)


def totp_step(secret: str, code: str, at: datetime) -> int | None:
    """The 30-second step whose code ``code`` is: the current one or a neighbour (clock drift); else None."""
    code = "".join(code.split())
    # ASCII digits only: str.isdigit() also accepts full-width and other scripts' digits, which the HMAC
    # comparison below cannot take (it raised, answering 500).
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    now_step = totp.timecode(at)
    for offset in (0, -1, 1):
        if hmac.compare_digest(totp.generate_otp(now_step + offset), code):
            return now_step + offset
    return None
