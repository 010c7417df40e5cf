"""Dotted paths into a scenario (`book_ins.schedule.0.rate_per_day`), and which numeric values
an `[uncertainty]` entry may vary, with their ranges read from the fields' own constraints."""

from __future__ import annotations

import math
import typing
from typing import Any, NamedTuple

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from .base import NAME_PATTERN, field_extra
from .shapes import DictShape, ListShape, ModelShape, Shape, TaggedUnion, field_shape, shape_of


def get_path(data: dict[str, Any], path: str) -> Any:
    node: Any = data
    for part in path.split("."):
        if isinstance(node, list):
            node = node[int(part)]
        else:
            node = node[part]
    return node


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    node: Any = data
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(parts[-1])] = value
    else:
        node[parts[-1]] = value


class ValueRange(NamedTuple):
    """The values a field allows: draws are truncated to it, integers rounded."""

    low: float
    high: float
    low_open: bool
    integer: bool

    def text(self) -> str:
        def num(v: float) -> str:
            return str(int(v)) if v.is_integer() else str(v)

        close = ")" if self.high == math.inf else "]"
        return f"{'(' if self.low_open else '['}{num(self.low)}, {num(self.high)}{close}"

    def contains(self, v: float) -> bool:
        return self.low <= v <= self.high and not (self.low_open and v == self.low)


def _numeric_type(annotation: Any) -> type | None:
    """int or float for a number field (`int | "unlimited"` and optional ones included)."""
    if annotation in (int, float):
        return annotation
    for arg in typing.get_args(annotation):
        found = _numeric_type(arg)
        if found is not None:
            return found
    return None


def _constraints(field: FieldInfo) -> list[Any]:
    found = list(field.metadata)
    for arg in typing.get_args(field.annotation):
        if typing.get_origin(arg) is typing.Annotated:
            for m in typing.get_args(arg)[1:]:
                found.extend(getattr(m, "metadata", [m]))
    return found


def value_range(field: FieldInfo) -> ValueRange:
    integer = _numeric_type(field.annotation) is int
    low, high, low_open = -math.inf, math.inf, False
    for m in _constraints(field):
        if getattr(m, "ge", None) is not None:
            low, low_open = float(m.ge), False
        if getattr(m, "gt", None) is not None:
            low, low_open = float(m.gt), True
        if getattr(m, "le", None) is not None:
            high = float(m.le)
        if getattr(m, "lt", None) is not None:
            high = float(m.lt)
    if integer and low_open:  # an integer > n is an integer >= n + 1
        low, low_open = low + 1, False
    return ValueRange(low, high, low_open, integer)


def _children(shape: Shape | None) -> list[tuple[str, Shape | None, FieldInfo | None]]:
    """(path part, shape, field) one level down; "*" is an array index, "<name>" a NAME."""
    if isinstance(shape, ModelShape):
        return [(n, field_shape(f), f) for n, f in shape.model.model_fields.items()]
    if isinstance(shape, TaggedUnion):
        return [(n, field_shape(f), f) for n, f in shape.fields().items()]
    if isinstance(shape, ListShape):
        return [("*", shape_of(shape.item), None)]
    if isinstance(shape, DictShape):
        return [("<name>", shape_of(shape.value), None)]
    return []


def varying_values(root: type[BaseModel]) -> dict[str, ValueRange]:
    """Every path pattern whose field may vary, in the schema's order; patterns inside named
    tables come after the others (the plain ones are the ones most files use)."""
    found: dict[str, ValueRange] = {}

    def walk(shape: Shape | None, prefix: str) -> None:
        for part, sub, field in _children(shape):
            path = f"{prefix}.{part}" if prefix else part
            if field is not None and field_extra(field).get("varies"):
                found[path] = value_range(field)
            walk(sub, path)

    walk(ModelShape(root), "")
    plain = {p: r for p, r in found.items() if "<name>" not in p}
    return plain | {p: r for p, r in found.items() if "<name>" in p}


def matches(pattern: str, path: str) -> bool:
    pp, parts = pattern.split("."), path.split(".")
    return len(pp) == len(parts) and all(
        p == q or (p == "*" and q.isdigit()) or (p == "<name>" and bool(NAME_PATTERN.match(q)))
        for p, q in zip(pp, parts, strict=True)
    )
