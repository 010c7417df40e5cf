"""A travel-document wait that follows a stay has no heap event of its own: the stay and the
wait are one heap entry, and the wait is accounted for when the entry is pushed
(engine/events.py, schedule_document_wait). Exact cases worked out by hand: the wait's
end-of-day counts, its integrals by day and the document flows are the same whether the wait
follows a stay (one heap entry) or a hearing (a heap entry of its own), in validation mode
(the kernel checks that document waits begun = ended + waiting at every day boundary).
"""

from __future__ import annotations

import numpy as np
import pytest

from builders import FIXED1, exact_scenario, simulate_fixed
from enforcesim.engine import events as ev
from enforcesim.engine.invariants import QUEUE_FLOWS
from enforcesim.engine.structures import CASE_DAY_RECORD, CASE_TOTALS_RECORD
from enforcesim.results import case_metrics

DAYS = 4
T_START = -2  # two days of warm-up: boundaries -1, 0, 1, 2, 3, 4


def schedule(s, e):
    """Schedule one wait, then add up the boundaries as the loop does: (totals, the days'
    records, people waiting at each boundary, waits begun by the last one)."""
    tot = np.zeros(1, dtype=CASE_TOTALS_RECORD)
    day = np.zeros(DAYS + 1, dtype=CASE_DAY_RECORD)
    sched = np.zeros((DAYS - T_START + 1, 4), dtype=np.float64)
    flows = np.zeros(1, dtype=QUEUE_FLOWS)
    ev.schedule_document_wait(sched, s, e, T_START, DAYS)
    waiting, whole, by_boundary = 0, 0.0, []
    for b in range(T_START + 1, DAYS + 1):
        waiting, whole = ev.end_of_day_documents(
            tot[0], day[b - 1], flows[0], sched, b - T_START, waiting, whole, b
        )
        by_boundary.append(waiting)
    return tot[0], day, by_boundary, flows[0]["documents_in"]


@pytest.mark.parametrize(
    "s, e, waiting, by_day",
    [
        # waiting at boundary b when s < b <= e (the stock is taken before events at b)
        (0.5, 2.25, [0, 0, 1, 1, 0, 0], [0.5, 1.0, 0.25, 0.0]),
        (1.0, 3.0, [0, 0, 0, 1, 1, 0], [0.0, 1.0, 1.0, 0.0]),  # begins and ends on boundaries
        (-1.5, 0.5, [1, 1, 0, 0, 0, 0], [0.5, 0.0, 0.0, 0.0]),  # begun in warm-up
        (3.5, 6.0, [0, 0, 0, 0, 0, 1], [0.0, 0.0, 0.0, 0.5]),  # ends after the horizon
        (0.2, 0.7, [0, 0, 0, 0, 0, 0], [0.5, 0.0, 0.0, 0.0]),  # within one day
        (-1.0, 9.0, [0, 1, 1, 1, 1, 1], [1.0, 1.0, 1.0, 1.0]),  # covers the whole horizon
        (0.75, 3.5, [0, 0, 1, 1, 1, 0], [0.25, 1.0, 1.0, 0.5]),  # two whole days
    ],
)
def test_a_scheduled_wait_counts_at_its_boundaries_and_integrates_by_day(s, e, waiting, by_day):
    tot, day, by_boundary, begun = schedule(s, e)
    assert by_boundary == waiting
    assert begun == (1 if s < DAYS else 0)
    np.testing.assert_allclose(day["document_wait_days"][:DAYS], by_day, rtol=0, atol=1e-12)
    assert day["document_wait_days"][DAYS] == 0.0  # the spare row is never written
    assert tot["area_docs"] == pytest.approx(sum(by_day), abs=1e-12)


def two_routes_scenario(delay):
    """A removal order after a 1-day stay ("direct": the stay and the wait one heap entry) or
    after a 1-day hearing ("judged": the wait its own heap entry); the document takes `delay`
    days; no transport, so the person leaves when the document is ready."""
    return exact_scenario(
        name="document-waits",
        pathways={
            "direct": {"stay": FIXED1, "outcome": "removal"},
            "judged": {"court": True, "outcome": "removal"},
        },
        pathway_shares={"default": {"direct": 0.5, "judged": 0.5}},
        courts={
            "judges": 1,
            "completions_per_judge_per_day": 2.0,
            "detained_docket_share": 0.5,
            "completion_time": "fixed",
        },
        travel_documents={
            "groups": {"slow": {"share": 1.0, "delay": {"dist": "fixed", "mean": delay}}}
        },
    )


@pytest.mark.parametrize("route, stay", [(0, 1.0), (1, 0.0)])
@pytest.mark.parametrize(
    "arrival, delay, waiting, by_day, removals",
    [
        # decided at 1.2, document ready at 2.7
        (0.2, 1.5, [0, 1, 0, 0, 0, 0], [0.0, 0.8, 0.7, 0, 0, 0], [0, 0, 1, 0, 0, 0]),
        # decided at 1.0, ready at 2.0: waiting at boundary 2, not at 1; leaves on day 2
        (0.0, 1.0, [0, 1, 0, 0, 0, 0], [0.0, 1.0, 0.0, 0, 0, 0], [0, 0, 1, 0, 0, 0]),
    ],
)
def test_a_wait_after_a_stay_counts_as_one_after_a_hearing(
    route, stay, arrival, delay, waiting, by_day, removals
):
    out = simulate_fixed(two_routes_scenario(delay), [arrival], [stay], pathways=[route])
    assert out.daily_cases.waiting_for_documents.tolist() == waiting
    np.testing.assert_allclose(
        out.daily_case_volumes.document_wait_days, by_day, rtol=0, atol=1e-12
    )
    assert out.daily.removals.tolist() == removals
    m = case_metrics(out)
    assert m["wait_for_documents_days"] == pytest.approx(delay)
    assert m["waiting_for_documents"] == pytest.approx(delay / 6)
    assert out.acc.sum_los == pytest.approx(1.0 + delay)
