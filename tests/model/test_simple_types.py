"""The simple element types: enum binding, idempotent normalization, and agreement between the Python and
the DuckDB forms on thousands of generated (often malformed) values. Golden cases are in tests/golden/types."""

from __future__ import annotations

import random
import unicodedata

import pyarrow as pa
import pytest

from policecloud.data.model import types as element_types
from policecloud.data.model.types.simple_codes import BODY_COLORS, PLATE_TYPES, EnumType, EnumValue
from policecloud.data.model.vectorized import check_values

SIMPLE = [
    "string", "text", "name", "entity", "integer", "number", "boolean",
    "sex", "geo_point", "color", "plate_type",
]  # fmt: skip

ORG_TYPES = EnumType().bind(
    [
        EnumValue("hotel", "旅馆", "hotel", ("宾馆", "酒店")),
        EnumValue("internet_cafe", "网吧", "internet café", ("Internet Cafe",)),
        EnumValue("pawn_shop", "典当", "pawn shop"),
    ]
)

# Characters the generated values are drawn from, per type: the ones that matter plus noise.
NOISE = " \t\r\n\u3000\xa0\x01\x7f.,;·•・-'()（）@#"
ALPHABETS = {
    "string": "abcXYZ019张三旅馆" + "ａｂ１２　" + NOISE,
    "text": "abc张三，。！" + "ａ１" + NOISE,
    "name": "张王李欧阳阿卜杜买提〇𠈌⽊⾦豈abcJOHN" + "ａｂ" + "19１" + NOISE,
    "entity": "abc019:_-ｐ１" + NOISE,
    "integer": "0123456789１２+-.,eE x",
    "number": "0123456789１２+-.,eE xinf",
    "boolean": "是否真假truefalsyesnoTFYN10１ ",
    "sex": "男女性未知说明的12390mfMFaleun ",
    "geo_point": "0123456789１.,;， -POINTpoint()",
    "color": "白灰黄粉红紫绿蓝棕黑紅其他它色/、+ ABCHIJZKahwitered",
    "plate_type": "0123456789１２小型大汽车号牌挂新能源 smalvehicl",
}


def generated_values(type_name: str, count: int, seed: int = 7) -> list[str]:
    rng = random.Random(f"{type_name}-{seed}")
    alphabet = ALPHABETS[type_name]
    values = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(count)]
    values += valid_looking(type_name, rng, count // 2)
    return values


def valid_looking(type_name: str, rng: random.Random, count: int) -> list[str]:
    """Mostly valid values, so that the valid path is exercised as much as the failing ones."""
    make = {
        "integer": lambda: str(rng.randint(-(10**19), 10**19)),
        "number": lambda: f"{rng.uniform(-1e6, 1e6):.{rng.randint(0, 9)}f}",
        "geo_point": lambda: f"{rng.uniform(70, 140):.{rng.randint(0, 9)}f},{rng.uniform(0, 60):.{rng.randint(0, 9)}f}",
        "color": lambda: "".join(rng.sample("ABCDEFGHIJZ白蓝黑红", rng.randint(1, 3))),
        "plate_type": lambda: rng.choice([*PLATE_TYPES, *(zh for zh, _ in PLATE_TYPES.values())]),
        "name": lambda: rng.choice(["张", "欧阳", "阿卜杜"]) + rng.choice(["", " ", "·", ".", "•"]) + "买提",
    }.get(type_name, lambda: rng.choice(["abc", "张三", " x ", "1"]))
    return [make() for _ in range(count)]


@pytest.mark.parametrize("type_name", SIMPLE)
def test_type_is_registered_and_vectorized(type_name: str) -> None:
    etype = element_types.get(type_name)
    assert etype.name == type_name
    assert etype.vectorized
    assert etype.reasons, "every type declares its reason codes"


@pytest.mark.parametrize("type_name", SIMPLE)
def test_vectorized_form_agrees_with_check_on_generated_values(type_name: str, duck) -> None:
    etype = element_types.get(type_name)
    values = generated_values(type_name, 1500)
    rows = check_values(duck, etype, values)
    disagreements = []
    valid = 0
    for raw, (_, value, reason) in zip(values, rows, strict=True):
        expected = etype.check(raw)
        valid += expected.ok and expected.value is not None
        if reason != expected.reason or value != expected.value:
            disagreements.append((raw, expected.value, expected.reason, value, reason))
    assert not disagreements, disagreements[:10]
    assert valid > 100, "the generated values should include many valid ones"


@pytest.mark.parametrize("type_name", [t for t in SIMPLE if element_types.get(t).sql_type == "VARCHAR"])
def test_normalization_is_idempotent(type_name: str) -> None:
    etype = element_types.get(type_name)
    for raw in generated_values(type_name, 1000, seed=11):
        result = etype.check(raw)
        if result.ok and result.value is not None:
            again = etype.check(result.value)
            assert again.ok and again.value == result.value, (raw, result.value, again)


def test_valid_names_are_nfkc_normalized() -> None:
    name = element_types.get("name")
    for raw in generated_values("name", 2000, seed=3):
        value = name.check(raw).value
        if value is not None:
            assert unicodedata.normalize("NFKC", value) == value, (raw, value)
            assert not any(c.isdigit() for c in value)


def test_bound_enum_accepts_codes_labels_and_aliases() -> None:
    for raw in ("hotel", "HOTEL", "旅馆", " 宾馆 ", "酒店", "Hotel"):
        assert ORG_TYPES.check(raw).value == "hotel", raw
    assert ORG_TYPES.check("internet cafe").value == "internet_cafe"
    assert ORG_TYPES.check("网吧").details == {"label_zh": "网吧", "label_en": "internet café"}
    assert ORG_TYPES.check("旅店").reason == "value"
    assert ORG_TYPES.check("  ").missing


def test_unbound_enum_accepts_nothing() -> None:
    assert element_types.get("enum").check("hotel").reason == "value"


def test_enum_refuses_a_name_claimed_by_two_values() -> None:
    with pytest.raises(ValueError, match="宾馆"):
        EnumType().bind([EnumValue("hotel", "旅馆", "hotel", ("宾馆",)), EnumValue("inn", "客栈", "inn", ("宾馆",))])


def test_bound_enum_vectorized_agrees(duck) -> None:
    values = ["hotel", "旅馆", "宾馆", "Internet  Cafe", "典当", "pawn", "", None, "ＨＯＴＥＬ", "网 吧"]
    rows = check_values(duck, ORG_TYPES, values)
    assert [r[1] for r in rows] == [ORG_TYPES.check(v).value for v in values]
    assert [r[2] for r in rows] == [ORG_TYPES.check(v).reason for v in values]
    assert [r[1] for r in rows][:4] == ["hotel", "hotel", "hotel", "internet_cafe"]


def test_every_colour_and_plate_type_name_is_accepted() -> None:
    color, plate_type = element_types.get("color"), element_types.get("plate_type")
    for code, (zh, en) in BODY_COLORS.items():
        assert color.check(zh).value == code
        assert color.check(zh + "色").value == code or zh == "其他"
        assert color.check(en).value == code
        assert color.check(code.lower()).value == code
    for code, (zh, en) in PLATE_TYPES.items():
        assert plate_type.check(zh).value == code
        assert plate_type.check(en.upper()).value == code
        assert plate_type.check(int(code)).value == code


def test_sex_reports_the_gb_t_2261_code() -> None:
    sex = element_types.get("sex")
    assert [sex.check(v).details["code"] for v in ("男", "女", "未知", "未说明")] == ["1", "2", "0", "9"]


def test_geo_point_rounds_to_six_decimals_and_reads_swaps() -> None:
    point = element_types.get("geo_point")
    assert point.check("114.1234567,30.0000004").value == "114.123457,30.000000"
    assert point.check("30.5,114.3").reason == "swapped"
    assert point.message("swapped", "zh-CN").startswith("经纬度")


@pytest.mark.parametrize("type_name", [t for t in SIMPLE if element_types.get(t).sql_unchanged_valid("v")])
def test_unchanged_valid_holds_only_where_the_text_is_its_valid_value(type_name: str, duck) -> None:
    """Where a type's ``sql_unchanged_valid`` holds, ingestion takes the raw text as the value without
    normalizing it: check() must give that text, valid, for every such value (and it must hold on many)."""
    etype = element_types.get(type_name)
    edge = ["x" * 1000, "x" * 1001, "", "a\x7fb", "ab\x0b", "ａb", "a\u3000", "a\xa0"]
    values = generated_values(type_name, 3000) + edge
    duck.register("_values", pa.table({"v": values}))
    try:
        held = [r[0] for r in duck.sql(f"SELECT v FROM _values WHERE {etype.sql_unchanged_valid('v')}").fetchall()]
    finally:
        duck.unregister("_values")
    assert len(held) > 100 and "x" * 1000 in held
    assert not set(edge[1:]) & set(held)
    wrong = [raw for raw in held if (etype.check(raw).value, etype.check(raw).reason) != (raw, None)]
    assert not wrong, wrong[:10]
