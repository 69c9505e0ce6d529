"""Errors injected into source records at configured rates; every instance is logged for the truth.

Each source gets its own :class:`Mess` (own random stream). A method returns the possibly corrupted value
and, when it corrupted it, appends ``(source, record_id, field, kind, clean, dirty)`` to ``errors``.
"""

from __future__ import annotations

import random
from datetime import date, datetime

from policecloud.synth import identifiers as ids
from policecloud.synth.config import MessRates
from policecloud.synth.names import name_tables

FULLWIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
OCR_CONFUSION = {
    "0": "D",
    "D": "0",
    "8": "B",
    "B": "8",
    "5": "S",
    "S": "5",
    "2": "Z",
    "Z": "2",
    "1": "7",
    "7": "1",
    "6": "G",
    "G": "6",
    "Q": "0",
}
ERROR_KINDS = (
    "similar_char_name",
    "fullwidth_digits",
    "date_format",
    "missing_field",
    "wrong_check_digit",
    "stray_spaces",
    "swapped_fields",
    "duplicate_in_source",
    "plate_misread",
    "plate_unread",
)


class Mess:
    def __init__(self, source: str, rates: MessRates, rng: random.Random) -> None:
        self.source, self.rates, self.rng = source, rates, rng
        self.errors: list[tuple[str, str, str, str, str, str]] = []

    def log(self, record: str, field: str, kind: str, clean: object, dirty: object) -> None:
        self.errors.append(
            (self.source, record, field, kind, "" if clean is None else str(clean), "" if dirty is None else str(dirty))
        )

    def name(self, record: str, field: str, value: str) -> str:
        if self.rng.random() < self.rates.similar_char_name:
            dirty = name_tables().misspell(self.rng, value)
            if dirty is not None:
                self.log(record, field, "similar_char_name", value, dirty)
                return dirty
        return value

    def identifier(self, record: str, field: str, value: str) -> str:
        """Wrong check character or full-width digits in an ID number (or any 18-character code)."""
        if self.rng.random() < self.rates.wrong_check_digit and len(value) == 18:
            right = ids.id_check_char(value[:17]) if value[:17].isdigit() else value[17]
            wrong = self.rng.choice([c for c in "0123456789X" if c != right])
            dirty = value[:17] + wrong
            self.log(record, field, "wrong_check_digit", value, dirty)
            return dirty
        return self.fullwidth(record, field, value)

    def fullwidth(self, record: str, field: str, value: str) -> str:
        if value and self.rng.random() < self.rates.fullwidth_digits:
            dirty = value.translate(FULLWIDTH)
            if dirty != value:
                self.log(record, field, "fullwidth_digits", value, dirty)
                return dirty
        return value

    def date(self, record: str, field: str, value: date | datetime, usual: str, others: tuple[str, ...]) -> str:
        """The date in the source's usual format, or (at the configured rate) in one of its other formats."""
        clean = value.strftime(usual)
        if others and self.rng.random() < self.rates.date_format:
            dirty = value.strftime(self.rng.choice(others))
            if dirty != clean:
                self.log(record, field, "date_format", clean, dirty)
                return dirty
        return clean

    def missing(self, record: str, field: str, value: str) -> str:
        if value and self.rng.random() < self.rates.missing_field:
            self.log(record, field, "missing_field", value, "")
            return ""
        return value

    def spaces(self, record: str, field: str, value: str) -> str:
        if value and self.rng.random() < self.rates.stray_spaces:
            where = self.rng.randrange(3)
            if where == 0:
                dirty = " " + value
            elif where == 1:
                dirty = value + "  "
            else:
                i = self.rng.randrange(1, len(value)) if len(value) > 1 else 1
                dirty = value[:i] + " " + value[i:]
            self.log(record, field, "stray_spaces", value, dirty)
            return dirty
        return value

    def swap(self, record: str, row: dict[str, str], a: str, b: str) -> None:
        """Exchange two fields of a row in place (a clerk typing into the wrong box)."""
        if row.get(a) and row.get(b) and self.rng.random() < self.rates.swapped_fields:
            self.log(record, f"{a}<->{b}", "swapped_fields", f"{row[a]}|{row[b]}", f"{row[b]}|{row[a]}")
            row[a], row[b] = row[b], row[a]

    def duplicate(self) -> bool:
        return self.rng.random() < self.rates.duplicate_in_source
