"""Reading a YAML file (a schema type, a source mapping) into plain values, remembering each key's line.

PyYAML's composer keeps the source position of each node; walking the node tree ourselves (instead of
``safe_load``) lets error messages say ``person.yaml:14`` and lets us report duplicate keys, which
``safe_load`` silently resolves by keeping the last one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

KeyPath = tuple[str | int, ...]

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class YamlDocument:
    """A parsed file: its data, the line of each key path, and problems found while reading."""

    path: Path
    data: Any = None
    lines: dict[KeyPath, int] = field(default_factory=dict)
    problems: list[tuple[KeyPath, int | None, str]] = field(default_factory=list)

    def line(self, key: KeyPath) -> int | None:
        """The line of ``key``, or of its nearest ancestor that has one."""
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return self.lines.get(())


def key_text(key: KeyPath) -> str:
    """('properties', 'birth_date', 'type') → 'properties.birth_date.type'; list items as [i]."""
    text = ""
    for part in key:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def read_yaml(path: Path) -> YamlDocument:
    doc = YamlDocument(path)
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"), Loader=_Loader)
    except UnicodeDecodeError as exc:
        doc.problems.append(((), None, f"not UTF-8 text ({exc.reason})"))
        return doc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        doc.problems.append(((), mark.line + 1 if mark else None, f"YAML syntax error: {problem}"))
        return doc
    if node is None:
        doc.problems.append(((), 1, "the file is empty"))
        return doc
    doc.lines[()] = node.start_mark.line + 1
    doc.data = _Walker(doc).value(node, ())
    return doc


class _Walker:
    def __init__(self, doc: YamlDocument) -> None:
        self.doc = doc
        self.constructor = yaml.constructor.SafeConstructor()

    def value(self, node: yaml.Node, key: KeyPath) -> Any:
        if isinstance(node, yaml.MappingNode):
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                name = self.scalar(key_node)
                child = (*key, name if isinstance(name, str | int) else str(name))
                line = key_node.start_mark.line + 1
                if name in result:
                    self.doc.problems.append((child, line, f"duplicate key {name!r}"))
                    continue
                self.doc.lines[child] = line
                result[name] = self.value(value_node, child)
            return result
        if isinstance(node, yaml.SequenceNode):
            items = []
            for i, item in enumerate(node.value):
                self.doc.lines[(*key, i)] = item.start_mark.line + 1
                items.append(self.value(item, (*key, i)))
            return items
        return self.scalar(node)

    def scalar(self, node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            return f"<{node.id}>"  # a mapping or list used as a key: reported as an unknown key
        return self.constructor.construct_object(node)
