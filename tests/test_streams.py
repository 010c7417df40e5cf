"""Named book-in streams ([book_ins.streams.NAME], an extension of contract v1): each with its
own rate schedule, stays, removal share and initial population, reported per stream."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import enforcesim
from builders import simulate_fixed
from enforcesim import ScenarioError, parse_scenario
from enforcesim.engine.runner import simulate_replicate
from enforcesim.results import stream_metrics
from enforcesim.stages.book_ins import split_initial


def two_streams(**extra) -> dict:
    sc = {
        "scenario": {
            "name": "streams",
            "days": 200,
            "warmup_days": 150,
            "seed": 3,
            "replicates": 12,
        },
        "book_ins": {
            "streams": {
                "ice": {
                    "rate_per_day": 100.0,
                    "length_of_stay": {"dist": "lognormal", "mean": 40.0, "sd": 30.0},
                    "removal_share": 0.9,
                },
                "cbp": {
                    "rate_per_day": 300.0,
                    "schedule": [{"day": 100, "rate_per_day": 150.0}],
                    "length_of_stay": {"dist": "gamma", "mean": 10.0, "sd": 8.0},
                    "removal_share": 0.5,
                },
            }
        },
        "detention": {"beds": "unlimited", "when_full": "release"},
    }
    sc.update(extra)
    return sc


def test_exact_small_case_is_reported_per_stream():
    sc = parse_scenario(
        {
            "scenario": {"name": "x", "days": 4},
            "book_ins": {"streams": {"a": {"rate_per_day": 0.0}, "b": {"rate_per_day": 0.0}}},
            "detention": {
                "beds": 2,
                "when_full": "release",
                "length_of_stay": {"dist": "fixed", "mean": 1.0},
            },
        }
    )
    # a at 0.5 (stay 2, removed), b at 0.6 (stay 1, released), b at 0.7 turned away.
    out = simulate_fixed(sc, [0.5, 0.6, 0.7], [2.0, 1.0, 1.0], [True, False, False], [0, 1, 1])
    m = stream_metrics(out)
    assert m["a"]["book_ins_per_day"] == 0.25 and m["b"]["book_ins_per_day"] == 0.5
    assert m["a"]["admitted_per_day"] == 0.25 and m["b"]["admitted_per_day"] == 0.25
    assert m["a"]["removals_per_day"] == 0.25 and m["a"]["releases_per_day"] == 0.0
    assert m["b"]["releases_per_day"] == 0.25 and m["b"]["removals_per_day"] == 0.0
    assert m["a"]["length_of_stay_days"] == pytest.approx(2.0)
    assert m["b"]["length_of_stay_days"] == pytest.approx(1.0)
    assert m["a"]["detained"] == pytest.approx(2.0 / 4)
    assert m["b"]["detained"] == pytest.approx(1.0 / 4)


def test_each_stream_follows_littles_law():
    """M/G/infinity per stream: the superposition of independent Poisson streams, each
    keeping its own stays, gives detained_c = lambda_c * E[S_c] in steady state (150-day
    warm-up, > 10 mean stays of the longer stream). Seed 3, 12 replicates; tolerance 5
    standard errors of the replicate mean. The cbp stream halves on day 100, so its
    expectation is the exact M_t/G/infinity integral over its gamma survival function."""
    from scipy import stats

    res = enforcesim.run(two_streams(), workers=2)
    per = [stream_metrics(r) for r in res.replicates]
    ice = np.array([p["ice"]["detained"] for p in per])
    assert abs(ice.mean() - 100 * 40.0) < 5 * ice.std(ddof=1) / np.sqrt(len(ice)) + 1e-9
    # cbp: 300/day until day 100, then 150/day; E[N(t)] = 150*10 + 150*int_{t-100}^inf Sbar
    k, theta = (10 / 8) ** 2, 64 / 10
    t = np.linspace(0, 200, 20001)
    # int_a^inf Sbar(x) dx = E[(S - a)+] = E[S] P(Gamma(k+1) > a) - a P(Gamma(k) > a)
    surv_integral = np.array(
        [
            stats.gamma(k + 1, scale=theta).sf(max(u - 100, 0)) * 10
            - max(u - 100, 0) * stats.gamma(k, scale=theta).sf(max(u - 100, 0))
            for u in t
        ]
    )
    expected = np.where(t < 100, 3000.0, 1500.0 + 150.0 * surv_integral)
    cbp = np.array([p["cbp"]["detained"] for p in per])
    assert abs(cbp.mean() - expected.mean()) < 5 * cbp.std(ddof=1) / np.sqrt(len(cbp))
    total = res.replicate_metrics()["detained"].to_numpy()
    np.testing.assert_allclose(ice + cbp, total, rtol=1e-12)
    share = np.array(
        [
            p["ice"]["removals_per_day"]
            / (p["ice"]["removals_per_day"] + p["ice"]["releases_per_day"])
            for p in per
        ]
    )
    assert abs(share.mean() - 0.9) < 0.01


def test_daily_streams_add_up_to_the_daily_table():
    res = enforcesim.run(two_streams(), replicates=2, workers=2)
    ds = res.daily_streams()
    total = (
        ds.groupby(["replicate", "day"], observed=True)[
            ["book_ins", "admitted", "detained", "removals", "releases"]
        ]
        .sum()
        .reset_index()
    )
    daily = res.daily()
    for col in ["book_ins", "admitted", "detained", "removals", "releases"]:
        np.testing.assert_array_equal(total[col].to_numpy(), daily[col].to_numpy())
    assert list(ds["stream"].cat.categories) == ["ice", "cbp"]
    summary = res.summary_dict()
    assert set(summary["streams"]) == {"ice", "cbp"}
    # book-ins on days 0-99 at 300/day vs days 100-199 at 150/day for cbp
    cbp = ds[ds["stream"] == "cbp"]
    assert cbp[cbp["day"] < 100]["book_ins"].mean() == pytest.approx(300, rel=0.05)
    assert cbp[cbp["day"] >= 100]["book_ins"].mean() == pytest.approx(150, rel=0.05)


def test_one_stream_is_exactly_the_v1_book_in_process():
    v1 = {
        "scenario": {"name": "one", "days": 60, "seed": 8, "replicates": 3},
        "book_ins": {"rate_per_day": 50.0, "schedule": [{"day": 20, "rate_per_day": 80.0}]},
        "detention": {
            "beds": 400,
            "when_full": "wait",
            "removal_share": 0.6,
            "length_of_stay": {"dist": "lognormal", "mean": 8.0, "sd": 5.0},
            "initial_detained": 200,
        },
        "transport": {"departures_per_day": 2.0, "seats_per_departure": 15},
    }
    streams = {**v1, "book_ins": {"streams": {"all": v1["book_ins"]}}}
    a = enforcesim.run(v1, workers=1)
    b = enforcesim.run(streams, workers=1)
    pd.testing.assert_frame_equal(a.replicate_metrics(), b.replicate_metrics())
    pd.testing.assert_frame_equal(a.daily(), b.daily())


def test_initial_population_is_split_by_rate_times_mean_stay():
    assert split_initial(10, [100 * 40.0, 300 * 10.0]) == [6, 4]
    assert split_initial(7, [0.0, 0.0]) == [4, 3]
    assert sum(split_initial(12345, [1.0, 2.0, 3.0])) == 12345
    sc = two_streams(scenario={"name": "s", "days": 1, "replicates": 1})
    sc["book_ins"]["streams"]["cbp"]["schedule"] = []
    sc["detention"]["initial_detained"] = 7000
    out = simulate_replicate(parse_scenario(sc), 0)
    assert out.daily_streams.detained[0].sum() == out.daily.detained[0]
    # 4000 ice and 3000 cbp at the start are each stream's stationary mean (rate x mean
    # stay), so over day 0 each stays there: Poisson spread ~ sqrt(4000) = 63, 5% is > 3 sd.
    res = stream_metrics(out)
    assert res["ice"]["detained"] == pytest.approx(4000, rel=0.05)
    assert res["cbp"]["detained"] == pytest.approx(3000, rel=0.05)


def test_uncertainty_on_a_stream_value():
    sc = two_streams(
        uncertainty={
            "book_ins.streams.ice.length_of_stay.mean": {
                "dist": "uniform",
                "low": 20.0,
                "high": 60.0,
            }
        }
    )
    res = enforcesim.run(sc, replicates=8, workers=2)
    drawn = res.drawn_parameters()["book_ins.streams.ice.length_of_stay.mean"]
    assert drawn.between(20, 60).all() and drawn.nunique() == 8
    ice = np.array([stream_metrics(r)["ice"]["detained"] for r in res.replicates])
    assert np.corrcoef(drawn, ice)[0, 1] > 0.95


@pytest.mark.parametrize(
    "change, key, words",
    [
        (
            lambda s: s["book_ins"].update(rate_per_day=5.0),
            "book_ins.rate_per_day",
            "not allowed with [book_ins.streams]",
        ),
        (
            lambda s: s["book_ins"]["streams"]["ice"].pop("length_of_stay"),
            "detention.length_of_stay",
            "unless every book-in stream has its own",
        ),
        (
            lambda s: s["book_ins"]["streams"].update({"Bad Name": {"rate_per_day": 1.0}}),
            'book_ins.streams."Bad Name"',
            "lower-case",
        ),
        (
            lambda s: s["book_ins"]["streams"]["ice"].update(rate_pre_day=1.0),
            "book_ins.streams.ice.rate_pre_day",
            "unknown key",
        ),
        (
            lambda s: s["book_ins"]["streams"]["cbp"]["schedule"].append(
                {"day": 50, "rate_per_day": 1.0}
            ),
            "book_ins.streams.cbp.schedule[1].day",
            "strictly increase",
        ),
        (
            lambda s: s["book_ins"]["streams"]["ice"]["length_of_stay"].pop("sd"),
            "book_ins.streams.ice.length_of_stay.sd",
            "required for dist",
        ),
    ],
)
def test_stream_errors_name_the_key(change, key, words):
    sc = two_streams()
    sc["detention"]["length_of_stay"] = None
    del sc["detention"]["length_of_stay"]
    change(sc)
    with pytest.raises(ScenarioError) as err:
        parse_scenario(sc, "s.toml")
    lines = [str(p) for p in err.value.problems]
    assert any(line.startswith(f"s.toml: {key}") and words in line for line in lines), lines
