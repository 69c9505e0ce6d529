"""Relevance, modes, filters, facets and pagination on the mini province; exact phrases in tantivy itself."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
import tantivy

from policecloud.apps.search.fields import SearchDoc, build_schema, to_document
from policecloud.apps.search.index import SearchIndex
from policecloud.apps.search.query import QueryError, choose_mode, search
from policecloud.apps.search.testing import HONGSHAN, T0, XILING

EVERYWHERE = None  # unrestricted (operators' tools)


def ids(result) -> list[str]:
    return [h.id for h in result.hits]


def test_modes_are_recognised_from_the_shape_of_the_query(mini):
    person = mini.persons["zhang_wei"]
    assert choose_mode(person["id_number"]) == "identifier"
    assert choose_mode(mini.others["vehicle"]["plate"].lower()) == "identifier"
    assert choose_mode("138 " + person["phone"][3:]) in ("identifier", "text")
    assert choose_mode(mini.others["organization"]["uscc"]) == "identifier"
    assert choose_mode(mini.others["vehicle"]["vin"]) == "identifier"
    assert choose_mode("张 伟") == "name"
    assert choose_mode("电动车被盗了") == "text"
    assert choose_mode("110") == "text"  # a service number is nobody's phone


@pytest.mark.parametrize(
    ("what", "query", "matched"),
    [
        ("person", lambda m: m.persons["zhang_wei"]["id_number"], "key"),
        ("vehicle", lambda m: m.others["vehicle"]["plate"].lower(), "key"),  # normalized before the lookup
        ("vehicle", lambda m: m.others["vehicle"]["vin"], "identifier"),  # not its main key, still its own
        ("phone", lambda m: "+86 " + m.others["phone"]["phone"], "key"),
        ("organization", lambda m: m.others["organization"]["uscc"], "key"),
    ],
)
def test_an_identifier_finds_its_entity_first(mini, index, what, query, matched):
    result = search(index, query(mini), county_prefixes=EVERYWHERE)
    assert result.mode == "identifier" and not result.forced
    expected = mini.persons["zhang_wei"] if what == "person" else mini.others[what]
    assert result.hits[0].id == expected["entity_id"] and result.hits[0].matched == matched
    assert result.hits[0].highlights == [(0, len(result.hits[0].snippet))]


def test_a_phone_also_finds_its_owner_and_the_calls_made_from_it(mini, index):
    result = search(index, mini.others["phone"]["phone"], county_prefixes=EVERYWHERE)
    assert ids(result)[0] == mini.others["phone"]["entity_id"]
    assert set(ids(result)[1:]) == {mini.persons["zhang_wei"]["entity_id"], mini.calls["near"]["doc_id"]}


def test_an_id_number_with_a_wrong_check_digit_is_not_taken_for_one(mini, index):
    number = mini.persons["zhang_wei"]["id_number"]
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    result = search(index, wrong, county_prefixes=EVERYWHERE)
    assert result.mode == "text" and result.total == 0
    assert any("check" in n["en"] for n in result.notes)


def test_exact_name_ranks_above_every_similar_name(mini, index):
    result = search(index, "张伟", county_prefixes=[HONGSHAN])
    assert result.mode == "name"
    assert result.hits[0].id == mini.persons["zhang_wei"]["entity_id"] and result.hits[0].matched == "name"
    assert all(h.matched == "name_fuzzy" for h in result.hits[1:])


def test_a_typo_seen_in_the_data_ranks_the_right_person_first(mini, index):
    # 柳 for 刘 was seen in the master data (one person recorded as 刘建国 and 柳建国)
    result = search(index, "柳德明", county_prefixes=EVERYWHERE)
    assert result.hits[0].id == mini.persons["liu_deming"]["entity_id"]
    assert result.hits[0].matched == "name_similar"


def test_any_one_character_typo_finds_the_person_in_the_top_five(mini, index):
    for typo in ("刘德朋", "刘惪明", "文德明"):
        result = search(index, typo, county_prefixes=EVERYWHERE)
        assert mini.persons["liu_deming"]["entity_id"] in ids(result)[:5], typo


def test_a_name_nobody_has_falls_back_to_the_text_and_says_so(mini, index):
    result = search(index, "珞喻路", county_prefixes=EVERYWHERE)
    assert result.mode == "text" and result.total >= 3
    assert any("text was searched instead" in n["en"] for n in result.notes)
    forced = search(index, "珞喻路", mode="name", county_prefixes=EVERYWHERE)
    assert forced.mode == "name" and forced.forced and forced.total == 0 and not forced.notes


def test_a_phrase_from_a_narrative_finds_the_call_first_with_a_highlight(mini, index):
    result = search(index, "电动车被盗", county_prefixes=EVERYWHERE)
    assert result.mode == "text"
    top = result.hits[0]
    assert top.id == mini.calls["near"]["doc_id"] and top.type == "call110"
    start, end = top.highlights[0]
    assert top.snippet[start:end] == "电动车被盗"
    assert mini.persons["zhang_wei"]["entity_id"] in top.entities  # the caller, from the master links


def test_phrases_are_exact_not_bags_of_bigrams(mini, index):
    # both bigrams occur in the narrative, but not next to each other
    assert search(index, "被骗转账", county_prefixes=EVERYWHERE).total == 1
    assert search(index, "转账被骗", county_prefixes=EVERYWHERE).total == 0


def test_jurisdiction_is_applied_inside_the_query(mini, index):
    far = mini.persons["zhang_wei_far"]["entity_id"]
    everywhere = search(index, "张伟", county_prefixes=EVERYWHERE, per_page=100)
    inside = search(index, "张伟", county_prefixes=[HONGSHAN], per_page=100)
    assert far in ids(everywhere) and far not in ids(inside)
    assert inside.total < everywhere.total
    counties = {b["key"] for b in inside.facets["county"]}
    assert counties == {HONGSHAN} and sum(b["count"] for b in inside.facets["type"]) == inside.total
    far_call = search(index, "夷陵大道", county_prefixes=[HONGSHAN])
    assert far_call.total == 0 and far_call.facets["type"] == []
    assert search(index, "夷陵大道", county_prefixes=["4205"]).total == 1
    assert search(index, "张伟", county_prefixes=[]).total == 0  # no jurisdiction: nothing
    assert search(index, "张伟", county_prefixes=["420111003"]).total == 0  # stations: documents know counties


def test_facets_count_every_match_by_type_and_place(mini, index):
    result = search(index, "珞喻路", mode="text", county_prefixes=EVERYWHERE, per_page=1)
    types = {b["key"]: b["count"] for b in result.facets["type"]}
    assert types == {"call110": 1, "criminal_case": 1, "house": 1, "organization": 1, "person": 1}
    assert result.facets["prefecture"] == [{"key": "4201", "count": 5}]
    assert len(result.hits) == 1 and result.total == 5


def test_pagination_walks_every_hit_once(mini, index):
    whole = search(index, "张伟", county_prefixes=EVERYWHERE, per_page=100)
    assert 20 < whole.total <= 100
    pages = [search(index, "张伟", county_prefixes=EVERYWHERE, page=p, per_page=7) for p in range(1, 20)]
    walked = [i for page in pages for i in ids(page)]
    assert walked == ids(whole) and all(p.total == whole.total for p in pages)


def test_type_county_and_time_filters(mini, index):
    only_calls = search(index, "珞喻路", mode="text", types=["call110"], county_prefixes=EVERYWHERE)
    assert ids(only_calls) == [mini.calls["near"]["doc_id"]]
    assert (
        search(index, "张伟", county=XILING, county_prefixes=EVERYWHERE).hits[0].id
        == (mini.persons["zhang_wei_far"]["entity_id"])
    )
    later = search(index, "报警人称", county_prefixes=EVERYWHERE, time_from=T0 + timedelta(hours=20))
    assert set(ids(later)) == {mini.calls["fraud"]["doc_id"], mini.calls["far"]["doc_id"]}
    window = search(
        index,
        "报警人称",
        county_prefixes=EVERYWHERE,
        time_from=T0 + timedelta(hours=20),
        time_to=T0 + timedelta(hours=40),
    )
    assert ids(window) == [mini.calls["fraud"]["doc_id"]]


def test_bad_requests_are_refused_with_a_code(index):
    for kwargs, code in (
        ({"q": "  "}, "empty_query"),
        ({"q": "x", "mode": "fuzzy"}, "invalid_mode"),
        ({"q": "x", "types": ["cat"]}, "invalid_type"),
        ({"q": "，。"}, "no_terms"),
        ({"q": "x", "page": 10_000}, "page_too_deep"),
    ):
        with pytest.raises(QueryError) as caught:
            search(index, county_prefixes=EVERYWHERE, **kwargs)
        assert caught.value.code == code


def test_sensitive_fields_are_marked_for_masking(mini, index):
    phone = search(index, mini.others["phone"]["phone"], county_prefixes=EVERYWHERE).hits[0]
    assert phone.sensitive == {"caption": "phone", "key": "phone", "snippet": "phone"}
    house = search(index, "珞喻路1037号3栋", county_prefixes=EVERYWHERE, types=["house"]).hits[0]
    assert house.sensitive["caption"] == "address" and house.sensitive["snippet"] == "address"


def test_tantivy_phrase_queries_return_exactly_the_texts_containing_the_phrase():
    """The failure of n-gram tokenizers (every gram at position 0) does not happen here: checked against
    substring search over random texts from a small alphabet (many shared bigrams)."""
    rng = random.Random(5)
    alphabet = "报警人称被骗转账电动车盗"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(3, 30))) for _ in range(300)]
    index = SearchIndex(None, tantivy.Index(build_schema()), {}, {})
    writer = index.index.writer(15_000_000, 1)
    for i, text in enumerate(texts):
        writer.add_document(to_document(SearchDoc(f"d{i}", "call110", f"c{i}", body=text, county=HONGSHAN), None))
    writer.commit()
    index.index.reload()
    for _ in range(200):
        query = "".join(rng.choice(alphabet) for _ in range(rng.randint(2, 5)))
        found = search(index, query, mode="text", county_prefixes=EVERYWHERE, per_page=100)
        expected = {f"d{i}" for i, t in enumerate(texts) if query in t}
        assert set(ids(found)) == expected and found.total == len(expected), query
