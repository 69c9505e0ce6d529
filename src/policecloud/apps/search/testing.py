"""A hand-written mini province for search tests: master data written per the contract, texts in a warehouse.

The world (all in Hubei): persons in 洪山区 (420111) and 西陵区 (420502, another prefecture), a vehicle, an
organization, a phone, a house, 110 calls and criminal cases. :class:`MiniWorld` names the records tests look
for. Also :func:`seed_target`, which gives the API's permission matrix a fresh searchable target per cell.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from policecloud.data.model.types import id_number, phone, plate, uscc, vin
from policecloud.data.model.vectorized import connect

T0 = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
HONGSHAN, XILING = "420111", "420502"
SURNAMES = "王李张刘陈杨赵黄周吴"
GIVEN = "伟芳娜敏静强磊军洋勇艳杰娟涛明超秀霞平刚"


def entity_id(kind: str, anchor: str) -> str:
    import hashlib

    return kind + hashlib.sha1(anchor.encode()).hexdigest()[:16]


@dataclass
class MiniWorld:
    data_dir: Path
    persons: dict[str, dict] = field(default_factory=dict)  # label → {entity_id, name, id_number, phone, county}
    others: dict[str, dict] = field(default_factory=dict)  # vehicle, organization, phone, house
    calls: dict[str, dict] = field(default_factory=dict)  # label → {doc_id, narrative, county}
    entities: list[dict] = field(default_factory=list)
    statements: list[dict] = field(default_factory=list)
    links: list[dict] = field(default_factory=list)

    @property
    def master_dir(self) -> Path:
        return self.data_dir / "master"

    @property
    def warehouse_dir(self) -> Path:
        return self.data_dir / "warehouse"

    @property
    def search_root(self) -> Path:
        return self.data_dir / "search"

    def add_entity(
        self,
        kind: str,
        etype: str,
        caption: str,
        key: str | None,
        county: str | None,
        records: int,
        props: dict[str, list[str]],
        days: int = 0,
    ) -> str:
        eid = entity_id(kind, key or caption)
        first, last = T0 - timedelta(days=30 + days), T0 + timedelta(days=days)
        self.entities.append(
            {
                "entity_id": eid,
                "entity_type": etype,
                "caption": caption,
                "key": key,
                "county": county,
                "records": records,
                "first_seen": first,
                "last_seen": last,
            }
        )
        for prop, values in props.items():
            for value in values:
                self.statements.append(
                    {
                        "entity_id": eid,
                        "entity_type": etype,
                        "property": prop,
                        "value": value,
                        "sources": ["src"],
                        "records": 1,
                        "first_seen": first,
                        "last_seen": last,
                        "conflict": len(values) > 1,
                    }
                )
        return eid

    def person(
        self,
        label: str,
        name: str,
        county: str,
        rng: random.Random,
        records: int = 1,
        other_names: tuple[str, ...] = (),
        address: str | None = None,
    ) -> dict:
        number = id_number.generate(rng, division=county)
        mobile = phone.generate(rng)
        props = {"name": [name, *other_names], "id_number": [number], "phone": [mobile]}
        if address:
            props["address"] = [address]
        eid = self.add_entity("P", "person", name, number, county, records, props)
        info = {"entity_id": eid, "name": name, "id_number": number, "phone": mobile, "county": county}
        if label:
            self.persons[label] = info
        return info


def _table(rows: list[dict], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=schema)


STATEMENTS = pa.schema(
    [
        ("entity_id", pa.string()),
        ("entity_type", pa.string()),
        ("property", pa.string()),
        ("value", pa.string()),
        ("sources", pa.list_(pa.string())),
        ("records", pa.int32()),
        ("first_seen", pa.timestamp("us", tz="UTC")),
        ("last_seen", pa.timestamp("us", tz="UTC")),
        ("conflict", pa.bool_()),
    ]
)
ENTITIES = pa.schema(
    [
        ("entity_id", pa.string()),
        ("entity_type", pa.string()),
        ("caption", pa.string()),
        ("key", pa.string()),
        ("county", pa.string()),
        ("records", pa.int32()),
        ("first_seen", pa.timestamp("us", tz="UTC")),
        ("last_seen", pa.timestamp("us", tz="UTC")),
    ]
)
LINKS = pa.schema(
    [
        (c, pa.string())
        for c in ("record_key", "table_name", "record_id", "source", "role", "entity_type", "entity_id", "method")
    ]
    + [("score", pa.float64())]
)


def write_master(world: MiniWorld, run_id: str = "run-1") -> Path:
    """Write the world's master tables as a published run (``<data_dir>/master/current.json``)."""
    run = world.master_dir / "runs" / run_id
    run.mkdir(parents=True, exist_ok=True)
    pq.write_table(_table(world.entities, ENTITIES), run / "entities.parquet")
    pq.write_table(_table(world.statements, STATEMENTS), run / "statements.parquet")
    pq.write_table(_table(world.links, LINKS), run / "links.parquet")
    (run / "FINISHED").write_text("", encoding="utf-8")
    (world.master_dir / "current.json").write_text(json.dumps({"run": run_id}), encoding="utf-8")
    return run


def write_table(warehouse_dir: Path, batch_id: str, table: str, rows: list[dict]) -> None:
    """Rows of one warehouse table as one committed batch (lineage columns and ``day`` as ingestion adds them)."""
    from policecloud.data.warehouse import open_warehouse

    con: duckdb.DuckDBPyConnection = connect()
    try:
        with open_warehouse(warehouse_dir).batch(batch_id, con=con) as batch:
            data = pa.Table.from_pylist([{**r, "batch": batch_id, "row": i + 1} for i, r in enumerate(rows)])
            con.register("pc_rows", data)
            batch.write(table, "SELECT *, CAST(time AS DATE) AS day FROM pc_rows", partition_by=("day",))
    finally:
        con.close()


def call(number: str, narrative: str, place: str, caller: str, caller_phone: str, hours: int = 0) -> dict:
    return {
        "id": number,
        "call_number": number,
        "time": T0 + timedelta(hours=hours),
        "place": place,
        "location": None,
        "caller_phone": caller_phone,
        "caller_name": caller,
        "narrative": narrative,
        "category": "criminal",
        "source": "calls_110",
    }


def mini_province(data_dir: Path, seed: int = 7, crowd: int = 300, vehicles: int = 0) -> MiniWorld:
    """Build the world, write its master run and its warehouse texts under ``data_dir``. ``crowd`` more
    persons and ``vehicles`` more vehicles make it as large as a benchmark needs."""
    rng = random.Random(seed)
    w = MiniWorld(Path(data_dir))
    addr = "湖北省武汉市洪山区珞喻路1037号3栋201室"
    w.person("zhang_wei", "张伟", HONGSHAN, rng, records=6, address=addr)
    w.person("zhang_wei_far", "张伟", XILING, rng, records=9)
    w.person("liu_jianguo", "刘建国", HONGSHAN, rng, records=4, other_names=("柳建国",))  # typo linked by resolution
    w.person("liu_deming", "刘德明", HONGSHAN, rng, records=3)
    w.person("wang_li_far", "王丽", XILING, rng, records=2)
    for label, name in (("d1", "柳德华"), ("d2", "李德明"), ("d3", "刘德华"), ("d4", "刘得明")):
        w.person(label, name, HONGSHAN, rng, records=1)
    for _ in range(crowd):  # a crowd of common names: many near neighbours for every name query
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        w.person("", name, rng.choice((HONGSHAN, XILING, "420102")), rng, records=rng.randint(1, 3))
    counties = ("420102", "420111", "420502", "420602", "421002")
    for _ in range(vehicles):
        number = plate.generate(rng)
        w.add_entity("V", "vehicle", number, number, rng.choice(counties), rng.randint(1, 50),
                     {"plate": [number], "vin": [vin.generate(rng)]})  # fmt: skip
    owner = w.persons["zhang_wei"]
    car_plate, car_vin = plate.generate(rng, issuer="A"), vin.generate(rng)
    w.others["vehicle"] = {
        "entity_id": w.add_entity(
            "V",
            "vehicle",
            car_plate,
            car_plate,
            HONGSHAN,
            12,
            {"plate": [car_plate], "vin": [car_vin], "brand": ["比亚迪"], "color": ["白"]},
        ),
        "plate": car_plate,
        "vin": car_vin,
    }
    code = uscc.generate(rng, division=HONGSHAN)
    w.others["organization"] = {
        "entity_id": w.add_entity(
            "O",
            "organization",
            "武汉珞珈山宾馆有限公司",
            code,
            HONGSHAN,
            30,
            {
                "name": ["武汉珞珈山宾馆有限公司"],
                "uscc": [code],
                "org_type": ["hotel"],
                "address": ["湖北省武汉市洪山区珞喻路100号"],
            },
        ),
        "uscc": code,
    }
    number = owner["phone"]
    w.others["phone"] = {
        "entity_id": w.add_entity("T", "phone", number, number, HONGSHAN, 8, {"phone": [number]}),
        "phone": number,
    }
    w.others["house"] = {
        "entity_id": w.add_entity("H", "house", addr, "4201110010001", HONGSHAN, 3, {"address": [addr]})
    }
    calls = [
        (
            "near",
            call(
                "J42011120261001000001",
                "报警人称其停放在珞喻路1037号附近的电动车被盗，价值约3000元。",
                "湖北省武汉市洪山区珞喻路1037号",
                "张伟",
                number,
            ),
        ),
        (
            "fraud",
            call(
                "J42011120261001000002",
                "报警人称接到自称客服的电话，被骗转账5000元。",
                "湖北省武汉市洪山区民族大道12号",
                "李娜",
                phone.generate(rng),
                hours=30,
            ),
        ),
        (
            "far",
            call(
                "J42050220261001000003",
                "报警人称在夷陵大道发生两车刮擦事故，请求处理。",
                "湖北省宜昌市西陵区夷陵大道88号",
                "王丽",
                phone.generate(rng),
                hours=60,
            ),
        ),
    ]
    rows = [c for _, c in calls]
    for i, (label, c) in enumerate(calls):
        key = f"calls-1:{i + 1}"
        w.calls[label] = {"doc_id": f"call110:{key}", "narrative": c["narrative"], "record_key": key}
    w.links.append(
        {
            "record_key": "calls-1:1",
            "table_name": "call110",
            "record_id": rows[0]["id"],
            "source": "calls_110",
            "role": "caller",
            "entity_type": "person",
            "entity_id": owner["entity_id"],
            "method": "id_number",
            "score": 1.0,
        }
    )
    w.links.append(
        {
            "record_key": "calls-1:1",
            "table_name": "call110",
            "record_id": rows[0]["id"],
            "source": "calls_110",
            "role": "phone",
            "entity_type": "phone",
            "entity_id": w.others["phone"]["entity_id"],
            "method": "number",
            "score": 1.0,
        }
    )
    case = {
        "id": "A4201112026100000001",
        "case_number": "A4201112026100000001",
        "time": T0 + timedelta(days=2),
        "place": "湖北省武汉市洪山区珞喻路1037号",
        "case_type": "criminal",
        "category": "盗窃案",
        "status": "open",
        "summary": "2026年10月1日，张伟报称其电动车在珞喻路附近被盗。",
        "source": "criminal_cases",
    }
    write_master(w)
    write_table(w.warehouse_dir, "calls-1", "call110", rows)
    write_table(w.warehouse_dir, "cases-1", "criminal_case", [case])
    w.calls["case"] = {"doc_id": "criminal_case:cases-1:1", "narrative": case["summary"], "record_key": "cases-1:1"}
    return w


# --- the API permission matrix ----------------------------------------------------------------------------
def seed_target(path: str, app, code: str) -> str | None:
    """For ``/api/search``: a fresh person named 张伟 in ``code``'s county, in an in-memory index served by
    ``app``; returns its entity id (the matrix looks for it in the ``hits``). None for other routes."""
    if path != "/api/search":
        return None
    import tantivy

    from policecloud.apps.search.fields import SearchDoc, build_schema, to_document
    from policecloud.apps.search.index import IndexHandle, SearchIndex

    handle = getattr(app.state, "search_index", None)
    if handle is None or handle.get() is None or handle.get().path is not None:
        index = SearchIndex(None, tantivy.Index(build_schema()), {"home_province": code[:2]}, {})
        app.state.search_index = handle = IndexHandle(fixed=index)
    index = handle.get()
    n = index.searcher().num_docs
    eid = entity_id("P", f"matrix-{n}")
    writer = index.index.writer(15_000_000, 1)
    writer.add_document(to_document(SearchDoc(eid, "person", "张伟", names=["张伟"], county=code[:6], records=1), None))
    writer.commit()
    index.index.reload()
    return eid
