"""Character-level text normalization shared by the element types and the address parser (a leaf module, so that
neither imports the other for it)."""

from __future__ import annotations

# Full-width ASCII variants (U+FF01..U+FF5E) map onto ASCII by a fixed offset; the ideographic space too.
_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
FULLWIDTH_CHARS = "".join(chr(cp) for cp in range(0xFF01, 0xFF5F)) + "\u3000"
HALFWIDTH_CHARS = "".join(chr(cp - 0xFEE0) for cp in range(0xFF01, 0xFF5F)) + " "


def to_halfwidth(text: str) -> str:
    """Full-width letters, digits, punctuation and the ideographic space → ASCII."""
    return text.translate(_FULLWIDTH)
