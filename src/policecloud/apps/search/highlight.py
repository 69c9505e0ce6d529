"""Highlighted snippets: where a query's phrases, names or identifiers occur in a hit's own text.

The index stores bigram tokens, not the text's offsets, so tantivy's SnippetGenerator cannot point into the
original text; the same tokenizer is run again here on the stored text (it keeps character offsets) and the
query's phrases are matched token by token, exactly as the index matched them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from policecloud.apps.search.tokenize import Phrase, Token, tokens

Span = tuple[int, int]


@dataclass(frozen=True)
class Snippet:
    text: str
    highlights: list[Span] = field(default_factory=list)  # character ranges in ``text``
    source: str = ""  # which part of the hit it comes from: body, caption, name, address, text, place, identifier


def _term_matches(token: Token, term: str, prefix: bool) -> bool:
    return token.text.startswith(term) if prefix else token.text == term


def phrase_spans(text: str, phrases: Sequence[Phrase]) -> list[Span]:
    """Character ranges of ``text`` where each phrase occurs (merged, in order)."""
    toks = tokens(text)
    spans: list[Span] = []
    for phrase in phrases:
        n = len(phrase.terms)
        for i in range(len(toks) - n + 1):
            if all(
                _term_matches(toks[i + k], term, phrase.last_is_prefix and k == n - 1)
                for k, term in enumerate(phrase.terms)
            ):
                last = toks[i + n - 1]
                # A prefix term stands for the first character of its token only.
                end = last.start + 1 if phrase.last_is_prefix else last.end
                spans.append((toks[i].start, end))
    return merge(spans)


def merge(spans: list[Span]) -> list[Span]:
    out: list[Span] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def window(text: str, spans: list[Span], width: int = 80) -> Snippet:
    """At most ``width`` characters of ``text`` around the first highlight, highlights shifted to match."""
    if len(text) <= width or not spans:
        cut = text if len(text) <= width else text[:width] + "…"
        return Snippet(cut, [s for s in spans if s[1] <= width])
    first = spans[0][0]
    start = max(0, min(first - width // 4, len(text) - width))
    end = start + width
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    shift = len(prefix) - start
    kept = [(max(s, start) + shift, min(e, end) + shift) for s, e in spans if e > start and s < end]
    return Snippet(prefix + text[start:end] + suffix, kept)


def best_snippet(candidates: Sequence[tuple[str, str | None]], phrases: Sequence[Phrase], width: int = 80) -> Snippet:
    """The first (source, text) candidate in which a phrase occurs, as a snippet; else the first non-empty one."""
    fallback = None
    for source, text in candidates:
        if not text:
            continue
        spans = phrase_spans(text, phrases)
        if spans:
            snippet = window(text, spans, width)
            return Snippet(snippet.text, snippet.highlights, source)
        if fallback is None:
            fallback = Snippet(window(text, [], width).text, [], source)
    return fallback or Snippet("")


def value_snippet(values: Sequence[str], matched: set[str], source: str, sep: str = "、") -> Snippet:
    """Values joined by ``sep`` with the matched ones highlighted (names, identifiers)."""
    text, spans = "", []
    for value in values:
        if text:
            text += sep
        if value in matched:
            spans.append((len(text), len(text) + len(value)))
        text += value
    return Snippet(text, spans, source)
