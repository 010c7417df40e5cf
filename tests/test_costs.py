"""Cost rules on exact small cases: tiered bed-days with guaranteed minimums, overhead, each
component (with synthetic volumes for the mechanisms other issues add), fiscal years, and
budgets (the day each runs out, what it sustains).

Times and stays are binary fractions, so every bed-day below is exact in floating point.
"""

from __future__ import annotations

import math
from datetime import date
from types import SimpleNamespace

import numpy as np
import pytest

from builders import exact_scenario, simulate_fixed
from enforcesim.costs import (
    budget_replicate,
    budgets_summary,
    daily_costs,
    replicate_costs,
    tiered_bed_cost,
    volumes,
    year_labels,
)
from enforcesim.engine.structures import DayCounts, DayVolumes, OfficerHours
from enforcesim.errors import ScenarioError
from enforcesim.results import replicate_metrics
from enforcesim.scenario import BedTier


def scenario(days=4, beds="unlimited", when_full="wait", costs=None, meta=None, **sections):
    return exact_scenario(
        name="costs",
        days=days,
        beds=beds,
        when_full=when_full,
        meta=meta,
        costs=costs or {},
        **sections,
    )


def run_two(sc):
    """0.5 stays 1.0 and 1.25 stays 2.0, both ordered removed (no transport: leave at once)."""
    return simulate_fixed(sc, [0.5, 1.25], [1.0, 2.0], [True, True])


def test_tiers_guaranteed_minimum_paid_whether_used_or_not():
    tiers = [
        BedTier(guaranteed_minimum=100, rate=100.0, rate_above=40.0, capacity=150),
        BedTier(guaranteed_minimum=50, rate=200.0, rate_above=80.0),
    ]
    got = tiered_bed_cost(np.array([0.0, 120.0, 150.0, 200.0, 400.0]), tiers)
    # fixed part 100 x 100 + 50 x 200 = 20,000; above the 150 guaranteed beds, tier 1's 50
    # spare beds at 40, then tier 2 (unlimited) at 80
    assert got.tolist() == [20000.0, 20000.0, 20000.0, 22000.0, 20000 + 50 * 40 + 200 * 80]


def test_tiers_beyond_every_capacity_at_the_last_rate_above():
    tiers = [BedTier(guaranteed_minimum=10, rate=5.0, rate_above=2.0, capacity=20)]
    assert tiered_bed_cost(np.array([35.0]), tiers).tolist() == [50 + 10 * 2 + 15 * 2]
    # defaults: no guaranteed minimum, the 2015 tiered contracts' rates
    assert tiered_bed_cost(np.array([3.0]), [BedTier()]).tolist() == [3 * 52.38]
    assert tiered_bed_cost(np.array([3.0]), [BedTier(guaranteed_minimum=3)]).tolist() == [
        3 * 127.06
    ]


def test_bed_days_are_the_exact_daily_integral_of_detained():
    out = run_two(scenario())
    # person 1: [0.5, 1.5); person 2: [1.25, 3.25)
    assert out.daily_extra.bed_days.tolist() == [0.5, 1.25, 1.0, 0.25]
    assert out.daily_extra.full_time.tolist() == [0.0] * 4  # unlimited beds


def test_flat_components_and_v1_cost_total_unchanged():
    sc = scenario(
        costs={
            "bed_day": 100.0,
            "per_book_in": 7.0,
            "per_removal": 1000.0,
            "overhead_per_funded_bed_day": 10.0,
        }
    )
    out = run_two(sc)
    c = replicate_costs(out)
    # beds 3 bed-days x 100; overhead on funded bed-days (= occupied while unlimited) 3 x 10;
    # 2 book-ins x 7; 2 removals x 1000
    assert c["by_component"]["beds"] == 300.0
    assert c["by_component"]["overhead"] == 30.0
    assert c["by_component"]["book_ins"] == 14.0
    assert c["by_component"]["removals"] == 2000.0
    assert c["metrics"]["cost_all_in_total"] == 2344.0
    assert c["metrics"]["cost_all_in_per_removal"] == 1172.0
    assert c["metrics"]["cost_per_occupied_bed_day"] == 110.0
    assert math.isnan(c["metrics"]["cost_per_arrest"])  # no arrest mechanism yet
    assert replicate_metrics(out)["cost_total"] == 300.0 + 14.0  # v1: beds + book-ins only


def test_tiered_beds_with_finite_beds_and_funded_overhead():
    sc = scenario(
        beds=1,
        costs={
            "beds": {"cdf": {"guaranteed_minimum": 1, "rate": 100.0, "rate_above": 0.0}},
            "overhead_per_funded_bed_day": 10.0,
        },
    )
    out = run_two(sc)
    # one bed: person 2 waits from 1.25 to 1.5, then holds the bed to 3.5
    assert out.daily_extra.bed_days.tolist() == [0.5, 1.0, 1.0, 0.5]
    assert out.daily_extra.full_time.tolist() == [0.5, 1.0, 1.0, 0.5]
    d = daily_costs(out)
    assert d["beds"].tolist() == [100.0] * 4  # the guaranteed bed, used or not
    assert d["overhead"].tolist() == [10.0] * 4  # 1 funded bed a day


def test_mechanism_volumes_from_synthetic_outputs():
    sc = scenario(
        days=3,
        costs={
            "per_officer_hour": 50.0,
            "per_flight_hour": 8600.0,
            "per_court_day": 3000.0,
            "per_atd_day": 4.2,
            "per_escorted_trip": 300.0,
            "per_bus_trip": 2000.0,
            "per_arrest": 0.0,
            "items": {"legal": {"usd_per_unit": 5.0, "volume": "court_days"}},
        },
    )
    out = SimpleNamespace(
        daily=DayCounts(*np.zeros((len(DayCounts._fields), 3), dtype=np.int64)),
        daily_extra=DayVolumes(*np.zeros((len(DayVolumes._fields), 3))),
        scenario=sc,
        officer_hours=OfficerHours(
            *np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 4.0], [0.0, 0.0, 0.0]]).T
        ),
        arrests=np.array([2.0, 0.0, 2.0]),
        volumes={
            "flight_hours": np.array([0.0, 2.5, 0.0]),
            "court_days": np.ones(3),
            "atd_days": np.array([100.0, 100.0, 100.0]),
            "escorted_trips": np.array([1.0, 0.0, 0.0]),
            "bus_trips": np.array([0.0, 0.0, 1.0]),
        },
    )
    v = volumes(out)
    assert v["officer_hours"].tolist() == [6.0, 4.0, 0.0]  # summed over activities
    c = replicate_costs(out)["by_component"]
    assert c["officer_hours"] == 500.0
    assert c["flight_hours"] == 2.5 * 8600
    assert c["court_days"] == 9000.0
    assert c["atd_days"] == pytest.approx(1260.0)
    assert c["escorted_trips"] == 300.0 and c["bus_trips"] == 2000.0
    assert c["legal"] == 15.0
    total = 500 + 21500 + 9000 + 1260 + 300 + 2000 + 15
    assert replicate_costs(out)["metrics"]["cost_per_arrest"] == pytest.approx(total / 4)


def test_fiscal_years_from_the_start_date():
    sc = scenario(meta={"start_date": date(2024, 9, 29)}, costs={"bed_day": 100.0})
    assert year_labels(sc).tolist() == ["FY2024", "FY2024", "FY2025", "FY2025"]
    c = replicate_costs(run_two(sc))
    assert c["by_year"] == {"FY2024": 175.0, "FY2025": 125.0}
    assert year_labels(scenario(days=366)).tolist()[364:] == ["year 1", "year 2"]


def budget_case(amount, end=None, start=0, days=4, start_date=None):
    b = {"amount_usd": amount, "start": start, "pays_for": ["beds"]}
    if end is not None:
        b["end"] = end
    meta = {"start_date": start_date} if start_date else {}
    sc = scenario(
        days=days,
        meta=meta,
        budget={"law": b},
        costs={"beds": {"spc": {"guaranteed_minimum": 1, "rate": 100.0, "rate_above": 0.0}}},
    )
    return sc, run_two(sc)


def test_budget_runs_out_on_the_day_spending_passes_the_amount():
    sc, out = budget_case(250.0, start_date=date(2025, 1, 1))
    r = budget_replicate(out, sc.budget["law"])
    assert r["runs_out_day"] == 2.0  # 100, 200, 300 > 250 at the end of day 2
    assert r["spent_in_horizon"] == 400.0
    s = budgets_summary([out])["law"]
    assert s["probability_runs_out"] == 1.0
    assert s["runs_out_date"]["mean"] == "2025-01-03"


def test_budget_starting_later_and_projected_beyond_the_horizon():
    sc, out = budget_case(250.0, start=2)
    assert budget_replicate(out, sc.budget["law"])["runs_out_day"] == math.inf  # 200 spent
    sc, out = budget_case(550.0, end=9)
    r = budget_replicate(out, sc.budget["law"])
    # 400 spent by day 3, then 100/day: 500 at the end of day 4, 600 > 550 on day 5
    assert r["runs_out_day"] == 5.0 and r["projected"] == 1.0
    sc, out = budget_case(10000.0, end=9)
    assert budget_replicate(out, sc.budget["law"])["runs_out_day"] == math.inf
    assert budgets_summary([out])["law"]["runs_out_day"] is None


def test_budget_sustainable_beds_and_removals():
    sc = scenario(
        costs={"bed_day": 100.0},
        budget={"law": {"amount_usd": 1000.0, "end": 9, "pays_for": ["beds"]}},
    )
    r = budget_replicate(run_two(sc), sc.budget["law"])
    # 100/day over days 0-9; 300 spent on 3 bed-days and 2 removals
    assert r["sustainable_beds"] == pytest.approx(1.0)
    assert r["sustainable_removals_per_day"] == pytest.approx(100.0 / 150.0)


def test_budget_dates_need_a_start_date_and_known_components():
    with pytest.raises(ScenarioError) as err:
        scenario(
            budget={"law": {"amount_usd": 1.0, "start": date(2025, 7, 4), "pays_for": ["bed"]}}
        )
    text = str(err.value)
    assert "budget.law.start" in text and "scenario.start_date" in text
    assert "budget.law.pays_for[0]" in text and "did you mean beds?" in text
