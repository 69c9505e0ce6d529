"""Event intake: validate a batch of live events with the element types and put the valid ones on the bus.

Three kinds of events arrive from the field: checkpoint passes (卡口过车), hotel check-ins (旅馆入住) and
camera detections (视频结构化: vehicles and objects only — there is no field for a face, and an event
carrying any field not listed here is refused, so no biometric data can slip in). Every event is either
accepted (normalized, published durably on the bus) or rejected with a reason code ``<field>.<code>``;
the caller gets both lists, in the order of the batch.

The canonical event put on the bus is a flat dict: ``id`` (``<kind>:<source id>``), ``kind``, ``time``
(ISO 8601 with offset), ``place`` (checkpoint code, hotel USCC or camera code), ``county`` (the division
code the place lies in), the kind's own fields, and ``accepted_at`` (epoch seconds, for latency figures).
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from policecloud.data.model import types

KINDS = ("checkpoint_pass", "hotel_stay", "camera_detection")
# Objects an edge device may report. Persons are deliberately absent (no faces, no biometric identification).
DETECTED_OBJECTS = ("car", "truck", "bus", "motorcycle", "bicycle", "tricycle", "bag", "box", "other")
_SOURCE_ID = re.compile(r"[0-9A-Za-z_.:-]{1,48}")
_DIGITS = re.compile(r"[0-9]+")  # ASCII only: ``\d`` also matches full-width and other scripts' digits
# No field of any kind is longer than this (the longest real one, a hotel name, is 100): a longer value is
# refused before any parsing, so a batch of 20 kB "plates" costs no more than a batch of bad plates.
MAX_FIELD_CHARS = 256
MAX_FIELD_NAME_CHARS = 64  # unknown field names are echoed in the reply and the quarantine: clipped
_SCALARS = (str, int, float, bool)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # no field of a device's event holds a control character


@dataclass
class Rejection:
    index: int
    reason: str
    field: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "reason": self.reason, "field": self.field}


@dataclass
class Validated:
    accepted: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)


class _Invalid(Exception):
    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.field = name
        self.reason = reason


def _typed(type_name: str, name: str, value: Any, required: bool = True) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _Invalid(name, "missing")
        return None
    checked = types.get(type_name).check(str(value))
    if checked.reason:
        raise _Invalid(name, f"{type_name}.{checked.reason}")
    return checked.value


def _code(name: str, value: Any, lengths: tuple[int, ...]) -> str:
    """A device code of ASCII digits; full-width digits are normalized first (as the element types do), so
    ``４２０１０２…`` is the same device as ``420102…`` and never becomes a jurisdiction of its own."""
    text = unicodedata.normalize("NFKC", str(value or "")).strip()
    if not text:
        raise _Invalid(name, "missing")
    if not _DIGITS.fullmatch(text) or len(text) not in lengths:
        raise _Invalid(name, "format")
    return text


def _small_int(name: str, value: Any, low: int, high: int) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: int(float("inf"))
        raise _Invalid(name, "format") from None
    if not low <= number <= high:
        raise _Invalid(name, "range")
    return number


def _text(name: str, value: Any, limit: int) -> str:
    text = str(value or "").strip()
    if len(text) > limit:
        raise _Invalid(name, "too_long")
    return text


def _checkpoint_pass(raw: Mapping[str, Any]) -> dict[str, Any]:
    place = _code("checkpoint", raw.get("checkpoint"), (10,))
    return {
        "place": place,
        "county": place[:6],
        "plate": _typed("plate", "plate", raw.get("plate"), required=False),  # unread plates still count
        "plate_color": _text("plate_color", raw.get("plate_color"), 2),
        "direction": _small_int("direction", raw.get("direction"), 1, 9),
        "speed": _small_int("speed", raw.get("speed"), 0, 400),
    }


def _hotel_stay(raw: Mapping[str, Any]) -> dict[str, Any]:
    hotel = _typed("uscc", "hotel", raw.get("hotel"))
    return {
        "place": hotel,
        "county": hotel[2:8],
        "place_name": _text("hotel_name", raw.get("hotel_name"), 100),
        "id_number": _typed("id_number", "id_number", raw.get("id_number")),
        "name": _text("name", raw.get("name"), 64),
        "phone": _typed("phone", "phone", raw.get("phone"), required=False),
        "room": _text("room", raw.get("room"), 16),
    }


def _camera_detection(raw: Mapping[str, Any]) -> dict[str, Any]:
    place = _code("camera", raw.get("camera"), (20,))
    obj = str(raw.get("object") or "").strip()
    if obj not in DETECTED_OBJECTS:
        raise _Invalid("object", "unknown_object" if obj else "missing")
    return {
        "place": place,
        "county": place[:6],
        "object": obj,
        "plate": _typed("plate", "plate", raw.get("plate"), required=False),
        "color": _text("color", raw.get("color"), 16),
    }


_SHAPES: dict[str, tuple[Callable[[Mapping[str, Any]], dict[str, Any]], frozenset[str]]] = {
    "checkpoint_pass": (
        _checkpoint_pass,
        frozenset({"checkpoint", "plate", "plate_color", "direction", "speed"}),
    ),
    "hotel_stay": (_hotel_stay, frozenset({"hotel", "hotel_name", "id_number", "name", "phone", "room"})),
    "camera_detection": (_camera_detection, frozenset({"camera", "object", "plate", "color"})),
}
_COMMON = frozenset({"kind", "id", "time"})


def normalize(raw: Any) -> dict[str, Any]:
    """One raw event → its canonical form; raises :class:`_Invalid` with the field and reason code."""
    if not isinstance(raw, Mapping):
        raise _Invalid("", "not_an_object")
    kind = raw.get("kind")
    if not isinstance(kind, str) or kind not in _SHAPES:  # a list or object as kind is not hashable
        raise _Invalid("kind", "unknown_kind")
    shape, allowed = _SHAPES[kind]
    unknown = sorted(str(name) for name in set(raw) - allowed - _COMMON)
    if unknown:
        raise _Invalid(unknown[0][:MAX_FIELD_NAME_CHARS], "unknown_field")
    for name, value in raw.items():
        if value is not None and not isinstance(value, _SCALARS):
            raise _Invalid(name, "not_a_value")
        if isinstance(value, str) and len(value) > MAX_FIELD_CHARS:
            raise _Invalid(name, "too_long")
        if isinstance(value, str) and _CONTROL.search(value):  # a NUL cannot be stored in PostgreSQL text
            raise _Invalid(name, "control_character")
    source_id = str(raw.get("id") or "").strip()
    if not _SOURCE_ID.fullmatch(source_id):
        raise _Invalid("id", "format" if source_id else "missing")
    when = _typed("datetime", "time", raw.get("time"))
    return {"id": f"{kind}:{source_id}", "kind": kind, "time": when.isoformat(), **shape(raw)}


def validate(batch: Sequence[Any]) -> Validated:
    out = Validated()
    now = time.time()
    for index, raw in enumerate(batch):
        try:
            event = normalize(raw)
        except _Invalid as problem:
            out.rejected.append(Rejection(index, problem.reason, problem.field))
            continue
        event["accepted_at"] = now
        out.accepted.append(event)
    return out
