"""The GB/T 2260 division table (model/divisions.py, data/divisions.csv) and the ``division_code`` type."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policecloud.data.model.divisions import SQL_TABLE, Division, Divisions, load_divisions, short_forms
from policecloud.data.model.types.base import FULLWIDTH_CHARS, HALFWIDTH_CHARS
from policecloud.data.model.types.division import DivisionCode, normalize_code
from policecloud.data.model.vectorized import check_values

DIVISION_CODE = DivisionCode()
CSV = Path(__file__).resolve().parents[2] / "src" / "policecloud" / "data" / "model" / "data" / "divisions.csv"

HUBEI_PREFECTURE_LEVEL = {
    "420100": "武汉市", "420200": "黄石市", "420300": "十堰市", "420500": "宜昌市", "420600": "襄阳市",
    "420700": "鄂州市", "420800": "荆门市", "420900": "孝感市", "421000": "荆州市", "421100": "黄冈市",
    "421200": "咸宁市", "421300": "随州市", "422800": "恩施土家族苗族自治州",
    "429004": "仙桃市", "429005": "潜江市", "429006": "天门市", "429021": "神农架林区",
}  # fmt: skip
# The current county-level units of each Hubei prefecture: last two digits of the code and the name.
HUBEI_COUNTIES = {
    "420100": "02江岸区 03江汉区 04硚口区 05汉阳区 06武昌区 07青山区 11洪山区 12东西湖区 13汉南区 14蔡甸区 "
    "15江夏区 16黄陂区 17新洲区",
    "420200": "02黄石港区 03西塞山区 04下陆区 05铁山区 22阳新县 81大冶市",
    "420300": "02茅箭区 03张湾区 04郧阳区 22郧西县 23竹山县 24竹溪县 25房县 81丹江口市",
    "420500": "02西陵区 03伍家岗区 04点军区 05猇亭区 06夷陵区 25远安县 26兴山县 27秭归县 28长阳土家族自治县 "
    "29五峰土家族自治县 81宜都市 82当阳市 83枝江市",
    "420600": "02襄城区 06樊城区 07襄州区 24南漳县 25谷城县 26保康县 82老河口市 83枣阳市 84宜城市",
    "420700": "02梁子湖区 03华容区 04鄂城区",
    "420800": "02东宝区 04掇刀区 22沙洋县 81钟祥市 82京山市",
    "420900": "02孝南区 21孝昌县 22大悟县 23云梦县 81应城市 82安陆市 84汉川市",
    "421000": "02沙市区 03荆州区 22公安县 24江陵县 81石首市 83洪湖市 87松滋市 88监利市",
    "421100": "02黄州区 21团风县 22红安县 23罗田县 24英山县 25浠水县 26蕲春县 27黄梅县 81麻城市 82武穴市",
    "421200": "02咸安区 21嘉鱼县 22通城县 23崇阳县 24通山县 81赤壁市",
    "421300": "03曾都区 21随县 81广水市",
    "422800": "01恩施市 02利川市 22建始县 23巴东县 25宣恩县 26咸丰县 27来凤县 28鹤峰县",
}


@pytest.fixture(scope="module")
def divisions() -> Divisions:
    return load_divisions()


# --- Hubei ------------------------------------------------------------------------------------------------
def test_hubei_has_17_prefecture_level_units(divisions):
    assert {d.code: d.name for d in divisions.children("420000")} == HUBEI_PREFECTURE_LEVEL


def test_every_current_county_level_unit_of_hubei(divisions):
    for prefecture, listed in HUBEI_COUNTIES.items():
        expected = {prefecture[:4] + item[:2]: item[2:] for item in listed.split()}
        assert {d.code: d.name for d in divisions.children(prefecture)} == expected, prefecture
    counties = [d for d in divisions if d.code.startswith("42") and d.current and d.level == "county"]
    assert len([d for d in counties if not d.grouping]) == 103  # 99 under prefectures, 4 under the province


def test_county_level_units_under_the_province(divisions):
    for code in ("429004", "429005", "429006", "429021"):
        d = divisions.get(code)
        assert (d.level, d.parent, d.grouping, d.current) == ("county", "420000", False, True)
    grouping = divisions.get("429000")
    assert grouping.grouping and grouping.name == "省直辖县级行政区划" and grouping.level == "prefecture"
    assert "429000" not in {d.code for d in divisions.children("420000")}
    assert divisions.is_known("429000") and divisions.is_known("420101")  # old ID numbers carry such codes


def test_hubei_history(divisions):
    xiangyang = divisions.get("420600")
    assert xiangyang.name == "襄阳市" and "襄樊市" in xiangyang.former_names
    assert divisions.get("420600", 2005).name == "襄樊市"
    assert divisions.get("420600", 2015).name == "襄阳市"
    assert divisions.get("420607", 2005).name == "襄阳区"
    jianli = divisions.get("421023")
    assert (jianli.name, jianli.last_year, jianli.successor) == ("监利县", 2020, "421088")
    assert divisions.get("421088").first_year == 2020
    assert divisions.get("420321").successor == "420304"  # 郧县 → 郧阳区, 2014
    assert divisions.get("420321").last_year == 2014
    assert divisions.get("420621").successor == "420607"  # 襄阳县 → 襄阳区 (now 襄州区)
    assert divisions.get("422100").successor == "421100"  # 黄冈地区 → 黄冈市


def test_get_by_year(divisions):
    assert divisions.get("421023", 2010).name == "监利县"
    assert divisions.get("421023", 2022) is None
    assert divisions.get("421088", 2010) is None
    assert divisions.get("421088", 2024).name == "监利市"
    assert divisions.get("420111", 1950).name == "洪山区"  # listed in the first revision: "1980 or earlier"
    assert divisions.get("999999") is None and divisions.get("999999", 2000) is None


def test_current_follows_successors(divisions):
    assert divisions.current("421023").code == "421088"
    assert divisions.current("420621").name == "襄州区"
    assert divisions.current("420321").name == "郧阳区"
    assert divisions.current("420111").code == "420111"
    assert divisions.current("999999") is None
    assert divisions.is_current("421088") and not divisions.is_current("421023")


def test_hierarchy(divisions):
    assert [d.code for d in divisions.ancestors("420111")] == ["420100", "420000"]
    assert [d.code for d in divisions.ancestors("429004")] == ["420000"]
    assert divisions.ancestors("420000") == []
    assert divisions.province_of("422801").code == "420000"
    assert divisions.prefecture_of("422801").code == "422800"
    assert divisions.prefecture_of("420100").code == "420100"
    assert divisions.prefecture_of("429004").code == "429004"
    assert divisions.prefecture_of("420000") is None
    assert divisions.province_of("999999") is None
    assert [d.code for d in divisions.children("421300")] == ["421303", "421321", "421381"]
    retired_too = {d.code for d in divisions.children("421000", current_only=False)}
    assert {"421023", "421088"} <= retired_too


def test_full_name(divisions):
    assert divisions.full_name("420111") == "湖北省武汉市洪山区"
    assert divisions.full_name("422801") == "湖北省恩施土家族苗族自治州恩施市"
    assert divisions.full_name("429004") == "湖北省仙桃市"
    assert divisions.full_name("110101") == "北京市东城区"
    assert divisions.full_name("999999") is None


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("武汉市", "420100"), ("武汉", "420100"), ("洪山区", "420111"), ("洪山", "420111"),
        ("恩施州", "422800"), ("恩施土家族苗族自治州", "422800"), ("神农架林区", "429021"),
        ("神农架", "429021"), ("湖北", "420000"), ("湖北省", "420000"), ("襄樊", "420600"),
        ("襄樊市", "420600"), ("监利", "421088"), ("仙桃", "429004"), ("长阳", "420528"),
        ("长阳县", "420528"), ("内蒙古", "150000"), ("新疆", "650000"), ("广西", "450000"),
        ("香港", "810000"), (" 武 汉 ", "420100"),
    ],
)  # fmt: skip
def test_find_puts_the_current_unit_first(divisions, name, code):
    assert divisions.find(name)[0].code == code


def test_find_within_and_ambiguity(divisions):
    assert {d.code for d in divisions.find("恩施")} >= {"422800", "422801"}
    assert [d.code for d in divisions.find("恩施", within="422800")] == ["422801"]
    assert [d.code for d in divisions.find("洪山", within="420000")] == ["420111"]
    assert divisions.find("洪山", within="110000") == []
    assert divisions.find("郧") == []  # a one-character stem is no short name
    assert divisions.find("不存在的地方") == []


def _division(code: str, name: str, parent: str | None, last_year: int | None = None) -> Division:
    level = "province" if code.endswith("0000") else "prefecture" if code.endswith("00") else "county"
    return Division(code, name, level, parent, 1980, last_year, None, None, None)


def test_short_names_must_be_unambiguous_among_siblings():
    table = Divisions(
        [
            _division("990000", "测试省", None),
            _division("990100", "甲乙市", "990000"),
            _division("990102", "朝阳区", "990100"),
            _division("990121", "朝阳县", "990100"),  # 朝阳 names two siblings: neither gets it
            _division("990122", "丙丁县", "990100", last_year=1990),
            _division("990123", "丙丁区", "990100"),  # the current unit takes 丙丁 from the retired one
        ]
    )
    assert table.find("朝阳") == []
    assert [d.code for d in table.find("朝阳县")] == ["990121"]
    assert [d.code for d in table.find("丙丁")] == ["990123"]
    assert [d.code for d in table.find("甲乙")] == ["990100"]
    assert [d.code for d in table.find("测试")] == ["990000"]


@pytest.mark.parametrize(
    ("name", "forms"),
    [
        ("湖北省", ["湖北"]), ("新疆维吾尔自治区", ["新疆"]), ("内蒙古自治区", ["内蒙古"]),
        ("广西壮族自治区", ["广西"]), ("香港特别行政区", ["香港"]), ("恩施土家族苗族自治州", ["恩施", "恩施州"]),
        ("互助土族自治县", ["互助", "互助县"]), ("积石山保安族东乡族撒拉族自治县", ["积石山", "积石山县"]),
        ("巴音郭楞蒙古自治州", ["巴音郭楞", "巴音郭楞州"]), ("神农架林区", ["神农架"]), ("黄冈地区", ["黄冈"]),
        ("锡林郭勒盟", ["锡林郭勒"]), ("鄂伦春自治旗", ["鄂伦春", "鄂伦春旗"]), ("郧县", []), ("赵县", []),
        ("井陉矿区", ["井陉矿"]),
    ],
)  # fmt: skip
def test_short_forms(name, forms):
    assert short_forms(name) == forms


# --- the table as a whole ---------------------------------------------------------------------------------
def test_table_is_consistent(divisions):
    assert CSV.stat().st_size < 1_000_000
    for d in divisions:
        assert len(d.code) == 6 and d.code.isdigit()
        assert d.level in ("province", "prefecture", "county")
        assert (d.parent is None) == (d.level == "province")
        if d.parent:
            assert divisions.is_known(d.parent) and divisions.get(d.parent).level != "county"
        assert d.last_year is None or d.first_year <= d.last_year
        if d.successor:
            assert d.last_year is not None and divisions.is_known(d.successor)
        assert len(d.former_names) == len(d.former_until)
        if d.current and not d.grouping and d.level != "province":
            assert d.lon is None or (73 < d.lon < 136 and 3 < d.lat < 54)
    provinces = [d for d in divisions if d.level == "province" and d.current]
    assert len(provinces) == 34  # 23 provinces incl. Taiwan, 5 autonomous regions, 4 municipalities, HK, Macao


def test_coordinates_of_current_units(divisions):
    wuhan = divisions.get("420100")
    assert 113.7 < wuhan.lon < 115.1 and 29.9 < wuhan.lat < 31.4
    current_units = [d for d in divisions if d.current and not d.grouping and not d.code.startswith("71")]
    assert sum(d.lon is not None for d in current_units) / len(current_units) > 0.97


def test_load_is_cached():
    assert load_divisions() is load_divisions()


def test_duckdb_table(duck, divisions):
    divisions.sql_setup(duck)
    divisions.sql_setup(duck)  # idempotent
    rows = duck.sql(
        f"SELECT code, name, current_code, province, prefecture, full_name FROM {SQL_TABLE} "
        "WHERE code IN ('420111', '421023', '429004') ORDER BY code"
    ).fetchall()
    assert rows == [
        ("420111", "洪山区", "420111", "420000", "420100", "湖北省武汉市洪山区"),
        ("421023", "监利县", "421088", "420000", "421000", "湖北省荆州市监利县"),
        ("429004", "仙桃市", "429004", "420000", "429004", "湖北省仙桃市"),
    ]
    assert duck.sql(f"SELECT count(*) FROM {SQL_TABLE}").fetchall()[0][0] == len(divisions)


# --- the division_code element type -----------------------------------------------------------------------
ALL_CODES = sorted(load_divisions().codes())


def noisy(code: str, rng: random.Random) -> str:
    """The same code as sources write it: full-width digits, blanks, the 12-digit statistical form."""
    if rng.random() < 0.2:
        code += "000000"
    if rng.random() < 0.3:
        code = code.translate(str.maketrans(HALFWIDTH_CHARS, FULLWIDTH_CHARS))
    if rng.random() < 0.3:
        cut = rng.randrange(len(code) + 1)
        code = code[:cut] + rng.choice([" ", "\u3000", "\t"]) + code[cut:]
    return rng.choice(["", " ", "\u3000"]) + code + rng.choice(["", " ", "\n"])


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(ALL_CODES), st.randoms(use_true_random=False))
def test_every_known_code_validates_however_written(code, rng):
    result = DIVISION_CODE.check(noisy(code, rng))
    assert result.ok and result.value == code
    assert result.details["current"] == load_divisions().is_current(code)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789０１２３ \u3000xX-", max_size=14))
def test_normalization_is_idempotent(raw):
    once = normalize_code(raw)
    assert normalize_code(once) == once
    result = DIVISION_CODE.check(raw)
    if result.ok and result.value is not None:
        assert DIVISION_CODE.check(result.value).value == result.value


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(ALL_CODES))
def test_single_substitutions_are_accepted_exactly_when_the_result_is_a_known_code(code):
    # A division code has no check digit, so a substituted digit that lands on another known code cannot be
    # caught; every other substitution must be refused as unknown.
    for i in range(6):
        for digit in "0123456789":
            if digit == code[i]:
                continue
            mutated = code[:i] + digit + code[i + 1 :]
            result = DIVISION_CODE.check(mutated)
            assert result.ok == load_divisions().is_known(mutated)
            assert result.ok or result.reason == "unknown"


def test_vectorized_agrees_with_check(duck):
    rng = random.Random(2260)
    values: list[object] = []
    for _ in range(3000):
        code = rng.choice(ALL_CODES)
        kind = rng.random()
        if kind < 0.4:
            values.append(noisy(code, rng))
        elif kind < 0.7:
            i = rng.randrange(6)
            values.append(code[:i] + rng.choice("0123456789") + code[i + 1 :])
        elif kind < 0.85:
            values.append(code[: rng.randrange(6)] + rng.choice(["", "X", "-", "+", "_", "Ａ", "\u00a0", "0000000"]))
        else:
            values.append(rng.choice([None, "", "  ", "abc", "420111001000", "４２O１１１"]))
    for raw, (_, value, reason) in zip(values, check_values(duck, DIVISION_CODE, values), strict=True):
        expected = DIVISION_CODE.check(raw)
        assert (value, reason) == (expected.value, expected.reason), raw
