"""The case and transport side, exact small cases: a few people at known times with known
pathways, every count, time and officer-hour worked out by hand.

Known book-ins go in through `simulate_replicate(..., fixed=(times, stays, decisions,
classes, pathways))`; stays are then the pathways' stays (for a court pathway, the time
before the docket). Validation mode is on, so the kernel also checks that the stocks
balance their flows with diversions and exits that are not removals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import enforcesim
from builders import (
    DOCS,
    FIXED1,
    REMOVAL_MODES,
    code_blocks,
    daily_columns,
    exact_scenario,
    removal_modes_scenario,
    simulate_fixed,
    travel_documents_scenario,
)
from enforcesim.results import (
    case_metrics,
    mode_metrics,
    pathway_metrics,
    replicate_metrics,
)


def scenario(days=6, beds="unlimited", **sections):
    return exact_scenario(name="cases-exact", days=days, beds=beds, **sections)


def run_fixed(sc, arrivals, stays, pathways):
    out = simulate_fixed(sc, arrivals, stays, pathways=pathways)
    return out, daily_columns(out), {**replicate_metrics(out), **case_metrics(out)}


PATHWAYS = {
    "removal": {"stay": FIXED1, "outcome": "removal"},
    "voluntary": {"stay": FIXED1, "outcome": "voluntary_departure"},
    "bond": {"stay": FIXED1, "outcome": "release"},
    "atd": {"diversion": True},
    "returned": {"stay": FIXED1, "outcome": "removal", "counts_as_removal": False},
}
SHARES = {"default": {"removal": 1.0}}


def test_outcomes_removal_voluntary_release_diversion_and_uncounted_return():
    # Five book-ins on day 0, one per pathway (in the order of PATHWAYS), stays 1.4 days.
    sc = scenario(pathways=PATHWAYS, pathway_shares=SHARES)
    out, d, m = run_fixed(sc, [0.1, 0.2, 0.3, 0.4, 0.5], [1.4] * 5, [0, 1, 2, 3, 4])
    assert d["book_ins"] == [5, 0, 0, 0, 0, 0]
    assert d["admitted"] == [4, 0, 0, 0, 0, 0]  # the ATD diversion takes no bed
    assert d["waiting_for_bed"] == [0] * 6
    assert d["removals"] == [0, 1, 0, 0, 0, 0]  # only the counted removal order
    assert d["releases"] == [0, 1, 0, 0, 0, 0]  # bond
    assert d["detained"] == [4, 0, 0, 0, 0, 0]
    x = out.daily_cases
    assert x.diverted.tolist() == [1, 0, 0, 0, 0, 0]
    assert x.voluntary_departures.tolist() == [0, 1, 0, 0, 0, 0]
    assert x.departures_not_removals.tolist() == [0, 2, 0, 0, 0, 0]  # voluntary + returned
    assert m["removals_per_day"] == pytest.approx(1 / 6)
    assert m["voluntary_departures_per_day"] == pytest.approx(1 / 6)
    assert m["departures_not_removals_per_day"] == pytest.approx(2 / 6)
    assert m["atd_diversions_per_day"] == pytest.approx(1 / 6)
    assert m["length_of_stay_days"] == pytest.approx(1.4)
    p = pathway_metrics(out)
    assert p["atd"] == {
        "book_ins_per_day": 1 / 6,
        "exits_per_day": 0.0,
        "length_of_stay_days": pytest.approx(float("nan"), nan_ok=True),
    }
    assert p["removal"]["exits_per_day"] == pytest.approx(1 / 6)


def test_court_docket_one_judge_first_come_first_served_with_a_judge_schedule():
    # 1 judge from day 0, 2 judges from day 3; a judge takes exactly 1 day per case
    # (completions 2/day x share 0.5, fixed). Court cases arrive at 0.1, 0.2, 0.3 (no stay
    # before the docket) and one at 3.5.
    #   A 0.1-1.1, B waits 0.9 then 1.1-2.1, C waits 1.8 then 2.1-3.1; D: 3.5-4.5, no wait.
    sc = scenario(
        pathways={"court": {"court": True, "outcome": "removal"}},
        pathway_shares={"default": {"court": 1.0}},
        courts={
            "judges": 1,
            "completions_per_judge_per_day": 2.0,
            "detained_docket_share": 0.5,
            "completion_time": "fixed",
            "judges_schedule": [{"day": 3, "judges": 2}],
        },
    )
    out, d, m = run_fixed(sc, [0.1, 0.2, 0.3, 3.5], [0.0] * 4, [0] * 4)
    assert d["removals"] == [0, 1, 1, 1, 1, 0]
    assert d["detained"] == [3, 2, 1, 1, 0, 0]
    x = out.daily_cases
    assert x.court_completions.tolist() == [0, 1, 1, 1, 1, 0]
    assert x.court_queue.tolist() == [2, 1, 0, 0, 0, 0]  # end-of-day states
    assert x.in_court.tolist() == [1, 1, 1, 1, 0, 0]
    assert x.judges.tolist() == [1, 1, 1, 2, 2, 2]
    assert m["court_wait_days"] == pytest.approx((0 + 0.9 + 1.8 + 0) / 4)
    # queue: 1 on [0.2, 0.3), 2 on [0.3, 1.1), 1 on [1.1, 2.1)
    assert m["court_queue"] == pytest.approx((0.1 + 2 * 0.8 + 1.0) / 6)
    assert m["in_court"] == pytest.approx(4.0 / 6)
    assert m["judges"] == pytest.approx((3 * 1 + 3 * 2) / 6)
    assert m["length_of_stay_days"] == pytest.approx((1.0 + 1.9 + 2.8 + 1.0) / 4)


def test_court_stay_comes_before_the_docket_and_no_judges_means_waiting():
    # 0 judges until day 2: a case with 0.5 days before the docket (admitted 0.25) joins it
    # at 0.75, waits until 2.0, is heard 2.0-3.0 and released.
    sc = scenario(
        pathways={
            "court": {"court": True, "outcome": "release", "stay": {"dist": "fixed", "mean": 0.5}}
        },
        pathway_shares={"default": {"court": 1.0}},
        courts={
            "judges": 0,
            "completions_per_judge_per_day": 1.0,
            "detained_docket_share": 1.0,
            "completion_time": "fixed",
            "judges_schedule": [{"day": 2, "judges": 1}],
        },
    )
    _, d, m = run_fixed(sc, [0.25], [0.5], [0])
    assert d["releases"] == [0, 0, 0, 1, 0, 0]
    assert m["court_wait_days"] == pytest.approx(1.25)
    assert m["length_of_stay_days"] == pytest.approx(2.75)


@pytest.mark.parametrize("uncooperative, delay", [(False, 0.5), (True, 1.5)])
def test_travel_document_delay_keeps_the_bed(uncooperative, delay):
    # Stay 1 day from 0.2, then the document takes 0.5 days (x 3 if uncooperative); no
    # transport, so the person leaves when the document is ready.
    out, d, m = run_fixed(travel_documents_scenario(3.0, uncooperative), [0.2], [1.0], [0])
    left = 0.2 + 1.0 + delay
    assert d["removals"] == [int(day <= left < day + 1) for day in range(6)]
    assert m["length_of_stay_days"] == pytest.approx(1.0 + delay)
    assert m["wait_for_documents_days"] == pytest.approx(delay)
    assert m["waiting_for_documents"] == pytest.approx(delay / 6)
    assert out.daily_cases.waiting_for_documents[1] == (1 if left > 2.0 else 0)


def test_removal_modes_seats_groups_and_officer_hours():
    # The modes of builders.REMOVAL_MODES: group "near" (no document) rides the bus, 1
    # departure a day with 1 seat, 10 hours, 2 officers; group "far" (document in 0.25 days)
    # takes the charter, 0.5 departures a day (t = 0, 2, 4), 100 seats, 6 hours, 3 officers.
    # The group is drawn per removal order, so the shares are 1 and 0 in two runs.
    def run(near_share):
        sc = removal_modes_scenario(near_share, REMOVAL_MODES)
        return run_fixed(sc, [0.1, 0.2, 0.3], [0.5, 0.5, 0.5], [0, 0, 0])

    # Bus: orders at 0.6, 0.7, 0.8; one seat a day at t = 1, 2, 3.
    out, d, m = run(1.0)
    assert d["removals"] == [0, 1, 1, 1, 0, 0]
    assert m["wait_for_transport_days"] == pytest.approx((0.4 + 1.3 + 2.2) / 3)
    bus, charter = mode_metrics(out)["bus"], mode_metrics(out)["charter"]
    assert bus["departures_per_day"] == 1.0 and bus["departures_used_per_day"] == 0.5
    assert bus["seated_per_day"] == 0.5 and bus["seat_use_share"] == 0.5
    assert charter["departures_per_day"] == 0.5 and charter["departures_used_per_day"] == 0
    assert out.officer_hours.escort_transport.tolist() == [0, 20, 20, 20, 0, 0]
    assert m["officer_hours_escort_per_day"] == pytest.approx(60 / 6)
    assert bus["hours_per_day"] == pytest.approx(30 / 6)
    # Charter: documents ready at 0.85, 0.95, 1.05; all three leave at t = 2.
    out, d, m = run(0.0)
    assert d["removals"] == [0, 0, 3, 0, 0, 0]
    assert d["detained"] == [3, 3, 0, 0, 0, 0]
    assert m["wait_for_documents_days"] == pytest.approx(0.25)
    assert m["wait_for_transport_days"] == pytest.approx((1.15 + 1.05 + 0.95) / 3)
    assert out.officer_hours.escort_transport.tolist() == [0, 0, 18, 0, 0, 0]
    assert mode_metrics(out)["charter"]["removals_per_day"] == pytest.approx(3 / 6)


def test_intake_escort_and_transfers_are_charged_per_admission():
    # Intake: 2 officers x 3 hours / 1.5 persons = 4 officer-hours per admission. Every
    # admission is transferred by road: 2 x 6 / 10 = 1.2 more. One bed: the second book-in
    # waits until 1.1 and is charged on day 1, when it is admitted.
    sc = scenario(
        beds=1,
        pathways={"bond": {"stay": FIXED1, "outcome": "release"}},
        pathway_shares={"default": {"bond": 1.0}},
        transport={
            "intake": {"officers_per_trip": 2.0, "hours_per_trip": 3.0, "persons_per_trip": 1.5},
            "transfers": {"share": 1.0, "air_share": 0.0},
        },
    )
    out, d, m = run_fixed(sc, [0.1, 0.2], [1.0, 1.0], [0, 0])
    assert d["admitted"] == [1, 1, 0, 0, 0, 0]
    np.testing.assert_allclose(out.officer_hours.escort_transport, [5.2, 5.2, 0, 0, 0, 0])
    assert out.officer_hours.arrests.sum() == 0
    assert out.daily_cases.transfers.tolist() == [1, 1, 0, 0, 0, 0]
    assert m["transfers_per_day"] == pytest.approx(2 / 6)


def v1_scenario():
    return {
        "scenario": {"name": "v1", "days": 60, "warmup_days": 10, "seed": 4, "replicates": 3},
        "book_ins": {"rate_per_day": 40.0},
        "detention": {
            "beds": 300,
            "when_full": "wait",
            "removal_share": 0.7,
            "length_of_stay": {"dist": "lognormal", "mean": 6.0, "sd": 4.0},
            "initial_detained": 150,
        },
        "transport": {"departures_per_day": 2.0, "seats_per_departure": 12},
    }


def test_case_side_without_pathways_follows_the_v1_rules_exactly():
    # An intake escort turns the case side on; without [pathways] book-ins are decided by
    # removal_share with the v1 draws, and v1 departures become the mode "default": every
    # v1 metric and the daily table are identical, and escort hours are 2 x 3 per admission.
    v1 = enforcesim.run(v1_scenario(), workers=1)
    raw = v1_scenario()
    raw["transport"]["intake"] = {}
    ext = enforcesim.run(raw, workers=1, validate=True)
    pd.testing.assert_frame_equal(
        v1.replicate_metrics(), ext.replicate_metrics()[v1.replicate_metrics().columns]
    )
    # The all-in cost differs by design: the escorts' officer-hours are priced (docs/costs.md).
    d_v1, d_ext = v1.daily(), ext.daily()
    same = [c for c in d_v1.columns if c != "cost_all_in"]
    pd.testing.assert_frame_equal(d_v1[same], d_ext[same])
    assert (d_ext["cost_all_in"] > d_v1["cost_all_in"]).all()
    m = ext.replicate_metrics()
    np.testing.assert_allclose(m["officer_hours_escort_per_day"], m["admitted_per_day"] * 6.0)
    assert set(ext.summary_dict()["modes"]) == {"default"}
    assert "pathways" not in v1.summary_dict()
    assert list(v1.summary_dict()["metrics"]) == list(v1.replicate_metrics().columns)


def test_the_documentation_example_runs():
    """The TOML block of docs/cases-and-transport.md is a whole scenario that runs."""
    import tomllib

    blocks = code_blocks((DOCS / "cases-and-transport.md").read_text(), "toml")
    assert len(blocks) == 1
    res = enforcesim.run(tomllib.loads(blocks[0]), validate=True, workers=1)
    m = res.summary()["mean"]
    assert m["atd_diversions_per_day"] > 0 and m["court_completions_per_day"] > 0
    # intake 2 officers x 3 hours per admission; charters 2 officers x 5 hours when used
    used = res.mode_summary()["charter"]["departures_used_per_day"]["mean"]
    assert m["officer_hours_escort_per_day"] == pytest.approx(
        6.0 * m["admitted_per_day"] + 10.0 * used
    )
