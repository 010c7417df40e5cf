"""The case and transport side against theory, and its conservation laws.

Same conventions as test_theory.py: each docstring states the theory, seed, tolerance and
why; the usual tolerance is K_SE = 5 replicate standard errors, and `wrong=` is the value
under a 10% input error, which the check must be able to tell apart.
"""

from __future__ import annotations

import numpy as np
import pytest

import enforcesim
from builders import SCENARIOS, read_toml
from enforcesim.results import mode_metrics, pathway_metrics
from enforcesim.scenario import resolve_share_key
from theory_checks import check, check_se, erlang_c


def base(
    days: int, warmup: int, seed: int, replicates: int = 16, rate: float = 100.0, **extra
) -> dict:
    return {
        "scenario": {
            "name": "cases-theory",
            "days": days,
            "warmup_days": warmup,
            "seed": seed,
            "replicates": replicates,
        },
        "book_ins": {"rate_per_day": rate},
        "detention": {
            "beds": "unlimited",
            "when_full": "wait",
            "length_of_stay": {"dist": "fixed", "mean": 1.0},
        },
        **extra,
    }


def test_court_docket_is_an_mmc_queue():
    """Detained docket = M/M/c: Poisson book-ins (lambda = 8/day), all on a court pathway
    straight to the docket, c = 10 judges each completing mu = 2.0 x 0.5 = 1 case/day,
    exponential, FIFO; unlimited beds. Erlang C with a = 8 (rho = 0.8): P(wait) = 0.409,
    Wq = P(wait) / (c mu - lambda) = 0.2045 days, Lq = lambda Wq, in service a = 8, and in
    beds lambda (Wq + 1/mu) by Little's law. 2000 reported days after 40 warm-up days (the
    relaxation time of this queue is a few days), 16 replicates, seed 21. Tolerance 5
    replicate standard errors (se of Wq about 3.5%). With lambda 10% higher (a = 8.8) Wq
    would be 0.52: far outside."""
    lam, c, mu = 8.0, 10, 1.0
    sc = base(
        2000,
        40,
        21,
        rate=lam,
        pathways={"court": {"court": True, "outcome": "release"}},
        pathway_shares={"default": {"court": 1.0}},
        courts={"judges": c, "completions_per_judge_per_day": 2.0, "detained_docket_share": 0.5},
    )
    rm = enforcesim.run(sc, workers=2).replicate_metrics()
    wq = erlang_c(c, lam / mu) / (c * mu - lam)
    assert wq == pytest.approx(0.2045, abs=1e-3)
    wrong_wq = erlang_c(c, 1.1 * lam / mu) / (c * mu - 1.1 * lam)
    check_se("court_wait_days", rm["court_wait_days"], wq, wrong=wrong_wq, max_rel_se=0.05)
    check_se(
        "court_queue", rm["court_queue"], lam * wq, wrong=1.1 * lam * wrong_wq, max_rel_se=0.05
    )
    check_se("in_court", rm["in_court"], lam / mu, wrong=1.1 * lam / mu)
    check_se("detained", rm["detained"], lam * (wq + 1 / mu), wrong=1.1 * lam * (wq + 1 / mu))
    check_se("court_completions_per_day", rm["court_completions_per_day"], lam, wrong=1.1 * lam)
    np.testing.assert_allclose(rm["judges"], c)


@pytest.mark.parametrize("uncooperative", [False, True])
def test_document_delay_adds_its_mean_to_the_stay(uncooperative):
    """A removal order waits in its bed for its travel document, so the stay is S + D and
    M/G/infinity gives detained = lambda (E[S] + E[D]), leavers' mean stay E[S] + E[D].
    lambda = 100/day, S gamma (mean 10, sd 5), no transport. Two document groups of share
    0.5: none needed, and exponential with mean 5 days, x 3 when marked uncooperative:
    E[D] = 2.5 (or 7.5). 300 reported days after 150 warm-up days (> 10 x the longest
    mean), 12 replicates, seed 31; tolerance 5 se. A 10% error in E[D] moves the stay by
    0.25 (0.75) days, > 10 se."""
    e_d = 0.5 * 5.0 * (3.0 if uncooperative else 1.0)
    sc = base(
        300,
        150,
        31,
        replicates=12,
        pathways={
            "removal": {"outcome": "removal", "stay": {"dist": "gamma", "mean": 10.0, "sd": 5.0}}
        },
        pathway_shares={"default": {"removal": 1.0}},
        travel_documents={
            "uncooperative_delay_factor": 3.0,
            "groups": {
                "mexico": {"share": 0.5},
                "other": {
                    "share": 0.5,
                    "delay": {"dist": "exponential", "mean": 5.0},
                    "uncooperative": uncooperative,
                },
            },
        },
    )
    rm = enforcesim.run(sc, workers=2).replicate_metrics()
    check_se("wait_for_documents_days", rm["wait_for_documents_days"], e_d, wrong=1.1 * e_d)
    check_se("length_of_stay_days", rm["length_of_stay_days"], 10.0 + e_d, wrong=10.0 + 1.1 * e_d)
    check_se("detained", rm["detained"], 100.0 * (10.0 + e_d), wrong=100.0 * (10 + 1.1 * e_d))
    check_se("waiting_for_documents", rm["waiting_for_documents"], 100.0 * e_d, wrong=110.0 * e_d)


def test_seat_capacity_of_a_mode_binds():
    """Removal orders at lambda = 100/day (stay 1 day), 30% in a group bused (10 departures
    x 5 seats = 50 seats/day, more than its 30 orders/day) and 70% flown (1 charter x 40
    seats = 40/day, fewer than its 70 orders/day). After a 10-day warm-up the charter queue
    holds hundreds of people, so every charter leaves full: exactly 40 removals/day by air,
    seat use 1. The bus carries its whole flow, 0.3 lambda = 30/day (binomial thinning of
    the Poisson flow; tolerance 5 se). 100 reported days, 8 replicates, seed 41."""
    sc = base(
        100,
        10,
        41,
        replicates=8,
        pathways={"removal": {"outcome": "removal", "stay": {"dist": "fixed", "mean": 1.0}}},
        pathway_shares={"default": {"removal": 1.0}},
        travel_documents={"groups": {"near": {"share": 0.3}, "far": {"share": 0.7}}},
        transport={
            "modes": {
                "bus": {"departures_per_day": 10.0, "seats_per_departure": 5, "groups": ["near"]},
                "charter": {"departures_per_day": 1.0, "seats_per_departure": 40},
            }
        },
    )
    res = enforcesim.run(sc, workers=2)
    modes = [mode_metrics(r) for r in res.replicates]
    for m in modes:
        check("charter seated_per_day", m["charter"]["seated_per_day"], 40.0, 0.0)
        check("charter seat_use_share", m["charter"]["seat_use_share"], 1.0, 0.0)
    check_se(
        "bus removals_per_day", [m["bus"]["removals_per_day"] for m in modes], 30.0, wrong=33.0
    )
    rm = res.replicate_metrics()
    np.testing.assert_allclose(
        rm["removals_per_day"], [m["bus"]["removals_per_day"] + 40.0 for m in modes]
    )


def test_pathway_shares_by_class_with_fallback():
    """Pathway draws match the shares of each book-in class: stream ice (200/day) takes
    [pathway_shares.ice] (a 0.2, b 0.8), stream cbp (300/day) falls back to
    [pathway_shares.default] (a 0.6, b 0.4). Expected book-ins per day: a = 200 x 0.2 + 300 x
    0.6 = 220, b = 280 (Poisson thinning; tolerance 5 se over 10 replicates of 200 days,
    seed 51). Had cbp used ice's shares, a would be 100."""
    sc = base(
        200,
        0,
        51,
        replicates=10,
        pathways={
            "a": {"outcome": "release", "stay": {"dist": "fixed", "mean": 1.0}},
            "b": {"outcome": "removal", "stay": {"dist": "fixed", "mean": 1.0}},
        },
        pathway_shares={"ice": {"a": 0.2, "b": 0.8}, "default": {"a": 0.6, "b": 0.4}},
    )
    sc["book_ins"] = {"streams": {"ice": {"rate_per_day": 200.0}, "cbp": {"rate_per_day": 300.0}}}
    res = enforcesim.run(sc, workers=2)
    per = [pathway_metrics(r) for r in res.replicates]
    check_se("pathway a book-ins", [p["a"]["book_ins_per_day"] for p in per], 220.0, wrong=242.0)
    check_se("pathway b book-ins", [p["b"]["book_ins_per_day"] for p in per], 280.0, wrong=308.0)
    total = res.replicate_metrics()["book_ins_per_day"]
    np.testing.assert_allclose(
        [p["a"]["book_ins_per_day"] + p["b"]["book_ins_per_day"] for p in per], total
    )


def test_share_lookup_falls_back_from_class_to_prefix_to_default():
    shares = {"ice.convicted": {}, "ice": {}, "default": {}}
    assert resolve_share_key("ice.convicted", shares) == "ice.convicted"
    assert resolve_share_key("ice.pending", shares) == "ice"
    assert resolve_share_key("cbp.none", shares) == "default"
    assert resolve_share_key("cbp", {"ice": {}}) is None


@pytest.mark.parametrize("when_full", ["wait", "release"])
def test_stocks_balance_with_diversions_and_exits_that_are_not_removals(when_full):
    """The example scenario (every mechanism), shortened, in validation mode; and the daily
    tables: detained moves by admitted - removals - releases - departures_not_removals, the
    holding queue by book_ins - turned_away - admitted - diverted."""
    raw = read_toml(SCENARIOS / "examples" / "case-side.toml")
    raw["scenario"].update(days=60, warmup_days=20, replicates=2)
    raw["detention"].update(when_full=when_full, beds=40000)
    res = enforcesim.run(raw, validate=True, workers=2)
    d = res.daily().merge(res.daily_cases(), on=["replicate", "day"])
    for _, r in d.groupby("replicate"):
        flow = r["admitted"] - r["removals"] - r["releases"] - r["departures_not_removals"]
        np.testing.assert_array_equal(np.diff(r["detained"]), flow.to_numpy()[1:])
        flow = r["book_ins"] - r["turned_away"] - r["admitted"] - r["diverted"]
        np.testing.assert_array_equal(np.diff(r["waiting_for_bed"]), flow.to_numpy()[1:])
        assert (r["detained"] <= r["beds"]).all()
    m = res.replicate_metrics()
    days = 60
    sums = d.groupby("replicate").sum()
    np.testing.assert_allclose(m["atd_diversions_per_day"], sums["diverted"] / days)
    np.testing.assert_allclose(
        m["officer_hours_escort_per_day"], sums["officer_hours_escort"] / days
    )
    assert (m["officer_hours_escort_per_day"] > 0).all()
