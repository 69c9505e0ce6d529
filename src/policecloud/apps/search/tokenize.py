"""Chinese-aware analysis for the search index: one token per position, made here, indexed by whitespace.

Text is read as *units*: a Han character, or an ASCII word (letters and digits; full-width forms folded,
lower-cased). Everything else (blanks, punctuation) separates units and is dropped. Each unit gives exactly
one token, at its own position:

* a Han character followed by another Han character gives the **bigram** of the two (``报警人`` → ``报警``,
  ``警人`` …);
* the last Han character of a run gives the **single character** (``人``), so runs of one character and the
  ends of runs are searchable;
* an ASCII word gives itself (``a12345``).

Because every token sits at its own position (tantivy's n-gram tokenizer puts all grams at position 0, which
makes phrase queries inexact), a phrase query over these tokens matches exactly the texts that contain the
phrase. The index gets the tokens joined by blanks and splits them with tantivy's ``whitespace`` tokenizer, so
no custom tokenizer has to be registered with the index.

Queries go through the same :func:`tokens`; only the end differs (:func:`query_phrases`): the text may go on
after the query's last character, so a final single character is not required to end a run there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from policecloud.data.model.types.base import to_halfwidth

# Between the tokens of two values of one field: no query produces it, so no phrase spans two values.
VALUE_GAP = "|"
MAX_WORD = 40  # longer ASCII words are cut (tantivy refuses very long terms; queries are cut alike)


# CJK unified ideographs: basic block, extension A, compatibility ideographs, extensions B and later.
_HAN = "\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff\U00020000-\U0003ffff"
_UNIT = re.compile(f"([{_HAN}]+)|([0-9a-z]+)")
_HAN_CHAR = re.compile(f"[{_HAN}]")


def is_han(ch: str) -> bool:
    return _HAN_CHAR.fullmatch(ch) is not None


def normalize(text: str) -> str:
    """The text as the tokenizer sees it: full-width folded, lower-cased, same length (offsets hold)."""
    folded = to_halfwidth(text)
    lowered = folded.lower()
    if len(lowered) == len(folded):
        return lowered
    # a few characters lower-case to two (İ → i̇): keep those as they are
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in folded)


def _units(folded: str) -> Iterator[tuple[str, int, int, bool]]:
    """(token, start, end, closes a Han run) for a normalized text: the one tokenizer behind everything."""
    for m in _UNIT.finditer(folded):
        run = m.group(1)
        start = m.start()
        if run:
            last = len(run) - 1
            for k in range(last):
                yield run[k : k + 2], start + k, start + k + 2, False
            yield run[last], start + last, start + last + 1, True
        else:
            yield m.group(2)[:MAX_WORD], start, m.end(), False


@dataclass(frozen=True)
class Token:
    text: str
    start: int  # character offsets of the token's source in the input text
    end: int
    run_end: bool = False  # a single Han character closing its run


def tokens(text: str) -> list[Token]:
    """The tokens of ``text``, one per unit, in order."""
    return [Token(*unit) for unit in _units(normalize(text))]


def index_text(values: Iterable[str | None]) -> str:
    """What goes into a whitespace-tokenized field: the tokens of each value, values kept apart."""
    parts = [" ".join(unit[0] for unit in _units(normalize(v))) for v in values if v]
    return f" {VALUE_GAP} ".join(p for p in parts if p)


@dataclass(frozen=True)
class Phrase:
    """Terms at consecutive positions; the last one may be a prefix (a single character the text continues)."""

    terms: tuple[str, ...]
    last_is_prefix: bool = False


def query_phrases(query: str) -> list[Phrase]:
    """The phrases of a full-text query: one per blank-separated part, each to be found as written."""
    phrases = []
    for part in query.split():
        toks = tokens(part)
        if not toks:
            continue
        prefix = False
        last = toks[-1]
        if last.run_end and last.end == len(part.rstrip()):
            # The query ends inside a Han run; in the text the run may continue, so its last character is
            # either covered by the bigram before it or, in a one-character run, matched as a prefix.
            if len(toks) >= 2 and not toks[-2].run_end and toks[-2].end == last.end:
                toks = toks[:-1]
            else:
                prefix = True
        phrases.append(Phrase(tuple(t.text for t in toks), prefix))
    return phrases


def han_only(text: str) -> bool:
    return bool(text) and all(is_han(c) for c in text)


def normalize_name(name: str) -> str:
    """A person's or organization's name as the exact-name field holds it: folded, without blanks."""
    return "".join(normalize(name).split())
