"""Validation mode's queue balances (engine/invariants.py): the judges' docket, hearings,
travel-document waits and seat queues balance their flows at every day boundary in runs
that exercise them; each check reports its own code when given a broken state; and the
stop flag ends a run early."""

from __future__ import annotations

import dataclasses
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import enforcesim
from enforcesim.engine import invariants as inv
from enforcesim.engine.runner import InvariantError, simulate_replicate
from enforcesim.engine.structures import CASE_DAY_RECORD, DAY_RECORD

BASELINE = Path(__file__).parent / "baseline" / "scenarios"
EXAMPLES = Path(__file__).parents[1] / "scenarios" / "examples"


def baseline_scenario(name: str, replicates: int = 2) -> dict:
    raw = tomllib.loads((BASELINE / f"{name}.toml").read_text())
    raw["scenario"]["replicates"] = replicates
    raw.pop("uncertainty", None)
    return raw


def test_case_side_run_balances_docket_documents_and_seat_queues():
    res = enforcesim.run(baseline_scenario("case-side"), validate=True, workers=1)
    x = res.daily_cases()
    # The checks only mean something if every queue was in use.
    assert x["court_queue"].max() > 0
    assert x["in_court"].max() > 0
    assert x["waiting_for_documents"].max() > 0
    assert sum(res.mode_summary()[m]["seated_per_day"]["mean"] for m in res.mode_summary()) > 0


def test_scheduled_departures_balance_their_seat_queue():
    raw = {
        "scenario": {"name": "seats", "days": 40, "warmup_days": 10, "seed": 3, "replicates": 2},
        "book_ins": {"rate_per_day": 60.0},
        "detention": {
            "beds": 400,
            "when_full": "wait",
            "length_of_stay": {"dist": "exponential", "mean": 5.0},
            "removal_share": 0.9,
        },
        "transport": {"departures_per_day": 1.0, "seats_per_departure": 30},
    }
    res = enforcesim.run(raw, validate=True, workers=1)
    assert res.summary().loc["wait_for_transport_days", "mean"] > 0.5  # people did queue


def flows(docket=(7, 5), hearings_out=3, documents=(4, 1), seats=((9, 6), (2, 2))):
    """Queue counts: docket 7 in, 5 taken (2 waiting), 3 hearings ended (2 in court),
    4 document waits begun, 1 ended (3 waiting); seat queues: 9 queued, 6 seated (3
    waiting) for one mode, 2 and 2 for the other."""
    q, s = inv.new_queue_flows(2)
    q[0] = (docket[0], docket[1], hearings_out, documents[0], documents[1])
    s["queued"] = [seats[0][0], seats[1][0]]
    s["seated"] = [seats[0][1], seats[1][1]]
    return q[0], s


BALANCED = dict(docket_waiting=2, in_court=2, documents_waiting=3, seat_waiting=np.array([3, 0]))


def balance(**broken):
    state = {**BALANCED, **broken}
    q, s = flows()
    return inv.queue_balance_error(
        q,
        s,
        state["docket_waiting"],
        state["in_court"],
        state["documents_waiting"],
        state["seat_waiting"],
    )


def test_balanced_queues_pass():
    assert balance() == inv.OK


@pytest.mark.parametrize(
    "broken, code",
    [
        (dict(docket_waiting=1), inv.ERR_DOCKET_BALANCE),  # a case lost from the docket
        (dict(in_court=3), inv.ERR_HEARING_BALANCE),  # a hearing counted twice
        (dict(documents_waiting=2), inv.ERR_DOCUMENT_BALANCE),  # a document wait lost
        (dict(seat_waiting=np.array([3, 1])), inv.ERR_SEAT_BALANCE),  # a seat queue grew
    ],
)
def test_each_queue_balance_fails_on_a_broken_state(broken, code):
    assert balance(**broken) == code


def test_bed_balances_fail_on_a_broken_state():
    day = np.zeros(1, dtype=DAY_RECORD)
    cases = np.zeros(1, dtype=CASE_DAY_RECORD)
    day["admitted"] = 3
    day["book_ins"] = 3
    assert inv.bed_balance_error(10, 13, 0, 0, day[0], cases[0]) == inv.OK
    assert inv.bed_balance_error(10, 12, 0, 0, day[0], cases[0]) == inv.ERR_DETAINED_BALANCE
    assert inv.bed_balance_error(10, 13, 0, 1, day[0], cases[0]) == inv.ERR_QUEUE_BALANCE


def test_invariant_error_names_the_broken_law():
    err = InvariantError(inv.ERR_DOCKET_BALANCE, 4)
    assert err.code == "docket-balance"
    assert "replicate 4" in str(err) and "[docket-balance]" in str(err)
    assert {inv.ERRORS[c][0] for c in inv.ERRORS} >= {
        "docket-balance",
        "hearing-balance",
        "document-balance",
        "seat-balance",
    }


@pytest.mark.parametrize(
    "name, example",
    [
        ("case-side", None),  # docket, hearings, documents, one seat row per removal mode
        ("wait-schedules", None),  # holding queue, the contract's seat queue
        (None, "case-side"),  # diversions and exits that are not removals
    ],
)
def test_results_do_not_depend_on_the_containers_initial_size(name, example):
    """Every people container (heap, holding queue, docket, seat queues) starting with 2
    entries, so that each grows or is compacted many times, gives the same output arrays,
    bit for bit, as the default 1,024, with every conservation law checked at every day
    boundary. Two threads run at once, as in `enforcesim run --workers 2`. This caught a
    record of the queue flows that outlived its array (Numba frees an array after its last
    use): the docket's balance then read whatever the next allocation wrote there."""
    if name is not None:
        raw = baseline_scenario(name)
    else:
        raw = tomllib.loads((EXAMPLES / f"{example}.toml").read_text())
        raw["scenario"].update(days=60, warmup_days=20, replicates=2)
        raw["detention"].update(when_full="release", beds=40000)
    sc = enforcesim.parse_scenario(raw)
    with ThreadPoolExecutor(2) as pool:
        small = list(pool.map(lambda r: simulate_replicate(sc, r, True, None, None, 2), (0, 1)))
    default = [simulate_replicate(sc, r, validate=True) for r in (0, 1)]
    for a, b in zip(small, default, strict=True):
        assert_same(a, b, "output")


def assert_same(x, y, where: str) -> None:
    """x and y equal, arrays bit for bit, through dataclasses and named tuples."""
    if dataclasses.is_dataclass(x):
        for f in dataclasses.fields(x):
            assert_same(getattr(x, f.name), getattr(y, f.name), f"{where}.{f.name}")
    elif isinstance(x, tuple) and hasattr(x, "_fields"):
        for name in x._fields:
            assert_same(getattr(x, name), getattr(y, name), f"{where}.{name}")
    elif isinstance(x, np.ndarray):
        np.testing.assert_array_equal(x, y, err_msg=where)
    else:
        assert x == y, where
