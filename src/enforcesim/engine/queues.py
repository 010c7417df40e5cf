"""The kernel's people containers: a binary heap keyed on time, FIFO queues, and one FIFO seat
queue per removal mode, each entry holding (time, a second time, int32 tag).

Entries are written in place by helpers that return nothing or scalars. Making room (growing
by doubling, or compacting a FIFO whose head has moved past half its length) is a separate
call on the rare path, made by the kernel before an event that may add an entry: helpers that
return arrays on every push cost about 1.3x on the contract model, because Numba reference-
counts each returned array.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit


class Entries(NamedTuple):
    """Parallel arrays of a heap or a FIFO (capacity = their length)."""

    time: np.ndarray  # float64: the heap's key; a FIFO's time of joining
    aux: np.ndarray  # float64: admission time (holding queue: the stay)
    tag: np.ndarray  # int32: who (see kernel.py and stages/cases.py)


class SeatRows(NamedTuple):
    """One FIFO per removal mode, row m from head[m] to tail[m]."""

    ready: np.ndarray  # float64[modes, capacity]: time the person was ready to leave
    admit: np.ndarray  # float64[modes, capacity]: admission time
    tag: np.ndarray  # int32[modes, capacity]
    head: np.ndarray  # int64[modes]
    tail: np.ndarray  # int64[modes]


@njit(cache=True, nogil=True)
def new_entries(capacity):
    return Entries(
        np.empty(capacity, dtype=np.float64),
        np.empty(capacity, dtype=np.float64),
        np.empty(capacity, dtype=np.int32),
    )


@njit(cache=True, nogil=True)
def new_seat_rows(n_modes, capacity):
    return SeatRows(
        np.empty((n_modes, capacity), dtype=np.float64),
        np.empty((n_modes, capacity), dtype=np.float64),
        np.empty((n_modes, capacity), dtype=np.int32),
        np.zeros(n_modes, dtype=np.int64),
        np.zeros(n_modes, dtype=np.int64),
    )


@njit(cache=True, nogil=True)
def grown(e, n, need):
    """The first n entries of e in arrays of at least `need` entries (doubling)."""
    cap = max(2 * e.time.shape[0], 16)
    while cap < need:
        cap *= 2
    out = new_entries(cap)
    out.time[:n] = e.time[:n]
    out.aux[:n] = e.aux[:n]
    out.tag[:n] = e.tag[:n]
    return out


# --- heap ------------------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def heap_push(h, n, t, aux, tag):
    """Add to a heap of n entries (the caller has made room)."""
    i = n
    while i > 0:
        p = (i - 1) >> 1
        if h.time[p] <= t:
            break
        h.time[i] = h.time[p]
        h.aux[i] = h.aux[p]
        h.tag[i] = h.tag[p]
        i = p
    h.time[i] = t
    h.aux[i] = aux
    h.tag[i] = tag


@njit(cache=True, nogil=True)
def heap_pop(h, n):
    """Remove the root of a heap of n entries (the caller reads it first)."""
    n -= 1
    t = h.time[n]
    a = h.aux[n]
    r = h.tag[n]
    i = 0
    while True:
        c = 2 * i + 1
        if c >= n:
            break
        # The smaller child, without a branch (which child wins is unpredictable). The right
        # child may be slot n, which still holds the entry being placed (time t): chosen
        # only when t < time[c], it stops the descent just as the left child would.
        c += h.time[c + 1] < h.time[c]
        if h.time[c] >= t:
            break
        h.time[i] = h.time[c]
        h.aux[i] = h.aux[c]
        h.tag[i] = h.tag[c]
        i = c
    h.time[i] = t
    h.aux[i] = a
    h.tag[i] = r


# --- FIFO --------------------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def fifo_room(q, head, tail):
    """Room for one more entry in a full FIFO q[head:tail]: compacted to the front when its
    head has moved past half its length, grown otherwise. Returns (q, head, tail)."""
    if head > q.time.shape[0] // 2:
        n = tail - head
        q.time[:n] = q.time[head:tail]
        q.aux[:n] = q.aux[head:tail]
        q.tag[:n] = q.tag[head:tail]
        return q, 0, n
    return grown(q, tail, tail + 1), head, tail


@njit(cache=True, nogil=True)
def fifo_put(q, tail, t, aux, tag):
    """Write the entry after the last one (the caller has made room and moves the tail)."""
    q.time[tail] = t
    q.aux[tail] = aux
    q.tag[tail] = tag


# --- seat queues, one per removal mode ---------------------------------------------------------
@njit(cache=True, nogil=True)
def seat_rows_room(s):
    """Room at the end of every row: a full row is compacted when its head has moved past
    half the capacity, otherwise every row is grown. Returns the rows."""
    cap = s.ready.shape[1]
    grow = False
    for m in range(s.tail.shape[0]):
        if s.tail[m] < cap:
            continue
        if s.head[m] > cap // 2:
            n = s.tail[m] - s.head[m]
            for i in range(n):
                s.ready[m, i] = s.ready[m, s.head[m] + i]
                s.admit[m, i] = s.admit[m, s.head[m] + i]
                s.tag[m, i] = s.tag[m, s.head[m] + i]
            s.head[m] = 0
            s.tail[m] = n
        else:
            grow = True
    if not grow:
        return s
    out = new_seat_rows(s.tail.shape[0], 2 * cap)
    out.ready[:, :cap] = s.ready
    out.admit[:, :cap] = s.admit
    out.tag[:, :cap] = s.tag
    out.head[:] = s.head
    out.tail[:] = s.tail
    return out


@njit(cache=True, nogil=True)
def seat_put(s, m, t, admit, tag):
    """Append to mode m's row (the caller has made room)."""
    j = s.tail[m]
    s.ready[m, j] = t
    s.admit[m, j] = admit
    s.tag[m, j] = tag
    s.tail[m] = j + 1
