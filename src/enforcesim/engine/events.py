"""The kernel's compiled helpers, one per kind of event (see kernel.py for the event loop).

Each helper changes the run's output (`out`, a structures.Output being filled) and the
people containers (queues.py) in place, and returns the scalars the loop keeps: counts of
people, queue ends, officer-hours charged. A helper that may add an entry to a container
relies on the loop to have made room first, so that no helper returns arrays.

`d` is the reported day of the event's time, -1 in warm-up (then nothing is counted, but
the state changes as always).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from . import cases as cs
from . import queues as qu
from .arrests import day_class_rates, eligible_pool, replenish_pools
from .dists import draw_length_biased, draw_stay
from .structures import (
    ArrestDayCounts,
    CaseDayCounts,
    CaseDayVolumes,
    CaseTotals,
    ClassDayCounts,
    ClassTotals,
    DayCounts,
    DayVolumes,
    ModeDayVolumes,
    ModeTotals,
    OfficerHours,
    Output,
    PathwayTotals,
    Totals,
)

UNLIMITED = np.iinfo(np.int64).max


# --- the output being filled -------------------------------------------------------------------
@njit(cache=True, nogil=True)
def _i(*shape):
    return np.zeros(shape, dtype=np.int64)


@njit(cache=True, nogil=True)
def _f(*shape):
    return np.zeros(shape, dtype=np.float64)


@njit(cache=True, nogil=True)
def new_output(days, n_class, n_src, n_path, n_mode):
    """Zeroed outputs (scalar totals as one-element arrays, filled in place)."""
    n_arrest = n_class if n_src > 0 else 0
    return Output(
        DayCounts(_i(days), _i(days), _i(days), _i(days), _i(days), _i(days), _i(days), _i(days)),
        DayVolumes(_f(days), _f(days), _f(days), _f(days)),
        Totals(
            _f(1),
            _f(1),
            _f(1),
            _f(1),
            _f(1),
            _f(1),
            _f(1),
            _f(1),
            _f(1),
            _f(1),
            _f(1),
            _f(1),
            _f(1),
        ),
        ClassDayCounts(
            _i(days, n_class),
            _i(days, n_class),
            _i(days, n_class),
            _i(days, n_class),
            _i(days, n_class),
        ),
        ClassTotals(_f(n_class), _f(n_class), _f(n_class), _f(n_class)),
        ArrestDayCounts(
            _i(days, n_arrest),
            _i(days, n_arrest),
            _i(days, n_arrest),
            _i(days, n_arrest),
            _i(days, n_arrest),
            _i(days, n_arrest),
            _i(days, n_arrest),
        ),
        OfficerHours(_f(days), _f(days), _f(days)),
        _f(days, n_src),
        CaseDayCounts(
            _i(days), _i(days), _i(days), _i(days), _i(days), _i(days), _i(days), _i(days), _i(days)
        ),
        CaseDayVolumes(_f(days), _f(days), _f(days), _f(days), _f(days), _f(days)),
        CaseTotals(_f(1), _f(1), _f(1), _f(1), _f(1), _f(1), _f(1), _f(1)),
        PathwayTotals(_f(n_path), _f(n_path), _f(n_path)),
        ModeTotals(
            _f(n_mode), _f(n_mode), _f(n_mode), _f(n_mode), _f(n_mode), _f(n_mode), _f(n_mode)
        ),
        ModeDayVolumes(_f(days, n_mode), _f(days, n_mode)),
        0,
        False,
    )


# --- book-in process ---------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def next_arrival(rng, t, seg, seg_start, seg_total):
    """Next event of a Poisson process with piecewise-constant rate, after time t.

    Memorylessness makes restarting the exponential gap at each rate change exact.
    """
    nseg = seg_start.shape[0]
    while True:
        end = seg_start[seg + 1] if seg + 1 < nseg else np.inf
        rate = seg_total[seg]
        if rate > 0.0:
            cand = t + rng.standard_exponential() / rate
            if cand < end:
                return cand, seg
        if seg + 1 >= nseg:
            return np.inf, seg
        t = end
        seg += 1


@njit(cache=True, nogil=True)
def next_attempt(rng, t, rate):
    """Next attempted arrest after t at today's constant rate (inf if none today; the day
    boundary restarts the process before a later candidate could be used)."""
    if rate <= 0.0:
        return np.inf
    return t + rng.standard_exponential() / rate


@njit(cache=True, nogil=True)
def draw_class(rng, seg, seg_rate, seg_total):
    """Class of an arrival: in proportion to the classes' rates in the segment."""
    k = seg_rate.shape[1]
    if k == 1:
        return 0
    u = rng.random() * seg_total[seg]
    acc = 0.0
    for c in range(k - 1):
        acc += seg_rate[seg, c]
        if u < acc:
            return c
    return k - 1


@njit(cache=True, nogil=True)
def draw_book_in(
    book, cases, fixed, streams, case_on, arrests_on, seg_total, day_rate, day_total, t, seg, i
):
    """The arrival at t (a book-in, or with [arrests] an attempted arrest): its class, stay,
    removal decision and pathway (-1: decided by removal_share); and the time of the next.
    Returns (class, stay, removal, pathway, next time, rate segment, next fixed index)."""
    p = -1
    n_fixed = fixed.times.shape[0]
    if n_fixed > 0:
        c = fixed.classes[i]
        stay = fixed.stays[i]
        rem = fixed.removal[i]
        if case_on and fixed.pathways.shape[0] > 0:
            p = fixed.pathways[i]
        i += 1
        next_arr = fixed.times[i] if i < n_fixed else np.inf
    elif arrests_on:
        c = draw_class(streams.arrest_class, 0, day_rate, day_total)
        stay = draw_stay(streams.stays, book.stay_dist[c], book.stay_p1[c], book.stay_p2[c])
        rem = streams.removal.random() < book.removal_share[c]
        next_arr = next_attempt(streams.arrest_attempts, t, day_total[0])
    else:
        c = draw_class(streams.stream_class, seg, book.seg_rate, seg_total)
        if case_on and cases.path_i.shape[0] > 2:
            p = cs.draw_pathway(streams.pathway, cases.path_cum, c)
            stay = cs.pathway_stay(streams.stays, cases.path_i, cases.path_f, p)
            rem = False
        else:
            stay = draw_stay(streams.stays, book.stay_dist[c], book.stay_p1[c], book.stay_p2[c])
            rem = streams.removal.random() < book.removal_share[c]
        next_arr, seg = next_arrival(streams.arrivals, t, seg, book.seg_start, seg_total)
    return c, stay, rem, p, next_arr, seg, i


@njit(cache=True, nogil=True)
def place_initial(heap, book, rng, case_on, n_path, n_g1, t_start, det_c):
    """People already in beds at t_start: residual stays of a stationary M/G/infinity
    population. Returns (heap, entries)."""
    hn = 0
    for c in range(det_c.shape[0]):
        for _ in range(book.initial_detained[c]):
            x = draw_length_biased(rng, book.stay_dist[c], book.stay_p1[c], book.stay_p2[c])
            u = rng.random()
            rem = rng.random() < book.removal_share[c]
            if hn == heap.time.shape[0]:
                heap = qu.grown(heap, hn, hn + 1)
            if case_on:
                p = n_path - 2 + (1 if rem else 0)
                tag = cs.pack(c, p, n_g1 - 1, cs.S_STAY, n_path, n_g1)
            else:
                tag = np.int32(2 * c + (1 if rem else 0))
            qu.heap_push(heap, hn, t_start + u * x, t_start - (1.0 - u) * x, tag)
            hn += 1
            det_c[c] += 1
    return heap, hn


# --- beds --------------------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def admit(out, heap, hn, det_c, transport, streams, case_on, t, stay_end, tag, c, d):
    """Put a person in a bed at t until stay_end (the loop has made room in the heap; it
    counts the person in `detained`). Returns the escort officer-hours charged."""
    qu.heap_push(heap, hn, stay_end, t, tag)
    det_c[c] += 1
    hours = 0.0
    if case_on:
        hours, moved = cs.admission_escort(
            streams.transfers,
            transport.escort_f,
            out.officer_hours.escort_transport,
            out.case_volumes,
            t,
        )
        if moved and d >= 0:
            out.case_day.transfers[d] += 1
    if d >= 0:
        out.day.admitted[d] += 1
        out.class_day.admitted[d, c] += 1
        out.totals.n_admitted[0] += 1
        out.class_totals.n_admitted[c] += 1
    return hours


@njit(cache=True, nogil=True)
def book_in(
    out, heap, hn, queue, q_head, q_tail, detained, beds, wait_when_full, det_c,
    cases, transport, streams, case_on, n_path, n_g1, t, d, c, stay, rem, p,
):  # fmt: skip
    """A book-in at t: diverted to an alternative to detention (case side), admitted to a
    free bed when nobody waits for one, turned away, or queued for a bed (the loop has made
    room in the heap and the queue). Returns (hn, q_tail, detained, officer-hours charged)."""
    if case_on:
        if p < 0:  # no [pathways]: decided by removal_share
            p = n_path - 2 + (1 if rem else 0)
        tag = cs.pack(c, p, n_g1 - 1, cs.S_STAY, n_path, n_g1)
        if d >= 0:
            out.pathways.entered[p] += 1
    else:
        tag = np.int32(2 * c + (1 if rem else 0))
    if d >= 0:
        out.day.book_ins[d] += 1
        out.class_day.book_ins[d, c] += 1
    hours = 0.0
    if case_on and cases.path_i[p, cs.PI_DIVERSION] == 1:  # ATD: never takes a bed
        if d >= 0:
            out.case_day.diverted[d] += 1
            out.case_volumes.atd_days[d] += cases.path_f[p, cs.PF_ATD_DAYS]
    elif detained < beds and q_tail == q_head:
        hours = admit(out, heap, hn, det_c, transport, streams, case_on, t, t + stay, tag, c, d)
        hn += 1
        detained += 1
    elif not wait_when_full:
        if d >= 0:
            out.day.turned_away[d] += 1
    else:
        qu.fifo_put(queue, q_tail, t, stay, tag)
        q_tail += 1
    return hn, q_tail, detained, hours


@njit(cache=True, nogil=True)
def admit_waiting(
    out, heap, hn, queue, q_head, q_tail, detained, beds, det_c, transport, streams,
    case_on, n_path, n_g1, hours_left, validate, t, d,
):  # fmt: skip
    """Free beds take the people waiting for one, first come first served (the loop has
    made room in the heap). Returns (hn, q_head, detained, officer-hours left, over beds)."""
    over = False
    while q_tail > q_head and detained < beds:
        tag = queue.tag[q_head]
        c = cs.unpack(tag, n_path, n_g1)[0] if case_on else tag >> 1
        stay_end = t + queue.aux[q_head]
        hours_left -= admit(
            out, heap, hn, det_c, transport, streams, case_on, t, stay_end, tag, c, d
        )
        hn += 1
        detained += 1
        if validate and detained > beds:
            over = True
        if d >= 0:
            out.totals.sum_wait_bed[0] += t - queue.time[q_head]
        q_head += 1
    return hn, q_head, detained, hours_left, over


@njit(cache=True, nogil=True)
def end_of_stay(out, seat_q, s_tail, det_c, scheduled, flows, t, d, admitted, tag):
    """The end of a stay in the book-in model: with scheduled departures, a removal order
    joins the seat queue in its bed (the loop has made room); anyone else leaves the bed.
    Returns (whether a bed was freed, s_tail)."""
    c = tag >> 1
    rem = (tag & 1) == 1
    if rem and scheduled:
        qu.fifo_put(seat_q, s_tail, t, admitted, c)
        flows.seats_in[0] += 1
        return False, s_tail + 1
    det_c[c] -= 1
    if d >= 0:
        out.totals.sum_los[0] += t - admitted
        out.totals.n_los[0] += 1
        out.class_totals.sum_los[c] += t - admitted
        out.class_totals.n_los[c] += 1
        if rem:
            out.day.removals[d] += 1
            out.class_day.removals[d, c] += 1
            out.totals.n_departed[0] += 1
        else:
            out.day.releases[d] += 1
            out.class_day.releases[d, c] += 1
    return True, s_tail


@njit(cache=True, nogil=True)
def case_exit(out, path_i, d, c, p, los, wait):
    """Count a case-side person leaving a bed. Releases count in releases; exits with
    counts_as_removal in removals (and, for removal orders, in the transport wait); other
    exits (voluntary departures, returns) in departures_not_removals, so that the stocks
    still balance their flows."""
    if d < 0:
        return
    out.totals.sum_los[0] += los
    out.totals.n_los[0] += 1
    out.class_totals.sum_los[c] += los
    out.class_totals.n_los[c] += 1
    out.pathways.exits[p] += 1
    out.pathways.sum_los[p] += los
    outcome = path_i[p, cs.PI_OUTCOME]
    if outcome == cs.O_VOLUNTARY:
        out.case_day.voluntary_departures[d] += 1
    if outcome == cs.O_RELEASE:
        out.day.releases[d] += 1
        out.class_day.releases[d, c] += 1
    elif path_i[p, cs.PI_COUNTS] == 1:
        out.day.removals[d] += 1
        out.class_day.removals[d, c] += 1
        if outcome == cs.O_REMOVAL:
            out.totals.n_departed[0] += 1
            out.totals.sum_wait_transport[0] += wait
    else:
        out.case_day.departures_not_removals[d] += 1


# --- cases and documents -------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def case_stage_end(
    out, cases, streams, heap, hn, docket, cq_tail, seats, det_c, flows,
    n_path, n_g1, t, d, admitted, tag,
):  # fmt: skip
    """The end of a case-side heap entry. A stay ends in its pathway's decision or, for a
    court pathway, on the judges' docket; a hearing ends in the decision; a document wait
    ends ready to leave. A removal order then waits in its bed for its travel document or
    queues for a seat of its mode (without modes it leaves at once); anyone else leaves the
    bed. The loop has made room in the docket and every seat queue (the heap has the room
    of the entry just taken). Returns (hn, cq_tail, bed freed, hearing ended, change in
    people waiting for documents, whether judges may take cases)."""
    path_i = cases.path_i
    c, p, g, stage = cs.unpack(tag, n_path, n_g1)
    decide = stage == cs.S_COURT or (stage == cs.S_STAY and path_i[p, cs.PI_COURT] == 0)
    ready = stage == cs.S_DOCS
    freed = False
    hearing_ended = False
    docs_change = 0
    serve = False
    if stage == cs.S_STAY and not decide:  # a court case joins the judges' docket
        qu.fifo_put(docket, cq_tail, t, admitted, tag)
        cq_tail += 1
        flows.docket_in[0] += 1
        serve = True
    elif stage == cs.S_COURT:
        hearing_ended = True
        flows.hearings_out[0] += 1
        serve = True
        if d >= 0:
            out.case_day.court_completions[d] += 1
    elif ready:
        docs_change = -1
        flows.documents_out[0] += 1
    if decide and path_i[p, cs.PI_OUTCOME] == cs.O_REMOVAL:
        g, delay = cs.draw_document(streams.documents, cases.doc_f, cases.doc_i)
        if d >= 0:
            out.case_totals.sum_doc_delay[0] += delay
            out.case_totals.n_docs_ready[0] += 1
        if delay > 0.0:
            waiting = cs.pack(c, p, g, cs.S_DOCS, n_path, n_g1)
            qu.heap_push(heap, hn, t + delay, admitted, waiting)
            hn += 1
            docs_change = 1
            flows.documents_in[0] += 1
        else:
            ready = True
    elif decide:  # release or voluntary departure: leaves the bed now
        case_exit(out, path_i, d, c, p, t - admitted, 0.0)
        det_c[c] -= 1
        freed = True
    if ready and seats.head.shape[0] > 0:  # keeps the bed until a seat of its mode takes it
        m = cases.doc_i[g, cs.DI_MODE]
        qu.seat_put(seats, m, t, admitted, cs.pack(c, p, g, cs.S_DOCS, n_path, n_g1))
        flows.seats_in[m] += 1
    elif ready:  # no transport: leaves at once
        case_exit(out, path_i, d, c, p, t - admitted, 0.0)
        det_c[c] -= 1
        freed = True
    return hn, cq_tail, freed, hearing_ended, docs_change, serve


@njit(cache=True, nogil=True)
def serve_docket(
    out, heap, hn, docket, cq_head, cq_tail, in_court, judges, rng, court_f, flows, t, d
):
    """Free judges take the oldest cases of the docket (the loop has made room in the
    heap). Returns (hn, cq_head, cases in court)."""
    while in_court < judges and cq_tail > cq_head:
        tag = docket.tag[cq_head]
        end = t + cs.court_service(rng, court_f)
        qu.heap_push(heap, hn, end, docket.aux[cq_head], np.int32(tag - (tag & 3) + cs.S_COURT))
        hn += 1
        in_court += 1
        flows.docket_out[0] += 1
        if d >= 0:
            out.case_totals.sum_court_wait[0] += t - docket.time[cq_head]
            out.case_totals.n_court_started[0] += 1
        cq_head += 1
    return hn, cq_head, in_court


# --- departures --------------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def scheduled_departure(out, seat_q, s_head, s_tail, seats, det_c, flows, t, d):
    """A departure of the contract's schedule: up to `seats` people leave, in order-time
    order. Returns the number seated."""
    n_seat = min(seats, s_tail - s_head)
    for j in range(s_head, s_head + n_seat):
        c = seat_q.tag[j]
        det_c[c] -= 1
        if d >= 0:
            out.totals.sum_los[0] += t - seat_q.aux[j]
            out.totals.sum_wait_transport[0] += t - seat_q.time[j]
            out.class_totals.sum_los[c] += t - seat_q.aux[j]
            out.class_totals.n_los[c] += 1
            out.class_day.removals[d, c] += 1
    flows.seats_out[0] += n_seat
    if d >= 0:
        out.day_volumes.departures[d] += 1
        if n_seat == seats and s_tail > s_head + n_seat:
            out.day_volumes.seats_short[d] += 1
        out.totals.n_departures[0] += 1
        out.totals.n_los[0] += n_seat
        out.totals.n_departed[0] += n_seat
        out.day.removals[d] += n_seat
    return n_seat


@njit(cache=True, nogil=True)
def mode_departure(out, seats, m, mode_f, path_i, det_c, flows, n_path, n_g1, t, d):
    """A departure of removal mode m: up to its seats leave, in the order they were ready;
    one that carries anyone flies (or drives) and is charged its escort's officer-hours.
    Returns (number seated, officer-hours charged)."""
    cap = int(mode_f[m, cs.MF_SEATS])
    n_seat = min(cap, seats.tail[m] - seats.head[m])
    md = out.modes
    for j in range(seats.head[m], seats.head[m] + n_seat):
        c, p, g, stage = cs.unpack(seats.tag[m, j], n_path, n_g1)
        det_c[c] -= 1
        wait = t - seats.ready[m, j]
        case_exit(out, path_i, d, c, p, t - seats.admit[m, j], wait)
        if d >= 0:
            md.seated[m] += 1
            md.sum_wait[m] += wait
            md.removals[m] += path_i[p, cs.PI_COUNTS]
    seats.head[m] += n_seat
    flows.seats_out[m] += n_seat
    if d >= 0:
        out.totals.n_departures[0] += 1
        md.departures[m] += 1
        out.day_volumes.departures[d] += 1
        if n_seat == cap and seats.tail[m] > seats.head[m]:
            out.day_volumes.seats_short[d] += 1
    charged = 0.0
    if n_seat > 0:
        hours = mode_f[m, cs.MF_OFFICER_HOURS]
        charged = cs.charge(out.officer_hours.escort_transport, t, hours)
        if d >= 0:
            out.mode_day.used[d, m] += 1
            out.mode_day.hours[d, m] += mode_f[m, cs.MF_HOURS]
            md.used[m] += 1
            md.hours[m] += mode_f[m, cs.MF_HOURS]
            md.officer_hours[m] += hours
    return n_seat, charged


# --- time and days -----------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def integrate(out, lo, hi, detained, waiting, beds, det_c, case_on, docket, in_court, docs, judges):
    """Add the integrals of the stocks over [lo, hi), which lies inside one reported day
    (day boundaries are events): the time-averages and the daily volumes are exact."""
    out.totals.area_detained[0] += detained * (hi - lo)
    out.totals.area_waiting[0] += waiting * (hi - lo)
    d = int(np.floor(lo))
    out.day_volumes.bed_days[d] += detained * (hi - lo)
    if detained >= beds:
        out.day_volumes.full_time[d] += hi - lo
    if det_c.shape[0] > 1:
        for c in range(det_c.shape[0]):
            out.class_totals.area_detained[c] += det_c[c] * (hi - lo)
    if case_on:
        out.case_totals.area_court_queue[0] += docket * (hi - lo)
        out.case_totals.area_in_court[0] += in_court * (hi - lo)
        out.case_totals.area_docs[0] += docs * (hi - lo)
        out.case_totals.area_judges[0] += judges * (hi - lo)
        out.case_volumes.court_days[d] += in_court * (hi - lo)
        out.case_volumes.docket_days[d] += docket * (hi - lo)
        out.case_volumes.document_wait_days[d] += docs * (hi - lo)


@njit(cache=True, nogil=True)
def record_day_end(out, i, detained, waiting, det_c, case_on, docket, in_court, docs, judges):
    """The end-of-day stocks of reported day i."""
    out.day.detained[i] = detained
    out.day.waiting_for_bed[i] = waiting
    for c in range(det_c.shape[0]):
        out.class_day.detained[i, c] = det_c[c]
    if case_on:
        out.case_day.court_queue[i] = docket
        out.case_day.in_court[i] = in_court
        out.case_day.waiting_for_documents[i] = docs
        out.case_day.judges[i] = judges


@njit(cache=True, nogil=True)
def start_arrest_day(out, arrests, pools, day_rate, day_total, criminal_first, day, di):
    """A new shift on reported day `day` (day index di from the start of warm-up): record
    the pools at the end of yesterday, restock them, and recompute today's attempt rates
    into day_rate and day_total. Returns today's officer-hours for arrests and escorts."""
    if day >= 1:
        for s in range(pools.shape[0]):
            out.pool_left[day - 1, s] = eligible_pool(s, pools, False)
    replenish_pools(arrests.src_par, arrests.src_mix, pools)
    hours = arrests.hours.available[di]
    day_total[0] = day_class_rates(
        di,
        arrests.src_rate_by_day,
        arrests.src_par,
        arrests.src_mix,
        pools,
        criminal_first,
        day_rate,
    )
    return hours


@njit(cache=True, nogil=True)
def finish(out, detention, arrests, pools, t_start):
    """What is known only at the end: beds in force, casework hours, the last day's pools,
    and the totals of the daily flows."""
    days = out.day.beds.shape[0]
    if out.class_totals.area_detained.shape[0] == 1:
        out.class_totals.area_detained[0] = out.totals.area_detained[0]
    if pools.shape[0] > 0:
        for day in range(days):
            out.officer_hours.casework[day] = arrests.hours.casework[day - t_start]
        if days >= 1:
            for s in range(pools.shape[0]):
                out.pool_left[days - 1, s] = eligible_pool(s, pools, False)
    for day in range(days):
        out.day.beds[day] = detention.beds_by_day[day - t_start]
        out.totals.arrivals[0] += out.day.book_ins[day]
        out.totals.turned_away[0] += out.day.turned_away[day]
        out.totals.removals[0] += out.day.removals[day]
        out.totals.releases[0] += out.day.releases[day]
