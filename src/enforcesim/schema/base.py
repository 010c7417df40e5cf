"""The strict base model every scenario table derives from, and the field metadata helpers."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    ModelWrapValidatorHandler,
    ValidationError,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import InitErrorDetails, PydanticCustomError

from .errors import Violation, violations_error


class StrictModel(BaseModel):
    """A scenario table. Its own rules (keys that depend on each other) are its
    `violations()`; they are checked even when the table also has unknown keys, so that a
    misspelt key and the rule it then breaks are reported together."""

    # TOML has real types: no string-to-number coercion, no bool-as-int, no NaN or infinity.
    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False, frozen=True)

    def violations(self) -> list[Violation]:
        return []

    @model_validator(mode="wrap")
    @classmethod
    def _with_table_rules(cls, data: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
        unknown: list[InitErrorDetails] = []
        try:
            table = handler(data)
        except ValidationError as exc:
            errors = exc.errors()
            keys = {e["loc"][0] for e in errors if e["type"] == "extra_forbidden"}
            if not isinstance(data, dict) or not keys or len(keys) != len(errors):
                raise
            unknown = [
                {"type": "extra_forbidden", "loc": e["loc"], "input": e["input"]} for e in errors
            ]
            try:
                table = handler({k: v for k, v in data.items() if k not in keys})
            except ValidationError:
                raise exc from None
        found = table.violations()
        if found and not unknown:
            raise violations_error(found)
        if unknown:
            if found:
                unknown.append({"type": violations_error(found), "loc": (), "input": data})
            raise ValidationError.from_exception_data(cls.__name__, unknown)
        return table


def meta(unit: str, source: str | None = None, *, varies: bool = False) -> dict[str, Any]:
    """A field's `json_schema_extra`: its unit, where its default comes from, and whether an
    `[uncertainty]` entry may vary it (its range then comes from the field's constraints)."""
    extra: dict[str, Any] = {"unit": unit}
    if source:
        extra["source"] = source
    if varies:
        extra["varies"] = True
    return extra


def field_extra(field: FieldInfo) -> dict[str, Any]:
    extra = field.json_schema_extra
    return extra if isinstance(extra, dict) else {}


NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
NAME_RULE = "names must be lower-case letters, digits and _, starting with a letter"


def check_name(name: str) -> str:
    if not NAME_PATTERN.match(name):
        raise PydanticCustomError("scenario_name", NAME_RULE)
    return name


# The NAME of a `[section.NAME]` table: it becomes part of dotted paths and result keys.
Name = Annotated[str, AfterValidator(check_name)]
