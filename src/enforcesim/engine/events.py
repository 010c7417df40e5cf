"""The kernel's compiled helpers, by kind of event (the event loop is in kernel.py).

The helpers change the run's outputs in place and return the scalars the loop keeps
(counts of people, queue ends, officer-hours). Outputs are structured arrays
(structures.py): a helper is handed the records it changes (today's row, the totals, a
class's row) rather than whole tables, because Numba reference-counts every array passed to
a function, and a record costs nothing to pass. For the same reason the book-in model's
hottest path (a book-in, the end of a stay) takes only a few small helpers. A helper that
adds to a container (queues.py) relies on the loop to have made room first.

Helpers called at every book-in or case-side heap event that take arrays or a random
generator are compiled into the loop (`inline="always"`, here and in the stages' draws):
a helper that stays a separate function increfs and decrefs each array and generator it is
handed on every call (Numba's pruning does not remove them once the function branches), and
the case side calls several such helpers per event; inlined, the call and some of those pairs
go (the case side's kernel about 13% faster, benchmarks/README.md) and no number changes.
Inlined, a helper's arguments are still copies that count references when the helper
branches, so the case side's per-event helpers (case_stage_end, document_ready,
transport.escort_hours, cases.document_group) are handed scalars and records only, and their
draws are made by the loop on its own generators (about 12% off the case side's kernel).

`d` is the reported day of the event, -1 in warm-up: then nothing is counted (the record
handed over is the tables' spare last row, never written), but the state changes as always.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..stages import cases as cs
from ..stages import transport as tp
from ..stages.arrests import day_class_rates, eligible_pool, replenish_pools
from ..stages.book_ins import stay_in_force
from ..stages.detention import draw_length_biased, draw_residual
from . import queues as qu
from .structures import (
    ARREST_DAY_RECORD,
    CASE_DAY_RECORD,
    CASE_TOTALS_RECORD,
    CLASS_DAY_RECORD,
    CLASS_TOTALS_RECORD,
    DAY_RECORD,
    LEDGER_RECORD,
    MODE_DAY_RECORD,
    MODE_RECORD,
    PATHWAY_RECORD,
    TOTALS_RECORD,
    Output,
)

UNLIMITED = np.iinfo(np.int64).max


@njit(cache=True, nogil=True)
def new_output(days, n_class, n_src, n_path, n_mode):
    """Zeroed outputs; error and stopped are set by the loop when it returns them."""
    return Output(
        np.zeros(days + 1, dtype=DAY_RECORD),
        np.zeros(days + 1, dtype=CASE_DAY_RECORD),
        np.zeros(days + 1, dtype=LEDGER_RECORD),
        np.zeros((days + 1, n_class), dtype=CLASS_DAY_RECORD),
        np.zeros(n_class, dtype=CLASS_TOTALS_RECORD),
        np.zeros((days + 1, n_class if n_src > 0 else 0), dtype=ARREST_DAY_RECORD),
        np.zeros((days, n_src), dtype=np.float64),
        np.zeros(1, dtype=TOTALS_RECORD),
        np.zeros(1, dtype=CASE_TOTALS_RECORD),
        np.zeros(n_path, dtype=PATHWAY_RECORD),
        np.zeros(n_mode, dtype=MODE_RECORD),
        np.zeros((days + 1, n_mode), dtype=MODE_DAY_RECORD),
        0,
        False,
    )


# --- book-in process ---------------------------------------------------------------------------
@njit(cache=True, nogil=True, inline="always")
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


@njit(cache=True, nogil=True, inline="always")
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
def initial_tag(c, rem, case_on, n_path, n_g1, pb, gb):
    if case_on:
        p = n_path - 2 + (1 if rem else 0)
        return cs.pack(c, p, n_g1 - 1, cs.S_STAY, pb, gb)
    return np.int32(2 * c + (1 if rem else 0))


@njit(cache=True, nogil=True)
def place_cohorts(heap, hn, book, rng, c, case_on, n_path, n_g1, pb, gb, t_start):
    """Class c's cohorts in beds at t_start, admitted `age` days before it, each with the
    class's stay in force at its admission."""
    for j in range(book.cohort_first[c], book.cohort_first[c + 1]):
        age = book.cohort_age[j]
        dist, p1, p2 = stay_in_force(book, c, t_start - age)
        for _ in range(book.cohort_count[j]):
            x = draw_residual(rng, dist, p1, p2, age)
            rem = rng.random() < book.removal_share[c]
            if hn == heap.time.shape[0]:
                heap = qu.grown(heap, hn, hn + 1)
            tag = initial_tag(c, rem, case_on, n_path, n_g1, pb, gb)
            qu.heap_push(heap, hn, t_start + x, t_start - age, tag)
            hn += 1
    return heap, hn


@njit(cache=True, nogil=True)
def place_initial(heap, book, rng, case_on, n_path, n_g1, pb, gb, t_start, det_c):
    """People already in beds at t_start: residual stays of a stationary M/G/infinity
    population, or for a class with cohorts, each cohort's stays given its time in custody.
    Returns (heap, entries)."""
    hn = 0
    for c in range(det_c.shape[0]):
        if book.cohort_first[c + 1] > book.cohort_first[c]:
            heap, hn = place_cohorts(heap, hn, book, rng, c, case_on, n_path, n_g1, pb, gb, t_start)
            det_c[c] += book.initial_detained[c]
            continue
        for _ in range(book.initial_detained[c]):
            x = draw_length_biased(rng, book.stay_dist[c], book.stay_p1[c], book.stay_p2[c])
            u = rng.random()
            rem = rng.random() < book.removal_share[c]
            if hn == heap.time.shape[0]:
                heap = qu.grown(heap, hn, hn + 1)
            if case_on:
                p = n_path - 2 + (1 if rem else 0)
                tag = cs.pack(c, p, n_g1 - 1, cs.S_STAY, pb, gb)
            else:
                tag = np.int32(2 * c + (1 if rem else 0))
            qu.heap_push(heap, hn, t_start + u * x, t_start - (1.0 - u) * x, tag)
            hn += 1
            det_c[c] += 1
    return heap, hn


# --- beds --------------------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def count_book_in(day, class_day):
    """A book-in on a reported day (its DAY_RECORD and its class's CLASS_DAY_RECORD)."""
    day.book_ins += 1
    class_day.book_ins += 1


@njit(cache=True, nogil=True)
def count_admission(tot, day, class_tot, class_day):
    """An admission on a reported day (the totals, the day's and the class's records)."""
    day.admitted += 1
    class_day.admitted += 1
    tot.n_admitted += 1
    class_tot.n_admitted += 1


@njit(cache=True, nogil=True)
def count_exit(tot, day, class_tot, class_day, los, removal):
    """A person of the book-in model leaving a bed on a reported day after `los` days:
    removed (at once, no seat to wait for) or released."""
    tot.sum_los += los
    tot.n_los += 1
    class_tot.sum_los += los
    class_tot.n_los += 1
    if removal:
        day.removals += 1
        class_day.removals += 1
        tot.n_departed += 1
    else:
        day.releases += 1
        class_day.releases += 1


@njit(cache=True, nogil=True)
def divert(case_day, atd_days):
    """A book-in diverted to an alternative to detention on a reported day: never in a bed,
    it commits its participant-days at enrolment."""
    case_day.diverted += 1
    case_day.atd_days += atd_days


@njit(cache=True, nogil=True)
def count_case_exit(tot, day, class_tot, class_day, case_day, pathway, path_i, p, los, wait):
    """A case-side person of pathway p leaving a bed on a reported day after `los` days
    (`wait`: days waited for a seat). Releases count in releases; exits with
    counts_as_removal in removals (and, for removal orders, in the transport wait); other
    exits (voluntary departures, returns) in departures_not_removals, so that the stocks
    still balance their flows."""
    tot.sum_los += los
    tot.n_los += 1
    class_tot.sum_los += los
    class_tot.n_los += 1
    pathway.exits += 1
    pathway.sum_los += los
    outcome = path_i[p, cs.PI_OUTCOME]
    if outcome == cs.O_VOLUNTARY:
        case_day.voluntary_departures += 1
    if outcome == cs.O_RELEASE:
        day.releases += 1
        class_day.releases += 1
    elif path_i[p, cs.PI_COUNTS] == 1:
        day.removals += 1
        class_day.removals += 1
        if outcome == cs.O_REMOVAL:
            tot.n_departed += 1
            tot.sum_wait_transport += wait
    else:
        case_day.departures_not_removals += 1


@njit(cache=True, nogil=True)
def admit_waiting(
    tot, day, class_totals, class_day, ledger, case_day, heap, hn, queue, q_head, q_tail,
    detained, beds, det_c, escort_f, rng_transfers, case_on, pb, gb, hours_left,
    validate, t, d,
):  # fmt: skip
    """Free beds take the people waiting for one, first come first served (the loop has
    made room in the heap). Returns (hn, q_head, detained, officer-hours left, whether an
    admission went over the beds)."""
    over = False
    while q_tail > q_head and detained < beds:
        tag = queue.tag[q_head]
        c = cs.unpack(tag, pb, gb)[0] if case_on else tag >> 1
        qu.heap_push(heap, hn, t + queue.aux[q_head], t, tag)
        hn += 1
        detained += 1
        det_c[c] += 1
        if validate and detained > beds:
            over = True
        if case_on:
            hours_left -= tp.admission_escort(
                rng_transfers, escort_f, d >= 0, ledger[d], case_day[d]
            )
        if d >= 0:
            count_admission(tot, day[d], class_totals[c], class_day[d, c])
            tot.sum_wait_bed += t - queue.time[q_head]
        q_head += 1
    return hn, q_head, detained, hours_left, over


# --- cases and documents -------------------------------------------------------------------------
# What follows the end of a case-side heap entry (case_stage_end, then document_ready)
LEAVE, JOIN_DOCKET, WAIT_FOR_DOCUMENT, JOIN_SEAT_QUEUE, REMOVAL_ORDER = 0, 1, 2, 3, 4


# Handed records and scalars only (the pathway's court flag and outcome read by the loop), so
# that a call costs no reference counts; the removal order's travel document is drawn by the
# loop on its own generator and tables, between this and document_ready.
@njit(cache=True, nogil=True)
def case_stage_end(case_day, flows, court, outcome, has_modes, stage, d):
    """What follows the end of a case-side heap entry at `stage`, of a pathway with the
    given court flag (path_i's PI_COURT) and outcome. A stay ends in its pathway's decision
    or, for a court pathway, on the judges' docket; a hearing ends in the decision; a
    document wait (or a stay decided with a document that needs no wait, S_READY) ends
    ready to leave. A removal order (REMOVAL_ORDER) then draws its travel-document group and
    delay (document_ready); anyone else leaves the bed. Counts the hearing or document wait
    that ended (case_day: today's CASE_DAY_RECORD). Returns LEAVE, JOIN_DOCKET,
    JOIN_SEAT_QUEUE or REMOVAL_ORDER."""
    decide = stage == cs.S_COURT or (stage == cs.S_STAY and court == 0)
    if stage == cs.S_STAY and not decide:
        return JOIN_DOCKET
    if stage == cs.S_COURT:
        flows.hearings_out += 1
        if d >= 0:
            case_day.court_completions += 1
    elif stage == cs.S_DOCS:
        flows.documents_out += 1
    if decide:
        if outcome != cs.O_REMOVAL:  # release or voluntary departure
            return LEAVE
        return REMOVAL_ORDER
    # ready to leave: keeps the bed until a seat of its mode takes it (none: leaves now)
    return JOIN_SEAT_QUEUE if has_modes else LEAVE


@njit(cache=True, nogil=True)
def document_ready(case_tot, delay, has_modes, d):
    """A removal order whose travel document is ready in `delay` days: waits for it in its
    bed, or queues for a seat of its mode (without modes it leaves at once). Counts the
    document drawn. Returns WAIT_FOR_DOCUMENT, JOIN_SEAT_QUEUE or LEAVE."""
    if d >= 0:
        case_tot.sum_doc_delay += delay
        case_tot.n_docs_ready += 1
    if delay > 0.0:
        return WAIT_FOR_DOCUMENT
    return JOIN_SEAT_QUEUE if has_modes else LEAVE


# Columns of the kernel's doc_sched (float64[days + warm-up + 1, 4]; counts are whole numbers),
# row b - t_start for the day boundary b: document waits that begin in [b - 1, b), that end in
# [b - 1, b), the change at day b - 1 in the number of waits that cover a whole day, and the
# days waited in day b - 1 by waits that cover part of it.
DS_BEGIN, DS_END, DS_WHOLE_DAYS, DS_PART_DAYS = range(4)


# Called at each admission decided in a removal order, so compiled into the loop and handed
# one array (see the module's docstring).
@njit(cache=True, nogil=True, inline="always")
def schedule_document_wait(doc_sched, s, e, t_start, days):
    """A wait for a travel document over [s, e), accounted for when it is scheduled (at or
    before s; nothing changes it afterwards), in constant time, in doc_sched: the day
    boundaries b at which it is counted waiting, s < b <= e (the end-of-day stock is taken
    before events at b), and its days waited in each reported day (the part days where it
    begins and ends, and the whole days between). The loop adds doc_sched up at each boundary
    (end_of_day_documents). So a wait needs no heap event of its own where it follows a stay
    (kernel.py), and the stock, its integrals and the flows stay exact."""
    n_b = doc_sched.shape[0]
    i = int(np.floor(s)) + 1 - t_start
    if i < n_b:
        doc_sched[i, DS_BEGIN] += 1.0
    j = int(np.floor(e)) + 1 - t_start
    if j < n_b:
        doc_sched[j, DS_END] += 1.0
    lo = max(s, 0.0)
    hi = min(e, float(days))
    if hi > lo:
        k_lo = int(np.floor(lo))
        k_hi = int(np.floor(hi))
        if k_lo == k_hi:
            doc_sched[k_lo + 1 - t_start, DS_PART_DAYS] += hi - lo
        else:
            doc_sched[k_lo + 1 - t_start, DS_PART_DAYS] += k_lo + 1 - lo
            if hi > k_hi:
                doc_sched[k_hi + 1 - t_start, DS_PART_DAYS] += hi - k_hi
            if k_hi > k_lo + 1:  # whole days k_lo + 1 ... k_hi - 1
                doc_sched[k_lo + 2 - t_start, DS_WHOLE_DAYS] += 1.0
                if k_hi + 1 - t_start < n_b:
                    doc_sched[k_hi + 1 - t_start, DS_WHOLE_DAYS] -= 1.0


@njit(cache=True, nogil=True)
def end_of_day_documents(case_tot, case_day, flows, doc_sched, row, waiting, whole_days, day):
    """At day boundary `day` (doc_sched's `row`): the document waits begun since the last
    boundary (flows.documents_in) and the people waiting now; day - 1's days waited for
    documents (`case_day`: its CASE_DAY_RECORD) and their total. Returns (waiting, number of
    waits covering the whole day)."""
    flows.documents_in += int(doc_sched[row, DS_BEGIN])
    waiting += int(doc_sched[row, DS_BEGIN] - doc_sched[row, DS_END])
    whole_days += doc_sched[row, DS_WHOLE_DAYS]
    if day >= 1:
        waited = whole_days + doc_sched[row, DS_PART_DAYS]
        case_day.document_wait_days += waited
        case_tot.area_docs += waited
    return waiting, whole_days


@njit(cache=True, nogil=True)
def serve_docket(
    case_tot, heap, hn, docket, cq_head, cq_tail, in_court, judges, rng, court_f, flows, t, d
):
    """Free judges take the oldest cases of the docket (the loop has made room in the
    heap). Returns (hn, cq_head, cases in court)."""
    while in_court < judges and cq_tail > cq_head:
        tag = docket.tag[cq_head]
        end = t + cs.court_service(rng, court_f)
        qu.heap_push(heap, hn, end, docket.aux[cq_head], np.int32(tag - (tag & 3) + cs.S_COURT))
        hn += 1
        in_court += 1
        flows.docket_out += 1
        if d >= 0:
            case_tot.sum_court_wait += t - docket.time[cq_head]
            case_tot.n_court_started += 1
        cq_head += 1
    return hn, cq_head, in_court


# --- departures --------------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def scheduled_departure(out, seat_q, s_head, s_tail, seats, det_c, seat_flows, t, d):
    """A departure of the contract's schedule: up to `seats` people leave, in order-time
    order. Returns the number seated."""
    n_seat = min(seats, s_tail - s_head)
    tot = out.totals[0]
    for j in range(s_head, s_head + n_seat):
        c = seat_q.tag[j]
        det_c[c] -= 1
        if d >= 0:
            tot.sum_los += t - seat_q.aux[j]
            tot.sum_wait_transport += t - seat_q.time[j]
            out.class_totals[c].sum_los += t - seat_q.aux[j]
            out.class_totals[c].n_los += 1
            out.class_day[d, c].removals += 1
    seat_flows[0].seated += n_seat
    if d >= 0:
        day = out.day[d]
        day.departures += 1
        if n_seat == seats and s_tail > s_head + n_seat:
            day.seats_short += 1
        tot.n_departures += 1
        tot.n_los += n_seat
        tot.n_departed += n_seat
        day.removals += n_seat
    return n_seat


@njit(cache=True, nogil=True)
def mode_departure(out, seats, m, mode_f, path_i, det_c, seat_flows, pb, gb, t, d):
    """A departure of removal mode m: up to its seats leave, in the order they were ready;
    one that carries anyone flies (or drives) and is charged its escort's officer-hours.
    Returns (number seated, officer-hours charged)."""
    cap = int(mode_f[m, tp.MF_SEATS])
    n_seat = min(cap, seats.tail[m] - seats.head[m])
    md = out.modes[m]
    for j in range(seats.head[m], seats.head[m] + n_seat):
        c, p, g, stage = cs.unpack(seats.tag[m, j], pb, gb)
        det_c[c] -= 1
        wait = t - seats.ready[m, j]
        if d >= 0:
            count_case_exit(
                out.totals[0], out.day[d], out.class_totals[c], out.class_day[d, c],
                out.case_day[d], out.pathways[p], path_i, p, t - seats.admit[m, j], wait,
            )  # fmt: skip
            md.seated += 1
            md.sum_wait += wait
            md.removals += path_i[p, cs.PI_COUNTS]
    seats.head[m] += n_seat
    seat_flows[m].seated += n_seat
    if d >= 0:
        out.totals[0].n_departures += 1
        md.departures += 1
        out.day[d].departures += 1
        if n_seat == cap and seats.tail[m] > seats.head[m]:
            out.day[d].seats_short += 1
    charged = 0.0
    if n_seat > 0:
        charged = mode_f[m, tp.MF_OFFICER_HOURS]
        if d >= 0:
            out.ledger[d].escort_transport += charged
            out.mode_day[d, m].used += 1
            out.mode_day[d, m].hours += mode_f[m, tp.MF_HOURS]
            md.used += 1
            md.hours += mode_f[m, tp.MF_HOURS]
            md.officer_hours += charged
    return n_seat, charged


# --- time and days -----------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def integrate(tot, day, lo, hi, detained, waiting, beds):
    """Add the integrals of the stocks over [lo, hi), which lies inside one reported day
    (day boundaries are events), to the totals and the day's record: the time-averages and
    the daily volumes are exact."""
    tot.area_detained += detained * (hi - lo)
    tot.area_waiting += waiting * (hi - lo)
    day.bed_days += detained * (hi - lo)
    if detained >= beds:
        day.full_time += hi - lo


@njit(cache=True, nogil=True, inline="always")
def integrate_classes(class_totals, det_c, lo, hi):
    for c in range(det_c.shape[0]):
        class_totals[c].area_detained += det_c[c] * (hi - lo)


@njit(cache=True, nogil=True)
def integrate_cases(case_tot, case_day, lo, hi, docket, in_court, judges):
    """The case side's integrals over [lo, hi): docket, hearings, judges (document waits are
    integrated when they are scheduled: schedule_document_wait)."""
    case_tot.area_court_queue += docket * (hi - lo)
    case_tot.area_in_court += in_court * (hi - lo)
    case_tot.area_judges += judges * (hi - lo)
    case_day.court_days += in_court * (hi - lo)
    case_day.docket_days += docket * (hi - lo)


@njit(cache=True, nogil=True)
def record_day_end(out, i, detained, waiting, det_c, case_on, docket, in_court, docs, judges):
    """The end-of-day stocks of reported day i."""
    out.day[i].detained = detained
    out.day[i].waiting_for_bed = waiting
    for c in range(det_c.shape[0]):
        out.class_day[i, c].detained = det_c[c]
    if case_on:
        x = out.case_day[i]
        x.court_queue = docket
        x.in_court = in_court
        x.waiting_for_documents = docs
        x.judges = judges


@njit(cache=True, nogil=True)
def start_arrest_day(
    pool_left, arrests, hours_available, pools, day_rate, day_total, criminal_first, day, di
):
    """A new shift on reported day `day` (day index di from the start of warm-up): record
    the pools at the end of yesterday, restock them, and recompute today's attempt rates
    into day_rate and day_total. Returns today's hours for arrests and escorts (from
    hours_available by day)."""
    if day >= 1:
        for s in range(pools.shape[0]):
            pool_left[day - 1, s] = eligible_pool(s, pools, False)
    replenish_pools(arrests.src_par, arrests.src_mix, pools)
    hours = hours_available[di]
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
def finish(out, beds_by_day, casework_by_day, pools, t_start):
    """What is known only at the end: beds in force, casework hours, the last day's pools,
    and the totals of the daily flows."""
    days = out.pool_left.shape[0]
    tot = out.totals[0]
    if out.class_totals.shape[0] == 1:
        out.class_totals[0].area_detained = tot.area_detained
    if pools.shape[0] > 0:
        for day in range(days):
            out.ledger[day].casework = casework_by_day[day - t_start]
        if days >= 1:
            for s in range(pools.shape[0]):
                out.pool_left[days - 1, s] = eligible_pool(s, pools, False)
    for day in range(days):
        row = out.day[day]
        row.beds = beds_by_day[day - t_start]
        tot.arrivals += row.book_ins
        tot.turned_away += row.turned_away
        tot.removals += row.removals
        tot.releases += row.releases
