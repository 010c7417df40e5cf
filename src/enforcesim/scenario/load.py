"""Loading a scenario: TOML, the schema, then the rules that span sections, with every
problem of the file collected and reported together."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError, create_model

from ..errors import Problem, ScenarioError
from ..schema.base import StrictModel
from ..schema.errors import problems_from
from ..schema.toml import read_toml
from .model import Scenario
from .rules import INVALID, Facts, check_rules


@cache
def _section_model(name: str) -> type[BaseModel]:
    """A model holding one section, to validate it apart from the others."""
    field = Scenario.model_fields[name]
    return create_model(f"Section_{name}", __base__=StrictModel, value=(field.annotation, field))


def _sections_one_by_one(raw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, field in Scenario.model_fields.items():
        if not isinstance(raw, dict) or (name not in raw and field.is_required()):
            out[name] = INVALID
        elif name not in raw:
            out[name] = field.get_default(call_default_factory=True)
        else:
            try:
                out[name] = _section_model(name).model_validate({"value": raw[name]}).value
            except ValidationError:
                out[name] = INVALID
    return out


def parse_scenario(raw: dict[str, Any], file: str = "<scenario>") -> Scenario:
    """Validate a parsed TOML document as a whole; raise ScenarioError with every problem."""
    problems: list[Problem] = []
    try:
        sc = Scenario.model_validate(raw)
        sections = {name: getattr(sc, name) for name in Scenario.model_fields}
    except ValidationError as exc:
        problems = problems_from(file, Scenario, exc)
        sections = _sections_one_by_one(raw)
    facts = Facts(raw if isinstance(raw, dict) else {}, sections)
    # A value the schema already refused is not reported again by a rule.
    seen = {p.key for p in problems}
    problems += [p for p in check_rules(file, facts) if p.key not in seen]
    if problems:
        raise ScenarioError(problems)
    return sc


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file."""
    path = Path(path)
    raw, _ = read_toml(path)
    return parse_scenario(raw, str(path))
