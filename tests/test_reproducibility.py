"""Seeds: same seed, same numbers, whatever the number of workers; replicate i does not depend
on how many replicates run; another seed gives other numbers; streams are per mechanism."""

from __future__ import annotations

import numpy as np
import pandas as pd

import enforcesim

SCENARIO = {
    "scenario": {"name": "repro", "days": 60, "warmup_days": 20, "seed": 11, "replicates": 6},
    "book_ins": {"rate_per_day": 50.0, "schedule": [{"day": 30, "rate_per_day": 70.0}]},
    "detention": {
        "beds": 600,
        "when_full": "wait",
        "length_of_stay": {"dist": "gamma", "mean": 10.0, "sd": 6.0},
        "removal_share": 0.7,
        "initial_detained": 300,
    },
    "transport": {"departures_per_day": 1.5, "seats_per_departure": 30},
    "costs": {"bed_day": 150.0},
    "uncertainty": {"detention.length_of_stay.mean": {"dist": "uniform", "low": 8.0, "high": 12.0}},
}


def test_same_seed_identical_whatever_the_workers():
    one = enforcesim.run(SCENARIO, workers=1)
    two = enforcesim.run(SCENARIO, workers=2)
    four = enforcesim.run(SCENARIO, workers=4)
    pd.testing.assert_frame_equal(one.replicate_metrics(), two.replicate_metrics())
    pd.testing.assert_frame_equal(one.replicate_metrics(), four.replicate_metrics())
    pd.testing.assert_frame_equal(one.daily(), two.daily())
    assert one.summary_dict() == two.summary_dict()


def test_replicate_i_does_not_depend_on_the_number_of_replicates():
    few = enforcesim.run(SCENARIO, replicates=2, workers=1).replicate_metrics()
    many = enforcesim.run(SCENARIO, replicates=6, workers=2).replicate_metrics()
    pd.testing.assert_frame_equal(few, many.iloc[:2])


def test_other_seed_other_numbers_and_replicates_differ():
    a = enforcesim.run(SCENARIO, workers=2).replicate_metrics()
    b = enforcesim.run(SCENARIO, seed=12, workers=2).replicate_metrics()
    assert not np.allclose(a["detained"], b["detained"])
    assert a["detained"].nunique() == len(a)


def test_seed_override_matches_the_file_seed():
    via_file = enforcesim.run(
        {**SCENARIO, "scenario": {**SCENARIO["scenario"], "seed": 99}}, workers=1
    )
    via_override = enforcesim.run(SCENARIO, seed=99, workers=1)
    pd.testing.assert_frame_equal(via_file.replicate_metrics(), via_override.replicate_metrics())


def test_streams_are_per_mechanism():
    # Common random numbers: with the same seed, changing the beds changes who gets a bed but
    # not the book-in times, so daily book-ins are identical; changing a cost changes nothing
    # but the costs.
    more_beds = {**SCENARIO, "detention": {**SCENARIO["detention"], "beds": 900}}
    a = enforcesim.run(SCENARIO, workers=2)
    b = enforcesim.run(more_beds, workers=2)
    np.testing.assert_array_equal(a.daily()["book_ins"], b.daily()["book_ins"])
    assert not np.array_equal(a.daily()["detained"], b.daily()["detained"])
    costly = {**SCENARIO, "costs": {"bed_day": 300.0}}
    c = enforcesim.run(costly, workers=2)
    not_costs = [col for col in a.daily().columns if not col.startswith("cost")]
    pd.testing.assert_frame_equal(a.daily()[not_costs], c.daily()[not_costs])
    np.testing.assert_allclose(
        c.replicate_metrics()["cost_total"], 2 * a.replicate_metrics()["cost_total"]
    )
