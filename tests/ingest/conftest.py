"""A small multi-source fixture: every reader format, every kind of mess, with known expected counts."""

from __future__ import annotations

import json
import sqlite3
import textwrap
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from policecloud.data.model.schema import load_schema

PEOPLE_CSV = """\
公民身份号码,姓名,性别,出生日期,联系电话
11010519491231002X,张三,女,1949-12-31,13912345678
110105194912310021,李四,男,1949/12/31,027-87654321
420106198001011237,,男,19800101,
４２０１０６１９８００１０１１２３７,王五,男,1980年1月1日,+86 139 1234 5678
420106198001011237,赵六,男,1980-01-01,13912345678,extra
"""
# line 2 valid; line 3 bad check digit (value quarantined, row kept: id_number is not required);
# line 4 missing required name (row rejected); line 5 full-width ID normalized; line 6 too many columns.

GBK_CSV = "身份证号,姓名\n420106800101123,钱七\n420106800101124,孙八\n"

PASSES = [
    {"hphm": "鄂A12345", "kkbh": "KK001", "jgsj": "2024-05-01 08:00:00", "cd": "2"},
    {"hphm": "鄂a·12345", "kkbh": "KK002", "jgsj": "2024/5/1 9:30", "cd": "1"},
    {"hphm": "鄂AI2345", "kkbh": "KK001", "jgsj": "2024-05-02 10:00:00", "cd": "1"},
    {"hphm": "鄂A54321", "kkbh": "KK003", "jgsj": "not a time", "cd": "1"},
]
# passes: 2 valid; plate with I (value quarantined, row kept); bad time (required → row rejected); + 1 broken JSON line


def write_sources(root: Path) -> Path:
    sources = root / "sources"
    (sources / "passes").mkdir(parents=True)
    (sources / "people.csv").write_text(PEOPLE_CSV, encoding="utf-8")
    (sources / "exchange_gbk.csv").write_bytes(GBK_CSV.encode("gbk"))
    lines = [json.dumps(p, ensure_ascii=False) for p in PASSES]
    lines.insert(2, '{"hphm": "鄂A00001", "kkbh": ')  # a truncated JSON line, line 3
    (sources / "passes" / "2024-05-01.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    table = pa.table(
        {
            "hphm": ["鄂B88888", "鄂BD12345"],
            "kkbh": ["KK009", "KK009"],
            "jgsj": ["20240503070000", "2024-05-03T07:00:05+08:00"],
        }
    )
    pq.write_table(table, sources / "passes.parquet")
    db = sqlite3.connect(sources / "vehicles.db")
    db.executescript(
        """CREATE TABLE vehicle (hphm TEXT, clsbdh TEXT, syr TEXT);
           CREATE TABLE owner (sfzh TEXT, xm TEXT);
           INSERT INTO vehicle VALUES ('鄂A12345', 'LSVAM4187C2184847', '11010519491231002X'),
                                      ('鄂A1234I', 'LSVAM4187C2184848', '420106198001011234');
           INSERT INTO owner VALUES ('11010519491231002X', '张三');"""
    )
    db.commit()
    db.close()
    return sources


MAPPINGS = {
    "people.yaml": """\
        source: population_registry
        label: {zh: 常住人口登记, en: Population registry}
        entity: Person
        reader: {format: csv, path: people.csv}
        properties:
          id_number: {column: 公民身份号码}
          name: {column: 姓名}
          sex: {column: 性别, map: {男: male, 女: female}}
          birth_date: {column: 出生日期}
          phone: {column: 联系电话}
        """,
    "exchange.yaml": """\
        source: exchange_gbk
        label: {zh: 外省交换数据, en: Exchange file from another province}
        entity: Person
        reader: {format: csv, path: exchange_gbk.csv, encoding: auto}
        keys: [id_number]
        properties:
          id_number: {column: 身份证号}
          name: {column: 姓名}
        """,
    "passes.yaml": """\
        source: checkpoint_passes
        label: {zh: 卡口过车, en: Checkpoint passes}
        entity: CheckpointPass
        reader: {format: jsonl, path: "passes/*.jsonl"}
        partition_by: [date]
        properties:
          plate: {column: hphm}
          checkpoint_id: {column: kkbh}
          time: {column: jgsj}
          lane: {column: cd}
        """,
    "passes_parquet.yaml": """\
        source: checkpoint_passes_parquet
        label: {zh: 卡口过车 (Parquet), en: Checkpoint passes (Parquet)}
        entity: CheckpointPass
        reader: {format: parquet, path: passes.parquet}
        partition_by: [date]
        properties:
          plate: {column: hphm}
          checkpoint_id: {column: kkbh}
          time: {column: jgsj}
        """,
    "vehicles.yaml": """\
        source: vehicle_db
        label: {zh: 机动车登记, en: Vehicle registrations}
        entity: Vehicle
        reader:
          format: sql
          url: "sqlite:///{sources}/vehicles.db"
          table: vehicle
          joins:
            owners: {table: owner, on: {syr: sfzh}}
        properties:
          plate: {column: hphm}
          vin: {column: clsbdh}
          owner_id: {join: owners, column: sfzh}
        """,
}


def write_mappings(root: Path) -> Path:
    directory = root / "mappings"
    directory.mkdir()
    for name, text in MAPPINGS.items():
        (directory / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return directory


@pytest.fixture
def schema():
    return load_schema()


@pytest.fixture
def province(tmp_path):
    return write_sources(tmp_path), write_mappings(tmp_path)
