"""The levels below the county: township, community, road, door number, named place and the building part.

The text after the divisions is read left to right, each level optional, in the order addresses are written:

    township (乡/镇/街道) → community (社区/村) → road (路/街/大道/巷…, or a village group "3组") → number (8号)
    → poi (the named place: campus, compound, tower) → building → unit → floor → room

Each level is a regular expression on a name and its suffix, taken at the current position only, with a few
checks that keep a suffix inside a longer name from ending the name too early (街道口 is a place, 田家镇街道 is
one township, 鲁巷广场 is a mall). The poi is what lies between the street part and the building part: the
building part is found as the earliest position from which the rest of the text reads completely as building /
unit / floor / room, so digits inside a name (武钢二号门) stay in the name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from policecloud.data.model.address.text import CJK, CN_NUMERAL_CHARS, numeral

_N = rf"[0-9]+|[{CN_NUMERAL_CHARS}]+"  # a number in digits or Chinese numerals

# Suffixes of each named level; a name is the shortest run of name characters before one of them that passes
# the level's checks (tried from the shortest, so 七里河路 is read past the 里 inside it).
_TOWNSHIP = re.compile("街道办事处|街道办|街办|街道|镇|乡")
_COMMUNITY = re.compile("社区居民委员会|社区居委会|社区|居民委员会|居委会|村民委员会|村委会|村")
_ROAD = re.compile("大道|大街|胡同|路|街|巷|里|弄")
_ZONE = re.compile(
    "新技术产业开发区|新技术开发区|高新技术产业开发区|经济技术开发区|经济开发区|高新区|开发区|工业园区|新区"
)
_NAME_CHAR = re.compile(f"[{CJK}]")
_ROAD_NAME_CHAR = re.compile(f"[{CJK}A-Z]")
_GROUP = re.compile(rf"第?({_N})(?:村民小组|组)")
_NUMBER = re.compile(rf"(附?)([0-9]+(?:-[0-9]+)?|[{CN_NUMERAL_CHARS}]+)号(?![楼房栋座幢])")
_BARE_NUMBER = re.compile(rf"([0-9]+)(?=[{CJK}]|$)(?!栋|幢|单元|楼|层|室|房|座|组|号)")

_STREET_WORDS = re.compile(r"路|街|大道|巷|号|组")
_VILLAGE_NOT = re.compile(r"路|街|大道|巷|小区|花园|公寓")
_NOT_AFTER_TOWNSHIP = re.compile(r"花园|小区|公寓|广场|大道|大厦|路|街(?!道)|宾馆|酒店|饭店|中学|小学|医院")
_WEAK_ROAD = frozenset("巷里弄")
_AFTER_WEAK_ROAD = re.compile(rf"$|[0-9A-Z]|[{CN_NUMERAL_CHARS}]+(?:号|栋|幢|座|单元|楼|层)")

_SHORTHAND3 = re.compile(r"([0-9]+|[A-Z])-([0-9]+)-([0-9]+)(?:室|号|房)?")
_SHORTHAND2 = re.compile(r"([0-9]+|[A-Z])-([0-9]+)(?:室|房)?(?![0-9\-号])")
_BUILDING = re.compile(rf"第?([0-9]+|[A-Z][0-9]*|[{CN_NUMERAL_CHARS}]+)(?:号楼|号栋|号幢|号座|栋|幢|座)")
_UNIT = re.compile(rf"第?([0-9]+|[A-Z]|[{CN_NUMERAL_CHARS}]+)单元号?")
_FLOOR = re.compile(rf"(负?[0-9]+|-[0-9]+|负?[{CN_NUMERAL_CHARS}]+)(?:层|楼)(?![栋座])")
_ROOM = re.compile(rf"([A-Z]?[0-9]+|[{CN_NUMERAL_CHARS}]+)(室|号房|房间|房|号)?")
_NOISE = re.compile(rf"(?:[与和][{CJK}]+?(?:交汇处|交叉口|路口)|附近|旁边|对面|周边|一带)$")
_SECTION = re.compile("[东西南北中]段")
_ANNEX = re.compile(rf"附([0-9]+|[{CN_NUMERAL_CHARS}]+)号(?![楼房栋座幢])")

TAIL_ELEMENTS = ("building", "unit", "floor", "room")


@dataclass(slots=True)
class Street:
    """The elements read below the county (None when absent) and what could not be read."""

    township: str | None = None
    community: str | None = None
    road: str | None = None
    number: str | None = None
    poi: str | None = None
    building: str | None = None
    unit: str | None = None
    floor: str | None = None
    room: str | None = None
    unparsed: str | None = None


def read_street(text: str, pos: int = 0) -> Street:
    """Read ``text[pos:]`` (cleaned text, see :func:`address_text.clean`) as the levels below the county."""
    street = Street()
    skipped: list[str] = []
    pos = _skip_zone(text, pos, skipped)
    pos = _read_township(text, pos, street)
    pos = _read_community(text, pos, street)
    pos = _read_road(text, pos, street)
    pos = _read_number(text, pos, street)
    _read_place_and_building(text[pos:], street)
    if skipped:
        street.unparsed = "".join(skipped) + (street.unparsed or "")
    return street


def _names(text: str, pos: int, suffixes: re.Pattern, name_char: re.Pattern, shortest: int, longest: int):
    """Every (name, suffix, end) at ``pos``: a run of name characters followed by a suffix, shortest first."""
    for j in range(pos + 1, min(pos + longest, len(text)) + 1):
        if not name_char.match(text, j - 1):
            return
        if j - pos >= shortest:
            m = suffixes.match(text, j)
            if m is not None:
                yield text[pos:j], m.group(), m.end()


def _skip_zone(text: str, pos: int, skipped: list[str]) -> int:
    """Development zones (东湖新技术开发区) are no GB/T 2260 division: kept aside, reading goes on after them."""
    for _name, _suffix, end in _names(text, pos, _ZONE, _NAME_CHAR, 2, 10):
        skipped.append(text[pos:end])
        return end
    return pos


def _read_township(text: str, pos: int, street: Street) -> int:
    for name, suffix, end in _names(text, pos, _TOWNSHIP, _NAME_CHAR, 2, 7):
        if suffix in ("镇", "乡"):
            if _STREET_WORDS.search(name) or "村" in name:
                continue
            if text.startswith("街道", end):  # 田家镇街道: a 街道 whose name ends in 镇
                name, suffix, end = name + suffix, "街道", end + 2
            elif _NOT_AFTER_TOWNSHIP.match(text, end):
                continue
        elif text.startswith("口", end) or (suffix == "街办" and text.startswith("公", end)):
            continue  # 街道口 (a place), 汉正街办公楼
        street.township = name + (suffix if suffix in ("镇", "乡") else "街道")
        return end
    return pos


def _read_community(text: str, pos: int, street: Street) -> int:
    for name, suffix, end in _names(text, pos, _COMMUNITY, _NAME_CHAR, 2, 10):
        if suffix.startswith("村"):
            if _VILLAGE_NOT.search(name) or (name.endswith("新") and street.township is None):
                continue  # 工人新村 in town is a compound, not a village
            street.community = name + "村"
        else:
            inner = name[:-2] if name.endswith("大道") else name[:-1]
            if _STREET_WORDS.search(inner):  # a road may end the name (中南路社区), not sit inside it
                continue
            street.community = name + "社区"
        return end
    return pos


def _read_road(text: str, pos: int, street: Street) -> int:
    m = _GROUP.match(text, pos)
    if m is not None:
        street.road = numeral(m.group(1)) + "组"
        return m.end()
    for name, suffix, end in _names(text, pos, _ROAD, _ROAD_NAME_CHAR, 1, 12):
        if not _NAME_CHAR.search(name) or (suffix == "街" and text.startswith("道", end)):
            continue
        if suffix in _WEAK_ROAD and not _AFTER_WEAK_ROAD.match(text, end):
            continue  # 鲁巷广场 is a mall, 鲁巷8号 a lane
        section = _SECTION.match(text, end)  # 雄楚大道东段
        street.road = name + suffix + (section.group() if section else "")
        return section.end() if section else end
    return pos


def _read_number(text: str, pos: int, street: Street) -> int:
    m = _NUMBER.match(text, pos)
    if m is not None:
        street.number = m.group(1) + numeral(m.group(2)) + "号"
        annex = _ANNEX.match(text, m.end())  # 8号附1号
        if annex is not None:
            street.number += "附" + numeral(annex.group(1)) + "号"
            return annex.end()
        return m.end()
    if street.road is not None and not street.road.endswith("组"):
        m = _BARE_NUMBER.match(text, pos)
        if m is not None:  # 珞喻路129华中科技大学: the number without 号
            street.number = m.group(1) + "号"
            return m.end()
    return pos


def _read_place_and_building(rest: str, street: Street) -> None:
    """Split ``rest`` into the named place and the building part; what fits neither is left unparsed."""
    if not rest:
        return
    noise = _NOISE.search(rest)
    body = rest[: noise.start()] if noise else rest
    unparsed = [noise.group(0)] if noise else []
    split = None
    # Never split inside a run of digits and letters (12345, B12).
    splits = [i for i in range(len(body)) if i == 0 or not (body[i - 1].isalnum() and body[i - 1].isascii())]
    for i in splits:
        tail = _read_tail(body, i, bare_room_ok=bool(i or street.number), number_ok=i > 0 and not street.number)
        if tail is not None and tail[1] == len(body):
            split = (i, tail[0], len(body))
            break
    if split is None:  # the building part, when there is one, is followed by text it cannot read
        for i in splits:
            tail = _read_tail(body, i, bare_room_ok=False, number_ok=False)
            if tail is not None:
                split = (i, tail[0], tail[1])
                unparsed.insert(0, body[tail[1] :])
                break
    place = body if split is None else body[: split[0]]
    if split is not None:
        for key, value in split[1].items():
            setattr(street, key, value)
    if place and re.search(f"[{CJK}A-Z]", place):
        street.poi = place
    elif place:
        unparsed.insert(0, place)
    street.unparsed = "".join(unparsed) or None


def _read_tail(text: str, i: int, bare_room_ok: bool, number_ok: bool) -> tuple[dict[str, str], int] | None:
    """Building / unit / floor / room from ``text[i:]``: the elements read and where reading stopped."""
    found: dict[str, str] = {}
    if number_ok:  # 王家湾15号: a door number after a place name
        m = _NUMBER.match(text, i)
        if m is not None:
            found["number"], i = m.group(1) + numeral(m.group(2)) + "号", m.end()
    m = _SHORTHAND3.match(text, i)
    if m is not None:  # 3-2-501: building-unit-room
        b, u, r = m.groups()
        return found | {"building": b + "栋", "unit": u + "单元", "room": r + "室"}, m.end()
    m = _BUILDING.match(text, i)
    if m is not None:
        found["building"], i = numeral(m.group(1)) + "栋", m.end()
    m = _SHORTHAND2.match(text, i)
    if m is not None:  # 3栋2-501 is unit-room; 3-501 alone is building-room
        has_building = "building" in found
        found["unit" if has_building else "building"] = m.group(1) + ("单元" if has_building else "栋")
        found["room"] = m.group(2) + "室"
        return found, m.end()
    m = _UNIT.match(text, i)
    if m is not None:
        found["unit"], i = numeral(m.group(1)) + "单元", m.end()
    m = _FLOOR.match(text, i)
    if m is not None:
        value = numeral(m.group(1))
        if value.lstrip("-").isdigit():
            found["floor"], i = value + "层", m.end()
    m = _ROOM.match(text, i)
    if m is not None:
        number, suffix = m.group(1), m.group(2)
        is_digits = number.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ").isdigit()
        bare_ok = is_digits and (found or bare_room_ok)
        if (suffix and suffix != "号" and (is_digits or numeral(number).isdigit())) or (suffix == "号" and found):
            found["room"], i = numeral(number) + "室", m.end()
        elif suffix is None and bare_ok:
            found["room"], i = number + "室", m.end()
    return (found, i) if found else None
