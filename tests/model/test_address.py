"""The address parser: golden-set accuracy, each normalization, conventions, batching and round trips."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policecloud.data.model import types as element_types
from policecloud.data.model.address import ELEMENTS, AddressParser, parse_address, parse_many
from policecloud.data.model.address.golden import SCORED, load_golden, score
from policecloud.data.model.address.text import clean, cn_to_int
from policecloud.data.model.divisions import load_divisions
from policecloud.data.model.types.address import AddressType

GOLDEN_PATH = Path(__file__).resolve().parent.parent / "golden" / "addresses.yaml"
GOLDEN = load_golden(GOLDEN_PATH)
RAW_CASES = yaml.safe_load(GOLDEN_PATH.read_text(encoding="utf-8"))["cases"]


def elements_of(text: str) -> dict[str, str | None]:
    return {k: v for k, v in parse_address(text).elements().items() if v}


# --- the golden set ----------------------------------------------------------------------------------------
def test_golden_set_is_large_and_covers_every_prefecture_of_hubei():
    assert len(GOLDEN) >= 200
    assert len({c.text for c in GOLDEN}) == len(GOLDEN)
    hubei_units = {d.code for d in load_divisions().children("420000")}
    covered = {c.expected["city_code"] for c in GOLDEN}
    assert hubei_units <= covered, sorted(hubei_units - covered)
    assert sum(1 for c in GOLDEN if c.expected["county"]) >= 200


def test_golden_set_accuracy_is_at_least_95_percent():
    result = score(GOLDEN, parse_many([c.text for c in GOLDEN]))
    assert result.accuracy() >= 0.95, result.wrong_cases
    for name in SCORED:
        assert result.accuracy(name) >= 0.9, (name, [w for w in result.wrong_cases if name in w[1]])


def test_accuracy_counts_wrongly_filled_elements_and_skips_elements_both_leave_empty():
    case = load_golden(GOLDEN_PATH)[0]
    wrong = parse_address(case.text + "3栋")  # adds a building the case does not expect
    result = score([case], [wrong])
    assert result.counted["building"] == 1 and result.right["building"] == 0
    assert result.counted["unit"] == 0
    assert result.accuracy() < 1.0


# --- normalizations ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # full-width digits and letters
        ("洪山区珞喻路１０３７号", {"number": "1037号"}),
        ("洪山区光谷国际广场Ａ座１５０５室", {"building": "A栋", "room": "1505室"}),
        ("洪山区光谷国际广场a座", {"building": "A栋"}),
        # Chinese numerals in numbered positions
        ("武昌区张之洞路9号三栋二单元五零一室", {"building": "3栋", "unit": "2单元", "room": "501室"}),
        ("洪山区关山大道十八号", {"number": "18号"}),
        ("江岸区香港路8号十二楼", {"floor": "12层"}),
        ("樊城区长虹路5号2栋二〇一室", {"room": "201室"}),
        ("江夏区金口街道槐山村五组", {"road": "5组"}),
        # … and not in names
        ("十堰市张湾区", {"city": "十堰市"}),
        ("江岸区三阳路25号", {"road": "三阳路"}),
        ("江岸区二七路58号", {"road": "二七路"}),
        ("江岸区一元路12号", {"road": "一元路"}),
        ("江汉区中山大道六渡桥", {"road": "中山大道", "poi": "六渡桥"}),
        ("宜昌市西陵区胜利四路12号", {"road": "胜利四路"}),
        ("宜昌市夷陵区三斗坪镇", {"township": "三斗坪镇"}),
        # building / unit / room variants
        ("江岸区京汉大道1号3幢", {"building": "3栋"}),
        ("江岸区京汉大道1号3号楼", {"building": "3栋"}),
        ("江岸区京汉大道1号3座", {"building": "3栋"}),
        ("江岸区京汉大道1号3#楼", {"building": "3栋"}),
        ("江岸区京汉大道1号3栋2单元号", {"unit": "2单元"}),
        ("江岸区京汉大道1号3栋502房", {"room": "502室"}),
        ("江岸区京汉大道1号3栋502号房", {"room": "502室"}),
        ("江岸区京汉大道1号3栋502房间", {"room": "502室"}),
        ("江岸区京汉大道1号3栋2单元502号", {"room": "502室"}),
        ("江岸区京汉大道1号3栋502", {"room": "502室"}),
        ("江岸区京汉大道1号3-2-501", {"building": "3栋", "unit": "2单元", "room": "501室"}),
        ("江岸区京汉大道1号3栋2-501", {"building": "3栋", "unit": "2单元", "room": "501室"}),
        ("江岸区京汉大道1号东湖小区3-501", {"poi": "东湖小区", "building": "3栋", "room": "501室"}),
        ("江岸区京汉大道100#", {"number": "100号"}),
        ("硚口区宝丰路8-2号", {"number": "8-2号"}),
        ("江岸区胜利街8号附1号", {"number": "8号附1号"}),
        # spaces and punctuation
        ("湖北省 武汉市\t洪山区，珞喻路（1037号）", {"county": "洪山区", "road": "珞喻路", "number": "1037号"}),
        # township and community forms
        ("洪山区洪山街道办事处", {"township": "洪山街道"}),
        ("武昌区紫阳街办紫阳路256号", {"township": "紫阳街道", "road": "紫阳路"}),
        ("洪山区珞南街道广八路社区居委会", {"community": "广八路社区"}),
        ("黄陂区木兰乡双泉村委会", {"community": "双泉村"}),
        ("黄陂区木兰乡双泉村民委员会", {"community": "双泉村"}),
        ("武穴市田家镇街道", {"township": "田家镇街道"}),
        ("襄阳市樊城区七里河路9号", {"road": "七里河路"}),
        ("洪山区雄楚大道东段6号", {"road": "雄楚大道东段"}),
    ],
)
def test_normalization(text, expected):
    got = elements_of(text)
    for name, value in expected.items():
        assert got.get(name) == value, (text, name, got)


@pytest.mark.parametrize("text", ["十二", "二十", "一百零一", "五零一", "二〇一", "12"])
def test_numerals(text):
    assert cn_to_int(text) == {"十二": 12, "二十": 20, "一百零一": 101, "五零一": 501, "二〇一": 201, "12": 12}[text]
    assert cn_to_int("六渡桥") is None


def test_clean_is_idempotent_and_drops_only_noise():
    raw = "湖北省，武汉市 洪山区\u3000珞喻路１０３７号（华中科技大学）3—2—501"
    assert clean(raw) == "湖北省武汉市洪山区珞喻路1037号华中科技大学3-2-501"
    assert clean(clean(raw)) == clean(raw)


# --- divisions: filling, short and old names, conventions --------------------------------------------------
@pytest.mark.parametrize(
    ("text", "province", "city", "county", "codes"),
    [
        ("洪山区珞喻路", "湖北省", "武汉市", "洪山区", ("420000", "420100", "420111")),
        ("宜都市陆城街道", "湖北省", "宜昌市", "宜都市", ("420000", "420500", "420581")),
        ("武汉洪山区", "湖北省", "武汉市", "洪山区", ("420000", "420100", "420111")),
        ("恩施州建始县业州镇", "湖北省", "恩施土家族苗族自治州", "建始县", ("420000", "422800", "422822")),
        ("恩施舞阳坝街道", "湖北省", "恩施土家族苗族自治州", "恩施市", ("420000", "422800", "422801")),
        ("湖北荆州沙市区", "湖北省", "荆州市", "沙市区", ("420000", "421000", "421002")),
        ("湖北宜昌西陵区", "湖北省", "宜昌市", "西陵区", ("420000", "420500", "420502")),
        ("宜昌市长阳县龙舟坪镇", "湖北省", "宜昌市", "长阳土家族自治县", ("420000", "420500", "420528")),
        ("襄樊市樊城区", "湖北省", "襄阳市", "樊城区", ("420000", "420600", "420606")),
        ("荆州市监利县容城镇", "湖北省", "荆州市", "监利市", ("420000", "421000", "421088")),
        ("监利市朱河镇", "湖北省", "荆州市", "监利市", ("420000", "421000", "421088")),
        ("十堰市郧县城关镇", "湖北省", "十堰市", "郧阳区", ("420000", "420300", "420304")),
        ("仙桃市沙嘴街道", "湖北省", "仙桃市", "仙桃市", ("420000", "429004", "429004")),
        ("神农架木鱼镇", "湖北省", "神农架林区", "神农架林区", ("420000", "429021", "429021")),
        ("北京市朝阳区建国路88号", "北京市", "北京市", "朝阳区", ("110000", "110100", "110105")),
        ("青山区红卫路街道", "湖北省", "武汉市", "青山区", ("420000", "420100", "420107")),
        ("随州市随县洪山镇", "湖北省", "随州市", "随县", ("420000", "421300", "421321")),
    ],
)
def test_divisions_are_filled_and_named_today(text, province, city, county, codes):
    a = parse_address(text)
    assert (a.province, a.city, a.county) == (province, city, county)
    assert (a.province_code, a.city_code, a.county_code) == codes


def test_home_province_decides_homonymous_districts():
    assert AddressParser(home_province="150000").parse("青山区").county_code == "150204"


@pytest.mark.parametrize(
    "text", ["武汉市江汉路118号", "武汉市黄陂路", "武汉市汉阳大道", "十堰市北京北路8号", "武汉市东湖路"]
)
def test_short_division_names_inside_street_names_are_not_divisions(text):
    a = parse_address(text)
    assert a.county is None and a.city in ("武汉市", "十堰市")
    assert a.road is not None and a.road in text


def test_contradicting_divisions_are_reported():
    a = parse_address("武汉市宜都市陆城街道")
    assert a.conflicts == ("宜都市",) and a.city == "武汉市" and a.county is None
    assert a.township == "陆城街道"
    assert parse_address("湖北省武汉市恩施州").conflicts == ("恩施州",)
    assert parse_address("武汉市东湖风景区").conflicts == ()


def test_a_label_before_the_divisions_is_skipped_with_cpca_and_left_unparsed():
    a = parse_address("住址：湖北省武汉市洪山区珞喻路1037号")
    assert (a.county, a.road, a.unparsed) == ("洪山区", "珞喻路", "住址")


def test_trailing_words_and_intersections_are_left_unparsed():
    assert parse_address("江汉区江汉路118号附近").unparsed == "附近"
    a = parse_address("宜昌市西陵区夷陵大道与东山大道交汇处")
    assert (a.road, a.poi, a.unparsed) == ("夷陵大道", None, "与东山大道交汇处")


@pytest.mark.parametrize("text", ["", "   ", "不详", "无", "---", "12345", "华中科技大学"])
def test_text_without_address_elements_parses_empty(text):
    assert parse_address(text).empty


def test_normalized_names_a_repeated_unit_once():
    assert parse_address("仙桃市沙嘴街道").normalized == "湖北省仙桃市沙嘴街道"
    assert parse_address("北京市朝阳区建国路88号").normalized == "北京市朝阳区建国路88号"
    assert parse_address("洪山区珞喻路１０３７号3-2-501").normalized == "湖北省武汉市洪山区珞喻路1037号3栋2单元501室"


# --- idempotence and batches -------------------------------------------------------------------------------
@pytest.mark.parametrize("case", RAW_CASES, ids=lambda c: c["in"])
def test_parsing_the_normalized_text_gives_the_same_elements(case):
    first = parse_address(case["in"])
    again = parse_address(first.normalized)
    assert again.elements() == first.elements()
    assert again.normalized == first.normalized


def test_parse_many_matches_parse_and_caches_repeats(monkeypatch):
    import cpca

    calls = []
    real = cpca.transform
    monkeypatch.setattr(cpca, "transform", lambda texts, **kw: calls.append(list(texts)) or real(texts, **kw))
    parser = AddressParser(cache_size=3)
    texts = ["洪山区珞喻路1037号", "住址：湖北省武汉市洪山区", "洪山区珞喻路1037号", "户籍地湖北省黄石市", "不详"]
    results = parser.parse_many(texts)
    assert len(calls) == 1 and set(calls[0]) == {"住址湖北省武汉市洪山区", "户籍地湖北省黄石市", "不详"}
    assert [r.elements() for r in results] == [AddressParser().parse(t).elements() for t in texts]
    assert results[0] is results[2]
    assert len(parser._cache) == 3  # least recently used evicted
    assert parser.parse("不详") is results[4]


# --- the element type --------------------------------------------------------------------------------------
def test_address_type_is_registered_without_a_sql_form():
    etype = element_types.get("address")
    assert isinstance(etype, AddressType) and not etype.vectorized


def test_address_element_type():
    etype = AddressType()
    assert etype.check(None).missing and etype.check("  ").missing
    ok = etype.check("湖北省武汉市洪山区珞喻路1037号")
    assert ok.ok and ok.value == "湖北省武汉市洪山区珞喻路1037号"
    assert ok.details["county_code"] == "420111" and ok.details["incomplete"] is False
    coarse = etype.check("武汉市洪山区")
    assert coarse.ok and coarse.details["incomplete"] is True and coarse.details["precision"] == "county"
    assert etype.check("不详").reason == "format"
    assert etype.check("——").reason == "format"
    bad = etype.check("武汉市宜都市")
    assert bad.reason == "unknown_division" and bad.details["conflicts"] == ["宜都市"]
    values = ["洪山区", None, "不详", "洪山区", "武汉市宜都市"]
    assert etype.check_many(values) == [etype.check(v) for v in values]
    for code in etype.reasons:
        assert all(etype.reasons[code])


# --- round trips from real elements ------------------------------------------------------------------------
_HUBEI = [c for c in RAW_CASES if c.get("province") == "湖北省" and c.get("county")]
COUNTIES = sorted({(c["province"], c["city"], c["county"]) for c in _HUBEI})
TOWNSHIPS = sorted({c["township"] for c in RAW_CASES if c.get("township")})
COMMUNITIES = sorted({c["community"] for c in RAW_CASES if c.get("community")})
ROADS = sorted({c["road"] for c in RAW_CASES if c.get("road") and not c["road"].endswith("组")})
POIS = sorted({c["poi"] for c in RAW_CASES if c.get("poi")})
CN = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """12 → 十二, 20 → 二十, 7 → 七 (n < 100)."""
    tens, ones = divmod(n, 10)
    return (("" if tens == 1 else CN[tens]) + "十" if tens else "") + (CN[ones] if ones or not tens else "")


@st.composite
def written_numbers(draw, low: int, high: int, chinese: bool = True):
    n = draw(st.integers(low, high))
    form = draw(st.sampled_from(["digits", "fullwidth", "chinese"] if chinese and n < 100 else ["digits", "fullwidth"]))
    text = {"digits": str(n), "fullwidth": str(n).translate({ord(d): ord(d) + 0xFEE0 for d in "0123456789"})}
    return n, text.get(form) or cn_number(n)


@st.composite
def addresses(draw):
    """(text, expected elements): an address assembled from real names in one of the ways people write it."""
    province, city, county = draw(st.sampled_from(COUNTIES))
    expected = {"province": province, "city": city, "county": county}
    parts = [province] if draw(st.booleans()) else []
    if city != county and draw(st.booleans()):
        parts.append(city)
    parts.append(county)
    if draw(st.booleans()):
        expected["township"] = draw(st.sampled_from(TOWNSHIPS))
        parts.append(expected["township"])
    if draw(st.booleans()):
        expected["community"] = draw(st.sampled_from(COMMUNITIES))
        parts.append(expected["community"])
    if expected.get("community") and draw(st.booleans()):
        n, written = draw(written_numbers(1, 12))
        expected["road"], _ = f"{n}组", parts.append(f"{written}组")
    elif draw(st.booleans()):
        expected["road"] = draw(st.sampled_from(ROADS))
        parts.append(expected["road"])
    if expected.get("road") and draw(st.booleans()):
        n, written = draw(written_numbers(1, 2000))
        expected["number"], _ = f"{n}号", parts.append(f"{written}号")
        if draw(st.booleans()):
            expected["poi"] = draw(st.sampled_from(POIS))
            parts.append(expected["poi"])
    tail = []
    if draw(st.booleans()):
        if draw(st.booleans()):
            letter = draw(st.sampled_from("ABCD"))
            expected["building"], _ = f"{letter}栋", tail.append(letter + draw(st.sampled_from(["座", "栋"])))
        else:
            n, written = draw(written_numbers(1, 40))
            expected["building"], _ = f"{n}栋", tail.append(written + draw(st.sampled_from(["栋", "幢", "号楼", "座"])))
        if draw(st.booleans()):
            n, written = draw(written_numbers(1, 6))
            expected["unit"], _ = f"{n}单元", tail.append(f"{written}单元")
    if draw(st.booleans()):
        floor, written = draw(written_numbers(1, 33))
        expected["floor"], _ = f"{floor}层", tail.append(written + draw(st.sampled_from(["层", "楼"])))
    if draw(st.booleans()):
        room = draw(st.integers(1, 33)) * 100 + draw(st.integers(1, 12))
        suffixes = ["室", "房", "号房"] + (["", "号"] if tail else []) + ([""] if expected.get("number") else [])
        expected["room"], _ = f"{room}室", tail.append(f"{room}{draw(st.sampled_from(suffixes))}")
    parts += tail
    separator = draw(st.sampled_from(["", " ", "，"]))
    return separator.join(parts), expected


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(addresses())
def test_addresses_assembled_from_real_elements_round_trip(sample):
    text, expected = sample
    parsed = parse_address(text)
    got = {name: getattr(parsed, name) for name in ELEMENTS}
    assert got == {name: expected.get(name) for name in ELEMENTS}, text
    assert parse_address(parsed.normalized).elements() == parsed.elements()
