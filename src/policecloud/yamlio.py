"""YAML documents that remember where each key was written, for error messages naming file and line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

KeyPath = tuple[str | int, ...]


class YamlError(ValueError):
    """A YAML file that cannot be used, with the file, the line and the key path in its message."""

    def __init__(self, path: Path | str, line: int | None, key: str, problem: str) -> None:
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {key + ': ' if key else ''}{problem}")
        self.path, self.line, self.key, self.problem = str(path), line, key, problem


@dataclass(frozen=True)
class YamlDoc:
    path: Path
    data: Any
    lines: dict[KeyPath, int]

    def line(self, key: KeyPath) -> int | None:
        """The line of ``key``, or of its nearest written parent."""
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return self.lines.get((), 1)

    def error(self, key: KeyPath, problem: str) -> YamlError:
        return YamlError(self.path, self.line(key), ".".join(str(k) for k in key), problem)


def load(path: Path) -> YamlDoc:
    """Parse ``path``; a syntax error becomes a YamlError with its line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise YamlError(path, None, "", f"cannot read the file: {exc}") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise YamlError(path, mark.line + 1 if mark else None, "", f"not valid YAML: {exc}") from None
    lines: dict[KeyPath, int] = {}
    if node is not None:
        _collect(node, (), lines)
    data = yaml.safe_load(text)
    return YamlDoc(path, data, lines)


def _collect(node: yaml.Node, key: KeyPath, lines: dict[KeyPath, int]) -> None:
    lines.setdefault(key, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            child = (*key, str(k.value))
            lines[child] = k.start_mark.line + 1
            _collect(v, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            _collect(v, (*key, i), lines)
