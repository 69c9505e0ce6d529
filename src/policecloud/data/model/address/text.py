"""Text clean-up and Chinese numerals for the address parser.

Cleaning makes the text comparable (half-width, no blanks or stray punctuation, one kind of dash, "#" as 号);
numerals are converted only where the parser has already decided a position holds a number (building, unit,
floor, room, door number, village group), never in names (十堰, 三阳路, 二七路, 六渡桥 stay as they are).
"""

from __future__ import annotations

import re
import unicodedata

from policecloud.data.model.text import to_halfwidth

CJK = "\u4e00-\u9fff\u3400-\u4dbf"
CN_DIGITS = "零〇一二两三四五六七八九"
CN_NUMERAL_CHARS = CN_DIGITS + "十百千"
_DIGIT_VALUE = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_UNIT_VALUE = {"十": 10, "百": 100, "千": 1000}

# Dashes people type between building, unit and room numbers.
_DASHES = str.maketrans({c: "-" for c in "—–―‐‑‒−~～_"})
# Punctuation that separates parts without meaning anything: dropped (brackets keep their content).
_DROP = re.compile(r"[\s,，.。、;；:：'\"“”‘’`()（）\[\]【】{}<>《》「」『』!！?？|/\\·•*]+")
# "3#楼" and "100#" mean 3号楼 and 100号.
_HASH = re.compile(r"(?<=[0-9A-Za-z])#")
_STRAY_HASH = re.compile("#")


def clean(text: str) -> str:
    """Half-width, upper-case Latin letters, no blanks or stray punctuation, "-" for every dash."""
    text = unicodedata.normalize("NFKC", to_halfwidth(text))
    text = text.translate(_DASHES)
    text = _DROP.sub("", text)
    text = _HASH.sub("号", text)
    text = _STRAY_HASH.sub("", text)
    text = re.sub(r"-{2,}", "-", text).strip("-")
    return text.upper()


def cn_to_int(text: str) -> int | None:
    """A number written in digits or Chinese numerals: 12, 十二, 二十, 一百零一, 五零一 (read digit by digit).

    Returns None when ``text`` is not a number.
    """
    if not text:
        return None
    if text.isascii() and text.isdigit():
        return int(text)
    if any(c not in CN_NUMERAL_CHARS for c in text):
        return None
    if not any(c in _UNIT_VALUE for c in text):
        # No 十/百/千: digit by digit, as room numbers are read (五零一 → 501).
        return int("".join(str(_DIGIT_VALUE[c]) for c in text))
    total, digit = 0, None
    for c in text:
        if c in _UNIT_VALUE:
            total += (1 if digit is None else digit) * _UNIT_VALUE[c]
            digit = None
        else:
            digit = _DIGIT_VALUE[c]
    return total + (digit or 0)


def numeral(text: str) -> str:
    """The digits of a numbered position, keeping Latin letters and dashes as they are (A, 8-2, B12)."""
    if text.startswith("负"):
        inner = numeral(text[1:])
        return "-" + inner if inner.isdigit() else text
    value = cn_to_int(text)
    if value is not None:
        return str(value)
    return text
