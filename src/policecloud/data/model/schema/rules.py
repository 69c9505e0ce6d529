"""What one schema file may say, checked file by file before anything is resolved across files.

Checks here need only the file itself: the keys it uses, the shape of each value, names, labels, and the
project rule that ethnicity, religion and biometric data are never recorded. Problems are collected, not
raised, so that an author sees every problem of a file at once.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from policecloud.data.model.yaml_lines import KeyPath, YamlDocument, key_text, read_yaml

KINDS = ("entity", "event", "interval")
TOP_KEYS = (
    "name", "label", "kind", "extends", "abstract", "description",
    "identifiers", "temporal", "spatial", "properties",
)  # fmt: skip
PROPERTY_KEYS = ("type", "label", "required", "multiple", "sensitive", "gat543", "ref", "values", "description")
TEMPORAL_KEYS = ("start", "end")
SPATIAL_KEYS = ("address", "point")
VALUE_KEYS = ("code", "label", "aliases")

TYPE_NAME = re.compile(r"[A-Z][A-Za-z0-9]*")
PROPERTY_NAME = re.compile(r"[a-z][a-z0-9_]*")
CODE = re.compile(r"[a-z0-9][a-z0-9_]*")
GAT543 = re.compile(r"[A-Z][A-Z0-9_]*")

# Deliberately never recorded (DESIGN.md §2): ethnicity and religion, and biometric identification.
# A property is refused when its name, its GA/T 543 identifier or its label names one of them.
FORBIDDEN = {
    "ethnicity or religion": (
        {"ethnic", "ethnicity", "race", "religion", "religious", "faith", "minzu", "zongjiao", "mz", "zjxy"},
        {"MZ", "ZJXY"},
        ("民族", "宗教"),
        "民族、宗教信仰不予采集",
    ),
    "biometric data": (
        {"face", "faces", "facial", "fingerprint", "iris", "dna", "voiceprint", "biometric", "biometrics"},
        set(),
        ("人脸", "面部", "指纹", "虹膜", "声纹", "基因"),
        "不采集人脸等生物特征",
    ),
}


def snake_case(name: str) -> str:
    """CheckpointPass → checkpoint_pass, Call110 → call110: the file name a type lives in."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


@dataclass(frozen=True)
class Issue:
    """One problem in one schema file, located by key path and (when known) line."""

    file: Path
    key: str
    line: int | None
    problem: str

    def __str__(self) -> str:
        where = self.file.name + (f":{self.line}" if self.line else "")
        return f"{where}: {self.key or '(file)'}: {self.problem}"


@dataclass
class RawType:
    """A schema file after the per-file checks: only values of the right shape are kept."""

    path: Path
    doc: YamlDocument
    name: str | None = None
    label: tuple[str, str] | None = None
    kind: str | None = None
    extends: list[str] = field(default_factory=list)
    abstract: bool = False
    description: str = ""
    identifiers: list[str] | None = None
    temporal: dict[str, str] | None = None
    spatial: dict[str, str] | None = None
    properties: dict[str, dict[str, Any]] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)

    def report(self, key: KeyPath, problem: str) -> None:
        self.issues.append(Issue(self.path, key_text(key), self.doc.line(key), problem))


def unknown_key_problem(key: object, known: tuple[str, ...]) -> str:
    hint = difflib.get_close_matches(str(key), known, n=1)
    suggestion = f"; did you mean {hint[0]!r}?" if hint else f" (known keys: {', '.join(known)})"
    return f"unknown key {key!r}{suggestion}"


def parse_file(path: Path) -> RawType:
    doc = read_yaml(path)
    raw = RawType(path, doc)
    for key, line, problem in doc.problems:
        raw.issues.append(Issue(path, key_text(key), line, problem))
    if doc.data is None:
        return raw
    if not isinstance(doc.data, dict):
        raw.report((), "a schema file is a mapping with name, label, properties, …")
        return raw
    _FileChecker(raw).check(doc.data)
    return raw


class _FileChecker:
    def __init__(self, raw: RawType) -> None:
        self.raw = raw
        self.report = raw.report

    def check(self, data: dict[Any, Any]) -> None:
        raw = self.raw
        for key in data:
            if key not in TOP_KEYS:
                self.report((str(key),), unknown_key_problem(key, TOP_KEYS))
        raw.name = self.type_name(data)
        raw.label = self.label(data, ())
        if "kind" in data:
            if data["kind"] in KINDS:
                raw.kind = data["kind"]
            else:
                self.report(("kind",), f"kind must be one of {', '.join(KINDS)}, not {data['kind']!r}")
        extends = data.get("extends", [])
        raw.extends = self.names([extends] if isinstance(extends, str) else extends, ("extends",))
        raw.abstract = self.flag(data, "abstract", ())
        raw.description = self.text(data, "description", ())
        if "identifiers" in data:
            raw.identifiers = self.names(data["identifiers"], ("identifiers",))
        raw.temporal = self.roles(data, "temporal", TEMPORAL_KEYS)
        if raw.temporal is not None and "start" not in raw.temporal:
            self.report(("temporal", "start"), "missing (temporal names at least the start property)")
        raw.spatial = self.roles(data, "spatial", SPATIAL_KEYS)
        properties = data.get("properties") or {}
        if not isinstance(properties, dict):
            self.report(("properties",), "properties is a mapping of property name → definition")
            return
        for name, spec in properties.items():
            checked = self.property(str(name), spec)
            if checked is not None:
                raw.properties[str(name)] = checked

    def type_name(self, data: dict[Any, Any]) -> str | None:
        name = data.get("name")
        if name is None:
            self.report(("name",), "missing (every schema file names its entity or event type)")
            return None
        if not isinstance(name, str) or not TYPE_NAME.fullmatch(name):
            self.report(("name",), f"{name!r} is not a CamelCase type name such as CheckpointPass")
            return None
        expected = snake_case(name) + ".yaml"
        if self.raw.path.name != expected:
            self.report(("name",), f"type {name} belongs in a file named {expected}")
        return name

    def label(self, data: dict[Any, Any], key: KeyPath) -> tuple[str, str] | None:
        label = data.get("label")
        if label is None:
            self.report((*key, "label"), "missing label (give {zh: …, en: …})")
            return None
        if not isinstance(label, dict):
            self.report((*key, "label"), "a label is a mapping {zh: 中文, en: English}")
            return None
        for extra in label.keys() - {"zh", "en"}:
            self.report((*key, "label", str(extra)), unknown_key_problem(extra, ("zh", "en")))
        texts = []
        for language in ("zh", "en"):
            text = label.get(language)
            if not isinstance(text, str) or not text.strip():
                self.report((*key, "label", language), f"missing {'Chinese' if language == 'zh' else 'English'} label")
            texts.append(text)
        return (texts[0], texts[1]) if all(isinstance(t, str) and t.strip() for t in texts) else None

    def flag(self, data: dict[Any, Any], name: str, key: KeyPath) -> bool:
        value = data.get(name, False)
        if not isinstance(value, bool):
            self.report((*key, name), f"must be true or false, not {value!r}")
            return False
        return value

    def text(self, data: dict[Any, Any], name: str, key: KeyPath) -> str:
        value = data.get(name, "")
        if not isinstance(value, str):
            self.report((*key, name), "must be a string")
            return ""
        return value

    def names(self, value: object, key: KeyPath) -> list[str]:
        if not isinstance(value, list):
            self.report(key, "must be a list of names")
            return []
        good = []
        for i, item in enumerate(value):
            if isinstance(item, str) and item:
                good.append(item)
            else:
                self.report((*key, i), f"must be a name, not {item!r}")
        return good

    def roles(self, data: dict[Any, Any], name: str, keys: tuple[str, ...]) -> dict[str, str] | None:
        if name not in data:
            return None
        value = data[name]
        if not isinstance(value, dict):
            self.report((name,), f"must be a mapping with keys {', '.join(keys)}")
            return None
        roles = {}
        for role, prop in value.items():
            if role not in keys:
                self.report((name, str(role)), unknown_key_problem(role, keys))
            elif not isinstance(prop, str):
                self.report((name, role), f"must name a property, not {prop!r}")
            else:
                roles[role] = prop
        return roles

    def property(self, name: str, spec: object) -> dict[str, Any] | None:
        key: KeyPath = ("properties", name)
        if not PROPERTY_NAME.fullmatch(name):
            self.report(key, f"property name {name!r} is not snake_case")
            return None
        if spec is None:
            spec = {}
        if not isinstance(spec, dict):
            self.report(key, "a property is a mapping with type, label, …")
            return None
        checked: dict[str, Any] = {}
        invalid = set(spec) & set(PROPERTY_KEYS)  # whittled down to the keys that fail their checks
        for item, value in spec.items():
            if item not in PROPERTY_KEYS:
                self.report((*key, str(item)), unknown_key_problem(item, PROPERTY_KEYS))
            elif item in ("required", "multiple", "sensitive"):
                if isinstance(value, bool):
                    checked[item] = value
                else:
                    self.report((*key, item), f"must be true or false, not {value!r}")
            elif item in ("type", "ref", "description"):
                if isinstance(value, str) and value:
                    checked[item] = value
                else:
                    self.report((*key, item), f"must be a non-empty string, not {value!r}")
            elif item == "gat543":
                if isinstance(value, str) and GAT543.fullmatch(value):
                    checked[item] = value
                else:
                    self.report((*key, item), f"{value!r} is not a GA/T 543 identifier (upper-case letters, e.g. XM)")
            elif item == "label":
                if (label := self.label(spec, key)) is not None:
                    checked[item] = label
            elif (values := self.values(value, (*key, "values"))) is not None:
                checked[item] = values
        self.forbidden(name, checked, key)
        # Keys given but refused here are not reported again as missing when the file is resolved.
        checked["_invalid"] = frozenset(invalid - checked.keys())
        return checked

    def values(self, value: object, key: KeyPath) -> list[tuple[str, str, str, tuple[str, ...]]] | None:
        if not isinstance(value, list) or not value:
            self.report(key, "values is a non-empty list of {code: …, label: {zh: …, en: …}, aliases: […]}")
            return None
        values, seen = [], set()
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                self.report((*key, i), "a value is a mapping {code: …, label: {zh: …, en: …}}")
                continue
            for extra in item.keys() - set(VALUE_KEYS):
                self.report((*key, i, str(extra)), unknown_key_problem(extra, VALUE_KEYS))
            code, label = item.get("code"), self.label(item, (*key, i))
            if not isinstance(code, str) or not CODE.fullmatch(code):
                self.report((*key, i, "code"), f"{code!r} is not a code (lower-case letters, digits and _)")
                continue
            if code in seen:
                self.report((*key, i, "code"), f"duplicate value code {code!r}")
                continue
            seen.add(code)
            aliases = item.get("aliases", [])
            if not isinstance(aliases, list) or not all(isinstance(a, str | int) for a in aliases):
                self.report((*key, i, "aliases"), "aliases is a list of strings")
                aliases = []
            if label is not None:
                values.append((code, label[0], label[1], tuple(str(a) for a in aliases)))
        return values

    def forbidden(self, name: str, spec: dict[str, Any], key: KeyPath) -> None:
        label = spec.get("label") or ("", "")
        for what, (words, identifiers, zh_words, zh_reason) in FORBIDDEN.items():
            if set(name.split("_")) & words:
                found = (key, f"property {name!r}")
            elif spec.get("gat543") in identifiers:
                found = ((*key, "gat543"), f"data element {spec['gat543']}")
            elif any(word in label[0] for word in zh_words) or set(re.findall("[a-z]+", label[1].lower())) & words:
                found = ((*key, "label"), f"label {label[0]!r}/{label[1]!r}")
            else:
                continue
            self.report(found[0], f"{found[1]}: {what} is deliberately never recorded ({zh_reason}; DESIGN.md §2)")
