"""The pipeline's stages in order, each with the scenario sections it owns and the
constraints bottleneck attribution can relax in it. Code that treats every stage alike
(the generated reference, results, costs, constraints) iterates over `STAGES` instead of
naming sections."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import arrests, book_ins, cases, costs, detention, officers, transport


@dataclass(frozen=True)
class Stage:
    name: str
    module: Any  # the stage's module: its section models and rules local to them
    sections: dict[str, Any]  # scenario key -> the model of one of its tables, file order
    constraints: tuple[str, ...] = field(default=())


STAGES: tuple[Stage, ...] = (
    Stage("book_ins", book_ins, {"book_ins": book_ins.BookIns}),
    Stage("arrests", arrests, {"arrests": arrests.Arrests}, ("pool",)),
    Stage("officers", officers, {"officers": officers.Officers}, ("officers",)),
    Stage("detention", detention, {"detention": detention.Detention}, ("beds",)),
    Stage(
        "cases",
        cases,
        {
            "pathways": cases.Pathway,
            "pathway_shares": cases.PathwayShareTable,
            "courts": cases.Courts,
            "travel_documents": cases.TravelDocuments,
        },
        ("judges", "documents"),
    ),
    Stage("transport", transport, {"transport": transport.Transport}, ("seats",)),
    Stage("costs", costs, {"costs": costs.Costs, "budget": costs.Budget}),
)

# Constraints bottleneck attribution can relax (constraints.py registers how), stage by stage.
CONSTRAINT_NAMES = tuple(name for stage in STAGES for name in stage.constraints)
COST_COMPONENT_NAMES = costs.COST_COMPONENT_NAMES
