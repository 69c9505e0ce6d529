"""Signed checkpoints of the audit chain's head, kept outside the database: the chain's external anchor.

The triggers stop an application account from rewriting the log, but whoever owns the database can drop them,
rewrite entries and the head consistently, and the links still verify. A checkpoint is the head (seq, hash,
time) signed with an Ed25519 key the database owner does not hold — the audit (or security) administrator's,
kept off the store — and written as a file outside the database. ``check`` verifies each checkpoint's signature
against the public keys the verifier trusts and that the chain still has that hash at that seq, so a chain
rewritten at or before a checkpoint is caught and the entry named. Entries after the newest checkpoint are only
as trustworthy as the database: checkpoint often (a timer the auditor owns).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import stat
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from nacl.exceptions import BadSignatureError
from nacl.exceptions import ValueError as NaclValueError
from nacl.signing import SigningKey, VerifyKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from policecloud.platform.access import audit
from policecloud.platform.access import events as ev
from policecloud.platform.durable import fsync_file
from policecloud.platform.store.engine import READ_SNAPSHOT
from policecloud.platform.store.models import AuditEntry

FORMAT = "policecloud-audit-checkpoint/1"
PUBLIC_PREFIX = "ed25519:"
PRIVATE_PREFIX = "ed25519-private:"
_PRIVATE_COMMENT = (
    "# policecloud audit checkpoint signing key (Ed25519). Keep it with the audit administrator,\n"
    "# away from the database and its owner; mode 0600. The public key is in the .pub file beside it.\n"
)


class CheckpointError(Exception):
    """Bad input: a missing, unreadable or malformed key or checkpoint file. The message says which."""


# --- keys


def key_id(key: VerifyKey) -> str:
    """A short fingerprint of a public key (16 hex digits of its SHA-256)."""
    return hashlib.sha256(bytes(key)).hexdigest()[:16]


def public_key_text(key: VerifyKey) -> str:
    return PUBLIC_PREFIX + base64.b64encode(bytes(key)).decode("ascii")


def _decode_key_bytes(text: str, prefix: str, what: str) -> bytes:
    body = text.strip()
    if not body.startswith(prefix):
        raise CheckpointError(f"{what} must start with {prefix!r}")
    try:
        raw = base64.b64decode(body[len(prefix) :], validate=True)
    except (binascii.Error, ValueError):
        raise CheckpointError(f"{what} is not valid base64") from None
    if len(raw) != 32:
        raise CheckpointError(f"{what} must hold 32 bytes, not {len(raw)}")
    return raw


def parse_public_key(text: str) -> VerifyKey:
    """A public key given as ``ed25519:<base64>`` or as the path of a file holding that text (a ``.pub``)."""
    candidate = text.strip()
    if not candidate.startswith(PUBLIC_PREFIX):
        path = Path(candidate)
        try:
            lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln and not ln.startswith("#")]
        except (OSError, UnicodeDecodeError) as exc:
            raise CheckpointError(
                f"public key {text!r}: neither 'ed25519:<base64>' nor a readable file ({exc})"
            ) from None
        if len(lines) != 1:
            raise CheckpointError(f"public key file {path} must hold one 'ed25519:<base64>' line")
        candidate = lines[0]
    return VerifyKey(_decode_key_bytes(candidate, PUBLIC_PREFIX, f"public key {text!r}"))


def generate_key(path: Path) -> VerifyKey:
    """Write a new private key to ``path`` (mode 0600, never over an existing file) and its public key to
    ``path.pub``; returns the public key."""
    signing = SigningKey.generate()
    seed = base64.b64encode(bytes(signing)).decode("ascii")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise CheckpointError(f"{path} exists: not overwriting a key") from None
    except OSError as exc:
        raise CheckpointError(f"cannot create {path}: {exc.strerror}") from None
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(_PRIVATE_COMMENT + PRIVATE_PREFIX + seed + "\n")
    public = signing.verify_key
    pub_path = path.with_name(path.name + ".pub")
    try:
        pub_path.write_text(public_key_text(public) + "\n", encoding="ascii")
    except OSError as exc:
        raise CheckpointError(f"wrote {path} but cannot write {pub_path}: {exc.strerror}") from None
    return public


def load_signing_key(path: Path) -> SigningKey:
    """The private key at ``path``; refused when others may read it (like ssh does)."""
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise CheckpointError(
            f"no key file at {path} (create one with 'policecloud audit keygen --out PATH')"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"cannot read the key file {path}: {exc}") from None
    if not stat.S_ISREG(mode):
        raise CheckpointError(f"{path} is not a regular file")
    if mode & 0o077:
        raise CheckpointError(f"{path} may be read by others (mode {stat.S_IMODE(mode):04o}): chmod 600 it")
    lines = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    if len(lines) != 1:
        raise CheckpointError(f"{path} is not a policecloud audit key (expected one '{PRIVATE_PREFIX}...' line)")
    return SigningKey(_decode_key_bytes(lines[0], PRIVATE_PREFIX, f"the key in {path}"))


# --- checkpoint files


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    at: str  # ISO 8601 UTC
    key_id: str
    signature: str  # base64
    path: Path | None = None

    @property
    def name(self) -> str:
        return self.path.name if self.path else f"checkpoint of entry {self.seq}"

    def signed_bytes(self) -> bytes:
        """What the key signs: the format, the head and the time, in canonical JSON."""
        return audit.canonical_json({"format": FORMAT, "seq": self.seq, "hash": self.hash, "at": self.at}).encode()


def sign(key: SigningKey, seq: int, digest: str, at: datetime) -> Checkpoint:
    when = at.astimezone(UTC).isoformat(timespec="microseconds")
    unsigned = Checkpoint(seq, digest, when, key_id(key.verify_key), "")
    signature = base64.b64encode(key.sign(unsigned.signed_bytes()).signature).decode("ascii")
    return replace(unsigned, signature=signature)


def write(directory: Path, checkpoint: Checkpoint, public: VerifyKey) -> Path:
    """Write the checkpoint as ``<seq>-<time>-<key>.json`` in ``directory``, atomically, never over a file."""
    stamp = checkpoint.at.replace("-", "").replace(":", "").replace(".", "").replace("+0000", "Z")
    target = directory / f"{checkpoint.seq:012d}-{stamp}-{checkpoint.key_id[:8]}.json"
    body = {
        "format": FORMAT,
        "seq": checkpoint.seq,
        "hash": checkpoint.hash,
        "at": checkpoint.at,
        "key_id": checkpoint.key_id,
        "public_key": public_key_text(public),
        "signature": checkpoint.signature,
    }
    try:
        directory.mkdir(parents=True, exist_ok=True)
        temporary = directory / f".{target.name}.tmp"
        with open(temporary, "w", encoding="utf-8") as out:
            out.write(json.dumps(body, indent=2) + "\n")
            fsync_file(out)
        try:
            os.link(temporary, target)  # fails, unlike rename, if the target exists
        finally:
            temporary.unlink()
    except FileExistsError:
        raise CheckpointError(f"{target} exists already") from None
    except OSError as exc:
        raise CheckpointError(f"cannot write the checkpoint to {directory}: {exc.strerror or exc}") from None
    return target


def load(path: Path) -> Checkpoint:
    """Read one checkpoint file; CheckpointError says what is wrong with a corrupt one."""
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"checkpoint {path.name} is unreadable or not JSON ({exc})") from None
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise CheckpointError(f"checkpoint {path.name} is not a {FORMAT} file")
    seq, digest, at, kid, signature = (body.get(k) for k in ("seq", "hash", "at", "key_id", "signature"))
    valid = (
        isinstance(seq, int)
        and not isinstance(seq, bool)
        and 0 <= seq < 2**63
        and isinstance(digest, str)
        and len(digest) == 64
        and all(c in "0123456789abcdef" for c in digest)
        and all(isinstance(v, str) and v for v in (at, kid, signature))
    )
    if not valid:
        raise CheckpointError(f"checkpoint {path.name} lacks a field or has one of the wrong type")
    return Checkpoint(seq, digest, at, kid, signature, path)


def _signature_problem(checkpoint: Checkpoint, trusted: dict[str, VerifyKey]) -> str | None:
    key = trusted.get(checkpoint.key_id)
    if key is None:
        return f"checkpoint {checkpoint.name} is signed by key {checkpoint.key_id}, which is not a trusted key"
    try:
        key.verify(checkpoint.signed_bytes(), base64.b64decode(checkpoint.signature, validate=True))
    except (BadSignatureError, binascii.Error, ValueError, NaclValueError):
        return f"checkpoint {checkpoint.name}: its signature does not verify with key {checkpoint.key_id} (forged)"
    return None


# --- checking the chain against the checkpoints


@dataclass
class CheckReport:
    """The outcome of checking the chain (links and signed checkpoints). ``problems`` name what is wrong."""

    chain: audit.VerifyReport
    directory: Path
    trusted: list[str]  # key ids
    valid: list[Checkpoint] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    chain_problems: list[str] = field(default_factory=list)  # the chain disagrees with a valid checkpoint
    files: int = 0

    @property
    def ok(self) -> bool:
        return self.chain.ok and not self.problems and not self.chain_problems

    @property
    def latest(self) -> Checkpoint | None:
        return max(self.valid, key=lambda c: c.seq, default=None)

    def lines(self) -> list[str]:
        out = [self.chain.summary()]
        if self.files == 0:
            out.append(f"no checkpoints in {self.directory}: only the links were checked")
        else:
            latest = self.latest
            keys = ", ".join(self.trusted) or "none"
            text = f"checkpoints: {len(self.valid)} of {self.files} verified in {self.directory} (trusted keys: {keys})"
            if latest is not None:
                after = max(0, self.chain.head_seq - latest.seq)
                text += f"; newest at entry {latest.seq} ({latest.at}), {after} entries after it not yet anchored"
            out.append(text)
        return out


def snapshot(session: Session) -> None:
    """Read what follows as of one moment, without holding up the writers: on PostgreSQL a REPEATABLE READ
    transaction (appends committed during the walk must not look like entries inserted behind the head), on
    SQLite a deferred BEGIN (a WAL snapshot, not the write lock for the length of the walk). End it (rollback)
    before writing."""
    if session.in_transaction():
        return
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    else:
        session.connection(execution_options={READ_SNAPSHOT: True})


def check(
    session: Session,
    directory: Path,
    trusted_keys: list[VerifyKey],
    *,
    full: bool = True,
    anchors: dict[int, str] | None = None,
) -> CheckReport:
    """Verify every checkpoint file in ``directory`` and the chain against the valid ones.

    ``full=False`` walks the links only after the newest valid checkpoint (the periodic checkpoint's check);
    every checkpoint is still compared with the chain. ``anchors`` (SEQ -> hash) are passed to the walk.
    """
    trusted = {key_id(k): k for k in trusted_keys}
    problems: list[str] = []
    valid: list[Checkpoint] = []
    paths = sorted(p for p in directory.glob("*.json") if not p.name.startswith(".")) if directory.is_dir() else []
    for path in paths:
        try:
            checkpoint = load(path)
        except CheckpointError as exc:
            problems.append(str(exc))
            continue
        if problem := _signature_problem(checkpoint, trusted):
            problems.append(problem)
        else:
            valid.append(checkpoint)
    chain_problems = _compare(session, valid)
    since = None
    if not full and not chain_problems and valid:
        newest = max(valid, key=lambda c: c.seq)
        since = (newest.seq, newest.hash) if newest.seq > 0 else None
    chain = audit.verify(session, anchors, since=since)
    problems += _recorded_but_missing(session, directory, paths)
    return CheckReport(chain, directory, sorted(trusted), valid, problems, chain_problems, len(paths))


def _compare(session: Session, valid: list[Checkpoint]) -> list[str]:
    """Name the first checkpoint the chain disagrees with, and the newest one before it that still matches."""
    previous: Checkpoint | None = None
    for checkpoint in sorted(valid, key=lambda c: (c.seq, c.at)):
        if checkpoint.seq == 0:
            stored: str | None = audit.GENESIS_HASH
        else:
            stored = session.execute(
                select(AuditEntry.hash).where(AuditEntry.seq == checkpoint.seq)
            ).scalar_one_or_none()
        if stored == checkpoint.hash:
            previous = checkpoint
            continue
        where = (
            f"after entry {previous.seq} (checkpoint {previous.name} still matches)"
            if previous and previous.seq < checkpoint.seq
            else "anywhere up to it"
        )
        state = "is missing (deleted)" if stored is None else "does not have the hash signed in it"
        return [
            f"entry {checkpoint.seq} {state}: checkpoint {checkpoint.name} (signed by {checkpoint.key_id} at "
            f"{checkpoint.at}) shows the chain was rewritten at or before entry {checkpoint.seq}, {where}"
        ]
    return []


def _recorded_but_missing(session: Session, directory: Path, paths: list[Path]) -> list[str]:
    """Checkpoints the log says were written but whose files are gone from ``directory``."""
    present = {p.name for p in paths}
    stmt = select(AuditEntry.seq, AuditEntry.payload).where(AuditEntry.event == ev.AuditCheckpointed.name)
    problems = []
    for seq, payload in session.execute(stmt.order_by(AuditEntry.seq)):
        try:
            name = json.loads(payload).get("file", "")
        except (json.JSONDecodeError, AttributeError):
            continue
        if name and name not in present:
            problems.append(f"checkpoint {name}, recorded by audit entry {seq}, is missing from {directory}")
    return problems


def take(
    session: Session, key: SigningKey, directory: Path, verified: audit.VerifyReport, actor: audit.Actor, now: datetime
) -> Checkpoint:
    """Sign the head ``verified`` checked, write the checkpoint file, record the act in the log (caller commits)."""
    if not verified.ok:
        raise ValueError("refusing to sign the head of a chain that does not verify")
    head_seq, head_hash = verified.head_seq, verified.head_hash
    checkpoint = sign(key, head_seq, head_hash, now)
    path = write(directory, checkpoint, key.verify_key)
    checkpoint = replace(checkpoint, path=path)
    audit.append(session, ev.AuditCheckpointed(head_seq, head_hash, checkpoint.key_id, path.name), actor)
    return checkpoint
