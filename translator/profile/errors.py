"""Pydantic validation errors of a profile → one line naming the file, the line, the
field path and what is allowed (``describe``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from translator.profile.yamlpos import format_path, line_of


class FieldProblem(ValueError):
    """A model check about one field: the error points at ``path`` (from the profile's root)."""

    def __init__(self, path: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.path = path


_SEQUENCE_TYPES = {"tuple_type", "list_type"}


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


_LISTED = 3


def _others(
    problems: list[tuple[tuple[str | int, ...], Any]],
    first_path: tuple[str | int, ...],
    lines: dict[Any, int],
) -> list[str]:
    """Each other problem in a few words: its line, field path and message (none hidden)."""
    out: list[str] = []
    seen: set[tuple[str | int, ...]] = set()
    for path, e in problems:
        if path[: len(first_path)] == first_path or path in seen:
            continue
        seen.add(path)
        where = line_of(lines, path)
        message = str(e["msg"]).removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            message = f"unknown field '{path[-1]}'"
        out.append(
            f"line {where}: {format_path(path)}: {message}" if where else f"{format_path(path)}: {message}"
        )
    return out


_TYPE_MISMATCH = {"string_type", "dict_type", "model_type", "model_attributes_type", "literal_error"}


def describe(error: ValidationError, filename: str, lines: dict[Any, int], root: type[BaseModel]) -> str:
    """One line: file, line, field path and what is allowed, for the most telling problem."""
    known = _all_field_names(root)
    problems = [(_problem_path(e, known), e) for e in error.errors(include_url=False)]
    # A container also complains when one of its items failed; the item's error says more.
    # Every proper prefix of every path, in a set: linear, not each problem against each other.
    prefixes = {p[:i] for p, _ in problems for i in range(len(p))}
    problems = [(p, e) for p, e in problems if p not in prefixes] or problems
    # A union reports one error per branch; the branch that matched the input's shape
    # (the deepest error that is not a plain type mismatch) is the one worth showing.
    first_path = problems[0][0]
    same_field = [pe for pe in problems if pe[0][: len(first_path)] == first_path]
    path, first = max(same_field, key=lambda pe: (pe[1]["type"] not in _TYPE_MISMATCH, len(pe[0])))
    where = line_of(lines, path)
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        parent = _model_at(root, path[:-1])
        allowed = ", ".join(parent.model_fields) if parent else ""
        message = f"unknown field '{path[-1]}'" + (f"; allowed: {allowed}" if allowed else "")
    elif first["type"] == "missing":
        message = "required field is missing"
    elif first["type"] in _SEQUENCE_TYPES:
        message = f"should be a list, not {_shown(first.get('input'))}"
    others = _others(problems, first_path, lines)
    # Every other problem is named, up to a bound: 20k unknown keys are one line, not a book.
    more = len(others) - _LISTED
    listed = others[:_LISTED] + ([f"and {more} more problems"] if more > 0 else [])
    suffix = f" (also {'; '.join(listed)})" if listed else ""
    location = f"{filename}:{where}" if where else filename
    return f"{location}: {format_path(path)}: {message}{suffix}"


def _problem_path(error: Any, known: set[str]) -> tuple[str | int, ...]:
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, FieldProblem):
        return cause.path
    return _field_path(error["loc"], error["type"], known)


def _field_path(loc: tuple[int | str, ...], kind: str, known: set[str]) -> tuple[str | int, ...]:
    # Drop pydantic's union-branch labels such as "str" or "AzureVoice" or "function-after[...]".
    out: list[str | int] = []
    for i, part in enumerate(loc):
        last_unknown_key = kind == "extra_forbidden" and i == len(loc) - 1
        if isinstance(part, int) or part in known or last_unknown_key:
            out.append(part)
    return tuple(out)


def _all_field_names(root: type[BaseModel]) -> set[str]:
    """Every field name of the profile's models, found by walking them from ``root``."""
    names: set[str] = set()
    todo: list[type[BaseModel]] = [root]
    seen: set[type[BaseModel]] = set()
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, field in model.model_fields.items():
            names.add(name)
            inner = _model_of(field.annotation)
            if inner is not None:
                todo.append(inner)
    return names


def _model_at(root: type[BaseModel], path: tuple[str | int, ...]) -> type[BaseModel] | None:
    model: type[BaseModel] | None = root
    for part in path:
        if model is None:
            return None
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return None
        model = _model_of(field.annotation)
    return model


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_of(arg)
        if found is not None:
            return found
    return None
