"""A trained splink model run in one call: the shared helper of person linking and the Febrl benchmark.

A ``SplinkRecipe`` says which columns are compared and how (splink comparisons), which pairs are scored (blocking
rules) and how the parameters are learnt — never by hand:

1. λ, the probability that two random records match, from deterministic rules and their assumed recall
   (``estimate_probability_two_random_records_match``);
2. u probabilities from random pairs (``estimate_u_using_random_sampling``, seeded: runs are reproducible);
3. m probabilities by expectation maximisation, one session per training blocking rule (a comparison whose
   columns the rule uses is fixed in that session, so the rules must together leave every comparison free once).

splink runs on its own in-memory DuckDB connection, so the tables it creates never mix with the caller's; the
records go in and the scored pairs come out as Arrow tables.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from policecloud.data.model.vectorized import connect

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class SplinkRecipe:
    comparisons: Sequence[Any]  # splink comparison creators (comparison_library / CustomComparison)
    prediction_rules: Sequence[Any]  # blocking rules (SQL strings or block_on) for the pairs to score
    training_rules: Sequence[Any]  # one EM session each
    deterministic_rules: Sequence[Any]  # for λ
    deterministic_recall: float  # the share of true matches the deterministic rules are assumed to find
    link_type: str = "dedupe_only"
    u_max_pairs: float = 2e6
    seed: int = 42
    em_max_pairs: float | None = None
    unique_id: str = "unique_id"
    source_dataset: str | None = None  # column naming the input table, for link_only
    label_column: str | None = None  # with a label table: m from pairs of records sharing this label
    em_comparisons: Sequence[str] = ()  # comparisons the labels cannot teach: left to EM
    extra_settings: dict[str, Any] = field(default_factory=dict)


@dataclass
class SplinkOutcome:
    pairs: pa.Table  # unique_id_l, unique_id_r (and source_dataset_l/_r for links), match_probability, match_weight
    parameters: dict[str, Any]  # the trained model (splink settings dict), for the record
    pairs_scored: int


def _settings(recipe: SplinkRecipe):
    from splink import SettingsCreator

    extra = dict(recipe.extra_settings)
    if recipe.source_dataset:
        extra["source_dataset_column_name"] = recipe.source_dataset
    return SettingsCreator(
        link_type=recipe.link_type,
        unique_id_column_name=recipe.unique_id,
        comparisons=list(recipe.comparisons),
        blocking_rules_to_generate_predictions=list(recipe.prediction_rules),
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
        **extra,
    )


def _levels(model: dict[str, Any]):
    for comparison in model.get("comparisons", []):
        for level in comparison.get("comparison_levels", []):
            if not level.get("is_null_level"):
                yield comparison.get("output_column_name", ""), level


def _trained(value: Any) -> bool:
    return isinstance(value, int | float) and value > 0


def _m_from_labels(recipe: SplinkRecipe, labels: pa.Table, threads: int | None) -> dict[str, Any]:
    """The model with m fixed from labelled pairs for every comparison but ``recipe.em_comparisons``.

    A level never seen among the N labelled pairs gets m = 1 / (N + 1) (add-one smoothing of an unseen event):
    strong evidence against a match, but finite, and splink refuses an m of 0. Without any labelled pair these
    comparisons stay untrained (and ``_complete_untrained`` then gives them no weight) rather than go to EM."""
    from splink import DuckDBAPI, Linker

    con = _connection(threads)  # its own connection: splink caches tables per connection and API object
    try:
        _load(con, "pc_splink_labels", labels)
        label = recipe.label_column
        pairs = con.execute(
            f"SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM (SELECT count(*) AS n FROM pc_splink_labels "
            f"WHERE {label} IS NOT NULL GROUP BY {label})"
        ).fetchall()[0][0]
        linker = Linker(DuckDBAPI(con).register("pc_splink_labels"), _settings(recipe), log_level=logging.ERROR)
        if pairs:
            linker.training.estimate_m_from_label_column(label)
        model = linker.misc.save_model_to_json()
    finally:
        con.close()
    for name, level in _levels(model):
        level.pop("u_probability", None)
        if name in recipe.em_comparisons:
            level.pop("m_probability", None)
            continue
        if not pairs:
            level.pop("m_probability", None)
        elif not _trained(level.get("m_probability")):
            level["m_probability"] = 1.0 / (int(pairs) + 1)
        level["fix_m_probability"] = True
    return model


def _complete_untrained(model: dict[str, Any], u_pairs: float) -> list[str]:
    """Fill the levels training could not estimate; returns them.

    A level never seen among the ``u_pairs`` random pairs (agreeing on a whole ID number is that rare) gets
    u = 1 / (u_pairs + 1), add-one smoothing of an unseen event; a level seen nowhere at all, neither by u
    sampling nor by m training, weighs nothing (m = u)."""
    untrained = []
    for name, level in _levels(model):
        m, u = level.get("m_probability"), level.get("u_probability")
        if _trained(m) and _trained(u):
            continue
        if _trained(m):
            level["u_probability"] = 1.0 / (u_pairs + 1)
        else:
            value = u if _trained(u) else 1.0 / (u_pairs + 1)
            level["m_probability"] = level["u_probability"] = value
        untrained.append(f"{name}: {level.get('label_for_charts', level.get('sql_condition'))}")
    return untrained


def _connection(threads: int | None):
    con = connect()
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    return con


def _load(con, name: str, table: pa.Table) -> None:
    con.register(f"{name}_arrow", table)
    con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM {name}_arrow")
    con.unregister(f"{name}_arrow")


def _linker(con, names: list[str], settings: Any):
    """A linker over the loaded tables with a fresh API object (whose table cache starts empty)."""
    from splink import DuckDBAPI, Linker

    db_api = DuckDBAPI(con)
    frames = [db_api.register(n) for n in names]
    return Linker(frames if len(frames) > 1 else frames[0], settings, log_level=logging.ERROR)


def _train(con, names: list[str], recipe: SplinkRecipe, labels: pa.Table | None, threads: int | None) -> dict:
    settings: Any = _settings(recipe)
    if labels is not None and recipe.label_column:
        settings = _m_from_labels(recipe, labels, threads)
    linker = _linker(con, names, settings)
    linker.training.estimate_probability_two_random_records_match(
        list(recipe.deterministic_rules), recall=recipe.deterministic_recall
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=recipe.u_max_pairs, seed=recipe.seed)
    for rule in recipe.training_rules:
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True, max_pairs=recipe.em_max_pairs
        )
    model = linker.misc.save_model_to_json()
    untrained = _complete_untrained(model, recipe.u_max_pairs)
    if untrained:
        LOG.info("levels completed without training data: %s", "; ".join(untrained))
    return model


def train_and_predict(
    tables: Sequence[pa.Table],
    recipe: SplinkRecipe,
    threshold: float,
    threads: int | None = None,
    labels: pa.Table | None = None,
    model: dict[str, Any] | None = None,
) -> SplinkOutcome:
    """Train the recipe's model on ``tables`` (one for dedupe, two for link_only) and score its blocked pairs.

    With ``labels`` (records with the recipe's label column), the m probabilities of every comparison but the
    recipe's ``em_comparisons`` come from the labelled pairs and stay fixed; EM then estimates the rest. With
    ``model`` (the ``parameters`` of an earlier outcome) nothing is trained: that model scores the pairs.
    Returns the pairs whose match probability is at least ``threshold``."""
    con = _connection(threads)
    splink_logger = logging.getLogger("splink")
    level = splink_logger.level
    splink_logger.setLevel(logging.ERROR)  # splink narrates every step at INFO / WARNING
    try:
        names = []
        for i, table in enumerate(tables):
            _load(con, f"pc_splink_input_{i}", table)
            names.append(f"pc_splink_input_{i}")
        if model is None:
            model = _train(con, names, recipe, labels, threads)
        linker = _linker(con, names, model)
        predictions = linker.inference.predict(threshold_match_probability=threshold, warning_mode="never")
        uid = recipe.unique_id
        keep = [f"{uid}_l AS unique_id_l", f"{uid}_r AS unique_id_r", "match_probability", "match_weight"]
        if recipe.source_dataset:
            sd = recipe.source_dataset
            keep = [f"{sd}_l AS source_dataset_l", f"{sd}_r AS source_dataset_r", *keep]
        pairs = con.sql(f"SELECT {', '.join(keep)} FROM {predictions.physical_name}").to_arrow_table()
        return SplinkOutcome(pairs, model, pairs.num_rows)
    finally:
        splink_logger.setLevel(level)
        con.close()


def match_weights(parameters: dict[str, Any]) -> list[tuple[str, str, float | None, float | None]]:
    """(comparison, level label, m, u) of a trained model, for reports and tests."""
    rows = []
    for comparison in parameters.get("comparisons", []):
        for level in comparison.get("comparison_levels", []):
            if level.get("is_null_level"):
                continue
            rows.append(
                (
                    comparison.get("output_column_name", ""),
                    level.get("label_for_charts", level.get("sql_condition", "")),
                    level.get("m_probability"),
                    level.get("u_probability"),
                )
            )
    return rows
