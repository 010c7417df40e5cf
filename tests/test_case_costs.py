"""The case side connected to costs and bottlenecks: exact small cases for each volume
(court, docket and document-wait days, ATD days, escorted trips, flight-hours, bus trips) and
its cost; the judges, documents and seats (removal modes) constraints, their daily flags and
relaxations; and a two-constraint closed form with judges and seats.

Closed form (judges and seats both cap removals). Book-ins arrive at lam = 100 a day
(Poisson), all on a court pathway with no stay before the docket and outcome removal, no
travel documents, unlimited beds. J = 60 judges each take exactly 1 day per case, so judges
complete at most 60 a day; one removal mode has 80 one-seat departures a day, so seats remove
at most 80. After a 30-day warm-up the docket and, where seats bind, the seat queue never
empty, so

    v(none) = min(60, 80) = 60         v(judges relaxed) = min(lam, 80) = 80
    v(seats relaxed) = 60              v(both relaxed) = lam = 100

(up to departures less than 1/80 day after a completion at the horizon's edges), and the
Shapley values of the shortfall 40 are phi_judges = ((80 - 60) + (100 - 60)) / 2 = 30 and
phi_seats = ((60 - 60) + (100 - 80)) / 2 = 10. Only v(both relaxed) is noisy: removals over
T = 1,000 days are the Poisson arrivals, sd sqrt(lam T) / T = 0.32 a day, half of it in each
phi (0.16); seed 11, one replicate, tolerance 0.75 a day (over 4 sd).
"""

from __future__ import annotations

import numpy as np
import pytest

import enforcesim
from builders import (
    FIXED1,
    REMOVAL_MODES,
    exact_scenario,
    removal_modes_scenario,
    simulate_fixed,
    travel_documents_scenario,
)
from enforcesim import parse_scenario
from enforcesim.bottlenecks import relaxed
from enforcesim.constraints import binding_flags, reported
from enforcesim.costs import replicate_costs, volumes
from enforcesim.scenario import ATD_DAYS_IN_PROGRAM
from enforcesim.stages.cases import UNLIMITED_JUDGES
from enforcesim.stages.transport import UNLIMITED_SEATS


def scenario(days=6, beds="unlimited", costs=None, **sections):
    return exact_scenario(name="case-costs", days=days, beds=beds, costs=costs or {}, **sections)


def run_fixed(sc, arrivals, stays, pathways):
    return simulate_fixed(sc, arrivals, stays, pathways=pathways)


def court_scenario(**costs):
    # One judge taking exactly 0.5 days per case (2 a day x share 1, fixed).
    return scenario(
        pathways={"court": {"court": True, "outcome": "release"}},
        pathway_shares={"default": {"court": 1.0}},
        courts={
            "judges": 1,
            "completions_per_judge_per_day": 2.0,
            "detained_docket_share": 1.0,
            "completion_time": "fixed",
        },
        costs=costs,
    )


def test_court_and_docket_days_and_the_judges_flag():
    # A joins the docket at 0.25 and is heard 0.25-0.75; B joins at 0.5, waits to 0.75 and is
    # heard 0.75-1.25. Before a judge: 0.5 + 0.25 on day 0, 0.25 on day 1; on the docket:
    # 0.25 on day 0 (the only time every judge is busy with someone waiting).
    sc = court_scenario(per_court_day=1000.0)
    out = run_fixed(sc, [0.25, 0.5], [0.0, 0.0], [0, 0])
    v = volumes(out)
    assert v["court_days"].tolist() == [0.75, 0.25, 0, 0, 0, 0]
    assert v["docket_days"].tolist() == [0.25, 0, 0, 0, 0, 0]
    assert replicate_costs(out)["by_component"]["court_days"] == 1000.0
    assert binding_flags(out)["judges"].tolist() == [True] + [False] * 5
    assert "judges" in reported(sc) and "documents" not in reported(sc)


def docs_scenario(uncooperative):
    return travel_documents_scenario(4.0, uncooperative, costs={})


@pytest.mark.parametrize(
    "uncooperative, expected",
    [
        (False, [0, 0.5, 0, 0, 0, 0]),  # order at 1.2, document at 1.7
        (True, [0, 0.8, 1.0, 0.2, 0, 0]),  # 0.5 x 4 = 2 days: 1.2-3.2
    ],
)
def test_document_wait_days_and_the_documents_flag(uncooperative, expected):
    sc = docs_scenario(uncooperative)
    out = run_fixed(sc, [0.2], [1.0], [0])
    np.testing.assert_allclose(volumes(out)["document_wait_days"], expected, atol=1e-12)
    assert binding_flags(out)["documents"].tolist() == [x > 0 for x in expected]
    # relaxed: no delay, the order leaves at once (no transport) on day 1
    r = relaxed(sc, frozenset({"documents"}))
    assert all(g.delay is None for g in r.travel_documents.groups.values())
    out = run_fixed(r, [0.2], [1.0], [0])
    assert out.daily.removals.tolist() == [0, 1, 0, 0, 0, 0]
    assert not binding_flags(out)["documents"].any()


def test_atd_days_are_diversions_times_days_in_program():
    sc = scenario(
        pathways={
            "atd": {"diversion": True, "days_in_program": 100.0},
            "atd_default": {"diversion": True},
        },
        pathway_shares={"default": {"atd": 0.5, "atd_default": 0.5}},
        costs={"per_atd_day": 4.2},
    )
    out = run_fixed(sc, [0.1, 0.7, 2.5], [0.0] * 3, [0, 0, 1])
    v = volumes(out)["atd_days"]
    np.testing.assert_allclose(v, [200.0, 0, ATD_DAYS_IN_PROGRAM, 0, 0, 0])
    assert ATD_DAYS_IN_PROGRAM == 589.1
    assert replicate_costs(out)["by_component"]["atd_days"] == pytest.approx(4.2 * (200 + 589.1))


def test_days_in_program_only_on_a_diversion():
    with pytest.raises(enforcesim.ScenarioError, match="days_in_program"):
        scenario(
            pathways={"bond": {"stay": FIXED1, "outcome": "release", "days_in_program": 10.0}},
            pathway_shares={"default": {"bond": 1.0}},
        )


# builders.REMOVAL_MODES with the bus priced by the trip (kind "bus") rather than by the hour
MODES = {**REMOVAL_MODES, "bus": {**REMOVAL_MODES["bus"], "kind": "bus"}}
MODE_COSTS = {"per_flight_hour": 8600.0, "per_bus_trip": 2000.0, "per_escorted_trip": 300.0}


def modes_scenario(near_share, modes=MODES):
    # As in test_cases_exact: "near" (no document) rides the bus, 1 one-seat departure a day;
    # "far" (document in 0.25 days) the charter, departures at t = 0, 2, 4.
    return removal_modes_scenario(near_share, modes, costs=MODE_COSTS)


def test_bus_trips_flight_hours_and_escorted_departures():
    # Bus: orders at 0.6, 0.7, 0.8; one seat at t = 1, 2, 3 -> three bus trips.
    out = run_fixed(modes_scenario(1.0), [0.1, 0.2, 0.3], [0.5] * 3, [0] * 3)
    v = volumes(out)
    assert v["bus_trips"].tolist() == [0, 1, 1, 1, 0, 0]
    assert v["flight_hours"].sum() == 0 and v["flight_departures"].sum() == 0
    assert v["escorted_trips"].tolist() == [0, 1, 1, 1, 0, 0]
    c = replicate_costs(out)["by_component"]
    assert c["bus_trips"] == 6000.0 and c["escorted_trips"] == 900.0 and c["flight_hours"] == 0
    # seats bind on days 1 and 2: a full bus leaves with someone still waiting
    assert binding_flags(out)["seats"].tolist() == [False, True, True, False, False, False]
    # Charter: documents at 0.85, 0.95, 1.05; the t = 2 charter takes all three (6 hours);
    # the empty charters at t = 0 and 4 fly no hours.
    out = run_fixed(modes_scenario(0.0), [0.1, 0.2, 0.3], [0.5] * 3, [0] * 3)
    v = volumes(out)
    assert v["flight_hours"].tolist() == [0, 0, 6.0, 0, 0, 0]
    assert v["flight_departures"].tolist() == [0, 0, 1, 0, 0, 0]
    assert v["bus_trips"].sum() == 0 and v["escorted_trips"].tolist() == [0, 0, 1, 0, 0, 0]
    c = replicate_costs(out)["by_component"]
    assert c["flight_hours"] == 6 * 8600.0 and c["escorted_trips"] == 300.0


def test_departures_without_officers_are_not_escorted_trips():
    modes = {name: {**m, "officers_per_departure": 0.0} for name, m in MODES.items()}
    out = run_fixed(modes_scenario(1.0, modes), [0.1, 0.2, 0.3], [0.5] * 3, [0] * 3)
    v = volumes(out)
    assert v["bus_trips"].sum() == 3 and v["escorted_trips"].sum() == 0


def test_seats_relaxed_on_every_mode():
    sc = modes_scenario(1.0)
    r = relaxed(sc, frozenset({"seats"}))
    assert {m.seats_per_departure for m in r.transport.modes.values()} == {UNLIMITED_SEATS}
    out = run_fixed(r, [0.1, 0.2, 0.3], [0.5] * 3, [0] * 3)
    assert out.daily.removals.tolist() == [0, 3, 0, 0, 0, 0]  # one bus takes all three
    assert volumes(out)["bus_trips"].tolist() == [0, 1, 0, 0, 0, 0]
    assert not binding_flags(out)["seats"].any()


def test_intake_and_transfer_trips():
    # Intake: 2 persons per trip, so half a trip per admission; every admission is moved by
    # road, 10 persons per trip: a tenth of a trip. One bed: the second book-in is admitted
    # at 1.1 (day 1).
    sc = scenario(
        beds=1,
        pathways={"bond": {"stay": FIXED1, "outcome": "release"}},
        pathway_shares={"default": {"bond": 1.0}},
        transport={
            "intake": {"persons_per_trip": 2.0},
            "transfers": {"share": 1.0, "air_share": 0.0},
        },
        costs={"per_escorted_trip": 100.0},
    )
    out = run_fixed(sc, [0.1, 0.2], [1.0, 1.0], [0, 0])
    v = volumes(out)
    np.testing.assert_allclose(v["escorted_trips_intake"], [0.5, 0.5, 0, 0, 0, 0])
    np.testing.assert_allclose(v["escorted_trips_transfers"], [0.1, 0.1, 0, 0, 0, 0])
    np.testing.assert_allclose(v["escorted_trips"], [0.6, 0.6, 0, 0, 0, 0])
    assert replicate_costs(out)["by_component"]["escorted_trips"] == pytest.approx(120.0)
    # no judges or document delays here: those flags are not reported
    assert reported(sc) == ["beds", "seats"]


def test_daily_cases_table_has_the_volumes():
    res = enforcesim.run(
        {
            "scenario": {"name": "t", "days": 20, "seed": 2},
            "book_ins": {"rate_per_day": 20.0},
            "detention": {"beds": "unlimited", "when_full": "wait", "length_of_stay": FIXED1},
            "pathways": {
                "court": {"court": True, "outcome": "release"},
                "atd": {"diversion": True},
            },
            "pathway_shares": {"default": {"court": 0.5, "atd": 0.5}},
            "courts": {"judges": 2},
        },
        workers=1,
    )
    d = res.daily_cases()
    m = res.replicate_metrics().iloc[0]
    assert d["court_days"].sum() / 20 == pytest.approx(m["in_court"])
    assert d["docket_days"].sum() / 20 == pytest.approx(m["court_queue"])
    assert d["atd_days"].sum() == pytest.approx(d["diverted"].sum() * 589.1)
    assert "binding_judges" in res.daily() and "binding_documents" not in res.daily()


LAM, JUDGES, DEPS = 100.0, 60, 80.0


def judges_seats_scenario(days=1000):
    return {
        "scenario": {"name": "judges-seats", "days": days, "warmup_days": 30, "seed": 11},
        "book_ins": {"rate_per_day": LAM},
        "detention": {"beds": "unlimited", "when_full": "wait", "length_of_stay": FIXED1},
        "pathways": {"court": {"court": True, "outcome": "removal"}},
        "pathway_shares": {"default": {"court": 1.0}},
        "courts": {
            "judges": JUDGES,
            "completions_per_judge_per_day": 1.0,
            "detained_docket_share": 1.0,
            "completion_time": "fixed",
        },
        "transport": {"modes": {"charter": {"departures_per_day": DEPS, "seats_per_departure": 1}}},
        "targets": {"removals_per_day": LAM},
        "bottlenecks": {"targets": ["removals_per_day"]},
    }


def test_relaxing_judges():
    raw = judges_seats_scenario()
    raw["courts"]["judges_schedule"] = [{"day": 5, "judges": 10}]
    r = relaxed(parse_scenario(raw), frozenset({"judges"}))
    assert r.courts.judges == UNLIMITED_JUDGES
    assert [s.judges for s in r.courts.judges_schedule] == [UNLIMITED_JUDGES]


def test_judges_and_seats_shortfall_split_matches_the_closed_form():
    res = enforcesim.run(judges_seats_scenario(), workers=1)
    b = res.bottlenecks
    assert b["constraints"] == ["seats", "judges"] and b["runs"] == 4
    t = b["targets"]["removals_per_day"]
    sub = t["subsets"]
    assert sub["none"] == pytest.approx(JUDGES, abs=0.01)
    assert sub["seats"] == pytest.approx(JUDGES, abs=0.01)
    assert sub["judges"] == pytest.approx(DEPS, abs=0.01)
    assert sub["judges+seats"] == pytest.approx(LAM, abs=1.5)
    assert t["shapley"]["judges"]["mean"] == pytest.approx(30.0, abs=0.75)
    assert t["shapley"]["seats"]["mean"] == pytest.approx(10.0, abs=0.75)
    total = t["shapley"]["judges"]["mean"] + t["shapley"]["seats"]["mean"]
    assert total == pytest.approx(t["shortfall_from_constraints"]["mean"], rel=1e-12)
    d = res.daily()
    assert d["binding_judges"].all()  # the docket grows by 40 a day: never empty
    assert b["binding_day_share"]["judges"]["mean"] == 1.0
