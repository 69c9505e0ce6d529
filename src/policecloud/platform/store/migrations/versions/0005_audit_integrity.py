"""audit: triggers also refuse REPLACE and guard the head; signed checkpoints

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07

0001's triggers refuse UPDATE and DELETE on ``audit_log``, but on SQLite ``INSERT OR REPLACE`` deletes the row it
replaces without firing DELETE triggers, and ``audit_head`` could be set to anything: together they rewrote history
consistently. These triggers hold for every statement, whatever order an append uses:

- an entry may only be inserted at the end: its seq must not exist (REPLACE, upsert and ``INSERT OR IGNORE`` of an
  existing seq are refused before any conflict handling), must be the last seq + 1, and its ``prev_hash`` must be
  the hash of the entry before it (the genesis hash for entry 1);
- the head may not be inserted (while it exists), deleted or truncated, and an update must either move it onto an
  existing entry at or after its seq with exactly that entry's hash (after the entries were inserted), or reserve
  seqs ahead of the entries (seq grows, hash unchanged, the head pointing at its own entry and the new seq not yet
  written — then inserting the entries and setting the hash completes the append). It never goes back.

A database owner can still drop these triggers: the signed checkpoints kept outside the database
(policecloud.platform.access.audit_checkpoint) catch what is rewritten then.
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

GENESIS_HASH = "0" * 64

# --- SQLite: RAISE takes a literal message, so one trigger per rule names the rule broken.
_SQLITE_TRIGGERS = {
    "audit_log_no_overwrite": (
        "BEFORE INSERT ON audit_log WHEN EXISTS (SELECT 1 FROM audit_log WHERE seq = NEW.seq)",
        "audit_log is append-only (an entry with this seq exists: REPLACE refused)",
    ),
    "audit_log_at_end": (
        "BEFORE INSERT ON audit_log WHEN NEW.seq IS NOT COALESCE((SELECT MAX(seq) FROM audit_log), 0) + 1",
        "audit_log is append-only (an entry must take the next seq after the last)",
    ),
    "audit_log_links": (
        "BEFORE INSERT ON audit_log WHEN NEW.prev_hash IS NOT "
        f"COALESCE((SELECT hash FROM audit_log WHERE seq = NEW.seq - 1), '{GENESIS_HASH}')",
        "audit_log is append-only (prev_hash must be the hash of the entry before)",
    ),
    "audit_head_no_insert": (
        "BEFORE INSERT ON audit_head WHEN EXISTS (SELECT 1 FROM audit_head)",
        "audit_head exists (INSERT and REPLACE refused)",
    ),
    "audit_head_no_delete": ("BEFORE DELETE ON audit_head", "audit_head may not be deleted"),
    "audit_head_advance": (
        "BEFORE UPDATE ON audit_head WHEN NOT COALESCE(NEW.id IS OLD.id AND ("
        " (NEW.seq IS OLD.seq AND NEW.hash IS OLD.hash)"
        " OR (NEW.seq >= OLD.seq AND NEW.hash IS (SELECT hash FROM audit_log WHERE seq = NEW.seq))"
        " OR (NEW.seq > OLD.seq AND NEW.hash IS OLD.hash"
        "     AND NOT EXISTS (SELECT 1 FROM audit_log WHERE seq = NEW.seq)"
        f"     AND OLD.hash IS (CASE WHEN OLD.seq = 0 THEN '{GENESIS_HASH}'"
        "                     ELSE (SELECT hash FROM audit_log WHERE seq = OLD.seq) END))"
        "), 0)",
        "audit_head may only advance onto the entries appended after it",
    ),
}

# --- PostgreSQL: one function per table, the message naming the rule and the seq.
_PG_LOG_FUNCTION = f"""
CREATE FUNCTION audit_log_append_at_end() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    last_seq bigint;
    link text;
BEGIN
    IF EXISTS (SELECT 1 FROM audit_log WHERE seq = NEW.seq) THEN
        RAISE EXCEPTION 'audit_log is append-only (entry % exists: overwrite refused)', NEW.seq
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT max(seq) INTO last_seq FROM audit_log;
    IF NEW.seq IS DISTINCT FROM coalesce(last_seq, 0) + 1 THEN
        RAISE EXCEPTION 'audit_log is append-only (entry % is not the next after %)', NEW.seq, coalesce(last_seq, 0)
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT hash INTO link FROM audit_log WHERE seq = NEW.seq - 1;
    IF NEW.prev_hash IS DISTINCT FROM coalesce(link, '{GENESIS_HASH}') THEN
        RAISE EXCEPTION 'audit_log is append-only (entry % must link to the hash of entry %)', NEW.seq, NEW.seq - 1
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$
"""

_PG_HEAD_FUNCTION = f"""
CREATE FUNCTION audit_head_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    target text;
    settled text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF EXISTS (SELECT 1 FROM audit_head) THEN
            RAISE EXCEPTION 'audit_head exists (INSERT refused)' USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    ELSIF TG_OP <> 'UPDATE' THEN
        RAISE EXCEPTION 'audit_head may not be changed (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.id = OLD.id AND NEW.seq = OLD.seq AND NEW.hash = OLD.hash THEN
        RETURN NEW;
    END IF;
    SELECT hash INTO target FROM audit_log WHERE seq = NEW.seq;
    IF OLD.seq = 0 THEN
        settled := '{GENESIS_HASH}';
    ELSE
        SELECT hash INTO settled FROM audit_log WHERE seq = OLD.seq;
    END IF;
    IF NEW.id = OLD.id AND (
        (NEW.seq >= OLD.seq AND NEW.hash = target)
        OR (NEW.seq > OLD.seq AND NEW.hash = OLD.hash AND target IS NULL AND OLD.hash = settled)
    ) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_head may only advance onto the entries appended after it (% -> % refused)',
        OLD.seq, NEW.seq USING ERRCODE = 'insufficient_privilege';
END $$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_LOG_FUNCTION)
        op.execute(
            "CREATE TRIGGER audit_log_at_end BEFORE INSERT ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_at_end()"
        )
        op.execute(_PG_HEAD_FUNCTION)
        op.execute(
            "CREATE TRIGGER audit_head_guard BEFORE INSERT OR UPDATE OR DELETE ON audit_head "
            "FOR EACH ROW EXECUTE FUNCTION audit_head_guard()"
        )
        op.execute(
            "CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_head_guard()"
        )
    else:
        for name, (when, message) in _SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {when} BEGIN SELECT RAISE(ABORT, '{message}'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_head_no_truncate ON audit_head")
        op.execute("DROP TRIGGER IF EXISTS audit_head_guard ON audit_head")
        op.execute("DROP TRIGGER IF EXISTS audit_log_at_end ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_head_guard()")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_at_end()")
    else:
        for name in reversed(_SQLITE_TRIGGERS):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
