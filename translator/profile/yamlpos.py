"""Load YAML and remember the line of every value, so errors can name it.

``load_with_lines(text)`` returns the plain Python data and a map from a field
path (a tuple of keys and list indexes) to its 1-based line number.

Profiles are shared and downloaded, so loading is bounded before anything is built:
at most ``MAX_PROFILE_CHARS`` characters, ``MAX_DEPTH`` levels of nesting and
``MAX_SCALAR_CHARS`` per value; anchors and aliases are refused (an alias is how a
half-kilobyte "billion laughs" file expands to gigabytes). The checks run over the
parser's event stream, which is flat, so even a hostile file costs time and memory
linear in its size and never recurses. Each refusal is a ``YamlRefused`` with a line.
"""

from __future__ import annotations

from typing import Any

import yaml

Path = tuple[str | int, ...]

MAX_PROFILE_CHARS = 4 * 1024 * 1024
MAX_DEPTH = 24
MAX_SCALAR_CHARS = 64 * 1024
MAX_NUMBER_CHARS = 40


# libyaml when the wheel carries it (about 20x faster on a large glossary), else pure Python.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlRefused(ValueError):
    """A profile that is valid YAML but shaped to exhaust the loader."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line


def load_with_lines(text: str) -> tuple[Any, dict[Path, int]]:
    """Parse YAML safely. Raises ``yaml.YAMLError`` on syntax errors, ``YamlRefused`` on bombs."""
    if len(text) > MAX_PROFILE_CHARS:
        raise YamlRefused(None, f"the profile is larger than {MAX_PROFILE_CHARS // (1024 * 1024)} MiB")
    _check_events(text)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        lines: dict[Path, int] = {}
        if node is None:
            return None, lines
        _walk(node, lines)
        try:
            data = loader.construct_document(node)
        except ValueError as e:  # e.g. Python's limit on int digits
            raise YamlRefused(node.start_mark.line + 1, f"a value cannot be read: {e}") from None
        return data, lines
    finally:
        loader.dispose()


def _check_events(text: str) -> None:
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        line = event.start_mark.line + 1 if event.start_mark is not None else None
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise YamlRefused(line, "anchors and aliases (&name, *name) are not allowed in a profile")
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise YamlRefused(line, f"nested more than {MAX_DEPTH} levels deep")
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
        elif isinstance(event, yaml.ScalarEvent):
            if len(event.value) > MAX_SCALAR_CHARS:
                raise YamlRefused(line, f"a value longer than {MAX_SCALAR_CHARS} characters")
            if not event.style and len(event.value) > MAX_NUMBER_CHARS and _numeric(event.value):
                raise YamlRefused(line, f"a number longer than {MAX_NUMBER_CHARS} characters")


def _numeric(value: str) -> bool:
    return value.lstrip("+-").replace("_", "").replace(".", "", 1).isdigit()


def _walk(root: yaml.Node, lines: dict[Path, int]) -> None:
    # Iterative: the depth is bounded already, but a stack costs nothing and never recurses.
    todo: list[tuple[yaml.Node, Path]] = [(root, ())]
    while todo:
        node, path = todo.pop()
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
                lines[path + (key,)] = key_node.start_mark.line + 1
                todo.append((value_node, path + (key,)))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                todo.append((item, path + (i,)))


def line_of(lines: dict[Path, int], path: Path) -> int | None:
    """The line of ``path`` or of its nearest ancestor that has one."""
    for end in range(len(path), -1, -1):
        line = lines.get(tuple(path[:end]))
        if line is not None:
            return line
    return None


def format_path(path: Path) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"
