"""The tokenizer: one token per unit, bigrams for Han runs, words for ASCII; every substring is a phrase."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from policecloud.apps.search.highlight import phrase_spans
from policecloud.apps.search.tokenize import (
    VALUE_GAP,
    Phrase,
    index_text,
    is_han,
    normalize,
    query_phrases,
    tokens,
)


def texts_of(text: str) -> list[str]:
    return [t.text for t in tokens(text)]


def test_han_runs_become_bigrams_with_the_last_character_alone():
    assert texts_of("报警人称") == ["报警", "警人", "人称", "称"]
    assert texts_of("张") == ["张"]


def test_ascii_words_are_lower_cased_and_full_width_folded():
    assert texts_of("鄂Ａ１２３４５ 车主ABC-12") == ["鄂", "a12345", "车主", "主", "abc", "12"]


def test_punctuation_and_blanks_separate_runs():
    assert texts_of("被骗，转账 5000元。") == ["被骗", "骗", "转账", "账", "5000", "元"]


def test_offsets_point_into_the_original_text():
    text = "在珞喻路１０３７号"
    for token in tokens(text):
        assert normalize(text[token.start : token.end]).startswith(token.text[:1])
    assert [(t.start, t.end) for t in tokens(text)][-2:] == [(4, 8), (8, 9)]


def test_values_are_kept_apart_so_no_phrase_spans_two():
    joined = index_text(["abc", "def"])
    assert joined == f"abc {VALUE_GAP} def"
    assert VALUE_GAP not in {t for p in query_phrases("abc|def ，| |") for t in p.terms}


def test_query_end_inside_a_run():
    # the text may go on after the query: a closing bigram covers the last character, a lone one is a prefix
    assert query_phrases("报警人") == [Phrase(("报警", "警人"), False)]
    assert query_phrases("abc李") == [Phrase(("abc", "李"), True)]
    assert query_phrases("李") == [Phrase(("李",), True)]
    # punctuation in the query closes the run as it closes it in the text
    assert query_phrases("张伟。") == [Phrase(("张伟", "伟"), False)]
    assert query_phrases("被骗 转账") == [Phrase(("被骗",), False), Phrase(("转账",), False)]


def test_long_words_are_cut_the_same_way_in_text_and_query():
    word = "a" * 100
    assert texts_of(word) == ["a" * 40]
    assert phrase_spans(word, query_phrases(word))


HAN = "张伟刘柳德明报警人称被骗转账电动车盗"
ALPHABET = st.sampled_from([*HAN, *"ab12XY", *"１２ＡＢ", "，", "。", " ", "-", "·"])


def _cuts_a_word(text: str, i: int, j: int) -> bool:
    def word(ch: str) -> bool:
        return (ch.isascii() and ch.isalnum()) or ch in "１２ＡＢ"

    return (i > 0 and word(text[i - 1]) and word(text[i])) or (j < len(text) and word(text[j - 1]) and word(text[j]))


@settings(max_examples=300, deadline=None)
@given(st.text(ALPHABET, min_size=2, max_size=30))
def test_every_substring_is_found_as_a_phrase_in_its_text(text):
    for i in range(len(text)):
        for j in range(i + 2, len(text) + 1):
            if _cuts_a_word(text, i, j):
                continue  # ASCII is indexed as words: a query cutting a word in two is not a phrase of it
            phrases = query_phrases(text[i:j])
            if not phrases:
                continue  # only separators
            assert all(phrase_spans(text, [p]) for p in phrases), (text, text[i:j], phrases)


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from(HAN), min_size=1, max_size=25), st.text(st.sampled_from(HAN), min_size=2, max_size=5))
def test_han_phrases_match_exactly_the_texts_containing_them(text, query):
    assert bool(phrase_spans(text, query_phrases(query))) == (query in text)


@given(st.text(ALPHABET, max_size=30))
def test_tokens_are_non_empty_without_blanks_and_one_per_unit(text):
    toks = tokens(text)
    assert all(t.text and " " not in t.text for t in toks)
    assert len(toks) == len({t.start for t in toks})
    assert sum(1 for ch in text if is_han(ch)) == sum(1 for t in toks if is_han(t.text[0]))
