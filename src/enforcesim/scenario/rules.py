"""The rules that span sections: the only checks written by hand. Everything a single table
can say about itself is in its model (field constraints, tagged unions, the table's own
validators); what is left here needs two sections at once, or the horizon.

Each rule names the sections it reads. It runs when those validated, so that a file with
problems in one section still gets every other section's rules checked in the same pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from ..errors import NO_VALUE, Problem
from ..schema.draws import LognormalDraw, NormalDraw, ParameterDraw, TriangularDraw, UniformDraw
from ..schema.errors import Violation, dotted, suggest
from ..schema.paths import ValueRange, matches, varying_values
from ..stages.arrest_events import event_violations
from ..stages.arrests import CRIMINALITY
from ..stages.book_ins import BookIns
from ..stages.cases import resolve_share_key
from ..stages.costs import COST_COMPONENT_NAMES
from ..stages.detention import StayStep
from .fitted import value_outside_interval
from .model import Scenario

INVALID: Any = type("Invalid", (), {"__repr__": lambda self: "<invalid section>"})()

# Every value an [uncertainty] entry may vary, with its range (from the fields' constraints).
UNCERTAIN_VALUES: dict[str, ValueRange] = varying_values(Scenario)


def uncertain_value_rule(path: str) -> ValueRange | None:
    return next((r for p, r in UNCERTAIN_VALUES.items() if matches(p, path)), None)


@dataclass(frozen=True)
class Facts:
    """The file as given (for which sections are present) and each section validated on its
    own: its model, or INVALID when it has problems of its own."""

    raw: dict[str, Any]
    sections: dict[str, Any]

    def given(self, name: str) -> bool:
        return self.raw.get(name) is not None

    def __getattr__(self, name: str) -> Any:
        return self.sections[name]


Rule = Callable[[Facts], Iterator[Violation]]
RULES: list[tuple[tuple[str, ...], Rule]] = []


def rule(*sections: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        RULES.append((sections, fn))
        return fn

    return register


def check_rules(file: str, facts: Facts) -> list[Problem]:
    out = []
    for needs, fn in RULES:
        if any(facts.sections[s] is INVALID for s in needs):
            continue
        out += [Problem(file, dotted(v.loc), v.value, v.message) for v in fn(facts)]
    return out


# ------------------------------------------------------------------------------------------
# What drives the model: book-ins or arrests


@rule()
def book_ins_or_arrests(f: Facts) -> Iterator[Violation]:
    if f.given("book_ins") and f.given("arrests"):
        yield Violation(
            ("arrests",),
            NO_VALUE,
            "not allowed together with [book_ins]: drive the model either by book-ins "
            "([book_ins]) or by arrests ([arrests]), not both",
        )
    if not f.given("book_ins") and not f.given("arrests"):
        yield Violation(
            ("book_ins",),
            NO_VALUE,
            f"required section [book_ins] is missing (it needs {BookIns.SECTION_NEEDS}; or "
            "give [arrests] instead)",
        )


ONLY_WITH_ARRESTS = "only allowed with [arrests] (a run driven by book-ins makes no arrests)"


@rule()
def officers_need_arrests(f: Facts) -> Iterator[Violation]:
    if f.given("officers") and not f.given("arrests"):
        yield Violation(
            ("officers",),
            NO_VALUE,
            "only allowed with [arrests] (officers limit arrests, not book-ins)",
        )


@rule("targets")
def arrest_target_needs_arrests(f: Facts) -> Iterator[Violation]:
    target = f.targets.ice_arrests_per_day
    if target is not None and not f.given("arrests"):
        yield Violation(("targets", "ice_arrests_per_day"), target, ONLY_WITH_ARRESTS)


@rule("bottlenecks")
def arrest_bottleneck_needs_arrests(f: Facts) -> Iterator[Violation]:
    targets = f.bottlenecks.targets if f.bottlenecks else None
    for i, t in enumerate(targets or []):
        if t == "ice_arrests_per_day" and not f.given("arrests"):
            yield Violation(("bottlenecks", "targets", i), t, ONLY_WITH_ARRESTS)


@rule("fitted")
def fitted_values_inside_their_intervals(f: Facts) -> Iterator[Violation]:
    for name, scalar in f.fitted.items():
        outside = value_outside_interval(name, scalar)
        if outside is not None:
            yield outside


@rule("scenario", "arrests", "fitted")
def arrest_events(f: Facts) -> Iterator[Violation]:
    if f.arrests is None:
        return
    meta = f.scenario
    yield from event_violations(
        f.arrests.events, f.arrests.sources, list(f.fitted), meta.start_date, meta.days
    )


# ------------------------------------------------------------------------------------------
# The horizon


def _schedules(node: Any, loc: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], list[Any]]]:
    """Every array of `{ day, ... }` steps under a validated section, with its path."""
    if isinstance(node, BaseModel):
        for name in type(node).model_fields:
            value = getattr(node, name)
            if value and isinstance(value, list) and isinstance(value[0], BaseModel):
                day = type(value[0]).model_fields.get("day")
                if day is not None and day.is_required():  # events check their own days
                    yield loc + (name,), value
                    continue
            yield from _schedules(value, loc + (name,))
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _schedules(value, loc + (key,))


@rule("scenario")
def steps_inside_horizon(f: Facts) -> Iterator[Violation]:
    days = f.scenario.days
    for section, value in f.sections.items():
        if value is INVALID or section == "scenario":
            continue
        for loc, steps in _schedules(value, (section,)):
            # stay steps may start before day 0 (for the people in beds at the start)
            lowest = "up" if isinstance(steps[0], StayStep) else "from 0"
            for i, step in enumerate(steps):
                if step.day >= days:
                    yield Violation(
                        loc + (i, "day"),
                        step.day,
                        f"must be a day {lowest} to {days - 1} (before scenario.days = {days})",
                    )


# ------------------------------------------------------------------------------------------
# Book-ins and detention


@rule("book_ins", "detention")
def stays_and_initial_population(f: Facts) -> Iterator[Violation]:
    streams = f.book_ins.streams if f.book_ins else {}
    detention = f.detention
    if detention.length_of_stay is None and not (
        streams and all(s.length_of_stay is not None for s in streams.values())
    ):
        yield Violation(
            ("detention", "length_of_stay"),
            NO_VALUE,
            "required key is missing (unless every book-in stream has its own); must be a "
            'table with keys dist, mean, sd, such as { dist = "lognormal", mean = 45.0, '
            "sd = 40.0 }",
        )
    if detention.initial_detained != 0 and any(
        s.initial_count() is not None for s in streams.values()
    ):
        yield Violation(
            ("detention", "initial_detained"),
            detention.initial_detained,
            "not allowed when a stream sets its own initial_detained (give every stream its own)",
        )


@rule("arrests", "detention")
def source_cohorts_alone(f: Facts) -> Iterator[Violation]:
    """People in beds at the start come either from the sources' cohorts or from
    detention.initial_detained (split by inflow x stay), not both."""
    if f.arrests is None or f.detention.initial_detained == 0:
        return
    with_cohorts = [n for n, s in f.arrests.sources.items() if s.initial_cohorts]
    if with_cohorts:
        yield Violation(
            ("detention", "initial_detained"),
            f.detention.initial_detained,
            "must be 0 (or left out) when arrest sources give initial_cohorts ("
            + ", ".join(with_cohorts)
            + "): the people in beds at the start are then the cohorts",
        )


def _decision_tables(f: Facts) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Every table that may carry stay and removal-share schedules, with its path."""
    yield ("detention",), f.detention
    for name, st in (f.book_ins.streams if f.book_ins else {}).items():
        yield ("book_ins", "streams", name), st
    for name, src in (f.arrests.sources if f.arrests else {}).items():
        yield ("arrests", "sources", name), src


def _case_side_keys(f: Facts) -> list[str]:
    """What turns the case side on (Scenario.has_case_side), as the file names it."""
    # a dumped scenario (uncertainty draws, overrides) carries empty sections: not given
    found = [
        f"[{s}]"
        for s in ("pathways", "courts", "travel_documents")
        if f.given(s) and f.sections.get(s)
    ]
    if f.transport is not None:
        found += [
            f"transport.{k}" for k in ("modes", "intake", "transfers") if getattr(f.transport, k)
        ]
    return found


@rule("detention", "book_ins", "arrests", "transport")
def schedules_without_case_side(f: Facts) -> Iterator[Violation]:
    """A removal share by decision date is drawn when a stay ends, which the case side
    decides through its pathways; pathways also set the stays, so a stay by book-in date
    has nothing to change there."""
    case_side = _case_side_keys(f)
    for loc, table in _decision_tables(f):
        if table.removal_share_schedule and case_side:
            yield Violation(
                loc + ("removal_share_schedule",),
                NO_VALUE,
                "not supported with the case side (here "
                + ", ".join(case_side)
                + "): there pathways decide the cases; give a stream per period with its "
                "own removal_share or pathway shares instead",
            )
        if table.length_of_stay_schedule and f.given("pathways") and f.sections.get("pathways"):
            yield Violation(
                loc + ("length_of_stay_schedule",),
                NO_VALUE,
                "not allowed with [pathways]: each pathway sets its own stay",
            )


# ------------------------------------------------------------------------------------------
# Budgets


@rule("scenario", "budget")
def budget_periods(f: Facts) -> Iterator[Violation]:
    days = f.scenario.days
    for name, budget in f.budget.items():
        for part in ("start", "end"):
            value = getattr(budget, part)
            if isinstance(value, date) and f.scenario.start_date is None:
                yield Violation(
                    ("budget", name, part),
                    value,
                    "a date needs scenario.start_date (the date of day 0); or give a day number",
                )
        if isinstance(budget.start, int) and budget.start >= days:
            yield Violation(
                ("budget", name, "start"),
                budget.start,
                f"must be a day from 0 to {days - 1} (before scenario.days = {days})",
            )


@rule("costs", "budget")
def budget_components(f: Facts) -> Iterator[Violation]:
    valid = list(COST_COMPONENT_NAMES) + list(f.costs.items)
    for name, budget in f.budget.items():
        for i, component in enumerate(budget.pays_for):
            if component not in valid:
                close = suggest(component, valid)
                yield Violation(
                    ("budget", name, "pays_for", i),
                    component,
                    "not a cost component"
                    + (f" (did you mean {close}?)" if close else "")
                    + "; valid: "
                    + ", ".join(valid),
                )


# ------------------------------------------------------------------------------------------
# Cases, courts, travel documents and transport


@rule("transport", "travel_documents")
def modes_and_document_groups(f: Facts) -> Iterator[Violation]:
    if f.transport is None or not f.transport.modes:
        return
    groups = f.travel_documents.groups if f.travel_documents else {}
    named = set()
    for name, mode in f.transport.modes.items():
        for i, group in enumerate(mode.groups or []):
            named.add(group)
            if group not in groups:
                yield Violation(
                    ("transport", "modes", name, "groups", i),
                    group,
                    "must name a [travel_documents.groups.NAME] table; valid: "
                    + (", ".join(groups) or "none (no [travel_documents])"),
                )
    if all(mode.groups is not None for mode in f.transport.modes.values()):
        unclaimed = [g for g in groups if g not in named]
        if unclaimed or not groups:
            what = (
                f"groups {', '.join(unclaimed)} have no mode"
                if unclaimed
                else "without [travel_documents] every removal uses the default mode"
            )
            yield Violation(
                ("transport", "modes"),
                NO_VALUE,
                f"{what}: give one mode without groups (the default) or name them",
            )


@rule("pathways")
def courts_and_court_pathways(f: Facts) -> Iterator[Violation]:
    has_court = any(p.court for p in f.pathways.values())
    if has_court and not f.given("courts"):
        yield Violation(
            ("courts",),
            NO_VALUE,
            "required section [courts] is missing (a pathway has court = true)",
        )
    if f.given("courts") and not has_court:
        yield Violation(
            ("courts",),
            NO_VALUE,
            "not allowed without a pathway with court = true (nobody would reach the judges)",
        )


def book_in_classes(f: Facts) -> list[str]:
    """The class names pathway shares may name (Scenario.classes, from the sections)."""
    if f.arrests is not None:
        return [f"{src}.{crim}" for src in f.arrests.sources for crim in CRIMINALITY]
    streams = f.book_ins.streams if f.book_ins else {}
    return list(streams) or ["all"]


@rule("pathways", "pathway_shares", "book_ins", "arrests")
def pathway_shares_per_class(f: Facts) -> Iterator[Violation]:
    pathways, shares = f.pathways, f.pathway_shares
    if pathways and not shares:
        yield Violation(
            ("pathway_shares",),
            NO_VALUE,
            "required section [pathway_shares] is missing (it needs a table per book-in "
            "class, prefix or default: { pathway = share, ... })",
        )
    if shares and not pathways:
        yield Violation(("pathway_shares",), NO_VALUE, "not allowed without [pathways.NAME] tables")
    classes = book_in_classes(f)
    prefixes = {c.split(".")[0] for c in classes}
    for cls, table in shares.items():
        if cls != "default" and cls not in classes and cls not in prefixes:
            yield Violation(
                ("pathway_shares", cls),
                NO_VALUE,
                "not a book-in class; valid: " + ", ".join(["default", *classes]),
            )
        for pathway, share in table.items():
            if pathways and pathway not in pathways:
                yield Violation(
                    ("pathway_shares", cls, pathway),
                    share,
                    "not a pathway; valid: " + ", ".join(pathways),
                )
    if pathways and shares:
        for cls in classes:
            if resolve_share_key(cls, shares) is None:
                yield Violation(
                    ("pathway_shares",),
                    NO_VALUE,
                    f"no shares for book-in class {cls}: give [pathway_shares.{cls}] or "
                    "[pathway_shares.default]",
                )


# ------------------------------------------------------------------------------------------
# Uncertainty: each entry varies a numeric value that is set, within the value's range

_DRAW = TypeAdapter(ParameterDraw)


def _current_value(f: Facts, path: str) -> Any:
    """The value at a dotted path, defaults applied; None if not set, INVALID if its
    section has problems of its own (reported on their own)."""
    section, *rest = path.split(".")
    node = f.sections.get(section, INVALID)
    for part in rest:
        if node is None or node is INVALID:
            return node
        if isinstance(node, list):
            node = node[int(part)] if int(part) < len(node) else None
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            node = getattr(node, part, None)
    return node


def _outside(key: tuple[Any, ...], draw: Any, allowed: ValueRange) -> Iterator[Violation]:
    if isinstance(draw, UniformDraw | TriangularDraw):
        values = [("low", draw.low), ("high", draw.high)]
    elif isinstance(draw, NormalDraw | LognormalDraw):
        values = [("mean", draw.mean)]
    for name, v in values:
        if not allowed.contains(v):
            yield Violation(
                key + (name,), v, f"must lie in the value's allowed range {allowed.text()}"
            )


@rule()
def uncertain_values(f: Facts) -> Iterator[Violation]:
    entries = f.raw.get("uncertainty")
    for path, raw_draw in entries.items() if isinstance(entries, dict) else ():
        key = ("uncertainty", path)
        allowed = uncertain_value_rule(path)
        if allowed is None:
            close = suggest(path, list(UNCERTAIN_VALUES))
            hint = f" (did you mean {close}?)" if close else ""
            yield Violation(
                key,
                NO_VALUE,
                f"not a numeric scenario value that can vary{hint}; valid: "
                + ", ".join(UNCERTAIN_VALUES)
                + " (* is a step number: 0, 1, ...)",
            )
            continue
        current = _current_value(f, path)
        if current is INVALID:
            continue
        if current is None:
            section = path.split(".")[0]
            hint = f" (there is no [{section}] section)" if section not in f.raw else ""
            yield Violation(
                key, NO_VALUE, f"{path} is not set in this scenario, so it cannot vary" + hint
            )
            continue
        if current == "unlimited":
            yield Violation(key, NO_VALUE, f'{path} is "unlimited"; only numbers can vary')
            continue
        try:
            draw = _DRAW.validate_python(raw_draw)
        except ValidationError:  # the draw's own problems are reported by the schema
            continue
        yield from _outside(key, draw, allowed)
