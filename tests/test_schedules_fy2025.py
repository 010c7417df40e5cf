"""Dated changes the FY2025 recalibration needs (docs/recalibration-fy2025.md, section 10):
a removal share by decision date (`removal_share_schedule`, a period effect), stays by
book-in date (`length_of_stay_schedule`, a cohort effect) and CBP transfers with an
intercept (`base_per_day`)."""

from __future__ import annotations

import math
import tomllib

import numpy as np
import pytest

from builders import DOCS, OFFICERS_5000_HOURS, arrest_scenario, code_blocks, run_exe
from enforcesim import parse_scenario
from enforcesim.engine.runner import simulate_replicate
from enforcesim.scenario.uncertainty import apply_draws, draw_parameters
from enforcesim.stages import book_ins
from enforcesim.stages.arrests import source_rates_by_day

EXP20 = {"dist": "exponential", "mean": 20.0}
STEP_DAY = 60
BEFORE, AFTER = 0.25, 0.85


def placed(where: str, own: dict, rate: dict, detention: dict, days: int, seed: int) -> dict:
    """A scenario whose one flow (book-in stream "a", or cbp_transfer source "cbp") has
    `rate`; the keys `own` go on the flow, or on [detention] when where == "detention"."""
    det = {"beds": "unlimited", "when_full": "wait", **detention}
    flow = dict(rate)
    if where == "detention":
        det |= own
    else:
        flow |= own
    raw: dict = {"scenario": {"name": "schedules", "days": days, "seed": seed}, "detention": det}
    if where == "source":
        raw["arrests"] = {
            "when_full": "throttle",
            "sources": {"cbp": {"kind": "cbp_transfer", **flow}},
        }
        raw["officers"] = OFFICERS_5000_HOURS
    else:
        raw["book_ins"] = {"streams": {"a": flow}}
    return raw


def removal_scenario(where: str, schedule: bool = True) -> dict:
    """40 book-ins a day until STEP_DAY, none after; 400 people in beds at the start;
    exponential stays of mean 20 days; removal share BEFORE, and AFTER for cases decided
    from STEP_DAY on (when `schedule`)."""
    steps = [{"day": STEP_DAY, "removal_share": AFTER}] if schedule else []
    return placed(
        where,
        {"removal_share": BEFORE, "removal_share_schedule": steps},
        {"rate_per_day": 40.0, "schedule": [{"day": STEP_DAY, "rate_per_day": 0.0}]},
        {"length_of_stay": EXP20, "initial_detained": 400},
        days=250,
        seed=5,
    )


def removal_shares(out) -> tuple[tuple[float, int], tuple[float, int]]:
    """(share of removals among exits, exits) before STEP_DAY and from it on."""
    rem, rel = out.daily.removals, out.daily.releases
    parts = []
    for s in (slice(0, STEP_DAY), slice(STEP_DAY, None)):
        n = int(rem[s].sum() + rel[s].sum())
        parts.append((rem[s].sum() / n, n))
    return parts[0], parts[1]


@pytest.mark.parametrize("where", ["stream", "detention", "source"])
def test_removal_share_step_applies_to_everyone_decided_after_it(where):
    """Theory: each exit is a removal with the share in force when the stay ends, a
    Bernoulli draw independent of everything else, so the share of removals among exits is
    BEFORE before STEP_DAY and AFTER from it on, although nobody is booked in from that day
    (every exit after it was booked in before it, or was in a bed at the start). Seed 5,
    one replicate (about 2,000 exits before, 900 after); tolerance 4 binomial standard
    errors. Without the schedule the share after the step stays BEFORE."""
    (before, n_before), (after, n_after) = removal_shares(
        simulate_replicate(parse_scenario(removal_scenario(where)), 0, validate=True)
    )
    assert n_before > 1000 and n_after > 500, (n_before, n_after)
    assert abs(before - BEFORE) < 4 * math.sqrt(BEFORE * (1 - BEFORE) / n_before), before
    assert abs(after - AFTER) < 4 * math.sqrt(AFTER * (1 - AFTER) / n_after), after
    plain = simulate_replicate(parse_scenario(removal_scenario(where, schedule=False)), 0)
    _, (after_plain, n_plain) = removal_shares(plain)
    assert abs(after_plain - BEFORE) < 4 * math.sqrt(BEFORE * (1 - BEFORE) / n_plain)


def test_a_stream_without_a_schedule_is_untouched():
    """Exact: the decision at the end of a stay has its own random stream, and the draw at
    book-in is still made, so adding a schedule to stream a changes none of stream b's
    numbers (unlimited beds, no transport) and none of a's book-ins and admissions."""
    runs = []
    for schedule in (True, False):
        raw = removal_scenario("stream", schedule)
        raw["book_ins"]["streams"]["b"] = {"rate_per_day": 15.0, "removal_share": 0.5}
        runs.append(simulate_replicate(parse_scenario(raw), 0).daily_streams)
    with_steps, without = runs
    for col in ("book_ins", "admitted", "detained", "removals", "releases"):
        assert np.array_equal(getattr(with_steps, col)[:, 1], getattr(without, col)[:, 1]), col
    for col in ("book_ins", "admitted"):
        assert np.array_equal(getattr(with_steps, col)[:, 0], getattr(without, col)[:, 0]), col
    assert not np.array_equal(with_steps.removals[:, 0], without.removals[:, 0])


SHORT = {"dist": "gamma", "mean": 5.0, "sd": 1.0}
LONG = {"dist": "gamma", "mean": 20.0, "sd": 8.0}
COHORT_DAY = 50
PER_COHORT = 2000.0


def stay_scenario(where: str, schedule: bool = True) -> dict:
    """Two one-day cohorts of PER_COHORT expected book-ins, on day 0 and on COHORT_DAY;
    stays SHORT for people booked in before COHORT_DAY, LONG from it on (when `schedule`)."""
    steps = [{"day": COHORT_DAY, "length_of_stay": LONG}] if schedule else []
    rate = {
        "rate_per_day": PER_COHORT,
        "schedule": [
            {"day": 1, "rate_per_day": 0.0},
            {"day": COHORT_DAY, "rate_per_day": PER_COHORT},
            {"day": COHORT_DAY + 1, "rate_per_day": 0.0},
        ],
    }
    own = {"length_of_stay": SHORT, "length_of_stay_schedule": steps}
    # [detention] needs a stay of its own with [arrests]; the flow's (or these keys) win.
    detention = {"removal_share": 1.0, "length_of_stay": EXP20}
    return placed(where, own, rate, detention, days=400, seed=9)


@pytest.mark.parametrize("where", ["stream", "detention", "source"])
def test_stays_follow_the_book_in_date(where):
    """Theory: with unlimited beds a cohort's bed-days are the sum of its stays, so bed-days
    / book-ins over a window that holds the whole cohort is its sample mean stay. The first
    cohort (SHORT: P(stay > 50 days) ~ 1e-60) is gone before the second arrives, and the
    second (LONG) before day 400. Each mean must match its distribution's within 4
    standard errors (sd / sqrt(n)). Seed 9, one replicate, about 2,000 people per cohort.
    Without the schedule the second cohort's mean is SHORT's."""
    for schedule, second in ((True, LONG), (False, SHORT)):
        out = simulate_replicate(parse_scenario(stay_scenario(where, schedule)), 0, validate=True)
        bed_days, book_ins = out.daily_extra.bed_days, out.daily.book_ins
        assert out.daily.detained[-1] == 0
        for window, los in ((slice(0, COHORT_DAY), SHORT), (slice(COHORT_DAY, None), second)):
            n = int(book_ins[window].sum())
            mean = bed_days[window].sum() / n
            assert n > 1500
            assert abs(mean - los["mean"]) < 4 * los["sd"] / math.sqrt(n), (window, mean, los)


def cohort_streams() -> dict:
    """Fixed stays: 10 days, or 40 for people booked in from day -20 (stream a) or -5 (b)."""
    fixed = {"dist": "fixed", "mean": 10.0}
    return {
        "scenario": {"name": "cohort-stays", "days": 50, "seed": 4},
        "book_ins": {
            "streams": {
                "a": {
                    "rate_per_day": 0.0,
                    "length_of_stay": fixed,
                    "length_of_stay_schedule": [
                        {"day": -20, "length_of_stay": {"dist": "fixed", "mean": 40.0}}
                    ],
                    "initial_cohorts": [
                        {"admitted_days_ago": 25, "count": 3},
                        {"admitted_days_ago": 20, "count": 4},
                        {"admitted_days_ago": 5, "count": 2},
                    ],
                },
                "b": {
                    "rate_per_day": 0.0,
                    "length_of_stay": fixed,
                    "length_of_stay_schedule": [
                        {"day": -5, "length_of_stay": {"dist": "fixed", "mean": 40.0}}
                    ],
                    "initial_detained": 6,
                },
            }
        },
        "detention": {"beds": "unlimited", "when_full": "wait", "removal_share": 1.0},
    }


def test_initial_cohorts_take_the_stay_in_force_at_their_admission():
    """Exact: stream a's cohort admitted 25 days before day 0 (before the step at day -20)
    has the 10-day stay, already over, and leaves at the start; those admitted 20 and 5 days
    before (on and after the step) have 40-day stays and leave at t = 20 and t = 35. Stream
    b's stationary `initial_detained` keeps the base 10-day stay: all 6 leave before t = 10."""
    out = simulate_replicate(parse_scenario(cohort_streams()), 0, validate=True)
    a = out.daily_streams.detained[:, 0]
    assert list(a[:20]) == [6] * 20 and list(a[20:35]) == [2] * 15 and not a[35:].any()
    removals = out.daily_streams.removals[:, 0]
    assert {d: int(removals[d]) for d in np.flatnonzero(removals)} == {0: 3, 20: 4, 35: 2}
    b = out.daily_streams
    assert b.removals[:10, 1].sum() == 6 and b.detained[9, 1] == 0


CBP = {"kind": "cbp_transfer", "per_encounter": 0.1, "encounters_per_day": 1000.0}


def test_cbp_rate_is_base_plus_per_encounter():
    """Exact: the attempted rate is base_per_day + per_encounter x encounters, day by day
    (encounters_schedule steps included), and a cap applies to the sum."""
    src = {
        **CBP,
        "base_per_day": 50.0,
        "encounters_schedule": [{"day": 3, "encounters_per_day": 0.0}],
    }
    rates = source_rates_by_day(parse_scenario(arrest_scenario(src, OFFICERS_5000_HOURS, days=5)))
    assert rates[:, 0].tolist() == [150.0] * 3 + [50.0] * 2
    capped = arrest_scenario({**src, "cap_per_day": 120.0}, OFFICERS_5000_HOURS, days=5)
    assert source_rates_by_day(parse_scenario(capped))[:, 0].tolist() == [120.0] * 3 + [50.0] * 2


def test_cbp_base_per_day_adds_book_ins():
    """Theory: every CBP transfer is booked in (share 1, no officer-hours), so book-ins over
    D days are Poisson with mean D x (base_per_day + per_encounter x encounters): 150/day
    with base 50, 100/day without. Seed 11, one replicate of 200 days; tolerance 4 Poisson
    standard deviations."""
    days = 200
    for base, per_day in ((50.0, 150.0), (None, 100.0)):
        src = CBP if base is None else {**CBP, "base_per_day": base}
        raw = arrest_scenario(src, OFFICERS_5000_HOURS, days=days, replicates=1)
        got = simulate_replicate(parse_scenario(raw), 0).daily.book_ins.sum()
        assert abs(got - per_day * days) < 4 * math.sqrt(per_day * days), (base, got)


def test_schedule_steps_vary_under_uncertainty():
    """[uncertainty] addresses a schedule step by its number (`.0.`): the share of a removal
    step, the mean of a stay step and the CBP intercept are drawn and applied."""
    raw = removal_scenario("stream")
    raw["book_ins"]["streams"]["a"]["length_of_stay_schedule"] = [
        {"day": -10, "length_of_stay": {"dist": "gamma", "mean": 30.0, "sd": 20.0}}
    ]
    a = "book_ins.streams.a."
    raw["uncertainty"] = {
        a + "removal_share_schedule.0.removal_share": {
            "dist": "uniform",
            "low": 0.78,
            "high": 0.87,
        },
        a + "length_of_stay_schedule.0.length_of_stay.mean": {
            "dist": "lognormal",
            "mean": 30.0,
            "sd": 3.0,
        },
    }
    sc = parse_scenario(raw)
    drawn = draw_parameters(sc, 1)
    st = apply_draws(sc, drawn).book_ins.streams["a"]
    share = st.removal_share_schedule[0].removal_share
    assert 0.78 <= share <= 0.87 and share == drawn[a + "removal_share_schedule.0.removal_share"]
    assert st.length_of_stay_schedule[0].length_of_stay.mean != 30.0
    src = {**CBP, "base_per_day": 90.0}
    path = "arrests.sources.s.base_per_day"
    raw = arrest_scenario(src, OFFICERS_5000_HOURS, days=5)
    raw["uncertainty"] = {path: {"dist": "uniform", "low": 80.0, "high": 110.0}}
    sc = parse_scenario(raw)
    drawn = draw_parameters(sc, 0)
    assert 80.0 <= apply_draws(sc, drawn).arrests.sources["s"].base_per_day == drawn[path] <= 110.0


def test_the_documented_example_and_who_takes_the_detention_schedules():
    """docs/calibration.md's example parses; its streams set no removal share of their own,
    so both take [detention]'s removal-share step (and each its own stay step). A stream
    that sets its own removal share keeps it whole: no step from [detention]."""
    (block,) = [
        b
        for b in code_blocks((DOCS / "calibration.md").read_text(), "toml")
        if "removal_share_schedule" in b
    ]
    raw = tomllib.loads(block)
    inp = book_ins.engine_input(parse_scenario(raw))
    assert inp.share_first.tolist() == [0, 1, 2] and inp.share_value.tolist() == [0.815] * 2
    assert inp.share_day.tolist() == [112.0, 112.0]
    assert inp.los_first.tolist() == [0, 1, 2] and inp.los_day.tolist() == [112.0, 112.0]
    raw["book_ins"]["streams"]["cbp"]["removal_share"] = 0.5
    inp = book_ins.engine_input(parse_scenario(raw))
    assert inp.share_first.tolist() == [0, 1, 1] and inp.removal_share.tolist() == [0.588, 0.5]


HEAD = """[scenario]
name = "bad"
days = 30

[detention]
beds = "unlimited"
when_full = "wait"
length_of_stay = { dist = "exponential", mean = 10.0 }
"""
STREAM = """
[book_ins.streams.a]
rate_per_day = 5.0
"""
PATHWAYS = """
[pathways.removal]
stay = { dist = "fixed", mean = 1.0 }
outcome = "removal"

[pathway_shares.default]
removal = 1.0
"""
FIXED_2 = '{ dist = "fixed", mean = 2.0 }'
BAD = {
    "unsorted": (
        HEAD
        + STREAM
        + "removal_share_schedule = [{ day = 20, removal_share = 0.8 }, "
        + "{ day = 10, removal_share = 0.9 }]\n",
        "book_ins.streams.a.removal_share_schedule[1].day = 10",
        "must be greater than the previous step's day",
    ),
    "after_horizon": (
        HEAD
        + STREAM
        + f"length_of_stay_schedule = [{{ day = -5, length_of_stay = {FIXED_2} }}, "
        + f"{{ day = 30, length_of_stay = {FIXED_2} }}]\n",
        "book_ins.streams.a.length_of_stay_schedule[1].day = 30",
        "up to 29",
    ),
    "share_with_pathways": (
        HEAD.replace(
            '"unlimited"',
            '"unlimited"\nremoval_share_schedule = [{ day = 5, removal_share = 0.8 }]',
        )
        + STREAM
        + PATHWAYS,
        "detention.removal_share_schedule",
        "not supported with the case side (here [pathways])",
    ),
    "stays_with_pathways": (
        HEAD
        + STREAM
        + f"length_of_stay_schedule = [{{ day = 5, length_of_stay = {FIXED_2} }}]\n"
        + PATHWAYS,
        "book_ins.streams.a.length_of_stay_schedule",
        "not allowed with [pathways]",
    ),
    "base_with_rate": (
        HEAD
        + '\n[arrests]\nwhen_full = "throttle"\n\n[arrests.sources.cbp]\nkind = "cbp_transfer"\n'
        + "rate_per_day = 10.0\nbase_per_day = 80.0\n",
        "arrests.sources.cbp.rate_per_day",
        "not both",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_schedules_are_refused_by_the_command_line(case, tmp_path):
    """`enforcesim run` refuses each with exit 2, no traceback, naming the file and key."""
    text, key, words = BAD[case]
    path = tmp_path / "bad.toml"
    path.write_text(text)
    r = run_exe("run", str(path), "--out", str(tmp_path / "o"), "--quiet", timeout=120)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    line = next((ln for ln in r.stderr.splitlines() if key in ln), None)
    assert line is not None and str(path) in line and words in line, r.stderr
