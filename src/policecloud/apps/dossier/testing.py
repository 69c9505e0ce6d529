"""A mini province for tests: a handful of warehouse records and the master data resolution would make of
them, written by hand so each relation kind, conflict and jurisdiction case is known exactly.

Used by the dossier tests and by the API permission matrix (``seed_target``: every dossier route gets the mini
province's vehicle in the matrix world's county). Entity ids are fixed (hashes of fixed anchors), see ``IDS``.

The world, in county ``county`` unless said otherwise:
- 张伟 (P zhang) and 李娜 (P li): household H001, both live at 珞喻路1037号3栋201室 (address A home, house H home);
  张伟 owns vehicle 鄂A12345 (V car) whose inspection expired on 2026-04-30, with two violations and five passes;
  a second vehicle carries the same plate (V clone, a cloned plate); 张伟's birth date is in conflict.
- 王强 (P wang) is 张伟's co-offender in case A4201112026110001 and the hotel's legal representative; 赵敏
  (P zhao, county ``outside``) is its victim and shares 张伟's phone (T shared).
- 洪山宾馆 (O hotel): 张伟, 李娜 and ``guests`` other guests stayed the night of 2026-10-01.
- Two 110 calls: one at the home's door plate, one 300 m away; another far away.
- With ``outside_links``: 赵敏 and 孙丽 (P sun, county ``outside``) also stayed at the hotel that night, and
  赵敏 is the registered owner of the cloned-plate vehicle — persons outside the county named in its
  records, for the rule that other dossiers never identify them (``policecloud.apps.dossier.outside``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import tempfile
import weakref
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa

from policecloud.data.model.types.id_number import check_char
from policecloud.data.model.vectorized import connect
from policecloud.data.resolve.master import publish, runs_dir
from policecloud.data.warehouse import open_warehouse

TZ = ZoneInfo("Asia/Shanghai")
HOME = "湖北省武汉市洪山区珞喻路1037号3栋201室"
HOME_DOOR = "湖北省武汉市洪山区珞喻路1037号"
HOME_LON, HOME_LAT = 114.4100, 30.5100
RUN = "20261101T000000000000Z"


def eid(letter: str, anchor: str) -> str:
    return letter + hashlib.sha256(f"mini:{anchor}".encode()).hexdigest()[:16]


IDS = {
    "zhang": eid("P", "zhang"),
    "li": eid("P", "li"),
    "wang": eid("P", "wang"),
    "zhao": eid("P", "zhao"),
    "car": eid("V", "car"),
    "clone": eid("V", "clone"),
    "hotel": eid("O", "hotel"),
    "phone": eid("T", "13812345678"),
    "phone_li": eid("T", "13912345678"),
    "home": eid("A", "home"),
    "house": eid("H", "home"),
}
SUN = (eid("P", "sun"), "孙丽", "19950505567")  # the second outside guest: id, name, ID number digits 7–17


def id_number(first17: str) -> str:
    return first17 + check_char(first17)


def _t(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=TZ)


class _Builder:
    def __init__(self, county: str, outside: str, guests: int, outside_links: bool = False) -> None:
        self.county, self.outside, self.guests = county, outside, guests
        self.outside_links = outside_links
        self.tables: dict[str, list[dict[str, Any]]] = {}
        self.links: list[dict[str, Any]] = []
        self.claims: list[tuple[str, str, str, str, str, dt.datetime]] = []
        self.entities: dict[str, dict[str, Any]] = {}

    def record(self, table: str, source: str, **values: Any) -> str:
        rows = self.tables.setdefault(table, [])
        row = len(rows) + 1
        rows.append({"id": values.pop("id", f"{table}-{row}"), "row": row, **values, "source": source,
                     "batch": f"mini-{table}"})  # fmt: skip
        return f"mini-{table}:{row}"

    def link(self, key: str, role: str, entity_id: str, method: str = "id_number") -> None:
        table, row = key.split(":")[0].removeprefix("mini-"), int(key.split(":")[1])
        record = self.tables[table][row - 1]
        kind = {"P": "person", "V": "vehicle", "O": "organization", "T": "phone", "H": "house", "A": "address"}
        self.links.append({"record_key": key, "table_name": table, "record_id": record["id"],
                           "source": record["source"], "role": role, "entity_type": kind[entity_id[0]],
                           "entity_id": entity_id, "method": method, "score": 1.0})  # fmt: skip

    def claim(self, entity_id: str, prop: str, value: str, source: str, seen: str = "2026-10-01T00:00:00") -> None:
        self.claims.append((entity_id, prop, value, source, _t(seen)))

    def entity(self, entity_id: str, kind: str, caption: str, key: str | None, county: str | None) -> None:
        self.entities[entity_id] = {"entity_id": entity_id, "entity_type": kind, "caption": caption, "key": key,
                                    "county": county}  # fmt: skip


def _people(b: _Builder) -> dict[str, str]:
    c, o = b.county, b.outside
    ids = {"zhang": id_number(f"{c}19900101123"), "li": id_number(f"{c}19920202234"),
           "wang": id_number(f"{c}19880303345"), "zhao": id_number(f"{o}19910404456")}  # fmt: skip
    people = [
        ("zhang", "张伟", "male", "1990-01-01", HOME, "13812345678", "H001", "户主"),
        ("li", "李娜", "female", "1992-02-02", HOME, "13912345678", "H001", "配偶"),
        ("wang", "王强", "male", "1988-03-03", "湖北省武汉市洪山区光谷大道77号1栋101室", "13712345678", "H002", "户主"),
        (
            "zhao",
            "赵敏",
            "female",
            "1991-04-04",
            "湖北省宜昌市西陵区夷陵大道5号2栋302室",
            "13812345678",
            "H003",
            "户主",
        ),
    ]
    for who, name, sex, birth, home, phone, household, relation in people:
        key = b.record("person", "population_registry", id_number=ids[who], name=name, sex=sex,
                       birth_date=dt.date.fromisoformat(birth), registered_address=home, current_address=home,
                       phone=phone, household_number=household, household_relation=relation)  # fmt: skip
        b.link(key, "subject", IDS[who])
        b.link(key, "phone", eid("T", phone), "number")
        if home == HOME:
            b.link(key, "current_address", IDS["home"], "address_exact")
            b.link(key, "registered_address", IDS["home"], "address_exact")
        county = o if who == "zhao" else c
        b.entity(IDS[who], "person", name, ids[who], county)
        for prop, value in (("name", name), ("id_number", ids[who]), ("sex", sex), ("birth_date", birth),
                            ("phone", phone)):  # fmt: skip
            b.claim(IDS[who], prop, value, "population_registry")
        b.entity(eid("T", phone), "phone", phone, phone, None)
        b.claim(eid("T", phone), "number", phone, "population_registry")
    b.claim(IDS["zhang"], "birth_date", "1990-01-02", "hotel_stays", "2026-10-01T20:00:00")  # a conflict
    return ids


def _owner(b: _Builder, vehicle: str) -> tuple[str, str | None]:
    """(owner name, who) of a mini vehicle; who is None when the registration gives no ID number."""
    if vehicle == "car":
        return "张伟", "zhang"
    return ("赵敏", "zhao") if b.outside_links else ("钱某", None)


def _vehicles(b: _Builder, ids: dict[str, str]) -> None:
    for who, vin, regd in (("car", "LSVAM4187C2184847", "2020-05-01"), ("clone", "LGBH52E05AY123456", "2023-01-01")):
        key = b.record("vehicle", "traffic_vehicles", plate="鄂A12345", plate_type="02", brand="大众", color="A",
                       vin=vin, owner_name=_owner(b, who)[0], owner_id=_owner(b, who)[1] and ids[_owner(b, who)[1]],
                       registration_date=dt.date.fromisoformat(regd),
                       inspection_valid_until=dt.date(2026, 4, 30) if who == "car" else dt.date(2027, 1, 1),
                       )  # fmt: skip
        b.link(key, "subject", IDS[who], "plate_vin")
        if _owner(b, who)[1]:
            b.link(key, "owner", IDS[_owner(b, who)[1]])
        b.entity(IDS[who], "vehicle", "鄂A12345", "鄂A12345", b.county)
        for prop, value in (("plate", "鄂A12345"), ("vin", vin), ("brand", "大众"), ("registration_date", regd),
                            ("inspection_valid_until", "2026-04-30" if who == "car" else "2027-01-01")):  # fmt: skip
            b.claim(IDS[who], prop, value, "traffic_vehicles")
        b.claim(IDS[who], "owner_name", _owner(b, who)[0], "traffic_vehicles")
        if _owner(b, who)[1]:
            b.claim(IDS[who], "owner_id", ids[_owner(b, who)[1]], "traffic_vehicles")
    for n, (when, fine, points) in enumerate((("2026-09-01T08:00:00", 200.0, 3), ("2026-09-15T09:30:00", 100.0, 0))):
        key = b.record("traffic_violation", "traffic_violations", id=f"W{n + 1}", plate="鄂A12345", time=_t(when),
                       description="违法停车", fine=fine, points=points)  # fmt: skip
        b.link(key, "vehicle", IDS["car"], "plate")
    for code, lon, lat in (("4201110001", 114.40, 30.51), ("4201110002", 114.35, 30.55)):
        b.record("checkpoint", "checkpoint_registry", id=code, code=code, name=f"洪山卡口{code[-1]}", county=b.county,
                 location=f"{lon},{lat}")  # fmt: skip
    for n in range(5):
        b.record("checkpoint_pass", "checkpoint_passes", id=f"K{n + 1}", checkpoint_id=f"420111000{1 + n % 2}",
                 plate="鄂A12345", time=_t(f"2026-10-0{1 + n // 2}T{8 + n:02d}:00:00"), direction="northbound",
                 speed=40.0 + n)  # fmt: skip


def _places(b: _Builder, ids: dict[str, str]) -> None:
    key = b.record("house", "house_registry", id="FW0001", code="FW0001", address=HOME, use="residential",
                   owner_id=ids["zhang"])  # fmt: skip
    b.link(key, "subject", IDS["house"], "address")
    b.link(key, "address", IDS["home"], "address_exact")
    b.link(key, "owner", IDS["zhang"])
    b.entity(IDS["house"], "house", HOME, "FW0001", b.county)
    b.entity(IDS["home"], "address", HOME, "4201110000000001", b.county)
    for prop, value in (("address", HOME), ("code", "FW0001"), ("use", "residential"), ("owner_id", ids["zhang"])):
        b.claim(IDS["house"], prop, value, "house_registry")
    b.claim(IDS["home"], "text", HOME, "house_registry")
    b.claim(IDS["home"], "code", "4201110000000001", "house_registry")
    calls = [
        (HOME_DOOR, HOME_LON, HOME_LAT, "13912345678", "李娜", "报警人称家门口有人打架。"),
        ("湖北省武汉市洪山区珞喻路1050号", HOME_LON + 0.003, HOME_LAT, None, "路人", "报警人称路边车辆被砸。"),
        ("湖北省宜昌市西陵区夷陵大道5号", 111.29, 30.70, None, "赵敏", "报警人称手机被盗。"),
    ]
    for n, (place, lon, lat, phone, caller, text) in enumerate(calls):
        key = b.record("call110", "calls_110", id=f"J{n + 1}", call_number=f"J{n + 1}",
                       time=_t(f"2026-10-0{n + 1}T21:00:00"), place=place, location=f"{lon:.6f},{lat:.6f}",
                       caller_phone=phone, caller_name=caller, narrative=text, category="dispute")  # fmt: skip
        if phone:
            b.link(key, "caller", IDS["li"])
            b.link(key, "caller", eid("T", phone), "number")


def _hotel_and_case(b: _Builder, ids: dict[str, str]) -> None:
    uscc = "91420111MAURQ28399"  # a valid code (uscc.generate with Random(1), division 420111)
    key = b.record("organization", "organization_registry", name="洪山宾馆", uscc=uscc, org_type="hotel",
                   address=HOME_DOOR, legal_representative="王强", legal_representative_id_number=ids["wang"],
                   phone="027-87654321")  # fmt: skip
    b.link(key, "subject", IDS["hotel"], "uscc")
    b.link(key, "legal_representative", IDS["wang"])
    b.entity(IDS["hotel"], "organization", "洪山宾馆", uscc, b.county)
    for prop, value in (("name", "洪山宾馆"), ("uscc", uscc), ("org_type", "hotel"), ("legal_representative", "王强")):
        b.claim(IDS["hotel"], prop, value, "organization_registry")
    guests = [("zhang", ids["zhang"], "张伟"), ("li", ids["li"], "李娜")]
    guests += [(f"guest{n}", id_number(f"{b.county}1970010{n % 10}{n:03d}"[:17]), f"旅客{n}") for n in range(b.guests)]
    if b.outside_links:
        ids["sun"] = id_number(b.outside + SUN[2])
        guests += [("zhao", ids["zhao"], "赵敏"), ("sun", ids["sun"], SUN[1])]
    for who, number, name in guests:
        key = b.record("hotel_stay", "hotel_stays", start=_t("2026-10-01T20:00:00"), end=_t("2026-10-02T12:00:00"),
                       id_number=number, name=name, hotel_id=uscc,
                       room="301" if who in ("zhang", "li") else "5xx")  # fmt: skip
        person = IDS.get(who) or eid("P", who)
        b.link(key, "guest", person)
        b.link(key, "hotel", IDS["hotel"], "uscc")
        if who not in IDS:
            b.entity(person, "person", name, number, b.outside if who == "sun" else b.county)
            b.claim(person, "name", name, "hotel_stays")
    case = "A4201112026110001"
    b.record("criminal_case", "criminal_cases", id=case, case_number=case, time=_t("2026-09-20T23:00:00"),
             case_type="盗窃案", category="theft", status="open", summary="张伟、王强涉嫌盗窃电动车。")  # fmt: skip
    for who, role in (("zhang", "suspect"), ("wang", "suspect"), ("zhao", "victim")):
        key = b.record("case_involvement", "criminal_case_suspects", case_id=case, id_number=ids[who], role=role,
                       name={"zhang": "张伟", "wang": "王强", "zhao": "赵敏"}[who],
                       time=_t("2026-09-20T23:00:00"))  # fmt: skip
        b.link(key, role, IDS[who])


def _write_warehouse(b: _Builder, warehouse_dir: Path) -> None:
    warehouse = open_warehouse(warehouse_dir)
    for table, rows in b.tables.items():
        con = connect()
        try:
            con.register("rows", pa.Table.from_pylist(rows))
            with warehouse.batch(f"mini-{table}", {"source": rows[0]["source"]}, con=con) as batch:
                batch.write(table, "SELECT * FROM rows")
        finally:
            con.close()


def _write_master(b: _Builder, data_dir: Path) -> None:
    run_dir = runs_dir(data_dir) / RUN
    run_dir.mkdir(parents=True)
    con = connect()
    try:
        con.register("links_in", pa.Table.from_pylist(b.links))
        claims = pa.table(
            {n: [c[i] for c in b.claims] for i, n in enumerate(("entity_id", "property", "value", "source", "seen"))}
        )
        con.register("claims_in", claims)
        con.register("entities_in", pa.Table.from_pylist(list(b.entities.values())))
        con.execute(f"COPY (SELECT * FROM links_in) TO '{run_dir / 'links.parquet'}' (FORMAT parquet)")
        con.execute(
            f"""COPY (SELECT *, count(*) OVER (PARTITION BY entity_id, property) > 1
                                AND property IN ('birth_date', 'id_number', 'sex', 'vin') AS conflict
                  FROM (SELECT c.entity_id, e.entity_type, c.property, c.value,
                               list(DISTINCT c.source ORDER BY c.source) AS sources, count(*)::INTEGER AS records,
                               min(c.seen) AS first_seen, max(c.seen) AS last_seen
                        FROM claims_in c JOIN entities_in e USING (entity_id) GROUP BY ALL))
                TO '{run_dir / "statements.parquet"}' (FORMAT parquet)"""
        )
        con.execute(
            f"""COPY (SELECT e.*, coalesce(n.records, 0)::INTEGER AS records, s.first_seen, s.last_seen
                      FROM entities_in e
                      LEFT JOIN (SELECT entity_id, count(DISTINCT record_key) AS records FROM links_in GROUP BY 1) n
                        USING (entity_id)
                      LEFT JOIN (SELECT entity_id, min(seen) AS first_seen, max(seen) AS last_seen FROM claims_in
                                 GROUP BY 1) s USING (entity_id))
                TO '{run_dir / "entities.parquet"}' (FORMAT parquet)"""
        )
        con.execute(
            f"""COPY (SELECT '{IDS["home"]}' AS address_id, '4201110000000001' AS code, '{HOME}' AS text,
                         '420000' AS province, '420100' AS prefecture, '{b.county}' AS county, {HOME_LON} AS lon,
                         {HOME_LAT} AS lat, ['house_registry'] AS sources)
                TO '{run_dir / "address_registry.parquet"}' (FORMAT parquet)"""
        )
        con.execute(
            f"""COPY (SELECT record_key, table_name, role AS field, NULL::VARCHAR AS raw, entity_id AS address_id,
                         1.0 AS score, 'exact' AS method, []::VARCHAR[] AS candidates
                      FROM links_in WHERE entity_type = 'address')
                TO '{run_dir / "address_matches.parquet"}' (FORMAT parquet)"""
        )
    finally:
        con.close()
    (run_dir / "state.json").write_text(json.dumps({"run": RUN, "inputs": "mini", "done": {}}), encoding="utf-8")
    (run_dir / "FINISHED").write_text("mini", encoding="utf-8")
    publish(data_dir, RUN)


def write_mini_province(
    data_dir: Path, county: str = "420111", outside: str = "420502", guests: int = 30, outside_links: bool = False
) -> dict:
    """Write the mini province's warehouse and published master data under ``data_dir``; returns ``IDS``."""
    b = _Builder(county, outside, guests, outside_links)
    ids = _people(b)
    _vehicles(b, ids)
    _places(b, ids)
    _hotel_and_case(b, ids)
    _write_warehouse(b, Path(data_dir) / "warehouse")
    _write_master(b, Path(data_dir))
    return {**IDS, "id_numbers": ids}


def seed_target(path: str, app: Any, county: str) -> tuple[str, str] | None:
    """For the API permission matrix: a dossier route's path with the mini province's vehicle (in ``county``),
    the province written once per application and served by it; None for routes that are not the dossier's."""
    if not path.startswith("/api/dossier"):
        return None
    if getattr(app.state, "dossier_world", None) != county:
        from policecloud.apps.dossier.reader import DossierSource

        directory = Path(tempfile.mkdtemp(prefix="pc-mini-province-"))
        weakref.finalize(app, shutil.rmtree, directory, True)
        write_mini_province(directory, county)
        app.state.dossier = DossierSource(directory)
        app.state.dossier_world = county
    return IDS["car"], path.replace("{entity_id}", IDS["car"])
