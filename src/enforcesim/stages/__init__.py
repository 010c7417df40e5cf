"""The pipeline's stages in order, each with the scenario sections it owns, the cost volumes
it produces and the constraints bottleneck attribution can relax in it. Code that treats
every stage alike (the generated reference, results, costs, constraints) iterates over
`STAGES` instead of naming sections, volumes or constraints."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import arrests, book_ins, cases, costs, detention, officers, transport
from .constraint import Constraint
from .outputs import (
    KEY_UNITS,
    LABEL_UNIT,
    PARTS,
    Breakdown,
    DailyColumns,
    Definitions,
    MetricSet,
)
from .volume import VolumeFn


@dataclass(frozen=True)
class Stage:
    name: str
    module: Any  # the stage's module: its section models and rules local to them
    sections: dict[str, Any]  # scenario key -> the model of one of its tables, file order

    @property
    def volumes(self) -> dict[str, VolumeFn]:
        """Cost volumes it produces (priced by the costs stage)."""
        return self.module.VOLUMES

    @property
    def constraints(self) -> tuple[Constraint, ...]:
        """Constraints it owns (relaxed by bottleneck attribution)."""
        return self.module.CONSTRAINTS


STAGES: tuple[Stage, ...] = (
    Stage("book_ins", book_ins, {"book_ins": book_ins.BookIns}),
    Stage("arrests", arrests, {"arrests": arrests.Arrests}),
    Stage("officers", officers, {"officers": officers.Officers}),
    Stage("detention", detention, {"detention": detention.Detention}),
    Stage(
        "cases",
        cases,
        {
            "pathways": cases.Pathway,
            "pathway_shares": cases.PathwayShareTable,
            "courts": cases.Courts,
            "travel_documents": cases.TravelDocuments,
        },
    ),
    Stage("transport", transport, {"transport": transport.Transport}),
    Stage("costs", costs, {"costs": costs.Costs, "budget": costs.Budget}),
)

# Constraints bottleneck attribution can relax, stage by stage.
CONSTRAINT_NAMES = tuple(c.name for stage in STAGES for c in stage.constraints)
COST_COMPONENT_NAMES = costs.COST_COMPONENT_NAMES


# --- metrics and daily tables ---
# What each stage reports is its module's `OUTPUTS` (stages/outputs.py); results iterate over
# these, part by part (outputs.PARTS) and stage by stage, so that each output keeps the place
# it has always had. (Imports here, so that this block merges as one piece.)


def parts(sc: Any = None) -> list[str]:
    """The parts of the output a scenario has (every part when none is given), in order."""
    return [part for part, applies in PARTS.items() if sc is None or applies(sc)]


def metric_sets(sc: Any = None, part: str | None = None) -> list[MetricSet]:
    """The stages' metric sets in summary order (those of `sc`'s parts, or of one part)."""
    return [
        m
        for p in parts(sc)
        if part in (None, p)
        for stage in STAGES
        for m in stage.module.OUTPUTS.metric_sets
        if m.part == p
    ]


def metric_definitions(sc: Any = None, part: str | None = None) -> Definitions:
    """Metric name -> (unit, meaning) in summary order. A metric reported by two parts (the
    officer-hours ledger: arrest side and case side) keeps the place of its first."""
    names: Definitions = {}
    for m in metric_sets(sc, part):
        names |= m.metrics
    return names


def replicate_values(out: Any, sc: Any = None, part: str | None = None) -> dict[str, float]:
    """One replicate's metrics (of `sc`'s parts, or of one part); NaN stands for null."""
    row: dict[str, float] = {}
    for m in metric_sets(sc, part):
        row |= m.compute(out)
    return row


def breakdowns(sc: Any = None) -> list[Breakdown]:
    return [
        b
        for p in parts(sc)
        for stage in STAGES
        for b in stage.module.OUTPUTS.breakdowns
        if b.part == p
    ]


def daily_groups(sc: Any = None) -> dict[str, list[DailyColumns]]:
    """Daily table -> the column groups that make it up, in column order; tables in the
    order they are written."""
    tables: dict[str, list[DailyColumns]] = {}
    for p in parts(sc):
        for stage in STAGES:
            for g in stage.module.OUTPUTS.daily:
                if g.part == p:
                    tables.setdefault(g.table, []).append(g)
    return tables


def daily_keys(table: str) -> dict[str, Any]:
    """The label columns of a daily table (after replicate and day): name -> its labels in a
    scenario (scenario -> list)."""
    keys: dict[str, Any] = {}
    for g in daily_groups()[table]:
        keys |= g.keys or {}
    return keys


def daily_columns(table: str, contract: bool | None = None) -> list[str]:
    """A daily table's columns, labels included: all, or only the data columns the contract
    fixes (contract=True) or only the others (contract=False)."""
    groups = daily_groups()[table]
    data = [c for g in groups if contract in (None, g.contract) for c in g.columns]
    return data if contract is False else [*KEY_UNITS, *daily_keys(table), *data]


def daily_units(table: str) -> dict[str, str]:
    """The unit of every column the stages give a daily table."""
    units = dict(KEY_UNITS) | {key: LABEL_UNIT for key in daily_keys(table)}
    for g in daily_groups()[table]:
        units |= {name: unit for name, (unit, _) in g.columns.items()}
    return units


def foregone_per_day(out: Any) -> dict[str, float]:
    """Attempts the stages turned down, per day by cause (a constraint's name)."""
    found: dict[str, float] = {}
    for stage in STAGES:
        fn = stage.module.OUTPUTS.foregone_per_day
        if fn is not None:
            found |= fn(out)
    return found
