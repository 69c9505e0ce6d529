"""Chinese address parsing: free text → the elements of a standard address (GA/T 2000.32 style).

    >>> a = parse_address("洪山区珞喻路１０３７号华中科技大学3-2-501")
    >>> a.province, a.city, a.county, a.road, a.number, a.poi, a.building, a.unit, a.room
    ('湖北省', '武汉市', '洪山区', '珞喻路', '1037号', '华中科技大学', '3栋', '2单元', '501室')

How it reads (one module per step):

1. :mod:`address_text` cleans the text (half-width, no blanks or stray punctuation, one kind of dash).
2. :mod:`address_divisions` reads province / prefecture / county names at the start, against the GB/T 2260
   table (:mod:`policecloud.data.model.divisions`), and fills the levels above the lowest one found. When the text
   does not start with a division (a label such as "住址", a stray word), cpca locates a division further in,
   and reading starts there; what stood before it is reported as unparsed.
3. :mod:`address_street` reads township, community, road, number, named place and building / unit / floor /
   room, converting numerals in the numbered positions only.

Conventions (the golden set ``tests/golden/addresses.yaml`` follows them):

* Names are today's full names (襄樊市 → 襄阳市, 监利县 → 监利市, 恩施州 → 恩施土家族苗族自治州).
* ``city`` is the prefecture-level unit. 仙桃, 潜江, 天门 and 神农架林区 sit directly under the province with no
  prefecture: for them city = county = the unit itself (and city_code = county_code), which is how police
  jurisdictions treat them (each has a prefecture-level bureau). A municipality's districts take the
  municipality as city (北京市, city_code 110100, GB/T 2260's grouping code).
* ``normalized`` joins the elements from province to room, naming a repeated unit once (湖北省仙桃市…). The
  unparsed remainder is not part of it: parsing ``normalized`` again gives the same elements.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from policecloud.data.model.address.divisions import DivisionMatcher, UpperLevels, matcher_for
from policecloud.data.model.address.street import Street, read_street
from policecloud.data.model.address.text import clean
from policecloud.data.model.divisions import Divisions, load_divisions

# The elements in the order they are written; the codes follow.
ELEMENTS = ("province", "city", "county", "township", "community", "road", "number", "poi",
            "building", "unit", "floor", "room")  # fmt: skip
CODES = ("province_code", "city_code", "county_code")
# A label or stray word before the first division is skipped only when it is this short.
_MAX_SKIPPED_PREFIX = 8


@dataclass(frozen=True, slots=True)
class ParsedAddress:
    """The elements of one address, each a string or None. ``unparsed`` is the text that no element took;
    ``conflicts`` lists division names that contradict the ones before them (武汉市 … 宜都市)."""

    province: str | None = None
    city: str | None = None
    county: str | None = None
    township: str | None = None
    community: str | None = None
    road: str | None = None
    number: str | None = None
    poi: str | None = None
    building: str | None = None
    unit: str | None = None
    floor: str | None = None
    room: str | None = None
    province_code: str | None = None
    city_code: str | None = None
    county_code: str | None = None
    unparsed: str | None = None
    conflicts: tuple[str, ...] = ()

    @property
    def normalized(self) -> str:
        """The canonical text: the elements from province to room, a unit repeated at two levels named once."""
        parts: list[str] = []
        for name in ELEMENTS:
            value = getattr(self, name)
            if value and not (name == "city" and value in (self.province, self.county)):
                parts.append(value)
        return "".join(parts)

    @property
    def precision(self) -> str | None:
        """The lowest element present (``room``, …, ``province``), None for an empty parse."""
        for name in reversed(ELEMENTS):
            if name != "poi" and getattr(self, name):
                return name
        return "poi" if self.poi else None

    @property
    def empty(self) -> bool:
        return self.precision is None

    def elements(self) -> dict[str, str | None]:
        """Elements and codes as a dict (what the ``address`` element type puts in ``details``)."""
        return {name: getattr(self, name) for name in (*ELEMENTS, *CODES)}


class AddressParser:
    """Parses addresses against one division table. ``home_province`` decides between homonymous districts
    with nothing above them (青山区 is Wuhan's, not Baotou's); ``cache_size`` strings are remembered (addresses
    repeat a lot in police data); ``use_cpca`` enables the search for a division that is not at the start."""

    def __init__(
        self,
        divisions: Divisions | None = None,
        home_province: str = "420000",
        cache_size: int = 100_000,
        use_cpca: bool = True,
    ) -> None:
        self.matcher: DivisionMatcher = matcher_for(divisions or load_divisions(), home_province)
        self.cache_size = cache_size
        self.use_cpca = use_cpca
        self._cache: OrderedDict[str, ParsedAddress] = OrderedDict()

    # --- public ------------------------------------------------------------------------------------------
    def parse(self, text: str) -> ParsedAddress:
        return self.parse_many([text])[0]

    def parse_many(self, texts: Sequence[str] | Iterable[str]) -> list[ParsedAddress]:
        """Parse a batch: each distinct string once, repeated ones from the cache, and one cpca call for all
        the texts whose divisions are not at their start."""
        texts = list(texts)
        done: dict[str, ParsedAddress] = {}
        pending: dict[str, tuple[str, UpperLevels]] = {}
        for text in texts:
            if text in done or text in pending:
                continue
            cached = self._cache.get(text)
            if cached is not None:
                self._cache.move_to_end(text)
                done[text] = cached
                continue
            cleaned = clean(text or "")
            pending[text] = (cleaned, self.matcher.read(cleaned))
        unanchored = [t for t, (cleaned, upper) in pending.items() if cleaned and not upper.found]
        if unanchored and self.use_cpca:
            located = self._locate_with_cpca([pending[t][0] for t in unanchored])
            for text, upper in zip(unanchored, located, strict=True):
                if upper is not None:
                    pending[text] = (pending[text][0], upper)
        for text, (cleaned, upper) in pending.items():
            done[text] = self._assemble(cleaned, upper)
            if self.cache_size > 0:
                self._cache[text] = done[text]
                if len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return [done[text] for text in texts]

    # --- steps -------------------------------------------------------------------------------------------
    def _locate_with_cpca(self, cleaned: list[str]) -> list[UpperLevels | None]:
        """Where cpca sees a division in each text, read again from there (our reading, cpca's position)."""
        import cpca

        frame = cpca.transform(cleaned, pos_sensitive=True)[["省_pos", "市_pos", "区_pos"]]
        found: list[UpperLevels | None] = []
        for text, row in zip(cleaned, frame.itertuples(index=False), strict=True):
            positions = [int(p) for p in row if p is not None and p >= 0]
            start = min(positions) if positions else -1
            if 0 < start <= _MAX_SKIPPED_PREFIX and not any(c.isdigit() for c in text[:start]):
                upper = self.matcher.read(text, start)
                found.append(upper if upper.found and not upper.conflicts else None)
            else:
                found.append(None)
        return found

    def _assemble(self, cleaned: str, upper: UpperLevels) -> ParsedAddress:
        # Text before the first division name (when cpca located it further in) is left unparsed.
        skipped = cleaned[: upper.start] if upper.found else ""
        street = read_street(cleaned, upper.end if upper.found else 0)
        if not upper.found and _street_is_empty(street):
            return ParsedAddress(unparsed=cleaned or None)
        city, city_code = self.matcher.city_of(upper)
        unparsed = "".join(part for part in (skipped, "".join(upper.conflicts), street.unparsed or "") if part)
        return ParsedAddress(
            province=upper.province.name if upper.province else None,
            city=city,
            county=upper.county.name if upper.county else None,
            **{f.name: getattr(street, f.name) for f in dataclasses.fields(Street) if f.name != "unparsed"},
            province_code=upper.province.code if upper.province else None,
            city_code=city_code,
            county_code=upper.county.code if upper.county else None,
            unparsed=unparsed or None,
            conflicts=upper.conflicts,
        )


def _street_is_empty(street: Street) -> bool:
    """True when nothing but a name or free text was read (a bare name is not an address)."""
    return not any(getattr(street, f.name) for f in dataclasses.fields(Street) if f.name not in ("poi", "unparsed"))


@cache
def default_parser() -> AddressParser:
    """The parser over the packaged division table, with Hubei as the home province."""
    return AddressParser()


def parse_address(text: str) -> ParsedAddress:
    """Parse one address with :func:`default_parser`."""
    return default_parser().parse(text)


def parse_many(texts: Iterable[str]) -> list[ParsedAddress]:
    """Parse a batch with :func:`default_parser` (cached; one cpca call for the batch)."""
    return default_parser().parse_many(texts)
