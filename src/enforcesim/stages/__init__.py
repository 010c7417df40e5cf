"""The pipeline's stages in order, each with the scenario sections it owns, the cost volumes
it produces and the constraints bottleneck attribution can relax in it. Code that treats
every stage alike (the generated reference, results, costs, constraints) iterates over
`STAGES` instead of naming sections, volumes or constraints."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import arrests, book_ins, cases, costs, detention, officers, transport
from .constraint import Constraint
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
