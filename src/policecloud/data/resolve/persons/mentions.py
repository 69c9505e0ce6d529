"""Person mentions: one row per warehouse record that names a person, in the shape person linking reads.

A *mention* is what one record says about one person: the subject of a registry row, a hotel guest, an internet
café user, a case victim, a 110 caller, a house owner, an organization's legal representative, a vehicle owner.
Columns (see ``MENTION_COLUMNS``): the record key (``batch:row``), where the record lives (table, record id,
source, role) and the person's identifying values:

- ``id_number``: the valid normalized 18-character number, or NULL;
- ``id_number_raw``: when the record's number was invalid, its raw value from the quarantine (ingestion keeps the
  bad value there under ``(batch, row, field)``), cleaned up by the id_number type's normalization (half-width,
  separators dropped, 15 → 18) but not validated; house and vehicle owners are plain references in the warehouse,
  so their numbers are checked here with the same SQL form of the id_number type;
- ``sex`` / ``birth_date``: the record's own values, else derived from the valid number;
- ``address_id`` / ``county``: from the address stage's ``address_matches`` (and ``address_registry``) when those
  tables exist; ``county`` falls back to the number's division code.

Organizations' phone numbers are the organization's, not the legal representative's: they are not used. A
vehicle whose owner is an organization (its owner key is a USCC, which starts with 9 where no ID number does)
mentions no person; neither does a house without an owner number.
"""

from __future__ import annotations

import duckdb

from policecloud.data.model.types.id_number import IdNumber, sql_birth_date, sql_normalize_id, sql_sex
from policecloud.data.resolve.records import columns, has_table, record_key

MENTION_COLUMNS = (
    "record_key",
    "table_name",
    "record_id",
    "source",
    "role",
    "id_number",
    "id_number_raw",
    "name",
    "sex",
    "birth_date",
    "phone",
    "address_id",
    "county",
)

_ID_TYPE = IdNumber()


def _checked_ids(table: str, column: str) -> str:
    """A relation over ``table`` adding ``_id_norm`` (the cleaned-up number) and ``_id_reason`` (NULL when valid)
    for a column holding unchecked ID numbers; normalized once in an inner query, as check_sql does."""
    inner = f'SELECT *, {sql_normalize_id(column)} AS _id_norm FROM "{table}"'
    return f"(SELECT *, {_ID_TYPE.sql_reason('_id_norm', column)} AS _id_reason FROM ({inner}))"


_VALID = "CASE WHEN t._id_reason IS NULL THEN t._id_norm END"
_INVALID = "CASE WHEN t._id_reason IS NOT NULL THEN t._id_norm END"


class _Part:
    """One warehouse table's contribution: the SELECT list of a mention over alias ``t``."""

    def __init__(self, table: str, role: str, where: str = "true", relation: str = "", **values: str) -> None:
        self.table = table
        self.role = role
        self.where = where
        self.relation = relation or f'"{table}"'
        self.values = values


def _parts(con: duckdb.DuckDBPyConnection) -> list[_Part]:
    parts = []
    if has_table(con, "person"):
        cols = columns(con, "person")
        parts.append(
            _Part(
                "person",
                "subject",
                id_number="t.id_number",
                id_field="id_number",
                name="t.name",
                sex="t.sex",
                birth_date="t.birth_date",
                phone="t.phone" if "phone" in cols else "NULL",
                address_fields="current_address,registered_address",
            )
        )
    for table, role in (("hotel_stay", "guest"), ("internet_session", "user")):
        if has_table(con, table):
            parts.append(_Part(table, role, id_number="t.id_number", id_field="id_number", name="t.name"))
    if has_table(con, "case_involvement"):
        parts.append(_Part("case_involvement", "t.role", id_number="t.id_number", id_field="id_number", name="t.name"))
    if has_table(con, "call110"):
        parts.append(
            _Part(
                "call110",
                "caller",
                where="t.caller_name IS NOT NULL OR t.caller_phone IS NOT NULL",
                name="t.caller_name",
                phone="t.caller_phone",
            )
        )
    if has_table(con, "organization") and "legal_representative" in columns(con, "organization"):
        parts.append(
            _Part(
                "organization",
                "legal_representative",
                where="t.legal_representative IS NOT NULL OR t.legal_representative_id_number IS NOT NULL",
                id_number="t.legal_representative_id_number",
                id_field="legal_representative_id_number",
                name="t.legal_representative",
            )
        )
    if has_table(con, "house") and "owner_id" in columns(con, "house"):
        name = "t.owner_name" if "owner_name" in columns(con, "house") else "NULL"
        parts.append(
            _Part(
                "house",
                "owner",
                where="t.owner_id IS NOT NULL",
                relation=_checked_ids("house", "owner_id"),
                id_number=_VALID,
                id_invalid=_INVALID,
                name=name,
                address_fields="address",
            )
        )
    if has_table(con, "vehicle") and "owner_id" in columns(con, "vehicle"):
        parts.append(
            _Part(
                "vehicle",
                "owner",
                where="(t.owner_id IS NOT NULL OR t.owner_name IS NOT NULL) "
                "AND coalesce(left(trim(t.owner_id), 1), '') NOT IN ('9', '９')",
                relation=_checked_ids("vehicle", "owner_id"),
                id_number=_VALID,
                id_invalid=_INVALID,
                name="t.owner_name",
            )
        )
    return parts


def _address_join(con: duckdb.DuckDBPyConnection, part: _Part) -> tuple[str, str, str]:
    """(joins, address_id expr, county expr) of a part's address fields through the address stage's output."""
    fields = [f for f in part.values.get("address_fields", "").split(",") if f]
    if not fields or not has_table(con, "address_matches"):
        return "", "NULL::VARCHAR", "NULL::VARCHAR"
    joins, ids = [], []
    for i, field in enumerate(fields):
        joins.append(
            f"LEFT JOIN (SELECT record_key AS k, address_id FROM address_matches WHERE table_name = '{part.table}' "
            f"AND field = '{field}' AND address_id IS NOT NULL) am{i} ON am{i}.k = {record_key('t')}"
        )
        ids.append(f"am{i}.address_id")
    address_id = f"coalesce({', '.join(ids)})" if len(ids) > 1 else ids[0]
    county = "NULL::VARCHAR"
    if has_table(con, "address_registry"):
        joins.append(f"LEFT JOIN (SELECT address_id AS a, county FROM address_registry) ar ON ar.a = {address_id}")
        county = "ar.county"
    return " ".join(joins), address_id, county


def _part_sql(con: duckdb.DuckDBPyConnection, part: _Part, quarantine: bool) -> str:
    v = part.values
    id_number = v.get("id_number", "NULL::VARCHAR")
    joins, address_id, county = _address_join(con, part)
    if "id_invalid" in v:
        raw = v["id_invalid"]
    elif quarantine and "id_field" in v:
        joins += (
            f" LEFT JOIN _pm_quarantined_ids q ON q.batch = t.batch AND q.row = t.row AND q.field = '{v['id_field']}'"
        )
        raw = "q.raw"
    else:
        raw = "NULL::VARCHAR"
    role = part.role if part.role.startswith("t.") else f"'{part.role}'"
    inner = (
        f"SELECT {record_key('t')} AS record_key, '{part.table}' AS table_name, t.id AS record_id, t.source, "
        f"{role} AS role, {id_number} AS id_number, {raw} AS id_number_raw, {v.get('name', 'NULL')} AS name, "
        f"{v.get('sex', 'NULL')} AS sex, {v.get('birth_date', 'NULL')} AS birth_date, "
        f"{v.get('phone', 'NULL')} AS phone, {address_id} AS address_id, {county} AS county "
        f"FROM {part.relation} t {joins} WHERE {part.where}"
    )
    return (
        "SELECT record_key, table_name, record_id, source, role, id_number, id_number_raw, "
        "nullif(trim(name), '') AS name, "
        f"CAST(coalesce(sex, CASE WHEN id_number IS NOT NULL THEN {sql_sex('id_number')} END) AS VARCHAR) AS sex, "
        f"CAST(coalesce(birth_date, {sql_birth_date('id_number')}) AS DATE) AS birth_date, "
        "CAST(phone AS VARCHAR) AS phone, CAST(address_id AS VARCHAR) AS address_id, "
        "CAST(coalesce(county, left(id_number, 6)) AS VARCHAR) AS county "
        f"FROM ({inner}) WHERE id_number IS NOT NULL OR id_number_raw IS NOT NULL OR nullif(trim(name), '') "
        "IS NOT NULL OR phone IS NOT NULL"
    )


def prepare_quarantined_ids(con: duckdb.DuckDBPyConnection) -> bool:
    """Temp table ``_pm_quarantined_ids(batch, row, field, raw)``: invalid ID numbers as cleaned-up candidates."""
    if not has_table(con, "quarantine"):
        return False
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _pm_quarantined_ids AS "
        f"SELECT batch, row, field, any_value({sql_normalize_id('raw')}) AS raw FROM quarantine "
        "WHERE reason LIKE 'id_number.%' AND raw IS NOT NULL GROUP BY batch, row, field"
    )
    return True


def person_mentions_sql(con: duckdb.DuckDBPyConnection) -> str:
    """The SQL listing every person mention of the warehouse views on ``con`` (MENTION_COLUMNS).

    It reads two tables this call creates on ``con``: the divisions table of the id_number type and the temp table
    of quarantined ID numbers (the quarantine is scanned once, not once per source table)."""
    _ID_TYPE.sql_setup(con)
    quarantine = prepare_quarantined_ids(con)
    parts = [_part_sql(con, p, quarantine) for p in _parts(con)]
    if not parts:
        cols = ", ".join(f"NULL::{'DATE' if c == 'birth_date' else 'VARCHAR'} AS {c}" for c in MENTION_COLUMNS)
        return f"SELECT {cols} WHERE false"
    return " UNION ALL ".join(parts)


def build_person_mentions(con: duckdb.DuckDBPyConnection, name: str = "person_mentions") -> int:
    """Create table ``name`` with every person mention; returns its row count."""
    con.execute(f'CREATE OR REPLACE TABLE "{name}" AS {person_mentions_sql(con)}')
    return con.execute(f'SELECT count(*) FROM "{name}"').fetchall()[0][0]
