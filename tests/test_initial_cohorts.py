"""Initial population by admission cohort (`initial_cohorts` of a book-in stream): each
person's remaining stay is drawn from the stay given the time already spent in custody
(S - age given S > age), not from the stationary residual stay."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import numpy as np
import pytest
from numba import njit
from scipy import integrate, stats

from enforcesim import ScenarioError, load_scenario, parse_scenario
from enforcesim.engine.runner import simulate_replicate
from enforcesim.stages.detention import draw_residual, stay_parameters

ROOT = Path(__file__).resolve().parents[1]
FY2025 = ROOT / "scenarios" / "status-quo-fy2025.toml"


@njit(cache=True)
def draw_many(rng, dist, p1, p2, age, n):
    out = np.empty(n)
    for i in range(n):
        out[i] = draw_residual(rng, dist, p1, p2, age)
    return out


def residuals(seed, dist, p1, p2, age, n):
    return draw_many(np.random.default_rng(seed), dist, p1, p2, age, n)


def frozen(dist: str, mean: float, sd: float):
    _, p1, p2 = stay_parameters(dist, mean, sd)
    if dist == "lognormal":
        return stats.lognorm(p2, scale=math.exp(p1))
    return stats.gamma(p1, scale=p2)


N = 200_000


def test_exponential_residual_is_memoryless():
    """Theory: for an exponential stay, S - a given S > a is the same exponential, whatever a
    (mean = the stay's mean, P(R > mean) = exp(-1)). Seed 11, 200,000 draws; tolerance 4
    standard errors of the sample mean and of the proportion."""
    code, p1, p2 = stay_parameters("exponential", 30.0, None)
    for age in (0.0, 45.0, 400.0):
        r = residuals(11, code, p1, p2, age, N)
        assert abs(r.mean() - 30.0) < 4 * 30.0 / math.sqrt(N)
        share = (r > 30.0).mean()
        assert abs(share - math.exp(-1)) < 4 * math.sqrt(math.exp(-1) * (1 - math.exp(-1)) / N)


def test_fixed_residual_is_what_is_left():
    """Theory: a fixed stay m leaves m - a after a days in custody, and 0 once a >= m."""
    code, p1, p2 = stay_parameters("fixed", 20.0, None)
    assert np.all(residuals(1, code, p1, p2, 7.5, 10) == 12.5)
    assert np.all(residuals(1, code, p1, p2, 25.0, 10) == 0.0)


@pytest.mark.parametrize(
    ("dist", "mean", "sd"),
    [("lognormal", 51.9, 57.6), ("gamma", 64.0, 88.3), ("gamma", 20.0, 5.0)],
)
@pytest.mark.parametrize("age", [0.0, 15.0, 100.0, 365.0])
def test_residual_mean_matches_integral(dist, mean, sd, age):
    """Theory: E[S - a | S > a] = integral of the survival function from a to infinity / its
    value at a (scipy quad). Seed 5, 200,000 draws; tolerance 4 standard errors of the
    sample mean. The draws also stay non-negative, and at age 0 they are the stay itself
    (the median matches the distribution's)."""
    code, p1, p2 = stay_parameters(dist, mean, sd)
    f = frozen(dist, mean, sd)
    r = residuals(5, code, p1, p2, age, N)
    theory = integrate.quad(f.sf, age, np.inf, limit=500)[0] / f.sf(age)
    assert r.min() >= 0.0
    assert abs(r.mean() - theory) < 4 * r.std() / math.sqrt(N), (r.mean(), theory)
    if age == 0.0:
        assert abs(np.median(r) - f.median()) < 0.01 * f.median()


def cohort_scenario(cohorts, **stream) -> dict:
    return {
        "scenario": {"name": "cohorts", "days": 20, "seed": 2},
        "book_ins": {
            "streams": {
                "a": {
                    "rate_per_day": 0.0,
                    "length_of_stay": {"dist": "fixed", "mean": 10.0},
                    "initial_cohorts": cohorts,
                    **stream,
                }
            }
        },
        "detention": {"beds": "unlimited", "when_full": "wait", "removal_share": 1.0},
    }


def test_fixed_cohorts_leave_when_their_stay_ends():
    """Exact: fixed stays of 10 days; 5 people admitted 3 days before day 0 leave at t = 7
    (day 7) after 10 days in custody; 2 admitted 12 days before, past their stay, leave at
    the start (day 0) after the 12 days they stayed."""
    cohorts = [
        {"admitted_days_ago": 3, "count": 5},
        {"admitted_days_ago": 12, "count": 2},
    ]
    sc = parse_scenario(cohort_scenario(cohorts))
    out = simulate_replicate(sc, 0, validate=True)
    detained = out.daily.detained
    assert list(detained[:7]) == [5] * 7 and list(detained[7:]) == [0] * 13
    assert list(out.daily.removals[:8]) == [2, 0, 0, 0, 0, 0, 0, 5]
    assert out.acc.sum_los / out.acc.n_los == pytest.approx((5 * 10.0 + 2 * 12.0) / 7)


@pytest.mark.parametrize(
    ("cohorts", "extra", "key"),
    [
        ([{"admitted_days_ago": -1, "count": 5}], {}, "admitted_days_ago"),
        ([{"admitted_days_ago": 1, "count": -5}], {}, "count"),
        ([{"admitted_days_ago": 1, "count": 2.5}], {}, "count"),
        ([{"admitted_days_ago": 1}], {}, "count"),
        ([{"admitted_days_ago": 1, "count": 5, "when": 3}], {}, "when"),
        ([{"admitted_days_ago": 1, "count": 5}], {"initial_detained": 4}, "initial_detained"),
    ],
)
def test_bad_cohorts_are_rejected(cohorts, extra, key):
    with pytest.raises(ScenarioError) as err:
        parse_scenario(cohort_scenario(cohorts, **extra), "s.toml")
    lines = [str(p) for p in err.value.problems]
    assert any(key in line for line in lines), lines


def test_initial_detained_may_be_omitted_or_equal_the_cohorts():
    cohorts = [{"admitted_days_ago": 1, "count": 5}, {"admitted_days_ago": 2, "count": 4}]
    for extra in ({}, {"initial_detained": 9}):
        sc = parse_scenario(cohort_scenario(cohorts, **extra))
        assert sc.book_ins.streams["a"].initial_count() == 9
    with pytest.raises(ScenarioError):  # set by the stream, so not by detention as well
        d = cohort_scenario(cohorts)
        d["detention"]["initial_detained"] = 9
        parse_scenario(d)


def central(path: Path):
    raw = tomllib.loads(path.read_text())
    raw.pop("uncertainty")
    return raw, parse_scenario(raw)


def expected_mean(stream: dict, first: int, last: int) -> float:
    """Fluid expectation of the stream's people in beds at the end of days first..last-1,
    averaged: each cohort's survivors n S(a + t) / S(a) plus the book-ins' lambda * integral
    of S over [0, t]."""
    los = stream["length_of_stay"]
    f = frozen(los["dist"], los["mean"], los["sd"])
    total = 0.0
    for day in range(first, last):
        t = day + 1.0
        total += sum(
            c["count"] * f.sf(c["admitted_days_ago"] + t) / f.sf(c["admitted_days_ago"])
            for c in stream["initial_cohorts"]
        )
        total += stream["rate_per_day"] * integrate.quad(f.sf, 0.0, t)[0]
    return total / (last - first)


OCT, NOV = (0, 31), (31, 61)


def test_status_quo_fy2025_starts_at_the_30_sep_2025_population():
    """status-quo-fy2025.toml parses with its [uncertainty] and runs; without the parameter
    draws, the first day ends at the cohorts' total within the day's net flow (2 %), and the
    mean end-of-day population per stream in October and November equals the fluid
    expectation from the cohorts (survival given each cohort's age, plus the book-ins)
    within 1 %. Seed 0, 2 replicates. The same head-counts drawn from the stationary
    residual stay miss CBP's November by more than 2 % (the test tells the two apart)."""
    assert load_scenario(FY2025).uncertainty
    raw, sc = central(FY2025)
    streams = raw["book_ins"]["streams"]
    assert list(streams) == ["ice", "cbp"]
    assert raw["scenario"]["start_date"].isoformat() == "2025-10-01"
    runs = [simulate_replicate(sc, r, validate=True) for r in range(2)]
    detained = np.mean([o.daily_streams.detained for o in runs], axis=0)
    for c, (name, st) in enumerate(streams.items()):
        total = sum(x["count"] for x in st["initial_cohorts"])
        assert total == st["initial_detained"]
        assert abs(detained[0, c] / total - 1) < 0.02, (name, detained[0, c], total)
        for first, last in (OCT, NOV):
            got = detained[first:last, c].mean()
            expected = expected_mean(st, first, last)
            assert abs(got / expected - 1) < 0.01, (name, first, got, expected)
    cbp = dict(streams["cbp"])
    for st in streams.values():
        st.pop("initial_cohorts")
    stationary = simulate_replicate(parse_scenario(raw), 0).daily_streams.detained
    gap = stationary[NOV[0] : NOV[1], 1].mean() / expected_mean(cbp, *NOV) - 1
    assert abs(gap) > 0.02, gap


def source_cohort_scenario(cohorts, initial_detained: int = 0) -> dict:
    """Arrest-driven: no arrests at all (rate 0), so the beds hold only the cohorts."""
    return {
        "scenario": {"name": "source-cohorts", "days": 20, "seed": 2},
        "arrests": {
            "when_full": "throttle",
            "sources": {
                "jails": {"kind": "custodial", "rate_per_day": 0.0, "initial_cohorts": cohorts},
                "cbp": {"kind": "cbp_transfer", "rate_per_day": 0.0},
            },
        },
        "detention": {
            "beds": "unlimited",
            "when_full": "wait",
            "removal_share": 1.0,
            "length_of_stay": {"dist": "fixed", "mean": 10.0},
            "initial_detained": initial_detained,
        },
    }


def test_arrest_source_cohorts_split_by_mix_and_leave_when_their_stay_ends():
    """Exact: 1,000 people admitted 3 days before day 0 on a custodial source (default mix
    0.529 / 0.188 / 0.283) are 529 / 188 / 283 of its three classes; with fixed 10-day
    stays they all leave on day 7; the CBP source, without cohorts, starts empty."""
    sc = parse_scenario(source_cohort_scenario([{"admitted_days_ago": 3, "count": 1000}]))
    counts = {name: st.initial_count() for name, st in sc.classes()}
    assert counts["jails.convicted"] == 529
    assert counts["jails.pending"] == 188
    assert counts["jails.none"] == 283
    assert {counts[f"cbp.{c}"] for c in ("convicted", "pending", "none")} == {0}
    out = simulate_replicate(sc, 0, validate=True)
    assert list(out.daily.detained[:7]) == [1000] * 7
    assert list(out.daily.detained[7:]) == [0] * 13


def test_arrest_source_cohorts_exclude_detention_initial_detained():
    with pytest.raises(ScenarioError) as err:
        parse_scenario(
            source_cohort_scenario([{"admitted_days_ago": 3, "count": 10}], 50), "s.toml"
        )
    assert any("detention.initial_detained" in str(p) for p in err.value.problems)
