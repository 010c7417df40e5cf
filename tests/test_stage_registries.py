"""Each stage module owns its cost volumes and constraints; costs.py and constraints.py only
gather them. What a scenario may name must match what the stages give."""

from __future__ import annotations

from typing import get_args

from enforcesim import constraints, costs
from enforcesim.stages import CONSTRAINT_NAMES, STAGES
from enforcesim.stages.costs import CostItem


def test_a_cost_item_may_name_exactly_the_stages_volumes():
    given = [name for stage in STAGES for name in stage.volumes]
    assert len(given) == len(set(given)), "a volume given by two stages"
    allowed = get_args(CostItem.model_fields["volume"].annotation)
    assert set(given) == set(allowed)
    assert tuple(costs.VOLUMES) == allowed  # reported in the costs stage's order


def test_constraints_are_the_stages_in_their_published_order():
    owned = {c.name: stage.name for stage in STAGES for c in stage.constraints}
    assert CONSTRAINT_NAMES == tuple(owned)
    assert owned == {
        "pool": "arrests",
        "officers": "officers",
        "beds": "detention",
        "judges": "cases",
        "documents": "cases",
        "seats": "transport",
    }
    positions = [c.position for c in constraints.CONSTRAINTS.values()]
    assert positions == sorted(set(positions))
    # daily.parquet's binding_* columns and the attribution keep this order
    assert list(constraints.CONSTRAINTS) == [
        "beds",
        "seats",
        "officers",
        "pool",
        "judges",
        "documents",
    ]
