"""The SimPy reference (benchmarks/simpy_model.py) and enforcesim implement the same model.

Two checks, so that the benchmark's speed ratio compares like with like:
- statistical: 30 replicates of each model on independent seeds; for each metric the means
  agree within Z_TOLERANCE standard errors of the difference of means;
- exact: on the same seed both models see the same people (same random streams, drawn in the
  same order), so every metric agrees up to floating-point rounding.
"""

from __future__ import annotations

import importlib.util
import math
import sys

import numpy as np
import pytest

import enforcesim
from builders import ROOT

pytest.importorskip("simpy")

_PATH = ROOT / "benchmarks" / "simpy_model.py"
_spec = importlib.util.spec_from_file_location("simpy_model", _PATH)
assert _spec is not None and _spec.loader is not None
simpy_model = importlib.util.module_from_spec(_spec)
sys.modules["simpy_model"] = simpy_model  # dataclasses look their module up there
_spec.loader.exec_module(simpy_model)

REPLICATES = 30
Z_TOLERANCE = 4.0  # standard errors of the difference of the two means
EXACT_RTOL = 1e-9  # same seed: only summation order may differ

# Overloaded, as in the benchmark: beds fill with people waiting for a seat (16 removal
# orders/day against 14 seats/day) and arrivals are turned away.
RELEASE = {
    "scenario": {"name": "small-release", "days": 100, "warmup_days": 20, "replicates": 1},
    "book_ins": {"rate_per_day": 20.0},
    "detention": {
        "beds": 300,
        "when_full": "release",
        "removal_share": 0.8,
        "length_of_stay": {"dist": "lognormal", "mean": 15.0, "sd": 10.0},
    },
    "transport": {"departures_per_day": 1.0, "seats_per_departure": 14},
}

# Every other mechanism: a holding queue, schedules of rates and beds (a cut and an
# increase), an initial population, gamma stays and costs.
WAIT = {
    "scenario": {"name": "small-wait", "days": 90, "warmup_days": 10, "replicates": 1},
    "book_ins": {"rate_per_day": 15.0, "schedule": [{"day": 30, "rate_per_day": 22.0}]},
    "detention": {
        "beds": 200,
        "when_full": "wait",
        "removal_share": 0.6,
        "beds_schedule": [{"day": 40, "beds": 180}, {"day": 60, "beds": 260}],
        "length_of_stay": {"dist": "gamma", "mean": 10.0, "sd": 6.0},
        "initial_detained": 150,
    },
    "transport": {"departures_per_day": 2.0, "seats_per_departure": 6},
    "costs": {"bed_day": 150.0, "per_book_in": 10.0, "per_departure": 5000.0},
}

METRICS = {
    "release": [
        "book_ins_per_day",
        "admitted_per_day",
        "turned_away_share",
        "detained",
        "removals_per_day",
        "releases_per_day",
        "length_of_stay_days",
        "wait_for_transport_days",
    ],
    "wait": [
        "book_ins_per_day",
        "admitted_per_day",
        "detained",
        "waiting_for_bed",
        "wait_for_bed_days",
        "removals_per_day",
        "releases_per_day",
        "length_of_stay_days",
        "wait_for_transport_days",
        "cost_total",
    ],
}
SCENARIOS = {"release": RELEASE, "wait": WAIT}


@pytest.mark.slow
@pytest.mark.parametrize("name", ["release", "wait"])
def test_means_agree_on_independent_seeds(name):
    sc = SCENARIOS[name]
    ours = enforcesim.run(sc, seed=1, replicates=REPLICATES).replicate_metrics()
    ref = simpy_model.run(sc, seed=2, replicates=REPLICATES)
    for metric in METRICS[name]:
        a, b = ours[metric].to_numpy(), ref[metric].to_numpy()
        assert not np.isnan(a).any() and not np.isnan(b).any(), metric
        se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
        assert se > 0, metric
        z = (a.mean() - b.mean()) / se
        assert abs(z) <= Z_TOLERANCE, f"{metric}: {a.mean()} vs {b.mean()} ({z:+.1f} SE)"


def test_the_scenarios_exercise_the_mechanisms():
    release = simpy_model.simulate(RELEASE, seed=1)
    assert release["turned_away_share"] > 0.05
    assert release["wait_for_transport_days"] > 1.0
    wait = simpy_model.simulate(WAIT, seed=1)
    assert wait["waiting_for_bed"] > 1.0
    assert wait["wait_for_bed_days"] > 0.1
    assert wait["turned_away_per_day"] == 0.0


@pytest.mark.parametrize("name", ["release", "wait"])
@pytest.mark.parametrize("replicate", [0, 7])
def test_same_seed_same_people_same_metrics(name, replicate):
    sc = SCENARIOS[name]
    ours = enforcesim.run(sc, seed=5, replicates=replicate + 1).replicate_metrics()
    ref = simpy_model.simulate(sc, replicate=replicate, seed=5)
    for metric, value in ours.iloc[replicate].items():
        if math.isnan(value):
            assert math.isnan(ref[metric]), metric
        else:
            assert ref[metric] == pytest.approx(value, rel=EXACT_RTOL, abs=1e-12), metric


def test_unsupported_uncertainty_is_refused():
    sc = dict(
        RELEASE,
        uncertainty={
            "detention.length_of_stay.mean": {"dist": "uniform", "low": 10.0, "high": 20.0}
        },
    )
    with pytest.raises(NotImplementedError, match="uncertainty"):
        simpy_model.simulate(sc)
