"""Exact small cases: a few people at known times, every count and time worked out by hand.

The engine takes known book-in times, stays and decisions instead of drawing them
(`simulate_replicate(..., fixed=...)`); everything else is the code path of a normal run.
Validation mode is on, so the kernel also checks its own invariants.
"""

from __future__ import annotations

import numpy as np
import pytest

from enforcesim import parse_scenario
from enforcesim.engine.runner import simulate_replicate
from enforcesim.results import DAILY_COLUMNS, replicate_metrics


def scenario(days=6, beds=1, when_full="release", transport=None, warmup=0, **det):
    raw = {
        "scenario": {"name": "exact", "days": days, "warmup_days": warmup},
        "book_ins": {"rate_per_day": 0.0},
        "detention": {
            "beds": beds,
            "when_full": when_full,
            "length_of_stay": {"dist": "fixed", "mean": 1.0},
            **det,
        },
    }
    if transport:
        raw["transport"] = {"departures_per_day": transport[0], "seats_per_departure": transport[1]}
    return parse_scenario(raw)


def run_fixed(sc, arrivals, stays, removal):
    out = simulate_replicate(
        sc,
        0,
        validate=True,
        fixed=(np.array(arrivals, float), np.array(stays, float), np.array(removal, bool)),
    )
    daily = {name: col.tolist() for name, col in zip(DAILY_COLUMNS[2:], out.daily, strict=True)}
    return out, daily, replicate_metrics(out)


def test_one_bed_release_turns_away_the_second_arrival():
    # 0.5 gets the bed until 2.5 and is ordered removed (no transport: leaves at once);
    # 0.8 finds it taken and is released at once; 3.0 gets it until 5.0 and is released.
    _, d, m = run_fixed(scenario(), [0.5, 0.8, 3.0], [2.0, 7.0, 2.0], [True, True, False])
    assert d["book_ins"] == [2, 0, 0, 1, 0, 0]
    assert d["admitted"] == [1, 0, 0, 1, 0, 0]
    assert d["turned_away"] == [1, 0, 0, 0, 0, 0]
    assert d["removals"] == [0, 0, 1, 0, 0, 0]
    assert d["releases"] == [0, 0, 0, 0, 0, 1]
    assert d["detained"] == [1, 1, 0, 1, 1, 0]
    assert d["waiting_for_bed"] == [0] * 6
    assert d["beds"] == [1] * 6
    assert m["detained"] == pytest.approx(4.0 / 6)
    assert m["turned_away_share"] == pytest.approx(1 / 3)
    assert m["length_of_stay_days"] == pytest.approx(2.0)
    assert m["occupancy"] == pytest.approx(4.0 / 6)
    assert m["wait_for_transport_days"] == 0.0
    assert m["wait_for_bed_days"] == 0.0


def test_one_bed_wait_serves_the_queue_first_come_first_served():
    # Bed: 0.5-2.5 (first), 2.5-3.5 (second, waited 1.5), 3.5-4.5 (third, waited 2.0).
    _, d, m = run_fixed(scenario(when_full="wait"), [0.5, 1.0, 1.5], [2.0, 1.0, 1.0], [False] * 3)
    assert d["admitted"] == [1, 0, 1, 1, 0, 0]
    assert d["waiting_for_bed"] == [0, 2, 1, 0, 0, 0]
    assert d["releases"] == [0, 0, 1, 1, 1, 0]
    assert d["turned_away"] == [0] * 6
    assert m["wait_for_bed_days"] == pytest.approx((0 + 1.5 + 2.0) / 3)
    # queue length: 1 on [1.0, 1.5), 2 on [1.5, 2.5), 1 on [2.5, 3.5)
    assert m["waiting_for_bed"] == pytest.approx((0.5 + 2.0 + 1.0) / 6)
    assert m["detained"] == pytest.approx(4.0 / 6)
    # each stay is counted from admission, not from arrival
    assert m["length_of_stay_days"] == pytest.approx((2.0 + 1.0 + 1.0) / 3)


def test_seats_go_in_order_of_the_removal_order_not_of_arrival():
    # One departure a day (t = 0, 1, 2, ...) with one seat. A arrives 0.1, ordered at 0.7;
    # B arrives 0.2, ordered at 0.3: B takes the seat at 1.0 (waited 0.7), A the one at 2.0
    # (waited 1.3). Both keep their bed until then.
    _, d, m = run_fixed(
        scenario(beds="unlimited", transport=(1.0, 1)), [0.1, 0.2], [0.6, 0.1], [True, True]
    )
    assert d["removals"] == [0, 1, 1, 0, 0, 0]
    assert d["detained"] == [2, 1, 0, 0, 0, 0]
    assert m["wait_for_transport_days"] == pytest.approx((0.7 + 1.3) / 2)
    assert m["length_of_stay_days"] == pytest.approx(((1.0 - 0.2) + (2.0 - 0.1)) / 2)
    assert m["removals_per_day"] == pytest.approx(2 / 6)
    assert np.isnan(m["occupancy"])  # beds unlimited
    # Over a 2-day horizon only the departure at 1.0 is reported: it must carry B (first
    # order), whose wait is 0.7 (A's would be 0.3 if seats went last come, first served).
    _, _, m = run_fixed(
        scenario(days=2, beds="unlimited", transport=(1.0, 1)), [0.1, 0.2], [0.6, 0.1], [True, True]
    )
    assert m["wait_for_transport_days"] == pytest.approx(0.7)
    assert m["length_of_stay_days"] == pytest.approx(0.8)


def test_end_of_day_state_is_taken_before_a_departure_at_that_instant():
    # A departure at t = 1.0 removes the person ordered at 0.5: the end of day 0 (t = 1,
    # before events at that instant) still counts them; the removal falls on day 1.
    _, d, _ = run_fixed(scenario(days=3, beds=5, transport=(1.0, 10)), [0.25], [0.25], [True])
    assert d["detained"] == [1, 0, 0]
    assert d["removals"] == [0, 1, 0]


def test_departures_cost_even_when_empty():
    sc = parse_scenario(
        {
            "scenario": {"name": "c", "days": 4},
            "book_ins": {"rate_per_day": 0.0},
            "detention": {
                "beds": 1,
                "when_full": "release",
                "length_of_stay": {"dist": "fixed", "mean": 1.0},
            },
            "transport": {"departures_per_day": 2.0, "seats_per_departure": 3},
            "costs": {"bed_day": 100.0, "per_book_in": 7.0, "per_departure": 1000.0},
        }
    )
    _, _, m = run_fixed(sc, [0.5], [1.0], [True])
    # departures at 0, 0.5, ..., 3.5: 8 in the horizon; 1 occupied bed-day (0.5 to 1.5 is the
    # stay, then the person holds the bed until the departure at 1.5).
    assert m["cost_total"] == pytest.approx(8 * 1000.0 + 7.0 + 100.0 * 1.0)
    assert m["cost_per_removal"] == pytest.approx(m["cost_total"])


def test_more_beds_admit_from_the_queue_at_once_and_a_cut_evicts_nobody():
    # 1 bed, from day 2 on 3 beds. Arrivals at 0.2 (stay 10), 0.4 and 0.6 (stay 1) wait until
    # t = 2.0, then are admitted at once.
    sc = scenario(days=5, when_full="wait", beds_schedule=[{"day": 2, "beds": 3}])
    _, d, m = run_fixed(sc, [0.2, 0.4, 0.6], [10.0, 1.0, 1.0], [False] * 3)
    assert d["waiting_for_bed"] == [2, 2, 0, 0, 0]
    assert d["admitted"] == [1, 0, 2, 0, 0]
    assert d["beds"] == [1, 1, 3, 3, 3]
    assert m["wait_for_bed_days"] == pytest.approx((0 + 1.6 + 1.4) / 3)

    cut = scenario(days=4, beds=2, beds_schedule=[{"day": 1, "beds": 0}])
    _, d, m = run_fixed(cut, [0.1, 0.2, 1.5], [2.5, 2.5, 1.0], [False] * 3)
    assert d["detained"] == [2, 2, 0, 0]  # nobody evicted on day 1
    assert d["turned_away"] == [0, 1, 0, 0]  # but nobody new gets in
    assert d["beds"] == [2, 0, 0, 0]
    assert m["occupancy"] == pytest.approx((2 * 2.5 / 4) / (2 / 4))


def test_warmup_is_simulated_but_not_reported():
    # Warm-up of 2 days: the person booked in at t = -1.5 is not a reported book-in, but is
    # still detained on day 0 and their release on day 0 is reported.
    sc = scenario(days=3, beds=3, warmup=2)
    _, d, m = run_fixed(sc, [-1.5, 0.5], [2.0, 1.0], [False, False])
    assert d["book_ins"] == [1, 0, 0]
    assert d["releases"] == [1, 1, 0]
    assert d["detained"] == [1, 0, 0]
    assert m["detained"] == pytest.approx((0.5 + 1.0) / 3)
    assert m["length_of_stay_days"] == pytest.approx(1.5)


def test_initial_population_of_fixed_stays_leaves_within_one_stay():
    # Fixed stays of 10 days: remaining stays are uniform on [0, 10), elapsed + remaining is
    # exactly 10 for everyone, and everyone has left by t = 10.
    sc = scenario(
        days=12,
        beds="unlimited",
        initial_detained=500,
        removal_share=0.0,
        length_of_stay={"dist": "fixed", "mean": 10.0},
    )
    _, d, m = run_fixed(sc, [], [], [])
    assert d["detained"][9:] == [0, 0, 0]
    assert sum(d["releases"]) == 500
    assert m["length_of_stay_days"] == pytest.approx(10.0)
    assert all(a >= b for a, b in zip(d["detained"], d["detained"][1:], strict=False))
