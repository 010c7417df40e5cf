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

The queue counts (`QueueFlows`) are kept apart from the queues' own head and tail indices,
so that a lost or doubled entry shows up as a difference. A broken law is a bug, never a
user error: the runner raises `InvariantError` with the law's code.
"""

from __future__ import annotations

from typing import NamedTuple

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


class QueueFlows(NamedTuple):
    """Cumulative counts of entries into and out of the case side's queues and the seat
    queues, since the start of warm-up (int64[1], seats int64[max(modes, 1)])."""

    docket_in: np.ndarray
    docket_out: np.ndarray  # = hearings begun
    hearings_out: np.ndarray
    documents_in: np.ndarray
    documents_out: np.ndarray
    seats_in: np.ndarray
    seats_out: np.ndarray


@njit(cache=True, nogil=True)
def new_queue_flows(n_modes):
    n = max(n_modes, 1)
    return QueueFlows(
        np.zeros(1, dtype=np.int64),
        np.zeros(1, dtype=np.int64),
        np.zeros(1, dtype=np.int64),
        np.zeros(1, dtype=np.int64),
        np.zeros(1, dtype=np.int64),
        np.zeros(n, dtype=np.int64),
        np.zeros(n, dtype=np.int64),
    )


@njit(cache=True, nogil=True)
def bed_balance_error(i, prev_detained, detained, prev_waiting, waiting, day, case_day):
    """The beds' and the holding queue's balance over reported day i (`day`: DayCounts,
    `case_day`: CaseDayCounts)."""
    if (
        detained
        != prev_detained
        + day.admitted[i]
        - day.removals[i]
        - day.releases[i]
        - case_day.departures_not_removals[i]
    ):
        return ERR_DETAINED_BALANCE
    if (
        waiting
        != prev_waiting
        + day.book_ins[i]
        - day.turned_away[i]
        - day.admitted[i]
        - case_day.diverted[i]
    ):
        return ERR_QUEUE_BALANCE
    return OK


@njit(cache=True, nogil=True)
def queue_balance_error(flows, docket_waiting, in_court, documents_waiting, seat_waiting):
    """The balances of the docket, the hearings, the document waits and each seat queue
    (seat_waiting: int64[max(modes, 1)], people in each seat queue now)."""
    if flows.docket_in[0] != flows.docket_out[0] + docket_waiting:
        return ERR_DOCKET_BALANCE
    if flows.docket_out[0] != flows.hearings_out[0] + in_court:
        return ERR_HEARING_BALANCE
    if flows.documents_in[0] != flows.documents_out[0] + documents_waiting:
        return ERR_DOCUMENT_BALANCE
    for m in range(seat_waiting.shape[0]):
        if flows.seats_in[m] != flows.seats_out[m] + seat_waiting[m]:
            return ERR_SEAT_BALANCE
    return OK
