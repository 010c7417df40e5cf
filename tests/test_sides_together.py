"""The arrest side and the case side share one officer-hours budget: escort hours the case
side spends on intake trips are hours the arrest side cannot spend on arrests."""

from __future__ import annotations

import numpy as np

import enforcesim
from builders import OFFICERS_5000_HOURS, arrest_scenario
from theory_checks import check_escorts_follow_wald


def test_intake_escorts_of_the_case_side_reduce_arrests_like_the_arrest_sides_own_escorts():
    """Same theory as test_arrests_theory's escort test, with the escort charged by the case
    side ([transport.intake]: 2 officers x 2 h per trip, 1 person per trip, so e = 4 h per
    admission) instead of officers.escort_hours_per_book_in. Attempts far above capacity,
    h = 10 h per arrest, share booked in s = 0.5, daily budget H = 5,000 h, unlimited beds
    (every book-in is admitted at once, so its escort is charged right after its arrest).
    Wald's identity bounds E[arrests/day] in ((H - h - e) / (h + s e), (H + e) / (h + s e)]
    = 415.5 to 417.0; tolerance that band + 5 SE; escorts 10% heavier would give 409.8.
    Seed 11, 8 replicates x 200 days."""
    src = {
        "kind": "custodial",
        "rate_per_day": 3000.0,
        "officer_hours_per_arrest": 10.0,
        "share_booked_in": 0.5,
    }
    h, e, s, budget = 10.0, 4.0, 0.5, 5000.0
    intake = {
        "transport": {
            "intake": {"officers_per_trip": 2.0, "hours_per_trip": 2.0, "persons_per_trip": 1.0}
        }
    }
    m = enforcesim.run(arrest_scenario(src, OFFICERS_5000_HOURS, **intake)).replicate_metrics()
    check_escorts_follow_wald(m, h, e, s, budget)
    np.testing.assert_allclose(
        m["officer_hours_escort_per_day"], e * m["admitted_per_day"], rtol=1e-9
    )
