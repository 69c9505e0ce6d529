"""Scales and mess rates of the synthetic province: one frozen object passed to every generator step."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import date


@dataclass(frozen=True)
class Scale:
    name: str
    persons: int
    days: int
    passes: int  # target number of checkpoint passes over all days (calibrated, approximate)
    out_of_province_vehicles: int
    hotel_stays_per_day: int
    internet_sessions_per_day: int
    calls_110_per_day: int
    cases: int
    cell_reports_per_day: int


SCALES: dict[str, Scale] = {
    "tiny": Scale("tiny", 2_000, 7, 50_000, 300, 120, 150, 40, 30, 4_000),
    "small": Scale("small", 50_000, 14, 5_000_000, 5_000, 2_500, 3_000, 400, 600, 60_000),
    "medium": Scale("medium", 1_000_000, 30, 100_000_000, 80_000, 40_000, 50_000, 5_000, 10_000, 600_000),
}


@dataclass(frozen=True)
class MessRates:
    """Probability that one record (or one field, where said) of a source gets each kind of error.

    Rates apply per eligible record of a source that can carry that error; the truth lists every instance.
    """

    similar_char_name: float = 0.03  # one character of the name swapped for a look-/sound-alike
    fullwidth_digits: float = 0.02  # digits of an identifier or phone written full-width
    date_format: float = 0.10  # a date in another of the formats the source system uses
    missing_field: float = 0.03  # an optional field left blank
    wrong_check_digit: float = 0.005  # identifier with a wrong check character
    stray_spaces: float = 0.02  # leading/trailing/inner spaces in a text field
    swapped_fields: float = 0.005  # two fields exchanged (e.g. name and phone)
    duplicate_in_source: float = 0.01  # the same person entered twice in one registry
    plate_misread: float = 0.004  # checkpoint OCR confuses a character (0/D, 8/B, …)
    plate_unread: float = 0.01  # checkpoint pass without a recognised plate

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class SynthConfig:
    scale: Scale
    seed: int = 1
    start: date = date(2026, 10, 1)  # first day of activity; fixed so that output never depends on "now"
    mess: MessRates = field(default_factory=MessRates)
    chunk_rows: int = 500_000  # rows per write batch of the streamed pass files

    @classmethod
    def for_scale(cls, name: str, seed: int = 1, **changes: object) -> SynthConfig:
        if name not in SCALES:
            raise ValueError(f"unknown scale {name!r}; choose one of {', '.join(SCALES)}")
        return replace(cls(scale=SCALES[name], seed=seed), **changes)
