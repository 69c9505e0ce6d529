"""The data model schema: the shipped files load, inheritance resolves, malformed files are reported with
file, key and line (golden fixtures in tests/golden/schema_errors), and docs/data-model.md is current."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from policecloud.data.model.schema import SCHEMA_DIR, SchemaError, load_schema
from policecloud.data.model.schema.doc import render_data_model
from policecloud.platform.cli import app

ROOT = Path(__file__).resolve().parents[2]
ERROR_FIXTURES = sorted((ROOT / "tests" / "golden" / "schema_errors").glob("*.yaml"))
EXPECT = re.compile(r"# expect: (?P<file>[\w.]+):(?P<line>\d+) \| (?P<key>[^|]*) \| (?P<problem>.+)")

ENTITIES = ["Address", "Person", "House", "Organization", "Vehicle", "Phone", "Checkpoint", "Camera", "Unit"]
ENTITIES += ["Jurisdiction"]
EVENTS = ["CheckpointPass", "TrafficViolation", "Call110", "Incident", "Case", "CaseInvolvement", "CaseProperty"]
EVENTS += ["CustodyEvent", "CellMeasurement", "CameraDetection"]
INTERVALS = ["HotelStay", "InternetSession", "Residence", "Ownership", "Employment", "PhoneUse", "Dispatch"]


@pytest.fixture(scope="module")
def schema():
    return load_schema()


def write_schema(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    return directory


# --- the shipped schema ----------------------------------------------------------------------------------


def test_shipped_schema_has_every_type_of_the_design(schema) -> None:
    for names, kind in ((ENTITIES, "entity"), (EVENTS, "event"), (INTERVALS, "interval")):
        for name in names:
            entity_type = schema.get(name)
            assert entity_type.kind == kind and not entity_type.abstract, name
    assert {t.name for t in schema if not t.abstract} == set(ENTITIES + EVENTS + INTERVALS)


def test_every_record_carries_its_lineage(schema) -> None:
    for entity_type in schema.of_kind("entity") + schema.of_kind("event") + schema.of_kind("interval"):
        assert {"id", "source", "batch", "row"} <= set(entity_type.properties), entity_type.name
        assert entity_type.is_a("Thing")


def test_every_event_and_interval_has_a_time(schema) -> None:
    for entity_type in schema.of_kind("event") + schema.of_kind("interval"):
        assert entity_type.start is not None, entity_type.name
        assert entity_type.start.type.sql_type in ("DATE", "TIMESTAMPTZ"), entity_type.name
    assert schema.get("HotelStay").end.label_zh == "退房时间"


def test_no_type_records_ethnicity_religion_or_biometrics(schema) -> None:
    for entity_type in schema:
        for prop in entity_type.properties.values():
            assert prop.gat543 not in ("MZ", "ZJXY")
            assert not re.search("ethnic|religio|face|biometric", prop.name)
            assert "民族" not in prop.label_zh and "宗教" not in prop.label_zh and "人脸" not in prop.label_zh
    assert "民族" in (SCHEMA_DIR / "person.yaml").read_text(encoding="utf-8"), "the rule is stated in the file"


def test_person_uses_the_ga_t_543_identifiers(schema) -> None:
    person = schema.get("Person")
    expected = {"id_number": "GMSFHM", "name": "XM", "former_names": "CYM", "sex": "XB", "birth_date": "CSRQ"}
    expected |= {"registered_address": "HJDZ", "current_address": "XZZ", "phone": "LXDH", "nationality": "GJ"}
    assert {name: person.properties[name].gat543 for name in expected} == expected
    assert person.identifiers == ("id_number",)
    assert person.properties["former_names"].multiple
    assert person.properties["registered_address_id"].ref == "Address"


def test_enum_properties_check_their_own_values(schema) -> None:
    org_type = schema.get("Organization").properties["org_type"]
    assert org_type.type.check("宾馆").value == "hotel"
    assert org_type.type.check("网吧").value == "internet_cafe"
    assert org_type.type.check("银行").reason == "value"
    assert {v.code for v in org_type.values} >= {"hotel", "internet_cafe", "logistics", "pawn_shop", "car_rental"}


def test_references_point_to_known_types(schema) -> None:
    for entity_type in schema:
        for prop in entity_type.properties.values():
            if prop.type_name == "entity":
                assert prop.ref in schema, (entity_type.name, prop.name)
    assert [t.name for t in schema.subtypes("Party")] == ["Organization", "Person"]


def test_iteration_order_is_stable_and_grouped(schema, tmp_path) -> None:
    names = [t.name for t in schema]
    assert names == list(schema.entities)
    groups = [0 if t.abstract else 1 + ["entity", "event", "interval"].index(t.kind) for t in schema]
    assert groups == sorted(groups)
    copy = shutil.copytree(SCHEMA_DIR, tmp_path / "schema")
    assert [t.name for t in load_schema(copy)] == names


def test_default_schema_is_cached_and_explicit_paths_are_not(schema) -> None:
    assert load_schema() is schema
    assert load_schema(SCHEMA_DIR) is not schema
    assert list(load_schema(SCHEMA_DIR).entities) == list(schema.entities)


# --- inheritance -----------------------------------------------------------------------------------------


def test_children_see_parent_properties_and_overrides_win(schema) -> None:
    person, party = schema.get("Person"), schema.get("Party")
    assert person.properties["phone"].defined_in == "Party"
    assert party.properties["name"].type_name == "string"
    assert person.properties["name"].type_name == "name" and person.properties["name"].label_zh == "姓名"
    # key-by-key override: House only makes the inherited address required, and keeps its type and label
    address = schema.get("House").properties["address"]
    assert address.required and address.type_name == "address" and address.label_zh == "地址"
    assert not schema.get("Located").properties["address"].required
    residence = schema.get("Residence")
    assert residence.start.type_name == "date" and schema.get("Interval").start.type_name == "datetime"


def test_multiple_inheritance_lineage(schema) -> None:
    organization = schema.get("Organization")
    assert organization.lineage == ("Organization", "Party", "Entity", "Thing", "Located")
    assert {"phone", "address", "location", "id"} <= set(organization.properties)
    assert organization.spatial == {"address": "address", "point": "location"}
    assert schema.is_a("CheckpointPass", "Plated") and not schema.is_a("Person", "Event")
    assert list(organization.properties)[:2] == ["uscc", "name"], "own properties first, in file order"


def test_diamond_override_and_type_change(tmp_path) -> None:
    directory = write_schema(
        tmp_path / "schema",
        {
            "base.yaml": "name: Base\nlabel: {zh: 基, en: base}\nkind: entity\nabstract: true\nproperties:\n"
            "  code: {type: string, label: {zh: 编码, en: code}}\n"
            "  level: {type: enum, label: {zh: 级别, en: level}, values: [{code: a, label: {zh: 甲, en: a}}]}\n",
            "left.yaml": "name: Left\nlabel: {zh: 左, en: left}\nabstract: true\nextends: [Base]\nproperties:\n"
            "  code: {label: {zh: 左编码, en: left code}}\n",
            "right.yaml": "name: Right\nlabel: {zh: 右, en: right}\nabstract: true\nextends: [Base]\nproperties:\n"
            "  code: {required: true}\n",
            "child.yaml": "name: Child\nlabel: {zh: 子, en: child}\nextends: [Left, Right]\nidentifiers: [code]\n"
            "properties:\n  level: {type: integer}\n",
        },
    )
    child = load_schema(directory).get("Child")
    assert child.lineage == ("Child", "Left", "Right", "Base")
    assert child.kind == "entity"
    code = child.properties["code"]
    assert (code.label_zh, code.required, code.defined_in) == ("左编码", True, "Left")
    level = child.properties["level"]
    assert level.type_name == "integer" and level.values == () and level.label_en == "level"


# --- malformed files -------------------------------------------------------------------------------------


def test_there_are_at_least_ten_kinds_of_malformed_file() -> None:
    assert len(ERROR_FIXTURES) >= 10


@pytest.mark.parametrize("fixture", ERROR_FIXTURES, ids=[p.stem for p in ERROR_FIXTURES])
def test_malformed_file_is_reported_with_file_key_and_line(fixture: Path, tmp_path: Path) -> None:
    expected = [m.groupdict() for m in EXPECT.finditer(fixture.read_text(encoding="utf-8"))]
    assert expected, f"{fixture.name} states its expected problems"
    directory = shutil.copytree(SCHEMA_DIR, tmp_path / "schema")
    shutil.copy(fixture, directory / fixture.name)
    with pytest.raises(SchemaError) as caught:
        load_schema(directory)
    found = [(i.file.name, i.line, i.key, i.problem) for i in caught.value.issues]
    assert len(found) == len(expected), found
    for want in expected:
        matches = [
            f
            for f in found
            if (f[0], f[1], f[2]) == (want["file"], int(want["line"]), want["key"].strip())
            and want["problem"].strip() in f[3]
        ]
        assert matches, (want, found)
        message = str(caught.value)
        assert f"{want['file']}:{want['line']}: {want['key'].strip() or '(file)'}: " in message


def test_all_problems_of_a_file_are_reported_at_once(tmp_path: Path) -> None:
    directory = shutil.copytree(SCHEMA_DIR, tmp_path / "schema")
    shutil.copy(ERROR_FIXTURES[0].parent / "bad_values.yaml", directory)
    shutil.copy(ERROR_FIXTURES[0].parent / "unknown_type.yaml", directory)
    with pytest.raises(SchemaError) as caught:
        load_schema(directory)
    files = [issue.file.name for issue in caught.value.issues]
    assert files.count("bad_values.yaml") == 5 and files.count("unknown_type.yaml") == 2
    assert str(caught.value).startswith("7 problems in the data model schema:")


def test_missing_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_schema(tmp_path / "nowhere")


# --- the generated reference page and the commands -------------------------------------------------------


def test_docs_data_model_is_up_to_date(schema) -> None:
    page = ROOT / "docs" / "data-model.md"
    assert page.is_file(), "run: policecloud docs data-model --write"
    assert page.read_text(encoding="utf-8") == render_data_model(schema), (
        "docs/data-model.md is out of date; run: policecloud docs data-model --write"
    )


def test_rendered_page_has_a_section_and_a_table_per_type(schema) -> None:
    page = render_data_model(schema)
    for entity_type in schema:
        assert f"\n### {entity_type.name}\n" in page
    assert "| `id_number` | 公民身份号码 | citizen ID number | `id_number` |  | yes | `GMSFHM` |  |  |" in page
    assert "| `owner_id` | 机动车所有人 | owner | `entity` |  |  |  | [Party](#party) |  |" in page


runner = CliRunner()


def test_schema_command_lists_types_and_shows_one(monkeypatch) -> None:
    from policecloud.platform import clikit

    monkeypatch.setattr(clikit.console, "width", 200)  # the console is built once, at import
    listed = runner.invoke(app, ["schema"])
    assert listed.exit_code == 0 and "CheckpointPass" in listed.output
    shown = runner.invoke(app, ["schema", "Person"])
    assert shown.exit_code == 0 and "GMSFHM" in shown.output and "id_number" in shown.output
    unknown = runner.invoke(app, ["schema", "Nobody"])
    assert unknown.exit_code == 2 and "unknown entity type" in unknown.output


def test_docs_command_writes_and_checks(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(app, ["docs", "data-model", "--check"]).exit_code == 1
    assert runner.invoke(app, ["docs", "data-model", "--write"]).exit_code == 0
    written = (tmp_path / "docs" / "data-model.md").read_text(encoding="utf-8")
    assert written == render_data_model(load_schema())
    assert runner.invoke(app, ["docs", "data-model", "--check"]).exit_code == 0
    (tmp_path / "docs" / "data-model.md").write_text(written + "edited\n", encoding="utf-8")
    assert runner.invoke(app, ["docs", "data-model", "--check"]).exit_code == 1
    printed = runner.invoke(app, ["docs", "data-model"])
    assert printed.exit_code == 0 and printed.output == written
