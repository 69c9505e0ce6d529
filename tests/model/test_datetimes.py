"""Dates and times (policecloud.data.model.types.datetimes): forms, clock history, SQL/Python agreement."""

from __future__ import annotations

import datetime as dt
import random
import re

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from policecloud.data.model import types as element_types
from policecloud.data.model.types import datetimes as D
from policecloud.data.model.vectorized import check_values, connect

SH = D.SHANGHAI
UTC = dt.UTC
DATETIME = element_types.get("datetime")
DATE = element_types.get("date")
TODAY = dt.date(2026, 11, 25)
PAST_DATE = D.PastDateType(today=lambda: TODAY)

# instants whose Shanghai wall time lies in 1900-01-01 .. 2100-12-31
instants = st.datetimes(
    min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 12, 31, 23, 59, 59, 999999), timezones=st.just(SH)
).map(lambda v: v.astimezone(UTC).astimezone(SH))


@pytest.fixture(scope="module")
def con():
    con = connect()
    yield con
    con.close()


def later_reading(wall: dt.datetime) -> dt.datetime:
    """The instant (in UTC) a naive Shanghai wall-clock time stands for: of its readings (two when a clock
    change repeats or skips it), the later — ICU's rule, stated here independently of the module.

    Instants are compared in UTC: Python never finds an aware datetime inside a repeated hour equal to one
    in another zone (PEP 495)."""
    readings = [wall.replace(tzinfo=SH, fold=fold) for fold in (0, 1)]
    return max(r.astimezone(UTC) for r in readings)


def truncate(value: dt.datetime, precision: str) -> dt.datetime:
    wall = value.replace(tzinfo=None)
    if precision == "date":
        return wall.replace(hour=0, minute=0, second=0, microsecond=0)
    if precision == "minute":
        return wall.replace(second=0, microsecond=0)
    if precision == "second":
        return wall.replace(microsecond=0)
    if precision == "millisecond":
        return wall.replace(microsecond=wall.microsecond // 1000 * 1000)
    return wall


def agree(con, etype, inputs: list[str]) -> None:
    """The vectorized form gives check()'s value (same instant, same rendering) and reason for every input."""
    for raw, (_, value, reason) in zip(inputs, check_values(con, etype, inputs), strict=True):
        expected = etype.check(raw)
        assert (reason, value) == (expected.reason, expected.value), raw
        if value is not None:
            assert value.isoformat() == expected.value.isoformat(), raw


# --- the types ------------------------------------------------------------------------------------


def test_registered_types():
    assert (DATETIME.sql_type, DATE.sql_type, element_types.get("past_date").sql_type) == (
        "TIMESTAMPTZ",
        "DATE",
        "DATE",
    )
    for etype in (DATETIME, DATE, PAST_DATE):
        for zh, en in etype.reasons.values():
            assert zh and en and zh != en
    assert "future" in PAST_DATE.reasons and "future" not in DATE.reasons


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("2019-03-07 08:05:09", dt.datetime(2019, 3, 7, 8, 5, 9, tzinfo=SH)),
        ("2019-03-07T00:05:09Z", dt.datetime(2019, 3, 7, 8, 5, 9, tzinfo=SH)),
        ("1551917109", dt.datetime(2019, 3, 7, 8, 5, 9, tzinfo=SH)),
    ],
)
def test_datetime_values_are_aware_in_shanghai(raw, value):
    result = DATETIME.check(raw).value
    assert result == value and result.tzinfo is SH


def test_non_string_inputs_are_read_as_their_text():
    assert DATETIME.check(dt.datetime(2019, 3, 7, 8, 5, 9)).value == dt.datetime(2019, 3, 7, 8, 5, 9, tzinfo=SH)
    assert DATETIME.check(dt.datetime(2019, 3, 7, 0, 5, 9, tzinfo=UTC)).value.hour == 8
    assert DATE.check(dt.date(2019, 3, 7)).value == dt.date(2019, 3, 7)
    assert DATE.check(1551974400).value == dt.date(2019, 3, 8)
    assert DATE.check(20190307).value == dt.date(2019, 3, 7)
    assert DATE.check(None).missing and DATE.check(" \t").missing
    assert DATE.check(1.5).reason == "format"


def test_epoch_lengths():
    """10 digits are epoch seconds, 13 milliseconds, 8 always YYYYMMDD; others are not dates."""
    assert DATETIME.check("1551917109").value == DATETIME.check("1551917109000").value
    assert DATE.check("20380119").value == dt.date(2038, 1, 19)
    for raw in ("155191710", "15519171091", "155191710912345", "1551917109123456"):
        assert DATETIME.check(raw).reason == "format", raw
    assert DATETIME.check("155191710912").reason == "ambiguous"  # YYYYMMDDHHMM or YYMMDDHHMMSS
    assert DATETIME.check("15519171091234").reason == "invalid_date"  # YYYYMMDDHHMMSS: month 91


def test_year_bounds_are_parameters(con):
    narrow_dt, narrow = D.DateTimeType(min_year=1950, max_year=2000), D.DateType(min_year=1950, max_year=2000)
    inputs = ["1949-12-31 23:59", "1950-01-01", "2000-12-31 23:59:59", "2001-01-01", "1949-12-31T16:00:00Z"]
    assert [narrow_dt.check(v).reason for v in inputs] == [
        "out_of_range",
        None,
        None,
        "out_of_range",
        None,
    ]
    assert [narrow.check(v).reason for v in inputs] == [narrow_dt.check(v).reason for v in inputs]
    agree(con, narrow_dt, inputs)
    agree(con, narrow, inputs)
    with pytest.raises(ValueError):
        D.DateType(min_year=1800)


def test_past_date_refuses_the_future(con):
    inputs = ["2026-11-25", "2026-11-26", "2026-11-25T16:00:00Z", "2026-11-25T15:59:59Z", "2099-01-01", "1980-05-17"]
    assert [PAST_DATE.check(v).reason for v in inputs] == [None, "future", "future", None, "future", None]
    assert [DATE.check(v).reason for v in inputs] == [None] * 6
    agree(con, PAST_DATE, inputs)


def test_past_date_default_today_is_shanghai_today():
    today = dt.datetime.now(SH).date()
    past = element_types.get("past_date")
    assert past.check(today.isoformat()).ok
    assert past.check((today + dt.timedelta(days=1)).isoformat()).reason == "future"


# --- written forms, round trips, idempotence --------------------------------------------------------


@given(value=instants, form=st.sampled_from(sorted(D.FORMS)), messy=st.booleans())
@settings(max_examples=400)
def test_every_form_parses_back_to_the_same_instant(value, form, messy):
    if form.startswith("epoch_"):
        assume(value >= D.EPOCH_FORMS_FROM)
    raw = D.render(value, form)
    if messy:
        raw = " " + raw.translate(D._TO_FULLWIDTH) + "\u3000"
    precision = D.FORMS[form]
    result = DATETIME.check(raw)
    assert result.ok, (raw, result)
    if form.startswith("epoch_") or form in ("iso_utc", "iso_offset"):
        expected = truncate(value.astimezone(UTC), precision).replace(tzinfo=UTC)  # in UTC: no folds
    else:  # a wall-clock form: a repeated or skipped wall time stands for its later reading
        expected = later_reading(truncate(value, precision))
    assert result.value.astimezone(UTC) == expected, raw
    assert DATE.check(raw).value == expected.astimezone(SH).date(), raw


@given(value=instants, form=st.sampled_from(sorted(D.FORMS)))
@settings(max_examples=200)
def test_normalization_is_idempotent(value, form):
    assume(value >= D.EPOCH_FORMS_FROM or not form.startswith("epoch_"))
    first = DATETIME.check(D.render(value, form)).value
    for text in (str(first), first.isoformat()):
        again = DATETIME.check(text).value
        assert again == first and again.isoformat() == first.isoformat(), text
    day = DATE.check(D.render(value, form)).value
    assert DATE.check(str(day)).value == day


def test_generate_gives_valid_values_in_range():
    rng = random.Random(7)
    start, end = dt.datetime(2015, 1, 1, tzinfo=SH), dt.datetime(2016, 1, 1, tzinfo=SH)
    for _ in range(500):
        result = DATETIME.check(D.generate(rng, start=start, end=end))
        assert result.ok and start - dt.timedelta(days=1) <= result.value < end


# --- Shanghai's clock history: zoneinfo (Python) and ICU (DuckDB) agree ------------------------------


def shanghai_transitions(first_year: int = 1900, last_year: int = 1992) -> list[dt.date]:
    """Local days on which the UTC offset of Asia/Shanghai changed, per zoneinfo."""
    days, day = [], dt.date(first_year, 1, 1)
    previous = dt.datetime(day.year, day.month, day.day, 12, tzinfo=SH).utcoffset()
    while day.year < last_year:
        day += dt.timedelta(days=1)
        offset = dt.datetime(day.year, day.month, day.day, 12, tzinfo=SH).utcoffset()
        if offset != previous:
            days.append(day)
            previous = offset
    return days


def test_zoneinfo_knows_shanghai_daylight_saving():
    years = {d.year for d in shanghai_transitions()}
    assert {1901, 1919, 1986, 1987, 1988, 1989, 1990, 1991} <= years
    assert years <= {1901, 1919} | set(range(1940, 1950)) | set(range(1986, 1992))


def test_icu_and_zoneinfo_agree_around_every_clock_change(con):
    """Every quarter of an hour of the day before and the day of each change 1900–1991, written in a form
    that takes the fast SQL path and one that takes the general path."""
    walls = []
    for day in shanghai_transitions():
        start = dt.datetime.combine(day - dt.timedelta(days=1), dt.time())
        walls += [start + dt.timedelta(minutes=15 * i) for i in range(2 * 96)]
    fast = [w.strftime("%Y-%m-%d %H:%M:%S") for w in walls]
    general = [f"{w.year} 年 {w.month} 月 {w.day} 日 {w.hour}时{w.minute}分" for w in walls]
    for w, text in zip(walls, fast, strict=True):
        assert DATETIME.check(text).value.astimezone(UTC) == later_reading(w), text
    agree(con, DATETIME, fast + general)
    agree(con, DATE, fast[::7] + general[::7])
    # ICU itself, as DuckDB's timezone() applies it
    icu = con.execute("SELECT timezone('Asia/Shanghai', CAST(w AS TIMESTAMP)) FROM unnest(?) t(w)", [fast]).fetchall()
    assert [row[0].astimezone(UTC) for row in icu] == [later_reading(w) for w in walls]


def test_shanghai_is_plain_utc8_from_1992(con):
    """What lets both forms skip the zone rules from 1992 on."""
    months = [dt.datetime(y, m, 15, 12) for y in range(1992, 2101) for m in range(1, 13)]
    assert all(m.replace(tzinfo=SH).utcoffset() == dt.timedelta(hours=8) for m in months)
    (differing,) = con.execute(
        "SELECT count(*) FROM generate_series(TIMESTAMP '1992-01-01', TIMESTAMP '2100-12-31', INTERVAL 10 DAY) t(w)"
        " WHERE epoch_us(timezone('Asia/Shanghai', w)) <> epoch_us(w) - 28800000000"
    ).fetchone()
    assert differing == 0


# --- SQL / Python agreement on generated and mutated data ------------------------------------------

_NOISE = "0123456789-/.: T年月日号时分秒点Z+,x０：　"


def mutate(rng: random.Random, text: str) -> str:
    """A near miss: one character replaced, dropped or added, or a date that does not exist."""
    i = rng.randrange(len(text) + 1)
    kind = rng.randrange(7)
    if kind == 0:
        return text[:i] + rng.choice(_NOISE) + text[i + 1 :]
    if kind == 1:
        return text[:i] + text[i + 1 :]
    if kind == 2:
        return text[:i] + rng.choice(_NOISE) + text[i:]
    if kind == 3:  # years at and beyond the bounds, two-digit years
        return re.sub("^[0-9]{4}", rng.choice(["19", "0000", "1899", "1900", "2100", "2101", "9999", "1986"]), text)
    if kind == 4:  # day or month first
        sep = rng.choice("-/.")
        return f"{rng.randrange(1, 32):02}{sep}{rng.randrange(1, 13):02}{sep}{rng.randrange(2100)}"
    if kind == 5:  # impossible days and clocks
        y, m, d = rng.randrange(1899, 2102), rng.randrange(0, 14), rng.randrange(0, 33)
        clock = rng.choice(
            [
                "",
                f" {rng.randrange(0, 30):02}:{rng.randrange(0, 99):02}",
                f" {rng.randrange(20, 30)}时{rng.randrange(0, 70)}分{rng.randrange(0, 70)}秒",
                f"T{rng.randrange(20, 30):02}:{rng.randrange(50, 70):02}:{rng.randrange(50, 70):02}"
                f"+{rng.randrange(0, 20):02}:{rng.randrange(0, 70):02}",
            ]
        )
        return rng.choice([f"{y:04}-{m:02}-{d:02}", f"{y}年{m}月{d}日", f"{y:04}{m:02}{d:02}"]) + clock
    return text + rng.choice(["Z", "+08", "-0530", ".5", ",123456789", "z", "T", " ", "+14:00", "+14:01", "-13:59:59"])


def generated_inputs(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    inputs = []
    for _ in range(count):
        text = D.generate(rng, messy=0.1)
        inputs.append(text if rng.random() < 0.4 else mutate(rng, text))
    return inputs + [str(rng.randrange(10 ** rng.randrange(1, 15))) for _ in range(count // 20)]


def test_vectorized_agrees_on_generated_values(con):
    inputs = generated_inputs(seed=11, count=3000)
    reasons = {DATETIME.check(v).reason for v in inputs}
    assert reasons == {None, "format", "ambiguous", "invalid_date", "invalid_time", "out_of_range"}
    agree(con, DATETIME, inputs)
    agree(con, DATE, inputs)
    agree(con, PAST_DATE, inputs[::3])


def test_sql_grammar_is_the_python_grammar():
    """STRICT (SQL, no groups) accepts exactly the cleaned values that _parse takes for a date/time,
    valid or not."""
    strict = re.compile(D.STRICT)
    for text in generated_inputs(seed=5, count=20000):
        parsed = D._parse(text)
        in_python = parsed is not None and parsed not in ("format", "ambiguous")
        assert (strict.fullmatch(text.translate(D._CLEAN).strip(" ")) is not None) == in_python, text


@given(text=st.from_regex(re.compile(D.GRAMMAR, re.ASCII), fullmatch=True))
@settings(max_examples=300)
def test_sql_grammar_agrees_on_anything_the_python_regex_admits(text):
    in_python = D._parse(text) not in ("format", "ambiguous", None)
    assert (re.fullmatch(D.STRICT, text) is not None) == in_python


FAST_GATES = ("_FAST_DASH", "_FAST_SLASH", "_FAST_DOT", "_FAST_CHINESE", "_FAST_EPOCH", "_FAST_ZONED")


@given(
    drawn=st.tuples(
        *(
            st.lists(st.from_regex(re.compile(getattr(D, g), re.ASCII), fullmatch=True), min_size=20, max_size=80)
            for g in FAST_GATES
        )
    )
)
@settings(
    max_examples=5,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.large_base_example],
    deadline=None,
)
def test_fast_paths_are_part_of_the_grammar_and_agree(drawn, con):
    """Anything a fast-path gate admits (including 0000-00-00, 23:59 or 9-digit fractions) is in the
    grammar, and DuckDB's casts agree with check() on it. (One query per type: each costs ~0.1 s to plan.)"""
    inputs = [text for texts in drawn for text in texts]
    for text in inputs:
        assert D._GRAMMAR_RE.fullmatch(text), text
    agree(con, DATETIME, inputs)
    agree(con, DATE, inputs)


def test_epochs_before_1992_take_the_zone_rules(con):
    """An epoch with leading zeros can fall in Shanghai's summer time (1986–1991): 0556212732 is
    1987-08-17 15:32:12 UTC, 1987-08-18 00:32:12 in Shanghai (UTC+9 then); the date is the 18th."""
    inputs = ["0556212732", "0556212732000", "0000000000", "1000000000", "0670000000"]
    agree(con, DATETIME, inputs)
    agree(con, DATE, inputs)
    assert DATE.check("0556212732").value == dt.date(1987, 8, 18)
