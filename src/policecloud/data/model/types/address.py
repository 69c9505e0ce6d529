"""The ``address`` element type: a free-text address parsed into GA/T 2000.32 elements.

This type parses rather than validates, so it has no SQL form (``vectorized`` is False): ingestion runs it in
Python, in batches through :meth:`AddressType.check_many`, which parses each distinct string once.

* value: the normalized full text (:attr:`ParsedAddress.normalized`); details: every element and division code,
  ``unparsed`` (text no element took), ``precision`` (the lowest element present) and ``incomplete``.
* ``format``: nothing left after cleaning, or no address element recognised (不详, 无, a bare name).
* ``unknown_division``: division names that contradict each other (武汉市宜都市).
* An address with nothing below the county (湖北省武汉市洪山区) is **valid**, with ``incomplete: True`` in its
  details: registers often hold only the county, and quarantining those would lose real data. Whether a
  property needs a finer address is the schema's business, as for any required value.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from policecloud.data.model.address import AddressParser, ParsedAddress, default_parser
from policecloud.data.model.types.base import Checked, ElementType, is_blank

_COARSE = frozenset({"province", "city", "county"})


class AddressType(ElementType):
    name = "address"
    label_zh = "地址"
    label_en = "Address"
    reasons: ClassVar = {
        "format": (
            "地址无法识别：清理后为空或没有可识别的地址要素",
            "address not recognised: empty after cleaning or no address element",
        ),
        "unknown_division": ("行政区划名称相互矛盾", "division names contradict each other"),
    }

    def __init__(self, parser: AddressParser | None = None) -> None:
        self._parser = parser

    @property
    def parser(self) -> AddressParser:
        return self._parser or default_parser()

    def check(self, raw: object) -> Checked:
        if is_blank(raw):
            return Checked(None)
        return self._judge(self.parser.parse(str(raw)))

    def check_many(self, values: Iterable[object]) -> list[Checked]:
        """``check`` over a batch: distinct strings are parsed once, with one cpca call for the batch."""
        values = list(values)
        texts = [str(v) for v in values if not is_blank(v)]
        parsed = iter(self.parser.parse_many(texts))
        return [Checked(None) if is_blank(v) else self._judge(next(parsed)) for v in values]

    def _judge(self, parsed: ParsedAddress) -> Checked:
        details = {**parsed.elements(), "unparsed": parsed.unparsed, "precision": parsed.precision}
        if parsed.conflicts:
            return self.fail("unknown_division", conflicts=list(parsed.conflicts), **details)
        if parsed.empty:
            return self.fail("format", **details)
        details["incomplete"] = parsed.precision in _COARSE
        return Checked(parsed.normalized, None, details)


ELEMENT_TYPES = [AddressType()]
