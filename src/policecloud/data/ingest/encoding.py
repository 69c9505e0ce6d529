"""Text encodings of source files: detect UTF-8 / UTF-8 with BOM / GB18030 (GBK), transcode to UTF-8.

DuckDB's CSV reader only knows UTF-8, UTF-16 and Latin-1 without its encodings extension (which cannot be
installed here), so GBK and GB18030 files are transcoded to a UTF-8 temporary file first, streaming.
GB18030 is a superset of GBK and GB2312, so it is what we decode them with.
"""

from __future__ import annotations

import codecs
from pathlib import Path

SAMPLE_BYTES = 1 << 20
SUPPORTED = ("utf-8", "utf-8-sig", "gb18030", "gbk", "gb2312")


class EncodingError(ValueError):
    """The file is in no encoding we can read, or not in the one its mapping declares."""


def canonical(name: str) -> str:
    try:
        found = codecs.lookup(name).name
    except LookupError:
        raise EncodingError(f"unknown encoding {name!r}; supported: {', '.join(SUPPORTED)}") from None
    # GBK files are read as GB18030: same bytes for every GBK character, and it never fails on a valid GBK file.
    return {"gbk": "gb18030", "gb2312": "gb18030"}.get(found, found)


def detect(path: Path) -> str:
    """The encoding of a text file: 'utf-8-sig' (BOM), 'utf-8' or 'gb18030'; raises EncodingError otherwise."""
    with open(path, "rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise EncodingError(f"{path}: UTF-16 text is not supported; convert the file to UTF-8")
    for candidate in ("utf-8", "gb18030"):
        if _decodes(sample, candidate):
            return candidate
    # Mostly UTF-8 with a few broken lines: read it as UTF-8 and let the bad lines go to quarantine.
    lines = sample.split(b"\n")[:-1] or [sample]
    broken = sum(1 for line in lines if not _decodes(line, "utf-8"))
    if broken <= max(1, len(lines) // 20):
        return "utf-8"
    raise EncodingError(f"{path}: not UTF-8 and not GBK/GB18030 text (checked the first {len(sample)} bytes)")


def _decodes(sample: bytes, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        decoder.decode(sample, final=False)  # the sample may end inside a multi-byte character
    except UnicodeDecodeError:
        return False
    return True


def verify_sample(path: Path, encoding: str) -> None:
    """Raise EncodingError when the start of ``path`` is not ``encoding`` (a declared encoding that is wrong)."""
    with open(path, "rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    if encoding.startswith("utf-8") and sample.startswith(codecs.BOM_UTF8):
        sample = sample[len(codecs.BOM_UTF8) :]
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        decoder.decode(sample, final=False)
    except UnicodeDecodeError as exc:
        guess = next((e for e in ("utf-8", "gb18030") if e != encoding and _decodes(sample, e)), None)
        hint = f"; it looks like {guess}: fix the mapping's encoding (or use auto)" if guess else ""
        raise EncodingError(f"{path}: byte {exc.start} is not valid {encoding}{hint}") from None


def transcode_to_utf8(source: Path, target: Path, encoding: str) -> None:
    """Stream ``source`` in ``encoding`` into ``target`` as UTF-8; invalid bytes raise EncodingError."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    with open(source, "rb") as src, open(target, "w", encoding="utf-8", newline="") as dst:
        while chunk := src.read(SAMPLE_BYTES):
            try:
                dst.write(decoder.decode(chunk, final=False))
            except UnicodeDecodeError as exc:
                raise EncodingError(f"{source}: byte {offset + exc.start} is not valid {encoding}") from None
            offset += len(chunk)
        try:
            dst.write(decoder.decode(b"", final=True))
        except UnicodeDecodeError:
            raise EncodingError(f"{source}: the file ends inside a {encoding} character (truncated?)") from None
