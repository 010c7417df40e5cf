"""The compiled event loop: exact continuous-time semantics of the scenario contract's
model, with named book-in streams (classes) as an extension.

One call of `simulate` simulates one replicate from t_start = -warmup_days to `days`. It
takes named inputs, one per stage, and returns a named `Output` (structures.py). State
lives in preallocated arrays that grow by doubling (queues.py): a binary heap of people in
their stay (keyed on the end of the stay), a FIFO holding queue of people waiting for a bed,
and a FIFO seat queue of people ordered removed (orders are made in time order, so FIFO is
order-time order). No time step: the next event is always the earliest of

    day boundary < end of a stay < scheduled departure < book-in

and events at the same instant are taken in that order (the end-of-day state is recorded
"before events at that instant", as the contract says). Each kind of event is handled by a
compiled helper in events.py; this loop picks the next event, makes room in the containers
the event may add to, and keeps the counts of people.

Each arrival draws its stay and its removal decision when it arrives, from their own
streams, whether or not it gets a bed: arrival n has the same attributes in every scenario
that shares the seed, which keeps comparisons between scenarios on common random numbers.
A class with a stay by book-in date (`length_of_stay_schedule`) draws its stay from the step
in force when it arrives; a class with a removal share by decision date
(`removal_share_schedule`) still draws the decision at arrival, and decides again, from its
own stream, when its stay ends, at the share in force then (the first draw is unused).

Book-ins come in K classes (the scenario's named streams; K = 1 without streams). Their
superposition is one Poisson process whose rate is the sum of the classes' rates; each
arrival's class is drawn in proportion to the rates in force (only when K > 1, so a file
without streams draws exactly what it drew before classes existed). A person carries a tag,
class * 2 + (1 if ordered removed), through the heap and the queues.

With [arrests] (see stages/arrests.py and docs/arrests.md) the arrivals are attempted
arrests in K = 3 x sources classes (source * 3 + criminality). Their rates depend on state,
so they are recomputed at each day boundary and the process restarted there (exact within
each day: officers work in daily shifts, which is the model's time resolution for arrest
capacity). Each attempt is decided by `arrests.arrest_attempt`; only those booked in go on
as book-ins. Officer-hours (stages/officers.py) are a daily budget, `hours_left`, reset at
each day boundary and drawn on by arrests and escorts, with a per-day ledger by activity.
Without [arrests] no arrest draw is made.

The case and transport side (stages/cases.py, stages/transport.py) runs only when
`cases.on`: a scenario without it takes none of its branches and draws nothing new. Then
each book-in draws a pathway (a diversion never takes a bed); the heap also holds the ends
of judges' hearings and of waits for travel documents (tags in stages/cases.py); court
cases wait in a FIFO docket served by the judges in force; removal orders queue, in their
beds, in one FIFO seat queue per removal mode, whose departures replace the contract's
single schedule; escort hours are charged to the officer-hours ledger when they are spent.
The tie order becomes

    day boundary < heap (ends of stays, hearings, document waits; by time)
    < scheduled departure < mode departures (lowest mode first) < book-in

and after any event free judges take the oldest cases of the docket.

The loop is compiled twice (`compiled`): with the case side, and without it, where every
case-side branch folds away so that the contract's model runs at its own speed.
"""

from __future__ import annotations

import types

import numpy as np
from numba import njit

from ..stages import cases as cs
from ..stages import transport as tp
from ..stages.arrests import O_CRIMINAL_FIRST, arrest_attempt, day_class_rates
from ..stages.book_ins import removal_share_in_force, stay_in_force
from ..stages.detention import draw_stay
from . import queues as qu
from .events import (
    JOIN_DOCKET,
    JOIN_SEAT_QUEUE,
    REMOVAL_ORDER,
    UNLIMITED,
    WAIT_FOR_DOCUMENT,
    admit_waiting,
    case_stage_end,
    count_admission,
    count_book_in,
    count_case_exit,
    count_exit,
    divert,
    document_ready,
    draw_class,
    end_of_day_documents,
    finish,
    integrate,
    integrate_cases,
    integrate_classes,
    mode_departure,
    new_output,
    next_arrival,
    next_attempt,
    place_initial,
    record_day_end,
    schedule_document_wait,
    scheduled_departure,
    serve_docket,
    start_arrest_day,
)
from .invariants import (
    ERR_ADMIT_OVER_BEDS,
    OK,
    bed_balance_error,
    new_queue_flows,
    queue_balance_error,
)
from .structures import Output

__all__ = ["compiled", "simulate"]

# The stop flag is read once every STOP_POLL events (a power of two: a mask test), often
# enough to stop within milliseconds, rarely enough to cost nothing.
STOP_POLL = 4096


@njit(cache=True, nogil=True)
def seat_queue_lengths(seats, s_head, s_tail):
    """People in each seat queue: one per removal mode, or the contract's one queue."""
    n_mode = seats.head.shape[0]
    out = np.empty(max(n_mode, 1), dtype=np.int64)
    if n_mode == 0:
        out[0] = s_tail - s_head
    for m in range(n_mode):
        out[m] = seats.tail[m] - seats.head[m]
    return out


# Each compiled specialisation of `simulate` (see `compiled`) sees its own constant here.
CASE_SIDE = True


def simulate(
    horizon, book, detention, arrests, officers, cases, transport, streams, fixed, options
):
    case_on = cases.on
    if not CASE_SIDE:  # a compile-time constant: the book-in model folds the case side away
        case_on = False
    t_start = horizon.t_start
    days = horizon.days
    validate = options.validate
    cap = options.capacity
    n_class = book.seg_rate.shape[1]
    n_src = arrests.src_par.shape[0]
    n_path = cases.path_i.shape[0]
    n_real = n_path - 2
    n_g1 = cases.doc_f.shape[0] + 1
    pb, gb = cases.tag_bits  # the person tag's layout (cases.tag_layout)
    n_mode = transport.mode_f.shape[0]
    out = new_output(days, n_class, n_src, n_path, n_mode)
    tot = out.totals[0]
    case_tot = out.case_totals[0]
    t_end = float(days)
    seg_start = book.seg_start
    seg_rate = book.seg_rate
    seg_total = seg_rate.sum(axis=1)
    stay_dist = book.stay_dist
    stay_p1 = book.stay_p1
    stay_p2 = book.stay_p2
    removal_share = book.removal_share
    # Classes with a stay by book-in date or a removal share by decision date (steps of
    # class c: first[c]:first[c + 1]); a class without takes the plain draw.
    los_first = book.los_first
    share_first = book.share_first
    beds_by_day = detention.beds_by_day
    wait_when_full = detention.wait_when_full
    rng_arrivals = streams.arrivals
    rng_stays = streams.stays
    rng_removal = streams.removal
    rng_class = streams.stream_class
    rng_decision = streams.removal_at_decision
    path_i = cases.path_i
    escort_f = transport.escort_f
    # Tables and inputs the loop reads at every event, taken out of their tuples once.
    day_table = out.day
    class_day = out.class_day
    class_totals = out.class_totals
    case_day = out.case_day
    ledger = out.ledger
    arrests_day = out.arrests_day
    pathways = out.pathways
    src_par = arrests.src_par
    arrest_opts = arrests.opts
    rng_attempts = streams.arrest_attempts
    rng_arrest_class = streams.arrest_class
    rng_booked = streams.arrest_booked_in
    rng_pathway = streams.pathway
    rng_transfers = streams.transfers
    path_cum = cases.path_cum
    path_f = cases.path_f
    # The case side's draws are made here on these variables, and its helpers are handed
    # scalars and records: a helper handed an array or a generator costs a reference count
    # and its release at every call (benchmarks/README.md).
    doc_f = cases.doc_f
    doc_i = cases.doc_i
    rng_documents = streams.documents
    docs_drawn = cs.documents_drawn(doc_f, doc_i)
    transfers_drawn = tp.transfer_drawn(escort_f)

    # Arrests: the pools left, today's attempt rate per class, the officer-hours left today.
    pools = arrests.pool_init.copy()
    criminal_first = n_src > 0 and arrests.opts[O_CRIMINAL_FIRST] != 0.0
    day_rate = np.zeros((1, n_class), dtype=np.float64)
    day_total = np.zeros(1, dtype=np.float64)
    hours_left = np.inf

    # Case side: the judges' docket, hearings, document waits, one seat queue per mode.
    # Used as flows[0] throughout, never as a record kept in a variable: Numba frees an array
    # after its last use, and a record taken from it does not keep it alive.
    flows, seat_flows = new_queue_flows(n_mode)
    docket = qu.new_entries(cap if case_on else 1)  # joined the docket, admitted, tag
    cq_head = 0
    cq_tail = 0
    judges = cases.judges_by_day[0] if case_on else 0
    in_court = 0
    docs_waiting = 0
    # Document waits by the day boundary at which they begin and end to count (see
    # schedule_document_wait): a wait that follows a stay has no heap event at its start.
    doc_sched = np.zeros((days - t_start + 1 if case_on else 1, 4), dtype=np.float64)
    doc_whole_days = 0.0
    seats = qu.new_seat_rows(n_mode, cap if case_on else 1)
    dep_km = np.zeros(n_mode, dtype=np.int64)
    for m in range(n_mode):
        dep_km[m] = int(np.ceil(t_start * transport.mode_f[m, tp.MF_PER_DAY]))
        while dep_km[m] / transport.mode_f[m, tp.MF_PER_DAY] < t_start:
            dep_km[m] += 1
    next_mdep, next_m = tp.next_departure(transport.mode_f, dep_km)

    heap = qu.new_entries(cap)  # end of stay (or stage), admitted, tag
    queue = qu.new_entries(cap)  # holding queue: arrived, stay, tag
    q_head = 0
    q_tail = 0
    seat_q = qu.new_entries(cap)  # the contract's seat queue: ordered, admitted, class
    s_head = 0
    s_tail = 0
    det_c = np.zeros(n_class, dtype=np.int64)
    heap, hn = place_initial(
        heap, book, streams.initial, case_on, n_path, n_g1, pb, gb, t_start, det_c
    )
    detained = hn
    beds = beds_by_day[0]
    if beds < 0:
        beds = UNLIMITED

    n_fixed = fixed.times.shape[0]
    use_fixed = n_fixed > 0
    i_fixed = 0
    seg = 0
    if n_src > 0:
        hours_left = officers.available[0]
        day_total[0] = day_class_rates(
            0, arrests.src_rate_by_day, arrests.src_par, arrests.src_mix, pools,
            criminal_first, day_rate,
        )  # fmt: skip
    if use_fixed:
        next_arr = fixed.times[0]
    elif n_src > 0:
        next_arr = next_attempt(streams.arrest_attempts, float(t_start), day_total[0])
    else:
        next_arr, seg = next_arrival(rng_arrivals, float(t_start), 0, seg_start, seg_total)

    dep_k = 0
    next_dep = np.inf
    if transport.scheduled:
        per_day = transport.departures_per_day
        dep_k = int(np.ceil(t_start * per_day))
        next_dep = dep_k / per_day
        while next_dep < t_start:
            dep_k += 1
            next_dep = dep_k / per_day

    next_day = float(t_start + 1)
    last_t = float(t_start)
    prev_detained = detained
    prev_waiting = 0
    error = OK
    stopped = False
    n_events = 0

    # The loop's containers get room here, before an event, never inside one: a container
    # reassigned inside the event loop (or a NamedTuple rebuilt there) costs a reference count
    # and its release on every member at every event, even when nothing grows
    # (benchmarks/README.md). The inner loop leaves for this one when the next event might not
    # find room: a heap push per admission or document wait, plus at most everyone in the
    # holding queue and on the docket; one entry per FIFO; one per seat row.
    room = True
    seats_full = False
    while room:
        room = False
        need = hn + 2 + (q_tail - q_head) + (cq_tail - cq_head)
        if need > heap.time.shape[0]:
            heap = qu.grown(heap, hn, need)
        if q_tail == queue.time.shape[0]:
            queue, q_head, q_tail = qu.fifo_room(queue, q_head, q_tail)
        if cq_tail == docket.time.shape[0]:
            docket, cq_head, cq_tail = qu.fifo_room(docket, cq_head, cq_tail)
        if s_tail == seat_q.time.shape[0]:
            seat_q, s_head, s_tail = qu.fifo_room(seat_q, s_head, s_tail)
        if seats_full:
            seats = qu.seat_rows_room(seats)
            seats_full = False
        while True:
            if (
                hn + 2 + (q_tail - q_head) + (cq_tail - cq_head) > heap.time.shape[0]
                or q_tail == queue.time.shape[0]
                or cq_tail == docket.time.shape[0]
                or s_tail == seat_q.time.shape[0]
                or seats_full
            ):
                room = True
                break
            t_heap = heap.time[0] if hn > 0 else np.inf
            t = min(next_day, t_heap, next_dep, next_mdep, next_arr)
            if t >= t_end and next_day == np.inf:
                break
            n_events += 1
            if (n_events & (STOP_POLL - 1)) == 0 and options.stop[0] != 0:
                stopped = True
                break

            lo = max(last_t, 0.0)
            hi = min(t, t_end)
            if hi > lo:
                d_lo = int(np.floor(lo))
                integrate(tot, day_table[d_lo], lo, hi, detained, q_tail - q_head, beds)
                if n_class > 1:
                    integrate_classes(class_totals, det_c, lo, hi)
                if case_on:
                    integrate_cases(
                        case_tot, case_day[d_lo], lo, hi, cq_tail - cq_head, in_court, judges
                    )
            last_t = t
            in_horizon = 0.0 <= t < t_end
            d = int(np.floor(t)) if in_horizon else -1

            admit_from_queue = False
            start_court = False
            if t == next_day:
                day = int(next_day)
                waiting = q_tail - q_head
                if case_on:  # the document waits begun and ended since the last boundary
                    docs_waiting, doc_whole_days = end_of_day_documents(
                        case_tot, case_day[day - 1], flows[0], doc_sched, day - t_start,
                        docs_waiting, doc_whole_days, day,
                    )  # fmt: skip
                if day >= 1:
                    record_day_end(
                        out, day - 1, detained, waiting, det_c, case_on, cq_tail - cq_head,
                        in_court, docs_waiting, judges,
                    )  # fmt: skip
                    if validate:
                        error = bed_balance_error(
                            prev_detained, detained, prev_waiting, waiting, day_table[day - 1],
                            case_day[day - 1],
                        )  # fmt: skip
                        if error != OK:
                            break
                if day >= 0:
                    prev_detained = detained
                    prev_waiting = waiting
                if validate:
                    error = queue_balance_error(
                        flows[0], seat_flows, cq_tail - cq_head, in_court, docs_waiting,
                        seat_queue_lengths(seats, s_head, s_tail),
                    )  # fmt: skip
                    if error != OK:
                        break
                if day < days:
                    new_beds = beds_by_day[day - t_start]
                    beds = UNLIMITED if new_beds < 0 else new_beds
                    next_day = float(day + 1)
                    admit_from_queue = True
                    if n_src > 0:
                        # A new shift: reset the hours, restock the pools, recompute the rates
                        # and restart the (memoryless) attempt process at the new rate.
                        hours_left = start_arrest_day(
                            out.pool_left, arrests, officers.available, pools, day_rate, day_total,
                            criminal_first, day, day - t_start,
                        )  # fmt: skip
                        if not use_fixed:
                            next_arr = next_attempt(rng_attempts, t, day_total[0])
                    if case_on:
                        judges = cases.judges_by_day[day - t_start]
                        start_court = True
                else:
                    next_day = np.inf
            elif case_on and t == t_heap:
                admitted = heap.aux[0]
                tag = heap.tag[0]
                qu.heap_pop(heap, hn)
                hn -= 1
                c, p, g, stage = cs.unpack(tag, pb, gb)
                if stage == cs.S_COURT:
                    in_court -= 1
                    start_court = True
                step = case_stage_end(
                    case_day[d], flows[0], path_i[p, cs.PI_COURT], path_i[p, cs.PI_OUTCOME],
                    n_mode > 0, stage, d,
                )  # fmt: skip
                delay = 0.0
                # A removal order after a hearing (or a stay pushed by place_initial or
                # admit_waiting): its travel document, group and days until ready
                if step == REMOVAL_ORDER:
                    g, delay = cs.draw_document(rng_documents, docs_drawn, doc_f, doc_i)
                    step = document_ready(case_tot, delay, n_mode > 0, d)
                if step == JOIN_DOCKET:
                    qu.fifo_put(docket, cq_tail, t, admitted, tag)
                    cq_tail += 1
                    flows[0].docket_in += 1
                    start_court = True
                elif step == WAIT_FOR_DOCUMENT:  # the heap has the room of the entry just taken
                    schedule_document_wait(doc_sched, t, t + delay, t_start, days)
                    waiting = cs.pack(c, p, g, cs.S_DOCS, pb, gb)
                    qu.heap_push(heap, hn, t + delay, admitted, waiting)
                    hn += 1
                elif step == JOIN_SEAT_QUEUE:
                    m = doc_i[g, cs.DI_MODE]
                    qu.seat_put(seats, m, t, admitted, cs.pack(c, p, g, cs.S_DOCS, pb, gb))
                    seats_full = seats_full or seats.tail[m] == seats.ready.shape[1]
                    seat_flows[m].queued += 1
                else:
                    detained -= 1
                    det_c[c] -= 1
                    admit_from_queue = True
                    if in_horizon:
                        count_case_exit(
                            tot, day_table[d], class_totals[c], class_day[d, c],
                            case_day[d], pathways[p], path_i, p, t - admitted, 0.0,
                        )  # fmt: skip
            elif t == t_heap:  # the end of a stay in the book-in model
                admitted = heap.aux[0]
                tag = heap.tag[0]
                qu.heap_pop(heap, hn)
                hn -= 1
                c = tag >> 1
                rem = (tag & 1) == 1
                if share_first[c + 1] > share_first[c]:  # decided now, at the share in force
                    rem = rng_decision.random() < removal_share_in_force(book, c, t)
                if rem and transport.scheduled:  # waits in its bed for a seat
                    qu.fifo_put(seat_q, s_tail, t, admitted, c)
                    s_tail += 1
                    seat_flows[0].queued += 1
                else:
                    detained -= 1
                    det_c[c] -= 1
                    if in_horizon:
                        count_exit(
                            tot, day_table[d], class_totals[c], class_day[d, c], t - admitted, rem
                        )
                    admit_from_queue = True
            elif t == next_dep:
                n_seat = scheduled_departure(
                    out, seat_q, s_head, s_tail, transport.seats, det_c, seat_flows, t, d
                )
                s_head += n_seat
                detained -= n_seat
                dep_k += 1
                next_dep = dep_k / transport.departures_per_day
                admit_from_queue = n_seat > 0
            elif t == next_mdep:
                m = next_m
                n_seat, charged = mode_departure(
                    out, seats, m, transport.mode_f, path_i, det_c, seat_flows, pb, gb, t, d
                )
                detained -= n_seat
                hours_left -= charged
                dep_km[m] += 1
                next_mdep, next_m = tp.next_departure(transport.mode_f, dep_km)
                admit_from_queue = n_seat > 0
            else:  # a book-in (with [arrests]: an attempted arrest)
                p = -1
                if use_fixed:
                    c = fixed.classes[i_fixed]
                    stay = fixed.stays[i_fixed]
                    rem = fixed.removal[i_fixed]
                    if case_on and fixed.pathways.shape[0] > 0:
                        p = fixed.pathways[i_fixed]
                    i_fixed += 1
                    next_arr = fixed.times[i_fixed] if i_fixed < n_fixed else np.inf
                elif n_src > 0:
                    c = draw_class(rng_arrest_class, 0, day_rate, day_total)
                    if los_first[c + 1] > los_first[c]:  # the stay of its book-in date
                        s_dist, s_p1, s_p2 = stay_in_force(book, c, t)
                        stay = draw_stay(rng_stays, s_dist, s_p1, s_p2)
                    else:
                        stay = draw_stay(rng_stays, stay_dist[c], stay_p1[c], stay_p2[c])
                    rem = rng_removal.random() < removal_share[c]
                    next_arr = next_attempt(rng_attempts, t, day_total[0])
                else:
                    c = draw_class(rng_class, seg, seg_rate, seg_total)
                    if case_on and n_real > 0:
                        p = cs.draw_pathway(rng_pathway, path_cum, c)
                        stay = 0.0  # a court pathway straight to the docket, or a diversion
                        if path_i[p, cs.PI_HAS_STAY] != 0:
                            stay = draw_stay(
                                rng_stays, path_i[p, cs.PI_DIST], path_f[p, cs.PF_P1],
                                path_f[p, cs.PF_P2],
                            )  # fmt: skip
                        rem = False
                    elif los_first[c + 1] > los_first[c]:  # the stay of its book-in date
                        s_dist, s_p1, s_p2 = stay_in_force(book, c, t)
                        stay = draw_stay(rng_stays, s_dist, s_p1, s_p2)
                        rem = rng_removal.random() < removal_share[c]
                    else:
                        stay = draw_stay(rng_stays, stay_dist[c], stay_p1[c], stay_p2[c])
                        rem = rng_removal.random() < removal_share[c]
                    next_arr, seg = next_arrival(rng_arrivals, t, seg, seg_start, seg_total)
                if n_src > 0:
                    booked, hours_left = arrest_attempt(
                        c, d, detained < beds and q_tail == q_head, hours_left,
                        rng_booked, src_par, pools, arrest_opts,
                        arrests_day, ledger,
                    )  # fmt: skip
                    if not booked:
                        continue
                if case_on:
                    if p < 0:  # no [pathways]: decided by removal_share
                        p = n_real + (1 if rem else 0)
                    tag = cs.pack(c, p, n_g1 - 1, cs.S_STAY, pb, gb)
                    if in_horizon:
                        pathways[p].entered += 1
                else:
                    tag = np.int32(2 * c + (1 if rem else 0))
                if in_horizon:
                    count_book_in(day_table[d], class_day[d, c])
                if case_on and path_i[p, cs.PI_DIVERSION] == 1:  # never takes a bed
                    if in_horizon:
                        divert(case_day[d], path_f[p, cs.PF_ATD_DAYS])
                elif detained < beds and q_tail == q_head:
                    end = t + stay
                    no_judge = case_on and path_i[p, cs.PI_COURT] == 0
                    if no_judge and path_i[p, cs.PI_OUTCOME] == cs.O_REMOVAL:
                        # Decided in a removal order when the stay ends: its travel document is
                        # drawn now, and the stay and the wait for the document are one heap
                        # entry that ends when the document is ready (one event, not two).
                        g, delay = cs.draw_document(rng_documents, docs_drawn, doc_f, doc_i)
                        d_end = 0 if 0.0 <= end < t_end else -1  # counted on the decision's day
                        if document_ready(case_tot, delay, n_mode > 0, d_end) == WAIT_FOR_DOCUMENT:
                            schedule_document_wait(doc_sched, end, end + delay, t_start, days)
                            tag = cs.pack(c, p, g, cs.S_DOCS, pb, gb)
                            end += delay
                        else:
                            tag = cs.pack(c, p, g, cs.S_READY, pb, gb)
                    qu.heap_push(heap, hn, end, t, tag)
                    hn += 1
                    detained += 1
                    det_c[c] += 1
                    if validate and detained > beds:
                        error = ERR_ADMIT_OVER_BEDS
                        break
                    if case_on:
                        u = rng_transfers.random() if transfers_drawn else 1.0
                        hours_left -= tp.escort_hours(
                            u, escort_f, in_horizon, ledger[d], case_day[d]
                        )
                    if in_horizon:
                        count_admission(tot, day_table[d], class_totals[c], class_day[d, c])
                elif not wait_when_full:
                    if in_horizon:
                        day_table[d].turned_away += 1
                else:
                    qu.fifo_put(queue, q_tail, t, stay, tag)
                    q_tail += 1

            if admit_from_queue and q_tail > q_head:
                hn, q_head, detained, hours_left, over = admit_waiting(
                    tot, day_table, class_totals, class_day, ledger, case_day, heap,
                    hn, queue, q_head, q_tail, detained, beds, det_c, escort_f, rng_transfers,
                    case_on, pb, gb, hours_left, validate, t, d,
                )  # fmt: skip
                if over:
                    error = ERR_ADMIT_OVER_BEDS
                    break

            if start_court and cq_tail > cq_head:
                hn, cq_head, in_court = serve_docket(
                    case_tot, heap, hn, docket, cq_head, cq_tail, in_court, judges, streams.court,
                    cases.court_f, flows[0], t, d,
                )  # fmt: skip

    finish(out, beds_by_day, officers.casework, pools, t_start)
    return Output(
        out.day,
        out.case_day,
        out.ledger,
        out.class_day,
        out.class_totals,
        out.arrests_day,
        out.pool_left,
        out.totals,
        out.case_totals,
        out.pathways,
        out.modes,
        out.mode_day,
        error,
        stopped,
    )


def _specialise(fn, case_side: bool):
    """`fn` compiled with the global CASE_SIDE fixed to case_side. Numba freezes globals as
    constants, so in the book-in model's specialisation every case-side branch folds away
    and that model runs as fast as it did before the case side existed. Each has its own
    name, hence its own on-disk cache entry."""
    name = f"{fn.__name__}_{'case_side' if case_side else 'book_in_model'}"
    copy = types.FunctionType(
        fn.__code__,
        {**fn.__globals__, "CASE_SIDE": case_side},
        name,
        fn.__defaults__,
        fn.__closure__,
    )
    copy.__qualname__ = name
    copy.__doc__ = fn.__doc__
    # error_model="numpy": no zero-division check before each division (every divisor is
    # validated positive), about 8% faster on the case side; results are the same.
    return njit(cache=True, nogil=True, error_model="numpy")(copy)


simulate_book_in_model = _specialise(simulate, case_side=False)
simulate_case_side = _specialise(simulate, case_side=True)


def compiled(case_on: bool):
    """The compiled `simulate` for a scenario with (or without) the case side; call it with
    simulate's arguments (structures.py)."""
    return simulate_case_side if case_on else simulate_book_in_model
