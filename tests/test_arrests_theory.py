"""The arrest side against theory: capacity, escort hours, the pool's yield curve and
throttling at the bed turnover (issue 4).

Each test runs a dict scenario through the public API and states its theory, seed and
tolerance. As in test_theory.py (see theory_checks.py), the statistical tolerance is K_SE = 5
standard errors of the mean over replicates (replicates are independent), and each check also
shows that the simulated value lies outside that tolerance of the value theory gives for an
input 10% off (the test can fail).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import enforcesim
from builders import OFFICERS_5000_HOURS, arrest_scenario
from enforcesim.stages.arrests import ARREST_COLUMNS
from theory_checks import check_escorts_follow_wald, check_se, erlang_b


def test_a_target_above_officer_capacity_gives_arrests_at_capacity():
    """Attempts are Poisson(lambda) a day; each takes h = 10 h of a 5,000 h daily budget, so a
    day makes min(N, 500) arrests, N ~ Poisson(lambda). lambda = 3,000 (the goal): exactly 500
    every day (P(N < 500) ~ 1e-600), and the results name the cause of the 2,500 a day
    foregone (officers). lambda = 520, near capacity: E[min(N, 500)] from the Poisson
    distribution; seed 11, 8 replicates x 200 days, 5 SE."""
    src = {
        "kind": "custodial",
        "rate_per_day": 3000.0,
        "officer_hours_per_arrest": 10.0,
        "share_booked_in": 0.0,
    }
    res = enforcesim.run(
        arrest_scenario(src, OFFICERS_5000_HOURS, targets={"ice_arrests_per_day": 3000.0})
    )
    m = res.replicate_metrics()
    assert (res.daily_arrests().groupby(["replicate", "day"])["made"].sum() == 500).all()
    assert m["ice_arrests_per_day"].tolist() == [500.0] * 8
    check_se(
        "arrests_foregone_officers_per_day",
        m["arrests_foregone_officers_per_day"],
        2500.0,
        wrong=2750.0,
    )
    assert res.summary_dict()["targets"]["ice_arrests_per_day"]["probability_met"] == 0.0

    src["rate_per_day"] = 520.0
    m = enforcesim.run(arrest_scenario(src, OFFICERS_5000_HOURS)).replicate_metrics()
    n = np.arange(0, 2000)
    expected = float(np.sum(np.minimum(n, 500) * stats.poisson.pmf(n, 520.0)))
    wrong = float(np.sum(np.minimum(n, 500) * stats.poisson.pmf(n, 520.0 * 0.9)))
    check_se("ice_arrests_per_day", m["ice_arrests_per_day"], expected, wrong=wrong)


def test_escort_hours_reduce_arrests_by_the_expected_amount():
    """With attempts far above capacity, each arrest costs h = 10 h and, with probability
    s = 0.5 (booked in), e = 4 escort hours more. A day ends with total cost C in
    (H - h - e, H + e] (the budget stops the next arrest once less than h is left), and by
    Wald's identity E[C] = E[N] (h + s e), so E[N] lies within (H - h - e) / (h + s e) and
    (H + e) / (h + s e): 415.5 to 417.0 for H = 5,000, against H / h = 500 without escorts.
    Tolerance: that band + 5 SE; escorts 10% heavier (e = 4.4) would give 409.8. Seed 11,
    8 replicates x 200 days."""
    src = {
        "kind": "custodial",
        "rate_per_day": 3000.0,
        "officer_hours_per_arrest": 10.0,
        "share_booked_in": 0.5,
    }
    h, e, s, budget = 10.0, 4.0, 0.5, 5000.0
    m = enforcesim.run(
        arrest_scenario(src, OFFICERS_5000_HOURS | {"escort_hours_per_book_in": e})
    ).replicate_metrics()
    check_escorts_follow_wald(m, h, e, s, budget)
    # the ledger: escort hours = e x book-ins
    assert np.allclose(m["officer_hours_escort_per_day"], e * m["arrests_booked_in_per_day"])
    base = enforcesim.run(arrest_scenario(src, OFFICERS_5000_HOURS)).replicate_metrics()
    assert base["ice_arrests_per_day"].tolist() == [500.0] * 8


@pytest.mark.parametrize("k", [1.0, 2.0])
def test_a_depleting_pool_gives_the_yield_curve_it_was_given(k):
    """An at-large source with a pool of S = 100,000 and hours per arrest h0 (S / R)^k works
    its whole budget H = 2,000 h every day (attempts far above capacity). Spending H on the
    pool from R_0 to R_1 takes the integral of h0 (S / R)^k dR, so the pool follows
    k = 1: R_d = S exp(-d H / (h0 S));  k = 2: R_d = S / (1 + d H / (h0 S)),
    up to the hours left over each day (under one arrest's hours, < 0.5% of H here).
    Pool sizes are checked at the end of every day to 1% relative; a budget 10% larger gives
    a curve more than 1% away by day 30. One replicate suffices: depletion is deterministic
    up to the rounding (seed 5)."""
    src = {
        "kind": "at_large",
        "rate_per_day": 20000.0,
        "officer_hours_per_arrest": 1.0,
        "share_booked_in": 0.0,
        "pool": {"size": 100000.0, "yield_exponent": k},
    }
    officers = {"headcount": 400, "productive_hours_per_day": 5.0, "casework_share": 0.0}
    res = enforcesim.run(arrest_scenario(src, officers, days=100, seed=5, replicates=1))
    left = res.replicates[0].pool_left[:, 0]
    d = np.arange(1, 101)

    def curve(budget: float) -> np.ndarray:
        x = d * budget / 100000.0
        return 100000.0 * (np.exp(-x) if k == 1.0 else 1.0 / (1.0 + x))

    assert left == pytest.approx(curve(2000.0), rel=0.01)
    assert np.abs(curve(2200.0)[29:] / curve(2000.0)[29:] - 1).min() > 0.01
    # arrests made each day are the pool's decrease
    made = res.daily_arrests().groupby("day")["made"].sum().to_numpy()
    assert made == pytest.approx(-np.diff(np.concatenate([[100000.0], left])))


def test_criminal_first_narrows_the_pool_and_cuts_throughput():
    """A pool that is 40% convicted or pending: under criminal_first only those 40% are
    eligible, so the first arrest takes h0 / 0.4 hours (k = 1) instead of h0: day 0 makes
    about 0.4 x as many arrests (2,000 h / 2.5 h = 800 against 2,000 / 1 = 2,000, less the
    small depletion within the day). Exact up to 1 arrest + the depletion (within 1%)."""
    pool = {"size": 1e6, "mix": {"convicted": 0.3, "pending": 0.1, "none": 0.6}}
    officers = {"headcount": 400, "productive_hours_per_day": 5.0, "casework_share": 0.0}
    made = {}
    for priority in ("anyone", "criminal_first"):
        src = {
            "kind": "at_large",
            "rate_per_day": 20000.0,
            "officer_hours_per_arrest": 1.0,
            "share_booked_in": 0.0,
            "pool": pool,
        }
        sc = arrest_scenario(src, officers, days=1, seed=2, replicates=1)
        sc["arrests"]["priority"] = priority
        res = enforcesim.run(sc)
        made[priority] = res.daily_arrests()
    assert made["anyone"]["made"].sum() == pytest.approx(2000, rel=0.01)
    first = made["criminal_first"]
    assert first["made"].sum() == pytest.approx(800, rel=0.01)
    assert first[first.criminality == "none"]["made"].sum() == 0
    conv = first[first.criminality == "convicted"]["made"].sum()
    assert conv / first["made"].sum() == pytest.approx(0.75, abs=0.05)  # 0.3 / 0.4


@pytest.mark.parametrize("when_full", ["throttle", "divert"])
def test_throttling_when_full_holds_book_ins_at_the_bed_turnover(when_full):
    """Beds c = 1,000, exponential stays of mean 10 days, attempts lambda = 300/day (3x the
    turnover c / 10 = 100/day), officers not limiting, everyone to be booked in. An attempt
    finding a free bed is booked in, one finding none is foregone ("throttle") or diverted
    ("divert"): an M/M/c/c loss system, so book-ins = lambda (1 - B(c, a)) with Erlang B at
    a = lambda x 10 = 3,000, i.e. about the bed turnover, and foregone (or diverted) =
    lambda B(c, a). Started full (initial_detained = 1,000) with 100 days' warm-up; seed 11,
    8 replicates x 200 days; 5 SE. Wrong: beds 10% fewer."""
    src = {
        "kind": "custodial",
        "rate_per_day": 300.0,
        "officer_hours_per_arrest": 0.0,
        "share_booked_in": 1.0,
    }
    sc = arrest_scenario(src, OFFICERS_5000_HOURS, warmup=100, beds=1000, when_full=when_full)
    sc["detention"]["initial_detained"] = 1000
    m = enforcesim.run(sc).replicate_metrics()
    lam, a = 300.0, 3000.0
    b, b_wrong = erlang_b(1000, a), erlang_b(900, a)
    check_se("book_ins_per_day", m["book_ins_per_day"], lam * (1 - b), wrong=lam * (1 - b_wrong))
    lost = (
        "arrests_foregone_beds_per_day" if when_full == "throttle" else "arrests_diverted_per_day"
    )
    check_se(lost, m[lost], lam * b, wrong=lam * b_wrong)
    if when_full == "throttle":
        assert (m["arrests_diverted_per_day"] == 0).all()
        check_se("arrests_per_day", m["arrests_per_day"], lam * (1 - b), wrong=lam * (1 - b_wrong))
    else:
        assert (m["arrests_foregone_beds_per_day"] == 0).all()
        check_se("arrests_per_day", m["arrests_per_day"], lam, wrong=lam * 0.9)
    assert (m["turned_away_per_day"] == 0).all()


def test_cbp_transfers_follow_encounters_and_do_not_count_as_ice_arrests():
    """A cbp_transfer source at 0.12 transfers per encounter with 4,255 encounters a day
    (FY2024) makes Poisson arrests at 510.6/day, all booked in, none counted as ICE arrests,
    and uses no officer-hours (default 0 per arrest). Seed 11, 8 replicates x 200 days; 5 SE."""
    src = {"kind": "cbp_transfer", "per_encounter": 0.12, "encounters_per_day": 4255.0}
    m = enforcesim.run(arrest_scenario(src, OFFICERS_5000_HOURS)).replicate_metrics()
    check_se("arrests_per_day", m["arrests_per_day"], 0.12 * 4255.0, wrong=0.9 * 0.12 * 4255.0)
    assert (m["ice_arrests_per_day"] == 0).all()
    assert np.allclose(m["book_ins_per_day"], m["arrests_per_day"])
    assert (m["officer_hours_arrests_per_day"] == 0).all()


def test_arrest_classes_keep_source_and_criminality_shares():
    """Mix 0.5 / 0.3 / 0.2 of a custodial source at 400/day, no constraint: the classes'
    arrests are Poisson at 200, 120 and 80 a day. Seed 11, 8 replicates x 200 days; 5 SE."""
    src = {
        "kind": "custodial",
        "rate_per_day": 400.0,
        "mix": {"convicted": 0.5, "pending": 0.3, "none": 0.2},
    }
    res = enforcesim.run(arrest_scenario(src, OFFICERS_5000_HOURS | {"headcount": 100000}))
    by_rep = res.daily_arrests().groupby(["replicate", "criminality"], observed=True)["made"]
    per_day = by_rep.sum().unstack() / 200.0
    for crim, share in (("convicted", 0.5), ("pending", 0.3), ("none", 0.2)):
        check_se(crim, per_day[crim], 400.0 * share, wrong=0.9 * 400.0 * share)
    assert set(ARREST_COLUMNS) <= set(res.daily_arrests().columns)
