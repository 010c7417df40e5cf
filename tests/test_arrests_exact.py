"""The arrest side, exact small cases: known attempted arrests (times and classes) through the
normal code path, every officer-hour of the ledger and every count worked out by hand.

Book-in decisions are made certain by share_booked_in = 1 or 0, so nothing here is random.
Validation mode is on, so the kernel also checks its conservation invariants.
"""

from __future__ import annotations

import numpy as np
import pytest

from builders import (
    CONVICTED_ONLY,
    FIXED1,
    SCENARIOS,
    TWO_OFFICERS,
    read_toml,
    simulate_fixed,
    tiny_book_in_scenario,
)
from enforcesim import ScenarioError, parse_scenario
from enforcesim.engine.structures import columns
from enforcesim.results import Results, arrest_metrics, replicate_metrics
from enforcesim.stages.arrests import ARREST_COLUMNS
from enforcesim.stages.officers import officers_by_day


def scenario(
    days=3, beds="unlimited", when_full="throttle", officers=None, priority="anyone", **source
):
    src = {
        "kind": "custodial",
        "rate_per_day": 0.0,
        "officer_hours_per_arrest": 3.0,
        "share_booked_in": 1.0,
        "mix": CONVICTED_ONLY,
    }
    src.update(source)
    return parse_scenario(
        {
            "scenario": {"name": "exact-arrests", "days": days},
            "arrests": {"when_full": when_full, "priority": priority, "sources": {"jail": src}},
            "officers": officers or TWO_OFFICERS,
            "detention": {"beds": beds, "when_full": "release", "length_of_stay": FIXED1},
        }
    )


def run_fixed(sc, times, stays, classes=None):
    out = simulate_fixed(
        sc, times, stays, classes=classes if classes is not None else [0] * len(times)
    )
    # per column, summed over classes
    cols = {name: getattr(out.daily_arrests, name).sum(axis=1).tolist() for name in ARREST_COLUMNS}
    return out, cols


def test_ledger_charges_arrests_and_escorts_and_stops_at_the_day_budget():
    # Day 0: arrests at 0.1 and 0.2 take 3 h each plus 1 h escort each (8 h: budget used up);
    # the one at 0.3 needs 3 h with 0 left: foregone (officers). Day 1: a new shift of 8 h;
    # the arrest at 1.5 takes 3 + 1. Day 2: nothing; casework 2 h every day.
    sc = scenario()
    out, c = run_fixed(sc, [0.1, 0.2, 0.3, 1.5], [5.0] * 4)
    assert columns(out.officer_hours).tolist() == [
        [6.0, 2.0, 2.0],
        [3.0, 1.0, 2.0],
        [0.0, 0.0, 2.0],
    ]
    assert c["made"] == [2, 1, 0]
    assert c["booked_in"] == [2, 1, 0]
    assert c["foregone_officers"] == [1, 0, 0]
    assert c["foregone_beds"] == c["foregone_pool"] == c["diverted"] == [0, 0, 0]
    assert out.daily.book_ins.tolist() == [2, 1, 0]
    m = arrest_metrics(out)
    assert m["ice_arrests_per_day"] == pytest.approx(3 / 3)
    assert m["ice_arrest_attempts_per_day"] == pytest.approx(4 / 3)
    assert m["officer_hours_available_per_day"] == pytest.approx(10.0)
    assert m["officer_hours_unused_per_day"] == pytest.approx((0 + 4 + 8) / 3)
    assert m["officers"] == 2.0


def test_not_booked_in_arrests_use_arrest_hours_but_no_escort_and_no_bed():
    sc = scenario(share_booked_in=0.0)
    out, c = run_fixed(sc, [0.1, 0.2, 0.3], [5.0] * 3)
    assert columns(out.officer_hours)[0].tolist() == [
        8.0 - 2.0,
        0.0,
        2.0,
    ]  # 3 + 3; the third: 2 h left
    assert c["made"] == [2, 0, 0] and c["not_booked_in"] == [2, 0, 0]
    assert c["foregone_officers"] == [1, 0, 0]
    assert out.daily.book_ins.tolist() == [0, 0, 0]
    assert replicate_metrics(out)["detained"] == 0.0


@pytest.mark.parametrize("when_full", ["throttle", "divert"])
def test_a_full_bed_throttles_without_hours_or_diverts_with_them(when_full):
    # One bed, taken from 0.1 to 1.1. The arrest at 0.5 finds it full: "throttle" does not
    # make it (and uses no hours); "divert" makes it (3 h) and releases the person at once.
    # At 1.5 the bed is free again. No escort hours here.
    sc = scenario(
        beds=1,
        when_full=when_full,
        officers={"headcount": 1, "productive_hours_per_day": 20.0, "casework_share": 0.0},
    )
    out, c = run_fixed(sc, [0.1, 0.5, 1.5], [1.0, 1.0, 1.0])
    assert c["booked_in"] == [1, 1, 0]
    if when_full == "throttle":
        assert c["made"] == [1, 1, 0] and c["foregone_beds"] == [1, 0, 0]
        assert out.officer_hours.arrests.tolist() == [3.0, 3.0, 0.0]
    else:
        assert c["made"] == [2, 1, 0] and c["diverted"] == [1, 0, 0]
        assert out.officer_hours.arrests.tolist() == [6.0, 3.0, 0.0]
    assert out.daily.turned_away.tolist() == [0, 0, 0]


def test_pool_yield_curve_priority_and_exhaustion():
    # Pool of 4: 2 convicted, 2 with neither. criminal_first: eligible 2, so the first arrest
    # takes h0 * 4 / 2 = 2 h, the second 1 * 4 / 1 = 4 h; the third finds no convicted
    # person left: foregone (pool). At the end of day 0 the pool holds 2 (the non-criminal).
    pool = {
        "size": 4.0,
        "mix": {"convicted": 0.5, "pending": 0.0, "none": 0.5},
        "yield_exponent": 1.0,
    }
    sc = scenario(
        kind="at_large",
        officer_hours_per_arrest=1.0,
        share_booked_in=0.0,
        pool=pool,
        priority="criminal_first",
        mix=None,
        officers={"headcount": 1, "productive_hours_per_day": 24.0, "casework_share": 0.0},
    )
    out, c = run_fixed(sc, [0.1, 0.2, 0.3], [1.0] * 3)
    assert out.officer_hours.arrests[0] == pytest.approx(6.0)
    assert c["made"] == [2, 0, 0] and c["foregone_pool"] == [1, 0, 0]
    assert out.pool_left[:, 0].tolist() == [2.0, 2.0, 2.0]
    # "anyone": eligible 4, so 1 h, then 4/3 h; the pool ends day 0 with 2 of 4.
    sc = scenario(
        kind="at_large",
        officer_hours_per_arrest=1.0,
        share_booked_in=0.0,
        pool=pool,
        mix=None,
        officers={"headcount": 1, "productive_hours_per_day": 24.0, "casework_share": 0.0},
    )
    out, c = run_fixed(sc, [0.1, 0.2], [1.0] * 2, classes=[0, 2])
    assert out.officer_hours.arrests[0] == pytest.approx(1.0 + 4.0 / 3.0)
    assert out.pool_left[0, 0] == 2.0


def test_officer_headcount_hires_after_the_training_lag_and_attrition():
    sc = parse_scenario(
        {
            "scenario": {"name": "officers", "days": 10, "warmup_days": 2},
            "arrests": {
                "when_full": "throttle",
                "sources": {"a": {"kind": "at_large", "rate_per_day": 0.0}},
            },
            "officers": {
                "headcount": 100,
                "hires": [{"day": 2, "officers": 50}],
                "training_lag_days": 3,
                "attrition_per_year": 0.365,
            },
            "detention": {
                "beds": 10,
                "when_full": "release",
                "length_of_stay": {"dist": "fixed", "mean": 1.0},
            },
        }
    )
    got = officers_by_day(sc)
    d = np.arange(-2, 10)
    want = 100 * np.exp(-0.001 * np.maximum(d, 0)) + np.where(
        d >= 5, 50 * np.exp(-0.001 * (d - 2)), 0
    )
    assert got == pytest.approx(want)
    assert got[:3].tolist() == [100.0, 100.0, 100.0]  # warm-up and day 0: the headcount


def test_results_tables_name_sources_and_criminality():
    sc = scenario()
    out, _ = run_fixed(sc, [0.1, 0.2, 0.3, 1.5], [5.0] * 4)
    res = Results(sc, [out], "x")
    assert res.stream_names() == ["jail.convicted", "jail.pending", "jail.none"]
    df = res.daily_arrests()
    assert len(df) == 3 * 3
    assert df[(df.day == 0) & (df.criminality == "convicted")]["made"].item() == 2
    s = res.summary_dict()
    assert s["arrests"]["by_source"]["jail"]["made_per_day"]["mean"] == pytest.approx(1.0)
    assert s["arrests"]["by_criminality"]["none"]["made_per_day"]["mean"] == 0.0
    assert "ice_arrests_per_day" in s["metrics"] and "streams" in s
    off = res.daily_officers()
    assert off["hours_arrests"].tolist() == [6.0, 3.0, 0.0]
    assert off["hours_available"].tolist() == [10.0] * 3


@pytest.mark.parametrize(
    "extra, key, text",
    [
        ({"book_ins": {"rate_per_day": 5.0}}, "arrests", "not allowed together with [book_ins]"),
        (
            {
                "arrests": {
                    "when_full": "throttle",
                    "sources": {
                        "a": {
                            "kind": "custodial",
                            "rate_per_day": 1.0,
                            "mix": {"convicted": 0.5, "pending": 0.1, "none": 0.1},
                        }
                    },
                }
            },
            "arrests.sources.a.mix",
            "must sum to 1",
        ),
        (
            {
                "arrests": {
                    "when_full": "throttle",
                    "sources": {
                        "a": {"kind": "custodial", "rate_per_day": 1.0, "pool": {"size": 10.0}}
                    },
                }
            },
            "arrests.sources.a.pool",
            "only for kind",
        ),
        (
            {"arrests": {"when_full": "throttle", "sources": {"a": {"kind": "at_large"}}}},
            "arrests.sources.a.rate_per_day",
            "required key is missing",
        ),
        (
            {
                "arrests": {
                    "when_full": "throttle",
                    "sources": {
                        "a": {"kind": "at_large", "rate_per_day": 1.0, "per_encounter": 0.1}
                    },
                }
            },
            "arrests.sources.a.per_encounter",
            'only for kind = "cbp_transfer"',
        ),
    ],
)
def test_bad_arrest_sections_name_the_key(extra, key, text):
    raw = {
        "scenario": {"name": "bad", "days": 5},
        "arrests": {
            "when_full": "throttle",
            "sources": {"a": {"kind": "at_large", "rate_per_day": 1.0}},
        },
        "detention": {
            "beds": 10,
            "when_full": "release",
            "length_of_stay": {"dist": "fixed", "mean": 1.0},
        },
    }
    raw.update(extra)
    with pytest.raises(ScenarioError) as err:
        parse_scenario(raw, "f.toml")
    assert any(p.key == key and text in p.message for p in err.value.problems), str(err.value)


def test_ice_arrest_target_and_officers_need_arrests():
    raw = tiny_book_in_scenario(days=5, rate=1.0, stay=1.0)
    raw["targets"] = {"ice_arrests_per_day": 3000.0}
    raw["officers"] = {"headcount": 10}
    with pytest.raises(ScenarioError) as err:
        parse_scenario(raw, "f.toml")
    assert {p.key for p in err.value.problems} == {"targets.ice_arrests_per_day", "officers"}


def test_reference_names_the_arrest_keys_and_metrics():
    from enforcesim import docgen

    text = docgen.render()
    for key in [
        "arrests.when_full",
        "arrests.sources.NAME.kind",
        "arrests.sources.NAME.pool.size",
        "arrests.sources.NAME.officer_hours_per_arrest",
        "officers.headcount",
        "officers.escort_hours_per_book_in",
        "targets.ice_arrests_per_day",
        "ice_arrests_per_day",
        "arrests_foregone_officers_per_day",
    ]:
        assert f"`{key}`" in text, key


def test_example_scenario_runs_and_arrest_values_can_vary():
    import enforcesim

    raw = read_toml(SCENARIOS / "examples" / "arrest-side.toml")
    raw["scenario"].update(days=200, warmup_days=0, replicates=2)
    raw["uncertainty"] = {
        "arrests.sources.jails.rate_per_day": {"dist": "uniform", "low": 1000.0, "high": 1200.0},
        "officers.productive_hours_per_day": {"dist": "uniform", "low": 4.0, "high": 5.0},
    }
    res = enforcesim.run(raw)
    drawn = res.drawn_parameters()
    assert drawn["arrests.sources.jails.rate_per_day"].between(1000.0, 1200.0).all()
    m = res.replicate_metrics()
    # each replicate's officers work the hours drawn for it, every day
    hours = drawn["officers.productive_hours_per_day"]
    assert hours.between(4.0, 5.0).all() and hours.nunique() == 2
    np.testing.assert_allclose(m["officer_hours_available_per_day"], hours * m["officers"])
    # every ICE attempt is made or foregone for one named cause; every arrest made is
    # booked in, not booked in or diverted
    foregone = m[[f"arrests_foregone_{c}_per_day" for c in ("officers", "beds", "pool")]]
    np.testing.assert_allclose(
        m["ice_arrest_attempts_per_day"], m["ice_arrests_per_day"] + foregone.sum(axis=1)
    )
    made = m[[f"arrests_{c}_per_day" for c in ("booked_in", "not_booked_in", "diverted")]]
    np.testing.assert_allclose(m["arrests_per_day"], made.sum(axis=1))
    assert (m["ice_arrests_per_day"] > 0).all()
