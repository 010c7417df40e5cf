"""Pydantic's validation errors as the project's Problem messages.

Every problem names the key by its dotted path as the user would write it
(`detention.length_of_stay.sd`, `book_ins.schedule[1].day`, `uncertainty."costs.bed_day".high`)
and says what is allowed, in words derived from the schema (so they cannot drift from it).
A validator local to a table reports its findings as `Violation`s, each with the path of the
key inside that table, through `violations_error`.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from datetime import date
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

from ..errors import NO_VALUE, Problem
from .shapes import (
    DictShape,
    ListShape,
    ModelShape,
    TaggedUnion,
    field_shape,
    is_model,
    shape_of,
)

VIOLATIONS = "scenario_violations"
VALUE_RULE = "scenario_value"
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
# Branch names pydantic puts into a loc for a union that is not tagged (`int | "unlimited"`).
_UNION_PARTS = ("int", "literal['unlimited']", "constrained-int")


@dataclass(frozen=True)
class Violation:
    """A rule broken inside one table: the key's path inside it, its value, what is wrong."""

    loc: tuple[str | int, ...]
    value: Any
    message: str


def violations_error(found: list[Violation]) -> PydanticCustomError:
    """Raise this from a table's validator: every violation becomes its own problem."""
    summary = "; ".join(v.message for v in found)
    return PydanticCustomError(VIOLATIONS, "{summary}", {"summary": summary, "found": found})


def value_error(message: str) -> PydanticCustomError:
    """Raise this from a value's validator: the message says what is allowed."""
    return PydanticCustomError(VALUE_RULE, "{message}", {"message": message})


def dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = str(part) if _BARE_KEY.match(str(part)) else json.dumps(str(part))
            out += ("." if out else "") + text
    return out


def number_text(v: Any) -> str:
    if isinstance(v, int) and v >= 2**32 and v & (v - 1) == 0:
        return f"2**{v.bit_length() - 1}"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def suggest(word: str, valid: list[str]) -> str | None:
    """The valid key a typo most likely meant: a close spelling, or one it abbreviates."""
    close = difflib.get_close_matches(word, valid, n=1)
    if close:
        return close[0]
    longer = [v for v in valid if v.startswith(word) or word.startswith(v)]
    return longer[0] if len(longer) == 1 else None


def _bounds(metadata: list[Any]) -> str:
    lo = hi = ""
    lo_op = hi_op = ""
    for m in metadata:
        if isinstance(m, FieldInfo):  # Annotated[int, Field(ge=0)] inside a union
            return _bounds(list(m.metadata))
        for attr, op in (("ge", ">="), ("gt", ">")):
            if getattr(m, attr, None) is not None:
                lo, lo_op = number_text(getattr(m, attr)), op
        for attr, op in (("le", "<="), ("lt", "<")):
            if getattr(m, attr, None) is not None:
                hi, hi_op = number_text(getattr(m, attr)), op
    if lo_op == ">=" and hi_op == "<=":
        return f"from {lo} to {hi}"
    parts = [f"{op} {v}" for op, v in ((lo_op, lo), (hi_op, hi)) if op]
    return " and ".join(parts)


def _forms(union: TaggedUnion) -> str:
    forms = []
    for tag, model in union.branches.items():
        keys = [k for k in model.model_fields if k != union.discriminator]
        forms.append(
            "{ " + ", ".join([f'{union.discriminator} = "{tag}"', *(f"{k} = ..." for k in keys)])
        )
    forms = [f + " }" for f in forms]
    return ", ".join(forms[:-1]) + " or " + forms[-1]


def describe(annotation: Any, metadata: list[Any], discriminator: str | None = None) -> str:
    """What a value of this type may be, in words: 'an integer from 1 to 36500'."""
    shape = shape_of(annotation, discriminator)
    if isinstance(shape, TaggedUnion):
        return f"a table with keys {', '.join(shape.fields())}: {_forms(shape)}"
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin is Annotated:
        return describe(args[0], list(args[1:]) + metadata)
    if origin in (Union, UnionType):
        kinds = [a for a in args if a is not type(None)]
        return " or ".join(describe(a, metadata if len(kinds) == 1 else []) for a in kinds)
    if origin is Literal:
        words = [json.dumps(a) for a in args]
        return words[0] if len(words) == 1 else "one of " + ", ".join(words)
    if origin is list:
        item = args[0]
        if is_model(item):
            return "an array of tables { " + ", ".join(item.model_fields) + " }"
        return "an array"
    if origin is dict:
        return "a table"
    if is_model(annotation):
        return "a table with keys " + ", ".join(annotation.model_fields)
    base = {
        int: "an integer",
        float: "a number",
        str: "a string",
        bool: "true or false",
        date: "a date (a TOML date such as 2024-10-01)",
    }.get(annotation, str(annotation))
    if any(getattr(m, "min_length", None) for m in metadata):
        return f"a non-empty {base.removeprefix('a ')}"
    bounds = _bounds(metadata)
    return f"{base} {bounds}" if bounds else base


def describe_field(field: FieldInfo) -> str:
    disc = field.discriminator if isinstance(field.discriminator, str) else None
    return describe(field.annotation, list(field.metadata), disc)


@dataclass
class _Place:
    """Where a pydantic loc points in the schema."""

    path: list[Any]  # the user's path: no union branch names, no tags
    holder: type[BaseModel] | None = None  # the table holding the last key
    union: TaggedUnion | None = None  # the tagged union the holder is a branch of
    tag: str | None = None
    field: FieldInfo | None = None  # the last key's field, when it is a key of a table
    node: Any = None  # the shape reached at the end of the loc
    item: Any = None  # the annotation of an array item or a named entry, at the end
    name_error: bool = False  # the error is about the NAME of a named entry


def _locate(root: type[BaseModel], raw_loc: tuple[Any, ...]) -> _Place:
    place = _Place(path=[], node=ModelShape(root))
    union: TaggedUnion | None = None
    tag: str | None = None
    for part in raw_loc:
        node = place.node
        if part in _UNION_PARTS or (
            isinstance(part, str) and part.startswith(("function-", "tagged-union"))
        ):
            continue
        place.field = place.item = None
        if isinstance(node, TaggedUnion) and part in node.branches:
            union, tag = node, str(part)
            place.node = ModelShape(node.branches[str(part)])
            continue
        if isinstance(node, ModelShape):
            place.holder, place.union, place.tag = node.model, union, tag
            union = tag = None
            place.field = node.model.model_fields.get(str(part))
            place.node = field_shape(place.field) if place.field else None
        elif isinstance(node, DictShape):
            if part == "[key]":
                place.name_error = True
                continue
            place.item, place.node = node.value, shape_of(node.value)
        elif isinstance(node, ListShape):
            place.item, place.node = node.item, shape_of(node.item)
        else:
            place.node = None
        place.path.append(part)
    return place


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    for kind, word in (
        (int, "an integer"),
        (float, "a decimal number"),
        (str, "a string"),
        (dict, "a table"),
        (list, "an array"),
    ):
        if isinstance(value, kind):
            return word
    return type(value).__name__


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _quoted(tags: list[str]) -> str:
    words = [f'"{t}"' for t in tags]
    return " or ".join(words) if len(words) <= 2 else ", ".join(words[:-1]) + " or " + words[-1]


def _unknown_key(file: str, place: _Place, value: Any) -> Problem:
    key = dotted(tuple(place.path))
    word = str(place.path[-1])
    union = place.union
    if union is not None and union.tags_with(word):
        # A key of another branch: say which tag takes it rather than calling it unknown.
        disc, tag = union.discriminator, place.tag
        own = place.holder.model_fields if place.holder else {}
        return Problem(
            file,
            key,
            value,
            f'not allowed for {disc} = "{tag}"; {word} is only for {disc} = '
            f"{_quoted(union.tags_with(word))}; valid keys for {disc} = "
            f'"{tag}": {", ".join(own)}',
        )
    valid = list(union.fields() if union else place.holder.model_fields if place.holder else [])
    parents = tuple(place.path[:-1])
    if not parents:
        what = "section" if isinstance(value, dict) else "key"
        message = f"unknown {what}; valid sections: {', '.join(valid)}"
    else:
        where = (
            f"in each {dotted(parents[:-1])} entry"
            if isinstance(parents[-1], int)
            else f"in [{dotted(parents)}]"
        )
        message = f"unknown key; valid keys {where}: {', '.join(valid)}"
    close = suggest(word, valid)
    if close:
        message += f" (did you mean {close}?)"
    return Problem(file, key, NO_VALUE, message)


def _missing(file: str, place: _Place) -> Problem:
    key = dotted(tuple(place.path))
    if len(place.path) == 1 and isinstance(place.node, ModelShape):
        model = place.node.model
        needed = getattr(model, "SECTION_NEEDS", None) or ", ".join(
            k for k, f in model.model_fields.items() if f.is_required()
        )
        return Problem(
            file, key, NO_VALUE, f"required section [{key}] is missing (it needs {needed})"
        )
    allowed = _allowed(place)
    union, word = place.union, str(place.path[-1])
    if union is not None and any(
        not (f := m.model_fields.get(word)) or not f.is_required() for m in union.models()
    ):
        return Problem(
            file,
            key,
            NO_VALUE,
            f'required key is missing (required for {union.discriminator} = "{place.tag}"); '
            f"must be {allowed}",
        )
    return Problem(file, key, NO_VALUE, f"required key is missing; must be {allowed}")


def _allowed(place: _Place) -> str | None:
    if place.field is not None:
        return describe_field(place.field)
    if place.item is not None:
        return describe(place.item, [])
    return None


def problems_from_error(file: str, root: type[BaseModel], err: Any) -> list[Problem]:
    """The problems one pydantic error stands for (a table's validator may report several)."""
    place = _locate(root, tuple(err["loc"]))
    kind = err["type"]
    key = dotted(tuple(place.path))
    value = err.get("input", NO_VALUE)
    if kind == VIOLATIONS:
        base = tuple(place.path)
        return [
            Problem(file, dotted(base + v.loc), v.value, v.message) for v in err["ctx"]["found"]
        ]
    if place.name_error:
        return [Problem(file, key, NO_VALUE, str(err["msg"]))]
    if kind == VALUE_RULE:
        return [Problem(file, key, value, str(err["msg"]))]
    if kind == "extra_forbidden":
        return [_unknown_key(file, place, value)]
    if kind == "missing":
        return [_missing(file, place)]
    if kind in ("union_tag_invalid", "union_tag_not_found") and isinstance(place.node, TaggedUnion):
        disc = place.node.discriminator
        tags = "one of " + ", ".join(json.dumps(t) for t in place.node.tags())
        tag = value.get(disc, NO_VALUE) if isinstance(value, dict) else NO_VALUE
        if tag is NO_VALUE:
            return [
                Problem(file, f"{key}.{disc}", NO_VALUE, f"required key is missing; must be {tags}")
            ]
        return [Problem(file, f"{key}.{disc}", tag, f"must be {tags}")]
    if kind == "too_short" and isinstance(place.node, DictShape):
        return [Problem(file, key, NO_VALUE, f"needs at least one [{key}.NAME] table")]
    allowed = _allowed(place)
    if kind == "finite_number":
        return [Problem(file, key, value, f"must be {allowed}; NaN and infinity are not allowed")]
    if allowed is None:  # not expected: every loc pydantic reports is a schema field
        return [Problem(file, key, value, str(err["msg"]))]
    if kind == "float_type" and _is_int(value):  # an integer too large for a float
        return [Problem(file, key, value, f"must be {allowed}; this number is too large")]
    if kind.endswith(("_type", "_parsing")) or kind == "model_attributes_type":
        return [Problem(file, key, value, f"must be {allowed}, not {_kind_of(value)}")]
    return [Problem(file, key, value, f"must be {allowed}")]


def problems_from(file: str, root: type[BaseModel], exc: ValidationError) -> list[Problem]:
    """One problem per key: a union (beds: integer or "unlimited") reports every branch."""
    out: list[Problem] = []
    seen: set[str] = set()
    for err in exc.errors():
        for p in problems_from_error(file, root, err):
            if p.key not in seen:
                seen.add(p.key)
                out.append(p)
    return out
