"""Probabilistic person linking with splink: the mentions that carry no valid ID number.

Who takes part (the deterministic part, one entity per valid ID number, covers everybody else):

- every *unanchored* mention (no valid ID number) that says anything: a name, a phone or an invalid raw number;
- *profiles* of the numbered people they may match: the ID numbers sharing a blocking key with some unanchored
  mention (same phone; same first 14 characters of the number — division and birth date; same birth date and
  sequence digits; same name and birth date; same name and standard address). A number's profiles combine every
  name, phone and address its mentions give, so a name from a hotel record and a phone from the registry are
  compared together. A profile stands for its number's whole group.

Compared: name (exact with term-frequency adjustment; same but for *variant characters*; one character different;
same surname character), the digits of the number (a profile's valid number against the invalid raw one: same
first 17 — only the check character differs —, one or two characters different), phone, birth date, sex, standard
address. Pairs of two profiles are never scored: two valid numbers are two people unless a judgement says so.

Variant characters (刘/柳, 鹃/娟) are learnt from the data, not listed: two names given with one valid number that
differ in one character make that pair interchangeable.

Training, nothing set by hand: the valid numbers are labels — pairs of mentions sharing a number are known matches,
and give the m probabilities of name, phone, birth date, sex and address (``estimate_m_from_label_column``); the
raw number's m, which no such pair can show, comes from EM on pairs with similar names; u from random pairs; λ from
deterministic rules (assumed recall ``recall``).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa

from policecloud.data.model.types.id_number import sql_birth_date, sql_sex
from policecloud.data.resolve.splink_model import SplinkOutcome, SplinkRecipe, train_and_predict

NOT_TWO_PROFILES = "(l.id_group IS NULL OR r.id_group IS NULL)"
RECORD_COLUMNS = "unique_id, id_group, name, sex, birth_date, phone, address_id, id_digits"
SPLINK_COLUMNS = RECORD_COLUMNS + ", name_key"
# hamming() raises on strings of different lengths, and AND does not protect it: CASE does.
_HAMMING = "CASE WHEN length(id_digits_l) = length(id_digits_r) THEN hamming(id_digits_l, id_digits_r) END"


def person_recipe(u_max_pairs: float = 2e6, seed: int = 42, recall: float = 0.8) -> SplinkRecipe:
    """The model: m probabilities from pairs of mentions that share a valid ID number (labels), except the raw
    number's comparison, whose m EM estimates on pairs of similar names; u from random pairs; λ from
    deterministic rules."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    name = cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.NullLevel("name"),
            cll.ExactMatchLevel("name", term_frequency_adjustments=True),
            cll.CustomLevel("name_key_l = name_key_r", "same but for variant characters"),
            cll.CustomLevel("levenshtein(name_l, name_r) = 1", "one character different"),
            cll.CustomLevel("left(name_l, 1) = left(name_r, 1)", "same surname character"),
            cll.ElseLevel(),
        ],
    )
    digits = cl.CustomComparison(
        output_column_name="id_digits",
        comparison_levels=[
            cll.NullLevel("id_digits"),
            cll.ExactMatchLevel("id_digits"),
            cll.CustomLevel("left(id_digits_l, 17) = left(id_digits_r, 17)", "same first 17 characters"),
            cll.CustomLevel(f"{_HAMMING} <= 1", "one character different"),
            cll.CustomLevel(f"{_HAMMING} <= 2", "two characters different"),
            cll.ElseLevel(),
        ],
    )
    comparisons = [
        name,
        digits,
        cl.ExactMatch("phone"),
        cl.ExactMatch("birth_date"),
        cl.ExactMatch("sex"),
        cl.ExactMatch("address_id"),
    ]
    prediction_rules = [
        f"l.phone = r.phone AND {NOT_TWO_PROFILES}",
        f"left(l.id_digits, 14) = left(r.id_digits, 14) AND {NOT_TWO_PROFILES}",
        f"substr(l.id_digits, 7, 11) = substr(r.id_digits, 7, 11) AND {NOT_TWO_PROFILES}",
        f"l.name = r.name AND l.birth_date = r.birth_date AND {NOT_TWO_PROFILES}",
        f"l.name = r.name AND l.address_id = r.address_id AND {NOT_TWO_PROFILES}",
    ]
    return SplinkRecipe(
        comparisons=comparisons,
        prediction_rules=prediction_rules,
        training_rules=[f"l.name_key = r.name_key AND {NOT_TWO_PROFILES}"],
        deterministic_rules=[
            "l.id_group = r.id_group",
            "l.name = r.name AND l.phone = r.phone",
            "left(l.id_digits, 17) = left(r.id_digits, 17)",
        ],
        deterministic_recall=recall,
        u_max_pairs=u_max_pairs,
        seed=seed,
        label_column="id_label",
        em_comparisons=("id_digits",),
    )


@dataclass
class LinkingInput:
    unanchored: int
    profiles: int
    name_variants: int  # character pairs learnt from names that differ under one ID number


def learn_character_variants(
    con: duckdb.DuckDBPyConnection, mentions: str, exclude: str | None = None
) -> dict[str, str]:
    """Character → representative of its class of interchangeable characters, learnt from the data: two names
    given with one valid ID number that differ in exactly one character make that pair of characters variants
    (郑雨鹃 / 郑雨娟 → 鹃 ~ 娟). Classes are the connected components of those pairs. The numbers in table
    ``exclude(id_label)`` are left out (the labelled sample, whose m probabilities must not see its own pairs)."""
    skip = f"AND id_number NOT IN (SELECT id_label FROM {exclude})" if exclude else ""
    rows = con.execute(
        f"""WITH n AS (SELECT DISTINCT id_number, name FROM {mentions}
                       WHERE id_number IS NOT NULL AND name IS NOT NULL {skip})
        SELECT DISTINCT a.name, b.name FROM n a JOIN n b
          ON a.id_number = b.id_number AND a.name < b.name AND length(a.name) = length(b.name)
        WHERE CASE WHEN length(a.name) = length(b.name) THEN hamming(a.name, b.name) END = 1"""
    ).fetchall()
    parent: dict[str, str] = {}

    def find(c: str) -> str:
        while parent.setdefault(c, c) != c:
            c = parent[c]
        return c

    for x, y in rows:
        for cx, cy in zip(x, y, strict=True):
            if cx != cy:
                rx, ry = find(cx), find(cy)
                if rx != ry:
                    parent[max(rx, ry)] = min(rx, ry)
    return {c: find(c) for c in parent if find(c) != c}


def _add_name_keys(con: duckdb.DuckDBPyConnection, tables: tuple[str, ...], variants: dict[str, str]) -> None:
    """Add column ``name_key`` to ``tables``: the name with each character replaced by its class representative."""
    union = " UNION ".join(f"SELECT name FROM {t} WHERE name IS NOT NULL" for t in tables)
    names = [r[0] for r in con.execute(union).fetchall()]
    mapping = str.maketrans(variants)
    keys = pa.table({"name": names, "name_key": [n.translate(mapping) for n in names]})
    con.register("_pl_name_keys", keys)
    try:
        for t in tables:
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {t} AS SELECT r.*, k.name_key FROM {t} r "
                "LEFT JOIN _pl_name_keys k USING (name)"
            )
    finally:
        con.unregister("_pl_name_keys")


def _candidate_numbers(blocking_source: str) -> str:
    """SQL: the valid numbers of ``_pl_anchored`` sharing a prediction blocking key with an unanchored mention."""
    keys = [
        ("phone", "a.phone = k.phone"),
        ("left(id_digits, 14) AS k", "left(a.id_number, 14) = k.k"),
        ("substr(id_digits, 7, 11) AS k", "substr(a.id_number, 7, 11) = k.k"),
        ("name, birth_date", f"a.name = k.name AND {sql_birth_date('a.id_number')} = k.birth_date"),
        ("name, address_id", "a.name = k.name AND a.address_id = k.address_id"),
    ]
    return " UNION ".join(
        f"SELECT a.id_number FROM _pl_anchored a SEMI JOIN (SELECT DISTINCT {cols} FROM {blocking_source}) k ON {on}"
        for cols, on in keys
    )


def prepare_records(
    con: duckdb.DuckDBPyConnection,
    mentions: str,
    max_values: int = 4,
    label_ids: int = 20000,
    label_mentions: int = 6,
) -> LinkingInput:
    """Temp table ``_pl_records`` (SPLINK_COLUMNS): unanchored mentions and the anchored profiles they may match;
    and ``_pl_labels``: the mentions of up to ``label_ids`` valid numbers with several mentions (half of them at
    most, picked by hash; at most ``label_mentions`` mentions each), labelled with their number, to learn m
    probabilities from.

    A numbered person's profiles are every combination of the distinct names, phones and standard addresses its
    mentions give (at most ``max_values`` of each), so that a name from one record and a phone from another are
    compared together."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _pl_unanchored AS
        SELECT record_key AS unique_id, NULL::VARCHAR AS id_group, name, sex, birth_date, phone, address_id,
               id_number_raw AS id_digits
        FROM {mentions}
        WHERE id_number IS NULL AND (name IS NOT NULL OR phone IS NOT NULL OR id_number_raw IS NOT NULL)"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _pl_anchored AS
        SELECT id_number, name, phone, address_id FROM {mentions} WHERE id_number IS NOT NULL GROUP BY ALL"""
    )
    values = ", ".join(
        f"coalesce(list(DISTINCT {c} ORDER BY {c}) FILTER (WHERE {c} IS NOT NULL), [NULL])[1:{max_values}] AS {c}s"
        for c in ("name", "phone", "address_id")
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _pl_records AS
        SELECT {RECORD_COLUMNS} FROM _pl_unanchored
        UNION ALL
        SELECT 'id:' || v.id_number || '#' || row_number() OVER (
                   PARTITION BY v.id_number ORDER BY n.name, p.phone, a.address_id) AS unique_id,
               v.id_number AS id_group, n.name, {sql_sex("v.id_number")} AS sex,
               {sql_birth_date("v.id_number")} AS birth_date, p.phone, a.address_id, v.id_number AS id_digits
        FROM (SELECT id_number, {values} FROM _pl_anchored
              SEMI JOIN ({_candidate_numbers("_pl_unanchored")}) c USING (id_number) GROUP BY id_number) v,
             unnest(v.names) n(name), unnest(v.phones) p(phone), unnest(v.address_ids) a(address_id)"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _pl_labels AS
        WITH ids AS (SELECT id_number FROM {mentions} WHERE id_number IS NOT NULL GROUP BY id_number
                     HAVING count(*) > 1 AND hash(id_number) % 2 = 0
                     ORDER BY hash(id_number), id_number LIMIT {int(label_ids)})
        SELECT m.record_key AS unique_id, NULL::VARCHAR AS id_group, m.name, m.sex, m.birth_date, m.phone,
               m.address_id, NULL::VARCHAR AS id_digits, m.id_number AS id_label
        FROM {mentions} m SEMI JOIN ids USING (id_number)
        QUALIFY row_number() OVER (PARTITION BY m.id_number ORDER BY hash(m.record_key), m.record_key)
                <= {int(label_mentions)}"""
    )
    # Learnt outside the labelled sample: otherwise every one-character difference in the sample would be a
    # known variant and the sample could not tell how often real matches differ by an unknown one.
    variants = learn_character_variants(con, mentions, exclude="_pl_labels")
    _add_name_keys(con, ("_pl_records", "_pl_labels"), variants)
    unanchored = con.execute("SELECT count(*) FROM _pl_unanchored").fetchall()[0][0]
    profiles = con.execute("SELECT count(*) FROM _pl_records WHERE id_group IS NOT NULL").fetchall()[0][0]
    for table in ("_pl_anchored", "_pl_unanchored"):
        con.execute(f"DROP TABLE {table}")
    return LinkingInput(unanchored, profiles, len(variants))


def node_of(unique_id: str) -> str:
    """SQL: the clustering node of a splink record — a profile stands for its ID number's group."""
    return f"CASE WHEN starts_with({unique_id}, 'id:') THEN split_part({unique_id}, '#', 1) ELSE {unique_id} END"


def score_pairs(
    con: duckdb.DuckDBPyConnection,
    recipe: SplinkRecipe,
    threshold: float,
    threads: int | None = None,
    model: dict | None = None,
) -> SplinkOutcome | None:
    """Train on ``_pl_records`` (unless ``model`` is given) and create temp table ``_pl_edges(node_l, node_r,
    probability)`` (best pair per node pair, above ``threshold``). None when there is nothing to link."""
    con.execute("CREATE OR REPLACE TEMP TABLE _pl_edges (node_l VARCHAR, node_r VARCHAR, probability DOUBLE)")
    n = con.execute("SELECT count(*), count(id_group) FROM _pl_records").fetchall()[0]
    if n[0] - n[1] == 0 or n[0] < 3:
        return None
    records = con.sql(f"SELECT {SPLINK_COLUMNS} FROM _pl_records ORDER BY unique_id").to_arrow_table()
    labels = con.sql(f"SELECT {SPLINK_COLUMNS}, id_label FROM _pl_labels ORDER BY unique_id").to_arrow_table()
    outcome = train_and_predict([records], recipe, threshold, threads=threads, labels=labels, model=model)
    con.register("_pl_pairs_arrow", outcome.pairs)
    try:
        con.execute(
            f"""INSERT INTO _pl_edges
            SELECT least(a, b), greatest(a, b), max(match_probability) FROM (
                SELECT {node_of("unique_id_l")} AS a, {node_of("unique_id_r")} AS b, match_probability
                FROM _pl_pairs_arrow) WHERE a <> b GROUP BY ALL"""
        )
    finally:
        con.unregister("_pl_pairs_arrow")
    return outcome
