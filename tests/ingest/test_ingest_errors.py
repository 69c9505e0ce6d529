"""Bad input gets a clear error or a quarantined row: never a traceback, never a silent drop."""

from __future__ import annotations

import textwrap

import pytest

from policecloud.data.ingest.mapping import MappingError, load_mapping, load_mappings
from policecloud.data.ingest.readers import ReadError
from policecloud.data.ingest.run import ingest_source
from policecloud.data.warehouse import open_warehouse


def write(tmp_path, text, name="m.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


BROKEN = {
    "unknown property": (
        """\
        source: s1
        label: {zh: 甲, en: a}
        entity: Person
        reader: {format: csv, path: x.csv}
        properties:
          name: {column: 姓名}
          shoe_size: {column: 鞋码}
        """,
        "m.yaml:7: properties.shoe_size: unknown property of Person",
    ),
    "wrong type": (
        """\
        source: s1
        label: {zh: 甲, en: a}
        entity: Person
        reader: {format: csv, path: x.csv}
        properties:
          name: {column: 姓名}
          birth_date: {column: 出生日期, type: plate}
        """,
        "m.yaml:7: properties.birth_date.type: 'plate' does not fit the schema's type 'past_date'",
    ),
    "missing required key": (
        """\
        source: s1
        label: {zh: 甲, en: a}
        reader: {format: csv, path: x.csv}
        properties:
          name: {column: 姓名}
        """,
        "m.yaml:1: entity: missing required key",
    ),
    "required property unmapped": (
        """\
        source: s1
        label: {zh: 甲, en: a}
        entity: Person
        reader: {format: csv, path: x.csv}
        properties:
          sex: {column: 性别}
        """,
        "m.yaml:5: properties: required property 'name' is not mapped",
    ),
    "unknown reader format": (
        """\
        source: s1
        label: {zh: 甲, en: a}
        entity: Person
        reader: {format: xls, path: x.xls}
        properties:
          name: {column: 姓名}
        """,
        "m.yaml:4: reader.format: must be one of csv, jsonl, parquet, sql",
    ),
    "two kinds for one property": (
        """\
        source: s1
        label: {zh: 甲, en: a}
        entity: Person
        reader: {format: csv, path: x.csv}
        properties:
          name: {column: 姓名, literal: 张三}
        """,
        "m.yaml:6: properties.name: give exactly one of column, columns, literal, template",
    ),
    "lineage mapped": (
        """\
        source: s1
        label: {zh: 甲, en: a}
        entity: Person
        reader: {format: csv, path: x.csv}
        properties:
          name: {column: 姓名}
          batch: {column: 批次}
        """,
        "m.yaml:7: properties.batch: lineage (source, batch, row) is filled by ingestion, not mapped",
    ),
    "not yaml": ("source: [unclosed\n", "m.yaml:2: YAML syntax error"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_mapping_names_file_line_key_and_problem(tmp_path, schema, case):
    text, message = BROKEN[case]
    path = write(tmp_path, text)
    with pytest.raises((MappingError, ValueError)) as info:
        load_mapping(path, schema)
    assert message in str(info.value).replace(str(tmp_path) + "/", "")


def test_all_problems_of_all_files_are_reported_at_once(tmp_path, schema):
    write(tmp_path, BROKEN["unknown property"][0], "a.yaml")
    write(tmp_path, BROKEN["wrong type"][0], "b.yaml")
    with pytest.raises(MappingError) as info:
        load_mappings(tmp_path, schema)
    assert len(info.value.problems) == 2


PEOPLE_MAPPING = """\
    source: people
    label: {zh: 人口, en: people}
    entity: Person
    reader: {format: csv, path: people.csv, encoding: ENCODING}
    properties:
      name: {column: 姓名}
      id_number: {column: 身份证}
    """


def run(tmp_path, schema, encoding="auto"):
    mapping = load_mapping(write(tmp_path, PEOPLE_MAPPING.replace("ENCODING", encoding)), schema)
    return list(ingest_source(open_warehouse(tmp_path / "wh"), mapping, tmp_path, schema))


def test_a_missing_file_is_a_clear_error(tmp_path, schema):
    with pytest.raises(ReadError, match=r"people: no file matches 'people\.csv'"):
        run(tmp_path, schema)


def test_a_missing_column_names_the_columns_the_file_has(tmp_path, schema):
    (tmp_path / "people.csv").write_text("XM,SFZH\n张三,1\n", encoding="utf-8")
    with pytest.raises(ReadError, match=r"has no column '姓名', '身份证'; its columns are: XM, SFZH"):
        run(tmp_path, schema)


def test_a_gbk_file_declared_utf8_is_a_clear_error_suggesting_the_right_encoding(tmp_path, schema):
    (tmp_path / "people.csv").write_bytes("姓名,身份证\n张三,11010519491231002X\n".encode("gbk"))
    with pytest.raises(ReadError, match=r"people: .*people.csv: byte 0 is not valid utf-8; it looks like gb18030"):
        run(tmp_path, schema, encoding="utf-8")


def test_stray_invalid_bytes_in_a_utf8_file_quarantine_only_their_rows(tmp_path, schema):
    good = "姓名,身份证\n张三,11010519491231002X\n".encode()
    (tmp_path / "people.csv").write_bytes(good + "李四,1\n".encode("gbk") + "王五,2\n".encode())
    [report] = run(tmp_path, schema)
    assert (report.rows_read, report.rows_landed, report.rows_quarantined) == (3, 2, 1)
    assert report.reasons["csv.invalid_encoding"] == 1


def test_an_invalid_byte_in_a_declared_gbk_file_names_its_offset(tmp_path, schema):
    (tmp_path / "people.csv").write_bytes("姓名,身份证\n张三,1\n".encode("gbk") + b"\xff\xff,2\n")
    with pytest.raises(ReadError, match=r"byte \d+ is not valid gb18030"):
        run(tmp_path, schema, encoding="gbk")


def test_a_truncated_last_row_is_quarantined(tmp_path, schema):
    text = "姓名,身份证\n张三,11010519491231002X\n李四"
    (tmp_path / "people.csv").write_text(text, encoding="utf-8")
    [report] = run(tmp_path, schema)
    assert (report.rows_read, report.rows_landed, report.rows_quarantined) == (2, 1, 1)
    assert report.reconciled


def test_an_empty_file_lands_nothing_and_reconciles(tmp_path, schema):
    (tmp_path / "people.csv").write_text("姓名,身份证\n", encoding="utf-8")
    [report] = run(tmp_path, schema)
    assert (report.rows_read, report.rows_landed, report.rows_quarantined) == (0, 0, 0)


def test_row_numbers_are_line_numbers_in_a_large_file_with_rejected_lines(tmp_path, schema):
    # Parsed in parallel and numbered from the table's rowid: every row must still carry its own line number.
    # The id_number column holds the line number itself (never a valid ID), so each quarantined value tells.
    lines = ["姓名,身份证"]
    for i in range(2, 200_002):
        lines.append(f"张三,{i}" if i % 50_000 else f"张三,{i},extra")  # 4 lines with too many columns
    (tmp_path / "people.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    mapping = load_mapping(write(tmp_path, PEOPLE_MAPPING.replace("ENCODING", "auto")), schema)
    warehouse = open_warehouse(tmp_path / "wh")
    [report] = list(ingest_source(warehouse, mapping, tmp_path, schema))
    assert (report.rows_read, report.rows_landed, report.rows_quarantined) == (200_000, 199_996, 4)
    values = warehouse.sql("SELECT row, raw FROM quarantine WHERE field = 'id_number'")
    assert len(values) == 199_996
    assert all(str(row) == raw for row, raw in values)
    rejected = warehouse.sql("SELECT row FROM quarantine WHERE field IS NULL ORDER BY row")
    assert rejected == [(50_000,), (100_000,), (150_000,), (200_000,)]
    landed = warehouse.sql("SELECT min(row), max(row), count(DISTINCT row) FROM person")
    assert landed == [(2, 200_001, 199_996)]


def test_a_gbk_file_cut_inside_a_character_is_a_clear_error(tmp_path, schema):
    (tmp_path / "people.csv").write_bytes("姓名,身份证\n张三,1\n王".encode("gbk")[:-1])
    with pytest.raises(ReadError, match=r"ends inside a gb18030 character"):
        run(tmp_path, schema, encoding="gbk")
