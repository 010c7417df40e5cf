"""Conservation laws the kernel checks in validation mode (`Options.validate`), at every day
boundary: each stock equals what came in minus what went out.

- beds: detained today = detained yesterday + admitted - removals - releases - other exits;
- holding queue: waiting today = waiting yesterday + book-ins - turned away - admitted -
  diverted;
- the judges' docket: cases that joined = cases a judge took + cases waiting;
- hearings: cases a judge took = hearings ended + hearings under way;
- travel documents: waits begun = waits ended + people waiting;
- seat queues (each removal mode, or the contract's one schedule): people queued = people
  seated + people in the queue.

The queue counts (QUEUE_FLOWS, SEAT_FLOWS) are kept apart from the queues' own head and
tail indices, so that a lost or doubled entry shows up as a difference. A broken law is a
bug, never a user error: the runner raises `InvariantError` with the law's code.
"""

from __future__ import annotations

import numpy as np
from numba import njit

OK = 0
ERR_ADMIT_OVER_BEDS = 1
ERR_DETAINED_BALANCE = 2
ERR_QUEUE_BALANCE = 3
ERR_DOCKET_BALANCE = 4
ERR_HEARING_BALANCE = 5
ERR_DOCUMENT_BALANCE = 6
ERR_SEAT_BALANCE = 7

# code -> (name, what broke)
ERRORS = {
    ERR_ADMIT_OVER_BEDS: ("admit-over-beds", "an admission while detained >= beds"),
    ERR_DETAINED_BALANCE: ("detained-balance", "detained stock does not balance its flows"),
    ERR_QUEUE_BALANCE: ("queue-balance", "holding-queue stock does not balance its flows"),
    ERR_DOCKET_BALANCE: (
        "docket-balance",
        "cases that joined the judges' docket != cases taken by a judge + cases waiting",
    ),
    ERR_HEARING_BALANCE: (
        "hearing-balance",
        "cases taken by a judge != hearings ended + hearings under way",
    ),
    ERR_DOCUMENT_BALANCE: (
        "document-balance",
        "travel-document waits begun != waits ended + people waiting",
    ),
    ERR_SEAT_BALANCE: (
        "seat-balance",
        "people queued for a seat != people seated + people in the seat queue",
    ),
}


class InvariantError(RuntimeError):
    """Validation mode found a broken conservation law: a bug, never a user error."""

    def __init__(self, code: int, replicate: int) -> None:
        self.code = ERRORS[code][0]
        super().__init__(
            f"replicate {replicate}: invariant broken [{self.code}]: {ERRORS[code][1]}"
        )


# Cumulative counts of entries into and out of the case side's queues since the start of
# warm-up (one record), and of each seat queue (one row per removal mode, or one for the
# contract's schedule).
QUEUE_FLOWS = np.dtype(
    [
        ("docket_in", np.int64),
        ("docket_out", np.int64),  # = hearings begun
        ("hearings_out", np.int64),
        ("documents_in", np.int64),
        ("documents_out", np.int64),
    ]
)
SEAT_FLOWS = np.dtype([("queued", np.int64), ("seated", np.int64)])


@njit(cache=True, nogil=True)
def new_queue_flows(n_modes):
    """(QUEUE_FLOWS[1], SEAT_FLOWS[max(modes, 1)]), zeroed."""
    return np.zeros(1, dtype=QUEUE_FLOWS), np.zeros(max(n_modes, 1), dtype=SEAT_FLOWS)


@njit(cache=True, nogil=True)
def bed_balance_error(prev_detained, detained, prev_waiting, waiting, day, case_day):
    """The beds' and the holding queue's balance over one reported day (`day`: its
    DAY_RECORD, `case_day`: its CASE_DAY_RECORD)."""
    exits = day.removals + day.releases + case_day.departures_not_removals
    if detained != prev_detained + day.admitted - exits:
        return ERR_DETAINED_BALANCE
    if waiting != prev_waiting + day.book_ins - day.turned_away - day.admitted - case_day.diverted:
        return ERR_QUEUE_BALANCE
    return OK


@njit(cache=True, nogil=True)
def queue_balance_error(
    flows, seat_flows, docket_waiting, in_court, documents_waiting, seat_waiting
):
    """The balances of the docket, the hearings, the document waits (`flows`: a QUEUE_FLOWS
    record) and each seat queue (`seat_flows`: SEAT_FLOWS rows; `seat_waiting`: int64, the
    people in each seat queue now)."""
    if flows.docket_in != flows.docket_out + docket_waiting:
        return ERR_DOCKET_BALANCE
    if flows.docket_out != flows.hearings_out + in_court:
        return ERR_HEARING_BALANCE
    if flows.documents_in != flows.documents_out + documents_waiting:
        return ERR_DOCUMENT_BALANCE
    for m in range(seat_waiting.shape[0]):
        if seat_flows[m].queued != seat_flows[m].seated + seat_waiting[m]:
            return ERR_SEAT_BALANCE
    return OK
