"""What a field's type looks like to someone writing TOML: a table (model), a table whose
keys depend on a tag (a tagged union), a table of named entries, an array, or a value. The
error messages, the uncertain-value paths and the generated reference all walk the schema
through these shapes, so that none of them restates it."""

from __future__ import annotations

import inspect
import types
import typing
from dataclasses import dataclass
from typing import Any, Literal, Union

from pydantic import BaseModel
from pydantic.fields import FieldInfo


@dataclass(frozen=True)
class ModelShape:
    model: type[BaseModel]


@dataclass(frozen=True)
class TaggedUnion:
    """Tables whose keys depend on the value of one key, the discriminator."""

    discriminator: str
    branches: dict[str, type[BaseModel]]  # tag -> model; one model may carry several tags

    def models(self) -> list[type[BaseModel]]:
        return list(dict.fromkeys(self.branches.values()))

    def tags(self) -> list[str]:
        return list(self.branches)

    def tags_with(self, key: str) -> list[str]:
        return [t for t, m in self.branches.items() if key in m.model_fields]

    def fields(self) -> dict[str, FieldInfo]:
        """Every branch's keys in one table, each branch's order kept (a key only some
        branches take goes before the next key its branch shares with those seen so far)."""
        order: list[str] = []
        found: dict[str, FieldInfo] = {}
        for model in self.models():
            names = list(model.model_fields)
            for i, name in enumerate(names):
                if name in found:
                    continue
                found[name] = model.model_fields[name]
                later = [n for n in names[i + 1 :] if n in order]
                order.insert(order.index(later[0]) if later else len(order), name)
        return {name: found[name] for name in order}

    def doc(self) -> str:
        """The docstring the branches share (that of their common base)."""
        models = self.models()
        for base in models[0].__mro__[1:]:
            if all(issubclass(m, base) for m in models) and base.__doc__:
                return inspect.cleandoc(base.__doc__)
        return ""


@dataclass(frozen=True)
class DictShape:
    value: Any


@dataclass(frozen=True)
class ListShape:
    item: Any


Shape = ModelShape | TaggedUnion | DictShape | ListShape


def is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _tag_values(model: type[BaseModel], discriminator: str) -> tuple[Any, ...]:
    return typing.get_args(model.model_fields[discriminator].annotation)


def shape_of(annotation: Any, discriminator: str | None = None) -> Shape | None:
    """The shape of a type, or None for a plain value (number, string, "unlimited", ...)."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        for m in args[1:]:
            if isinstance(m, FieldInfo) and isinstance(m.discriminator, str):
                discriminator = m.discriminator
        return shape_of(args[0], discriminator)
    if origin in (Union, types.UnionType):
        kinds = [a for a in args if a is not type(None)]
        if len(kinds) == 1:
            return shape_of(kinds[0], discriminator)
        if discriminator and all(is_model(k) for k in kinds):
            branches = {t: k for k in kinds for t in _tag_values(k, discriminator)}
            return TaggedUnion(discriminator, branches)
        return None
    if origin is list:
        return ListShape(args[0])
    if origin is dict:
        return DictShape(args[1])
    if is_model(annotation):
        return ModelShape(annotation)
    return None


def field_shape(field: FieldInfo) -> Shape | None:
    disc = field.discriminator if isinstance(field.discriminator, str) else None
    return shape_of(field.annotation, disc)


def literal_values(annotation: Any) -> tuple[Any, ...]:
    return typing.get_args(annotation) if typing.get_origin(annotation) is Literal else ()
