"""The arrest side joined to costs and bottlenecks: arrest and officer-hour volumes priced on
exact small cases, the officers and pool constraints (relaxing, daily flags), and a
two-constraint Shapley split (officers and beds) known in closed form.

Closed form (officers and beds both cap arrests). One custodial source attempts arrests at
lam = 1,000 a day (Poisson), each takes h = 1 officer-hour and is booked in (share 1), with
H = 400 officer-hours a day (100 officers x 4 h, no casework, no escort), so officers make at
most O = H / h = 400 a day (the first 400 attempts of each day; P(Poisson(1000) < 400) is
nil). B = 2,000 beds, stays of exactly L = 10 days, "throttle": an attempt that finds every bed
taken is foregone, so a freed bed waits about 1/lam for the next attempt and beds turn over
b = B / (L + 1/lam) = 199.98 a day. Starting with every bed taken (residual stays uniform)
and after a 30-day warm-up:

    v(none) = min(O, b) = b        v(beds relaxed) = min(lam, O) = O = 400
    v(officers relaxed) = b        v(both relaxed) = lam = 1,000

so phi_beds = ((O - b) + (lam - b)) / 2 = 500.02 and phi_officers = ((b - b) + (lam - O)) / 2
= 300. v(officers relaxed) = v(none) exactly (officers never bind when beds do, and the runs
share their random numbers), v(beds relaxed) = 400 exactly; only v(both relaxed), the mean
of Poisson counts over 4 replicates x 365 days, is noisy: sd sqrt(1000 / 1460) = 0.83 a day,
0.41 on each phi. Seed 5; tolerance 2.0 a day on each phi (about 5 sd), 0.3 on v(none)
(beds that complete one more or one fewer stay within the horizon: sd under 0.06 a day).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

import enforcesim
from builders import CONVICTED_ONLY, TWO_OFFICERS, simulate_fixed, tiny_book_in_scenario
from enforcesim import ScenarioError, parse_scenario
from enforcesim.bottlenecks import relaxed
from enforcesim.constraints import binding_flags, reported
from enforcesim.costs import replicate_costs, volumes
from enforcesim.engine.runner import simulate_replicate
from enforcesim.results import DAILY_COLUMNS
from enforcesim.stages.arrests import UNDEPLETED_POOL
from enforcesim.stages.officers import UNLIMITED_OFFICERS

LAM, HOURS, BEDS, STAY = 1000.0, 400.0, 2000, 10.0
B_RATE = BEDS / (STAY + 1 / LAM)


def officers_and_beds(days=365, officers=100, hours=4.0, replicates=4):
    return {
        "scenario": {
            "name": "officers-and-beds",
            "days": days,
            "warmup_days": 30,
            "seed": 5,
            "replicates": replicates,
        },
        "arrests": {
            "when_full": "throttle",
            "sources": {
                "jail": {
                    "kind": "custodial",
                    "rate_per_day": LAM,
                    "officer_hours_per_arrest": 1.0,
                    "share_booked_in": 1.0,
                    "mix": CONVICTED_ONLY,
                }
            },
        },
        "officers": {
            "headcount": officers,
            "productive_hours_per_day": hours,
            "casework_share": 0.0,
            "escort_hours_per_book_in": 0.0,
        },
        "detention": {
            "beds": BEDS,
            "when_full": "release",
            "initial_detained": BEDS,
            "length_of_stay": {"dist": "fixed", "mean": STAY},
        },
        "targets": {"ice_arrests_per_day": LAM},
        "bottlenecks": {"targets": ["ice_arrests_per_day", "removals_per_day"]},
    }


@pytest.fixture(scope="module")
def two_constraints():
    return enforcesim.run(officers_and_beds(), workers=1)


def test_officers_and_beds_shortfall_split_matches_the_closed_form(two_constraints):
    b = two_constraints.bottlenecks
    assert b["constraints"] == ["beds", "officers"] and b["runs"] == 4
    t = b["targets"]["ice_arrests_per_day"]
    sub = t["subsets"]
    assert sub["none"] == pytest.approx(B_RATE, abs=0.3)
    assert sub["officers"] == sub["none"]  # the same run, exactly
    assert sub["beds"] == HOURS  # 400 a day, exactly
    assert sub["beds+officers"] == pytest.approx(LAM, abs=4.0)
    phi_beds = ((HOURS - B_RATE) + (LAM - B_RATE)) / 2
    phi_officers = (LAM - HOURS) / 2
    assert t["shapley"]["beds"]["mean"] == pytest.approx(phi_beds, abs=2.0)
    assert t["shapley"]["officers"]["mean"] == pytest.approx(phi_officers, abs=2.0)
    # exact given the runs: phi_officers = (v(both) - v(beds)) / 2
    assert t["shapley"]["officers"]["mean"] == pytest.approx(
        (sub["beds+officers"] - sub["beds"]) / 2, rel=1e-12
    )
    total = t["shapley"]["beds"]["mean"] + t["shapley"]["officers"]["mean"]
    assert total == pytest.approx(t["shortfall_from_constraints"]["mean"], rel=1e-12)
    assert t["shortfall_vs_target"] == pytest.approx(LAM - B_RATE, abs=0.3)
    assert t["beyond_constraints"] == pytest.approx(0.0, abs=4.0)
    # removals (at the end of each stay) follow the arrests: the same split, 10 days later
    r = b["targets"]["removals_per_day"]
    assert r["subsets"]["none"] == pytest.approx(B_RATE, abs=0.3)


def test_flags_beds_bind_every_day_and_officers_never(two_constraints):
    d = two_constraints.daily()
    assert d["binding_beds"].all() and not d["binding_officers"].any()
    assert "binding_pool" not in d.columns  # no pool source
    assert list(d.columns[: len(DAILY_COLUMNS)]) == DAILY_COLUMNS
    share = two_constraints.summary_dict()["bottlenecks"]["binding_day_share"]
    assert share["beds"]["mean"] == 1.0 and share["officers"]["mean"] == 0.0


def test_flags_officers_bind_when_they_are_short_of_the_beds():
    # 100 officers x 1.5 h = 150 arrests a day < 200 a day of bed turnover: beds empty out
    # during the 30-day warm-up and never fill again; officers run out every day.
    raw = officers_and_beds(days=20, hours=1.5, replicates=1)
    del raw["bottlenecks"]
    res = enforcesim.run(raw, workers=1)
    d = res.daily()
    assert d["binding_officers"].all() and not d["binding_beds"].any()
    assert res.summary()["mean"]["ice_arrests_per_day"] == 150.0


def test_beds_bind_when_arrests_are_diverted():
    # "divert": an arrest finding no bed is made and released; the bed flag says so even on
    # a day whose full time is zero (flags only read the arrest side here).
    sc = parse_scenario(officers_and_beds(days=20, replicates=1))
    out = simulate_replicate(sc, 0)
    a = type(out.daily_arrests)(*(np.zeros_like(col) for col in out.daily_arrests))
    a.diverted[3, 0] = 1  # one diverted arrest on day 3
    no_extra = type(out.daily_extra)(*(np.zeros_like(col) for col in out.daily_extra))
    out2 = replace(out, daily_arrests=a, daily_extra=no_extra)
    flags = binding_flags(out2)
    assert flags["beds"].tolist() == [d == 3 for d in range(20)]
    assert not flags["officers"].any()


def test_relaxing_officers_and_pool_changes_only_them():
    raw = officers_and_beds()
    raw["arrests"]["sources"]["street"] = {
        "kind": "at_large",
        "rate_per_day": 10.0,
        "pool": {"size": 100.0, "yield_exponent": 2.0},
    }
    raw["officers"]["hires"] = [{"day": 10, "officers": 5}]
    raw["uncertainty"] = {
        "officers.headcount": {"dist": "uniform", "low": 50, "high": 150},
        "arrests.sources.street.pool.size": {"dist": "uniform", "low": 50.0, "high": 150.0},
    }
    sc = parse_scenario(raw)
    r = relaxed(sc, frozenset({"officers"}))
    assert r.officers.headcount == UNLIMITED_OFFICERS and r.officers.hires == []
    assert r.officers.productive_hours_per_day == sc.officers.productive_hours_per_day
    assert list(r.uncertainty) == ["arrests.sources.street.pool.size"]
    assert r.arrests == sc.arrests and r.detention == sc.detention
    p = relaxed(sc, frozenset({"pool"}))
    assert p.arrests.sources["street"].pool.size == UNDEPLETED_POOL
    assert p.arrests.sources["street"].pool.yield_exponent == 2.0
    assert p.arrests.sources["jail"] == sc.arrests.sources["jail"]
    assert list(p.uncertainty) == ["officers.headcount"] and p.officers == sc.officers
    # without [officers] in the file, relaxing them writes one
    del raw["officers"], raw["uncertainty"]
    assert (
        relaxed(parse_scenario(raw), frozenset({"officers"})).officers.headcount
        == UNLIMITED_OFFICERS
    )


def pool_scenario(days=10):
    # 100 attempts a day on a pool of 250 that takes no officer time and books nobody in:
    # the pool is gone on day 2 or 3; after that every attempt is foregone (pool).
    return {
        "scenario": {"name": "pool", "days": days, "warmup_days": 0, "seed": 2},
        "arrests": {
            "when_full": "throttle",
            "sources": {
                "street": {
                    "kind": "at_large",
                    "rate_per_day": 100.0,
                    "officer_hours_per_arrest": 0.0,
                    "share_booked_in": 0.0,
                    "pool": {"size": 250.0},
                    "mix": CONVICTED_ONLY,
                }
            },
        },
        "detention": {
            "beds": 10,
            "when_full": "release",
            "length_of_stay": {"dist": "fixed", "mean": 5.0},
        },
        "bottlenecks": {"targets": ["ice_arrests_per_day"]},
    }


def test_a_depleted_pool_binds_and_relaxing_it_restores_the_rate():
    res = enforcesim.run(pool_scenario(), workers=1)
    m = res.summary()["mean"]
    assert m["ice_arrests_per_day"] == 250 / 10
    # attempts go on at the target rate once the pool is empty, each foregone (pool):
    # Poisson(100) a day over 10 days (sd 3.2 a day), and every attempt is made or foregone
    attempts = m["ice_arrest_attempts_per_day"]
    assert attempts == pytest.approx(100.0, abs=10.0)
    a = res.daily_arrests()
    assert a["made"].sum() == 250 and (a["foregone_officers"] == 0).all()
    assert a["made"].sum() + a["foregone_pool"].sum() == pytest.approx(10 * attempts, abs=1e-9)
    d = res.daily()
    assert d.loc[d["day"] >= 3, "binding_pool"].all()
    assert not d.loc[d["day"] == 0, "binding_pool"].any()
    assert not d["binding_officers"].any()
    b = res.bottlenecks
    assert b["constraints"] == ["beds", "officers", "pool"]
    t = b["targets"]["ice_arrests_per_day"]
    assert t["shapley"]["beds"]["mean"] == 0.0 and t["shapley"]["officers"]["mean"] == 0.0
    # relaxed, the pool gives every attempt (the same attempts: common random numbers), so
    # the shortfall is all the pool's
    assert t["subsets"]["pool"] == pytest.approx(attempts, rel=1e-12)
    assert t["shapley"]["pool"]["mean"] == pytest.approx(t["subsets"]["pool"] - 25.0)


def test_binding_columns_only_where_they_apply():
    v1 = enforcesim.run(
        tiny_book_in_scenario(),
        workers=1,
    )
    cols = list(v1.daily().columns)
    assert cols[: len(DAILY_COLUMNS)] == DAILY_COLUMNS
    assert cols[-2:] == ["binding_beds", "binding_seats"]
    assert reported(v1.scenario) == ["beds", "seats"]
    sc = parse_scenario(pool_scenario())
    assert reported(sc) == ["beds", "seats", "officers", "pool"]


def test_ice_arrests_target_of_bottlenecks_needs_arrests():
    raw = tiny_book_in_scenario()
    raw["bottlenecks"] = {"targets": ["ice_arrests_per_day"]}
    with pytest.raises(ScenarioError, match="bottlenecks.targets"):
        parse_scenario(raw)


# --- costs on exact small cases ------------------------------------------------------------

ZERO_COSTS = {
    "bed_day": 0.0,
    "overhead_per_funded_bed_day": 0.0,
    "overhead_per_bed_day": 0.0,
    "per_flight_hour": 0.0,
    "per_atd_day": 0.0,
}


def cost_scenario(**costs):
    return parse_scenario(
        {
            "scenario": {"name": "arrest-costs", "days": 3},
            "arrests": {
                "when_full": "throttle",
                "sources": {
                    "jail": {
                        "kind": "custodial",
                        "rate_per_day": 0.0,
                        "officer_hours_per_arrest": 3.0,
                        "share_booked_in": 1.0,
                        "mix": CONVICTED_ONLY,
                    },
                    "cbp": {
                        "kind": "cbp_transfer",
                        "per_encounter": 0.0,
                        "encounters_per_day": 0.0,
                        "mix": CONVICTED_ONLY,
                    },
                },
            },
            "officers": TWO_OFFICERS,
            "detention": {
                "beds": "unlimited",
                "when_full": "release",
                "length_of_stay": {"dist": "fixed", "mean": 5.0},
            },
            "costs": {**ZERO_COSTS, **costs},
        }
    )


def run_fixed(sc):
    # Day 0: jail arrests at 0.1 and 0.2 (3 h + 1 h escort each: 8 h used up), the jail
    # attempt at 0.3 foregone (officers), a CBP transfer at 0.4 (0 h, then 1 h escort: the
    # budget goes to -1). Day 1: a jail arrest at 1.5. Classes: jail.convicted 0, cbp 3.
    return simulate_fixed(sc, [0.1, 0.2, 0.3, 0.4, 1.5], [5.0] * 5, classes=[0, 0, 0, 3, 0])


def test_arrest_volumes_are_the_arrest_sides_outputs():
    out = run_fixed(cost_scenario())
    v = volumes(out)
    assert v["arrests"].tolist() == [3.0, 1.0, 0.0]  # CBP transfer included
    assert v["ice_arrests"].tolist() == [2.0, 1.0, 0.0]
    assert v["officer_hours"].tolist() == [10.0, 10.0, 10.0]  # available: priced
    assert v["officer_hours_used"].tolist() == [11.0, 6.0, 2.0]
    assert v["officer_hours_arrests"].tolist() == [6.0, 3.0, 0.0]
    assert v["officer_hours_escort_transport"].tolist() == [3.0, 1.0, 0.0]
    assert v["officer_hours_casework"].tolist() == [2.0, 2.0, 2.0]


def test_officer_hours_priced_as_available_and_cost_per_arrest():
    sc = cost_scenario(
        per_officer_hour=10.0,
        per_arrest=100.0,
        items={"used": {"usd_per_unit": 1.0, "volume": "officer_hours_used"}},
    )
    c = replicate_costs(run_fixed(sc))
    assert c["by_component"]["officer_hours"] == 300.0  # 30 h available x $10
    assert c["by_component"]["arrests"] == 400.0  # 4 arrests x $100
    assert c["by_component"]["used"] == 19.0  # the ledger, as an item
    assert c["metrics"]["cost_all_in_total"] == 719.0
    assert c["metrics"]["cost_per_arrest"] == 719.0 / 4
    assert c["metrics"]["cost_per_ice_arrest"] == 719.0 / 3


def test_v1_runs_have_no_arrest_volumes():
    res = enforcesim.run(
        tiny_book_in_scenario(),
        workers=1,
    )
    c = replicate_costs(res.replicates[0])
    assert c["volumes"]["arrests"] == c["volumes"]["officer_hours"] == 0.0
    assert math.isnan(c["metrics"]["cost_per_arrest"])
    assert math.isnan(c["metrics"]["cost_per_ice_arrest"])
