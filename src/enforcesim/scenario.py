"""The scenario file: its schema (defined once, here), loading and whole-file validation.

The schema implements `spec/scenario-contract.md` (v1). Pydantic checks types, ranges and
unknown keys; `_cross_checks` adds the rules that span several keys (schedules inside the
horizon, `sd` only where the distribution takes one, uncertainty paths that exist). All
problems are collected and reported together, each naming file, dotted key and value.
"""

from __future__ import annotations

import hashlib
import math
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import NO_VALUE, Problem, ScenarioError

CONTRACT_VERSION = 1
MAX_DAYS = 36500
MAX_REPLICATES = 10000
MAX_SEED = 2**63


def _unit(unit: str, source: str | None = None) -> dict[str, str]:
    extra = {"unit": unit}
    if source:
        extra["source"] = source
    return extra


class _Strict(BaseModel):
    # TOML has real types: no string-to-number coercion, no bool-as-int, no NaN or infinity.
    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False, frozen=True)


class ScenarioMeta(_Strict):
    """Identity, horizon and replication of the run."""

    name: str = Field(min_length=1, description="Name of the scenario, written to the results.")
    days: int = Field(ge=1, le=MAX_DAYS, description="Reported horizon.",
                      json_schema_extra=_unit("days"))
    warmup_days: int = Field(
        0, ge=0, le=MAX_DAYS, description="Simulated before day 0 and not reported.",
        json_schema_extra=_unit("days"),
    )
    seed: int = Field(0, ge=0, lt=MAX_SEED, description="Root seed of `numpy.random.SeedSequence`.")
    replicates: int = Field(
        1, ge=1, le=MAX_REPLICATES, description="Independent replicates of the run."
    )


class RateStep(_Strict):
    day: int = Field(ge=0, description="First day the rate applies (integer in [0, days)).")
    rate_per_day: float = Field(ge=0, description="Poisson rate from this day on.",
                                json_schema_extra=_unit("persons/day"))


class BookIns(_Strict):
    """People booked into detention: a Poisson process with a piecewise-constant rate."""

    rate_per_day: float = Field(
        ge=0, description="Rate before the first schedule step, warm-up included.",
        json_schema_extra=_unit("persons/day"),
    )
    schedule: list[RateStep] = Field(
        default_factory=list,
        description="Piecewise-constant steps: from `day` on, `rate_per_day`. Days strictly "
        "increasing, in [0, days).",
    )


class BedStep(_Strict):
    day: int = Field(ge=0, description="First day the bed count applies (integer in [0, days)).")
    beds: Annotated[int, Field(ge=0)] | Literal["unlimited"] = Field(
        description="Beds from this day on.", json_schema_extra=_unit("beds")
    )


StayDistName = Literal["fixed", "exponential", "lognormal", "gamma"]


class StayDistribution(_Strict):
    """Days in a bed from admission until the case is decided."""

    dist: StayDistName = Field(description="`fixed`, `exponential`, `lognormal` or `gamma`.")
    mean: float = Field(gt=0, description="Mean stay.", json_schema_extra=_unit("days"))
    sd: float | None = Field(
        None, gt=0, description="Standard deviation; only for `lognormal` and `gamma`.",
        json_schema_extra=_unit("days"),
    )


class Detention(_Strict):
    """Beds, what happens when they are full, and how long people stay."""

    beds: Annotated[int, Field(ge=0)] | Literal["unlimited"] = Field(
        description='Beds at the start (integer >= 0, or "unlimited").',
        json_schema_extra=_unit("beds"),
    )
    beds_schedule: list[BedStep] = Field(
        default_factory=list,
        description="Steps in the bed count; a cut never evicts anyone, an increase admits "
        "from the holding queue at once.",
    )
    when_full: Literal["release", "wait"] = Field(
        description='"release": an arrival finding no free bed is released at once '
        '(turned_away); "wait": it waits, first come first served, for the next free bed.'
    )
    length_of_stay: StayDistribution = Field(description="Stay distribution.")
    removal_share: float = Field(
        1.0, ge=0, le=1, description="Share of decided cases ordered removed; the others are "
        "released when their stay ends.", json_schema_extra=_unit("share"),
    )
    initial_detained: int = Field(
        0, ge=0, description="People in beds at the start of warm-up (or of day 0), with "
        "remaining stays from the stationary residual-stay distribution.",
        json_schema_extra=_unit("persons"),
    )


class Transport(_Strict):
    """Scheduled departures; a person ordered removed keeps the bed until a seat takes them."""

    departures_per_day: float = Field(
        gt=0, description="Departures at t = k / departures_per_day for every integer k.",
        json_schema_extra=_unit("departures/day"),
    )
    seats_per_departure: int = Field(gt=0, description="Seats on each departure.",
                                     json_schema_extra=_unit("seats"))


class Costs(_Strict):
    """Unit costs (U.S. dollars)."""

    bed_day: float = Field(0.0, ge=0, description="Per occupied bed-day.",
                           json_schema_extra=_unit("USD/bed-day"))
    per_book_in: float = Field(0.0, ge=0, description="Per arrival, including those turned away.",
                               json_schema_extra=_unit("USD/person"))
    per_departure: float = Field(0.0, ge=0, description="Per scheduled departure, empty ones "
                                 "included.", json_schema_extra=_unit("USD/departure"))


class Targets(_Strict):
    """Goals to compare metrics against: achieved and probability met are reported."""

    book_ins_per_day: float | None = Field(None, ge=0, json_schema_extra=_unit("persons/day"),
                                           description="Target for `book_ins_per_day`.")
    admitted_per_day: float | None = Field(None, ge=0, json_schema_extra=_unit("persons/day"),
                                           description="Target for `admitted_per_day`.")
    removals_per_day: float | None = Field(None, ge=0, json_schema_extra=_unit("persons/day"),
                                           description="Target for `removals_per_day`.")


class UniformDraw(_Strict):
    dist: Literal["uniform"]
    low: float
    high: float


class TriangularDraw(_Strict):
    dist: Literal["triangular"]
    low: float
    mode: float
    high: float


class NormalDraw(_Strict):
    dist: Literal["normal"]
    mean: float
    sd: float = Field(gt=0)


class LognormalDraw(_Strict):
    dist: Literal["lognormal"]
    mean: float = Field(gt=0)
    sd: float = Field(gt=0)


ParameterDraw = Annotated[
    UniformDraw | TriangularDraw | NormalDraw | LognormalDraw, Field(discriminator="dist")
]


class Scenario(_Strict):
    """A whole scenario file (contract v1)."""

    scenario: ScenarioMeta
    book_ins: BookIns
    detention: Detention
    transport: Transport | None = None
    costs: Costs = Field(default_factory=Costs)
    targets: Targets = Field(default_factory=Targets)
    uncertainty: dict[str, ParameterDraw] = Field(
        default_factory=dict,
        description="Parameter uncertainty: dotted path of a numeric value -> distribution, "
        "drawn once per replicate.",
    )

    def with_overrides(self, seed: int | None = None, replicates: int | None = None) -> Scenario:
        meta = self.scenario.model_copy(
            update={k: v for k, v in (("seed", seed), ("replicates", replicates)) if v is not None}
        )
        return self.model_copy(update={"scenario": meta})


# Numeric values an [uncertainty] entry may vary, with their allowed range and whether they
# are integers. Draws are truncated to the range (see uncertainty.py).
#   path pattern -> (low, high, low_open, integer)
_INF = math.inf
UNCERTAIN_VALUES: dict[str, tuple[float, float, bool, bool]] = {
    "book_ins.rate_per_day": (0.0, _INF, False, False),
    "book_ins.schedule.*.rate_per_day": (0.0, _INF, False, False),
    "detention.beds": (0.0, _INF, False, True),
    "detention.beds_schedule.*.beds": (0.0, _INF, False, True),
    "detention.length_of_stay.mean": (0.0, _INF, True, False),
    "detention.length_of_stay.sd": (0.0, _INF, True, False),
    "detention.removal_share": (0.0, 1.0, False, False),
    "detention.initial_detained": (0.0, _INF, False, True),
    "transport.departures_per_day": (0.0, _INF, True, False),
    "transport.seats_per_departure": (1.0, _INF, False, True),
    "costs.bed_day": (0.0, _INF, False, False),
    "costs.per_book_in": (0.0, _INF, False, False),
    "costs.per_departure": (0.0, _INF, False, False),
}


def uncertain_value_rule(path: str) -> tuple[float, float, bool, bool] | None:
    parts = path.split(".")
    for pattern, rule in UNCERTAIN_VALUES.items():
        pp = pattern.split(".")
        if len(pp) == len(parts) and all(
            p == q or (p == "*" and q.isdigit()) for p, q in zip(pp, parts, strict=True)
        ):
            return rule
    return None


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


# ---------------------------------------------------------------------------------------------
# Loading


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model class that holds the key at `loc` (to list the valid keys)."""
    model: Any = Scenario
    for part in loc[:-1]:
        if isinstance(part, int) or model is None:
            continue
        if model is Scenario and part == "uncertainty":
            return None
        field = model.model_fields.get(part)
        if field is None:
            return None
        model = _inner_model(field.annotation)
    return model


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


_TYPE_WORDS = {
    "int_type": "must be an integer",
    "float_type": "must be a number",
    "string_type": "must be a string",
    "list_type": "must be an array",
    "dict_type": "must be a table",
    "model_type": "must be a table",
    "finite_number": "must be a finite number (NaN and infinity are not allowed)",
}


def _problem_from_error(file: str, err: dict[str, Any]) -> Problem | None:
    loc = tuple(err["loc"])
    kind = err["type"]
    # A union (e.g. beds: int | "unlimited") reports each branch; keep one clear message.
    loc = tuple(p for p in loc if p not in ("int", "literal['unlimited']", "constrained-int"))
    loc = tuple(
        p for p in loc
        if not (isinstance(p, str) and p.startswith(("function-", "tagged-union")))
    )
    key = _dotted(loc)
    value = err.get("input", NO_VALUE)
    ctx = err.get("ctx", {})
    if kind == "extra_forbidden":
        model = _model_at(loc)
        valid = ", ".join(model.model_fields) if model else ""
        where = "section" if isinstance(value, dict) else "key"
        return Problem(file, key, NO_VALUE, f"unknown {where}; valid keys here: {valid}")
    if kind == "missing":
        return Problem(file, key, NO_VALUE, "required key is missing")
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        op = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=",
              "less_than": "<"}[kind]
        bound = next(iter(ctx.values()))
        return Problem(file, key, value, f"must be {op} {bound}")
    if kind == "string_too_short":
        return Problem(file, key, value, "must not be empty")
    if kind in ("literal_error", "union_tag_invalid"):
        expected = ctx.get("expected") or ctx.get("expected_tags", "")
        return Problem(file, key, value, f"must be one of {expected}")
    if kind == "union_tag_not_found":
        return Problem(file, key, NO_VALUE, "needs a `dist` key: uniform, triangular, normal "
                       "or lognormal")
    if kind in _TYPE_WORDS:
        return Problem(file, key, value, _TYPE_WORDS[kind])
    return Problem(file, key, value, err["msg"])


_BEDS_KEYS = ("detention.beds",)


def _dedupe_beds(problems: list[Problem]) -> list[Problem]:
    """`beds` is int >= 0 or "unlimited": merge the two union branches' complaints."""
    out: list[Problem] = []
    seen: set[str] = set()
    for p in problems:
        is_beds = p.key in _BEDS_KEYS or (p.key.startswith("detention.beds_schedule[")
                                          and p.key.endswith("].beds"))
        if is_beds:
            if p.key in seen:
                continue
            seen.add(p.key)
            p = Problem(p.file, p.key, p.value, 'must be an integer >= 0 or "unlimited"')
        out.append(p)
    return out


def _cross_checks(file: str, sc: Scenario, raw: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    days = sc.scenario.days

    def check_steps(name: str, steps: list[Any]) -> None:
        last = -1
        for i, step in enumerate(steps):
            key = f"{name}[{i}].day"
            if step.day >= days:
                problems.append(Problem(file, key, step.day, f"must be < scenario.days ({days})"))
            if step.day <= last:
                problems.append(Problem(file, key, step.day,
                                        f"days must be strictly increasing (previous {last})"))
            last = step.day

    check_steps("book_ins.schedule", sc.book_ins.schedule)
    check_steps("detention.beds_schedule", sc.detention.beds_schedule)

    los = sc.detention.length_of_stay
    if los.dist in ("lognormal", "gamma") and los.sd is None:
        problems.append(Problem(file, "detention.length_of_stay.sd", NO_VALUE,
                                f"required for dist = {los.dist!r}"))
    if los.dist in ("fixed", "exponential") and los.sd is not None:
        problems.append(Problem(file, "detention.length_of_stay.sd", los.sd,
                                f"not allowed for dist = {los.dist!r} (only lognormal, gamma)"))

    for path, draw in sc.uncertainty.items():
        key = f'uncertainty."{path}"'
        rule = uncertain_value_rule(path)
        if rule is None:
            problems.append(Problem(file, key, NO_VALUE,
                                    "not a numeric scenario value that can vary; valid: "
                                    + ", ".join(UNCERTAIN_VALUES)))
            continue
        try:
            current = get_path(sc.model_dump(), path)
        except (KeyError, IndexError, TypeError):
            current = None
        if current is None:
            problems.append(Problem(file, key, NO_VALUE,
                                    f"{path} is not set in this scenario, so it cannot vary"))
            continue
        if current == "unlimited":
            problems.append(Problem(file, key, NO_VALUE,
                                    f"{path} is \"unlimited\"; only numbers can vary"))
            continue
        if path == "detention.length_of_stay.sd" and los.sd is None:
            continue
        problems.extend(_check_draw(file, key, draw, rule))
    return problems


def _check_draw(file: str, key: str, draw: Any, rule: tuple[float, float, bool, bool]
                ) -> list[Problem]:
    low, high, low_open, _ = rule
    allowed = f"{'(' if low_open else '['}{low:g}, {high:g}]"
    out: list[Problem] = []

    def inside(name: str, v: float) -> None:
        if v < low or v > high or (low_open and v == low):
            out.append(Problem(file, f"{key}.{name}", v, f"outside the value's range {allowed}"))

    if isinstance(draw, UniformDraw | TriangularDraw):
        if not draw.low < draw.high:
            out.append(Problem(file, f"{key}.high", draw.high, f"must be > low ({draw.low})"))
        inside("low", draw.low)
        inside("high", draw.high)
    if isinstance(draw, TriangularDraw) and not draw.low <= draw.mode <= draw.high:
        out.append(Problem(file, f"{key}.mode", draw.mode,
                           f"must lie in [low, high] = [{draw.low}, {draw.high}]"))
    if isinstance(draw, NormalDraw | LognormalDraw):
        inside("mean", draw.mean)
    return out


def parse_scenario(raw: dict[str, Any], file: str = "<scenario>") -> Scenario:
    """Validate a parsed TOML document as a whole; raise ScenarioError with every problem."""
    try:
        sc = Scenario.model_validate(raw)
    except ValidationError as exc:
        problems = [p for e in exc.errors() if (p := _problem_from_error(file, e)) is not None]
        raise ScenarioError(_dedupe_beds(problems)) from None
    problems = _cross_checks(file, sc, raw)
    if problems:
        raise ScenarioError(problems)
    return sc


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file."""
    path = Path(path)
    raw, _ = read_toml(path)
    return parse_scenario(raw, str(path))


def read_toml(path: Path) -> tuple[dict[str, Any], bytes]:
    file = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError([Problem(file, "", NO_VALUE, "file not found")]) from None
    except OSError as exc:
        raise ScenarioError([Problem(file, "", NO_VALUE, f"cannot read: {exc.strerror}")]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError([Problem(file, "", NO_VALUE, "not UTF-8 text")]) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([Problem(file, "", NO_VALUE, f"not valid TOML: {exc}")]) from None
    return raw, data


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
