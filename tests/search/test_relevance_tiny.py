"""Relevance on the resolved tiny province: identifiers first, names with one similar-character typo in the top
5, a phrase of a 110 narrative finds its call first."""

from __future__ import annotations

import random

import pytest

from policecloud.apps.search.index import build_index, open_current
from policecloud.apps.search.query import search
from policecloud.data.resolve.jobs import run_stages
from policecloud.data.resolve.master import master_root, open_master
from policecloud.data.resolve.stages import STAGES

# Characters commonly confused in names (形近 / 音近), as the synthetic province's typos also use them.
SIMILAR = {
    "刘": "柳",
    "张": "章",
    "王": "汪",
    "李": "里",
    "陈": "程",
    "杨": "扬",
    "明": "鸣",
    "伟": "玮",
    "华": "化",
    "军": "君",
    "丽": "莉",
    "强": "墙",
    "文": "汶",
    "国": "帼",
    "红": "虹",
    "建": "健",
    "志": "智",
}


@pytest.fixture(scope="module")
def resolved(tiny_warehouse, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("search-relevance")
    run_stages(data_dir, STAGES, warehouse_dir=tiny_warehouse.warehouse_dir, province_dir=tiny_warehouse.province_dir)
    build_index(master_root(data_dir), tiny_warehouse.warehouse_dir, data_dir / "search")
    con = open_master(data_dir, tiny_warehouse.warehouse_dir).connect()
    return con, open_current(data_dir / "search")


def _first(index, q: str, **kwargs):
    result = search(index, q, county_prefixes=None, **kwargs)
    return result, [h.id for h in result.hits]


@pytest.mark.parametrize(
    ("entity_type", "identifier_sql"),
    [
        ("person", "SELECT entity_id, key FROM entities WHERE entity_type = 'person' AND key IS NOT NULL"),
        ("vehicle", "SELECT entity_id, key FROM entities WHERE entity_type = 'vehicle' AND key IS NOT NULL"),
        ("organization", "SELECT entity_id, key FROM entities WHERE entity_type = 'organization' AND key IS NOT NULL"),
        ("phone", "SELECT entity_id, key FROM entities WHERE entity_type = 'phone' AND key LIKE '1%'"),
    ],
)
def test_an_identifier_query_returns_its_entity_first(resolved, entity_type, identifier_sql):
    con, index = resolved
    rows = con.execute(f"{identifier_sql} ORDER BY entity_id").fetchall()
    assert rows
    for entity_id, key in random.Random(7).sample(rows, min(40, len(rows))):
        result, ids = _first(index, key)
        assert result.mode == "identifier", (key, result.mode)
        assert ids and ids[0] == entity_id, (entity_type, key, ids[:3])


def test_an_identifier_is_found_whatever_its_spelling(resolved):
    con, index = resolved
    entity_id, plate = con.execute(
        "SELECT entity_id, key FROM entities WHERE entity_type = 'vehicle' AND key ~ '^鄂[A-Z][0-9A-Z]{5}$' LIMIT 1"
    ).fetchall()[0]
    spelled = plate[0] + " " + plate[1].lower() + "·" + plate[2:]
    _, ids = _first(index, spelled)
    assert ids[0] == entity_id


def test_a_name_with_one_similar_character_typo_finds_the_person_in_the_top_5(resolved):
    con, index = resolved
    people = con.execute(
        """SELECT entity_id, caption FROM entities WHERE entity_type = 'person' AND caption IS NOT NULL
           ORDER BY entity_id"""
    ).fetchall()
    candidates = [(e, n) for e, n in people if any(c in SIMILAR for c in n)]
    sample = random.Random(3).sample(candidates, 60)
    found = 0
    misses = []
    for entity_id, name in sample:
        i = next(i for i, c in enumerate(name) if c in SIMILAR)
        typo = name[:i] + SIMILAR[name[i]] + name[i + 1 :]
        result, ids = _first(index, typo, mode="name")
        if entity_id in ids[:5]:
            found += 1
        else:
            misses.append((name, typo, result.total))
    # A common name with a typo may equal other people's real names, which rightly rank first: allow a few.
    assert found >= 0.95 * len(sample), misses


def _distinctive_phrase(narrative: str, corpus: list[str]) -> str | None:
    """The shortest stretch (6–14 characters, not cutting a number or word in two) found in this narrative only:
    narratives follow templates, and a phrase shared by many calls does not single one out."""
    cuts = [i for i in range(len(narrative) + 1) if not _inside_word(narrative, i)]
    for length in range(6, 15):
        for start in cuts:
            end = start + length
            if end in cuts and end <= len(narrative):
                phrase = narrative[start:end]
                if sum(phrase in text for text in corpus) == 1:
                    return phrase
    return None


def _inside_word(text: str, i: int) -> bool:
    return (
        0 < i < len(text)
        and text[i - 1].isascii()
        and text[i].isascii()
        and text[i - 1].isalnum()
        and text[i].isalnum()
    )


def test_a_phrase_from_a_110_narrative_finds_the_call_first(resolved):
    con, index = resolved
    calls = con.execute("SELECT id, narrative FROM call110 WHERE narrative IS NOT NULL ORDER BY id").fetchall()
    corpus = [n for _, n in calls]
    checked = 0
    for call_id, narrative in random.Random(5).sample(calls, 60):
        phrase = _distinctive_phrase(narrative, corpus)
        if phrase is None:
            continue
        result, _ = _first(index, phrase, mode="text")
        first = result.hits[0] if result.hits else None
        assert first is not None and first.type == "call110", (phrase, result.hits[:2])
        assert call_id in (first.id, first.key, first.caption), (phrase, call_id, first)
        checked += 1
    assert checked >= 30
