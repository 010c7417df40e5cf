"""The compiled event loop: exact continuous-time semantics of contract v1, with named
book-in streams (classes) as an extension.

One call simulates one replicate from t_start = -warmup_days to `days`. State lives in
preallocated arrays that grow by doubling: a binary heap of people in their stay (keyed on
the end of the stay), a FIFO holding queue of people waiting for a bed, and a FIFO seat
queue of people ordered removed (orders are made in time order, so FIFO is order-time
order). No time step: the next event is always the earliest of

    day boundary < end of a stay < scheduled departure < book-in

and events at the same instant are taken in that order (the end-of-day state is recorded
"before events at that instant", as the contract says).

Each arrival draws its stay and its removal decision when it arrives, from their own
streams, whether or not it gets a bed: arrival n has the same attributes in every scenario
that shares the seed, which keeps comparisons between scenarios on common random numbers.

Book-ins come in K classes (the scenario's named streams; K = 1 for a v1 file). Their
superposition is one Poisson process whose rate is the sum of the classes' rates; each
arrival's class is drawn in proportion to the rates in force (only when K > 1, so a v1
file draws exactly what it drew before classes existed). A person carries a tag,
class * 2 + (1 if ordered removed), through the heap and the queues.

With [arrests] (an extension; see engine/arrests.py and docs/arrests.md) the arrivals are
attempted arrests in K = 3 x sources classes (source * 3 + criminality). Their rates depend
on state, so they are recomputed at each day boundary and the process restarted there (exact
within each day: officers work in daily shifts, which is the model's time resolution for
arrest capacity). Each attempt is decided by `arrests.arrest_attempt`; only those booked in
go on as book-ins. Officer-hours are a daily budget, `officer_hours_left`, reset at each day
boundary and drawn on by arrests and escorts, with a per-day ledger by activity. Without
[arrests] the arrest arrays are empty and no arrest draw is made: a v1 run is unchanged.

The case and transport side (issue 5; helpers and layout in cases.py) runs only when
`case_on`: a v1 scenario takes none of its branches and draws nothing new. Then each
book-in draws a pathway (a diversion never takes a bed); the heap also holds the ends of
judges' hearings and of waits for travel documents (tags in cases.py); court cases wait in a
FIFO docket served by the judges in force; removal orders queue, in their beds, in one FIFO
seat queue per removal mode, whose departures replace the v1 departure; escort hours are
charged to the officer-hours ledger (days x H_ARRESTS, H_ESCORT, H_CASEWORK) when they are
spent; the volumes that costs and bottlenecks read are kept per day (`daily_v`: court, docket
and document-wait days as exact time integrals, ATD days, escort trips; `daily_m`: per mode,
departures carrying anyone and their hours). The tie order becomes

    day boundary < heap (ends of stays, hearings, document waits; by time) < v1 departure
    < mode departures (lowest mode first) < book-in

and after any event free judges take the oldest cases of the docket.
"""

from __future__ import annotations

import types

import numpy as np
from numba import njit

from . import cases as cs
from .arrests import (  # noqa: F401  (H_*: the ledger's activities, re-exported here)
    H_ARRESTS,
    H_CASEWORK,
    H_ESCORT,
    HB_AVAILABLE,
    HB_CASEWORK,
    N_ACTIVITIES,
    N_ARREST_DAILY,
    O_CRIMINAL_FIRST,
    arrest_attempt,
    day_class_rates,
    eligible_pool,
    replenish_pools,
)
from .dists import EXPONENTIAL, FIXED, GAMMA, LOGNORMAL, draw_length_biased, draw_stay

__all__ = [
    "EXPONENTIAL",
    "FIXED",
    "GAMMA",
    "LOGNORMAL",
    "draw_length_biased",
    "draw_stay",
    "simulate",
]

# Columns of the per-day output
D_BOOK_INS, D_ADMITTED, D_TURNED_AWAY, D_DETAINED, D_WAITING, D_REMOVALS, D_RELEASES, D_BEDS = (
    range(8)
)
N_DAILY = 8

# Entries of the accumulator output (reported horizon only)
(
    A_AREA_DETAINED,
    A_AREA_WAITING,
    A_SUM_WAIT_BED,
    A_N_ADMITTED,
    A_SUM_LOS,
    A_N_LOS,
    A_SUM_WAIT_TRANSPORT,
    A_N_DEPARTED,
    A_N_DEPARTURES,
    A_ARRIVALS,
    A_TURNED_AWAY,
    A_REMOVALS,
    A_RELEASES,
) = range(13)
N_ACC = 13

# Columns of the per-day, per-class output
C_BOOK_INS, C_ADMITTED, C_DETAINED, C_REMOVALS, C_RELEASES = range(5)
N_CLASS_DAILY = 5

# Entries of the per-class accumulator output
CA_AREA_DETAINED, CA_SUM_LOS, CA_N_LOS, CA_N_ADMITTED = range(4)
N_CLASS_ACC = 4

# Columns of the per-day "extra" output, appended after the v1 outputs (issue 6): exact
# time integrals over each reported day and departure counts, for costs and bottlenecks.
X_BED_DAYS, X_FULL_TIME, X_DEPARTURES, X_SEATS_SHORT = range(4)
N_EXTRA = 4
#   X_BED_DAYS     integral of detained over the day (occupied bed-days)
#   X_FULL_TIME    time in the day with detained >= beds (days)
#   X_DEPARTURES   scheduled departures in the day (empty ones included)
#   X_SEATS_SHORT  departures that left full with someone still waiting for a seat

# Error codes raised by validation mode, and the code of a run stopped through `stop`
OK, ERR_ADMIT_OVER_BEDS, ERR_DETAINED_BALANCE, ERR_QUEUE_BALANCE = 0, 1, 2, 3
STOPPED = 4
# Events between two looks at the stop flag: a look costs a load and a branch, and 4,096
# events take a few milliseconds, so Ctrl-C is honoured long before a second has passed.
STOP_POLL_EVENTS = 4096

UNLIMITED = np.iinfo(np.int64).max


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
def _next_attempt(rng, t, rate):
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
def _grow(a, n):
    out = np.empty(max(2 * a.shape[0], 16), dtype=a.dtype)
    out[:n] = a[:n]
    return out


@njit(cache=True, nogil=True)
def _heap_push(ht, ha, hr, n, t, admit, rem):
    i = n
    while i > 0:
        p = (i - 1) >> 1
        if ht[p] <= t:
            break
        ht[i] = ht[p]
        ha[i] = ha[p]
        hr[i] = hr[p]
        i = p
    ht[i] = t
    ha[i] = admit
    hr[i] = rem


@njit(cache=True, nogil=True)
def _heap_pop(ht, ha, hr, n):
    """Remove the root of a heap of n entries (the caller reads it first)."""
    n -= 1
    t = ht[n]
    a = ha[n]
    r = hr[n]
    i = 0
    while True:
        c = 2 * i + 1
        if c >= n:
            break
        if c + 1 < n and ht[c + 1] < ht[c]:
            c += 1
        if ht[c] >= t:
            break
        ht[i] = ht[c]
        ha[i] = ha[c]
        hr[i] = hr[c]
        i = c
    ht[i] = t
    ha[i] = a
    hr[i] = r


@njit(cache=True, nogil=True)
def _push(ht, ha, hr, n, t, admit, tag):
    """Push onto the heap of n entries, growing it when full; returns the arrays."""
    if n == ht.shape[0]:
        ht = _grow(ht, n)
        ha = _grow(ha, n)
        hr = _grow(hr, n)
    _heap_push(ht, ha, hr, n, t, admit, tag)
    return ht, ha, hr


@njit(cache=True, nogil=True)
def _fifo_push(qt, qa, qr, head, tail, t, admit, tag):
    """Append to a FIFO held in qt, qa, qr[head:tail], compacting or growing it when full;
    returns the arrays and the new head and tail."""
    if tail == qt.shape[0]:
        if head > qt.shape[0] // 2:
            for i in range(tail - head):
                qt[i] = qt[head + i]
                qa[i] = qa[head + i]
                qr[i] = qr[head + i]
            tail -= head
            head = 0
        else:
            qt = _grow(qt, tail)
            qa = _grow(qa, tail)
            qr = _grow(qr, tail)
    qt[tail] = t
    qa[tail] = admit
    qr[tail] = tag
    return qt, qa, qr, head, tail + 1


@njit(cache=True, nogil=True)
def _mode_push(mso, msa, msk, mh, mt, m, t, admit, tag):
    """Append to the seat queue of mode m (row m of mso, msa, msk, from mh[m] to mt[m]),
    compacting the row or growing every row when full; returns the arrays."""
    cap = mso.shape[1]
    if mt[m] == cap:
        if mh[m] > cap // 2:
            for i in range(mt[m] - mh[m]):
                mso[m, i] = mso[m, mh[m] + i]
                msa[m, i] = msa[m, mh[m] + i]
                msk[m, i] = msk[m, mh[m] + i]
            mt[m] -= mh[m]
            mh[m] = 0
        else:
            n_m = mso.shape[0]
            o = np.empty((n_m, 2 * cap), dtype=mso.dtype)
            a = np.empty((n_m, 2 * cap), dtype=msa.dtype)
            r = np.empty((n_m, 2 * cap), dtype=msk.dtype)
            o[:, :cap] = mso
            a[:, :cap] = msa
            r[:, :cap] = msk
            mso, msa, msk = o, a, r
    mso[m, mt[m]] = t
    msa[m, mt[m]] = admit
    msk[m, mt[m]] = tag
    mt[m] += 1
    return mso, msa, msk


@njit(cache=True, nogil=True)
def _case_exit(daily, daily_c, acc, acc_c, daily_x, path_acc, path_i, d, c, p, los, wait):
    """Count a case-side person leaving a bed on reported day d (d < 0: not reported).

    Releases count in releases; exits with counts_as_removal in removals (and, for removal
    orders, in the transport wait); other exits (voluntary departures, returns) in
    X_NOT_COUNTED, so that the stocks still balance their flows."""
    if d < 0:
        return
    acc[A_SUM_LOS] += los
    acc[A_N_LOS] += 1
    acc_c[c, CA_SUM_LOS] += los
    acc_c[c, CA_N_LOS] += 1
    path_acc[p, cs.PA_EXITS] += 1
    path_acc[p, cs.PA_SUM_LOS] += los
    outcome = path_i[p, cs.PI_OUTCOME]
    if outcome == cs.O_VOLUNTARY:
        daily_x[d, cs.X_VOLUNTARY] += 1
    if outcome == cs.O_RELEASE:
        daily[d, D_RELEASES] += 1
        daily_c[d, c, C_RELEASES] += 1
    elif path_i[p, cs.PI_COUNTS] == 1:
        daily[d, D_REMOVALS] += 1
        daily_c[d, c, C_REMOVALS] += 1
        if outcome == cs.O_REMOVAL:
            acc[A_N_DEPARTED] += 1
            acc[A_SUM_WAIT_TRANSPORT] += wait
    else:
        daily_x[d, cs.X_NOT_COUNTED] += 1


# Each compiled specialisation of `simulate` (see `compiled`) sees its own constant here.
CASE_SIDE = True


def simulate(
    t_start,  # int: -warmup_days
    days,  # int: reported horizon
    seg_start,  # float64[S]: start of each rate segment (seg_start[0] = t_start)
    seg_rate,  # float64[S, K]: book-ins per day of each class in each segment
    beds_by_day,  # int64[warmup+days]: beds in force on each day, -1 = unlimited
    wait_when_full,  # bool
    stay_dist,  # int64[K]: stay distribution code of each class
    stay_p1,
    stay_p2,  # float64[K]: its parameters
    removal_share,  # float64[K]
    initial_detained,  # int64[K]: people of each class in beds at t_start
    has_transport,
    departures_per_day,
    seats,
    rng_arrivals,
    rng_stays,
    rng_removal,
    rng_initial,
    rng_class,
    validate,  # bool: check invariants as it runs
    fixed_arrivals,  # float64[:]: if non-empty, book-in times used instead of the process
    fixed_stays,  # float64[:]: their stays
    fixed_removal,  # bool[:]: their decisions
    fixed_class,  # int64[:]: their classes
    # Arrests (extension): all empty (0 sources) for a run driven by book-ins.
    src_rate_by_day,  # float64[warmup+days, sources]: attempted arrests per day
    src_par,  # float64[sources, arrests.N_SRC_PAR]
    src_mix,  # float64[sources, 3]: criminality shares (pool sources: the pool's)
    pool_init,  # float64[sources, 3]: pools by criminality at t_start
    hours_by_day,  # float64[warmup+days, 3]: hours for arrests and escorts, casework, officers
    arrest_opts,  # float64[arrests.N_OPTS]
    rng_attempts,
    rng_arrest_class,
    rng_booked,
    # --- case and transport side (cases.py); inert when case_on is false ---------------
    case_on,  # bool: a case-side mechanism is configured
    path_cum,  # float64[K, P]: cumulative pathway shares of each class (P >= 0)
    path_i,
    path_f,  # int64[P + 2, N_PATH_I], float64[P + 2, N_PATH_F]: pathways, then the two
    #   v1-rule pseudo-pathways (release, removal)
    judges_by_day,  # int64[warmup+days]: judges in force on each day
    court_f,  # float64[N_COURT_F]
    doc_f,
    doc_i,  # float64[G, N_DOC_F], int64[G, N_DOC_I]: travel-document groups
    mode_f,  # float64[M, N_MODE_F]: removal modes (M = 0: removals leave at once)
    escort_f,  # float64[N_ESCORT_F]: officer-hours of intake escorts and transfers
    rng_pathway,
    rng_court,
    rng_documents,
    rng_transfers,
    fixed_pathway,  # int64[:]: pathways of the fixed book-ins (empty: v1 rules)
    stop,  # int64[1]: another thread sets stop[0] != 0 to end the run early (STOPPED)
):
    if not CASE_SIDE:  # a compile-time constant: the v1 specialisation folds the case away
        case_on = False
    n_class = seg_rate.shape[1]
    daily = np.zeros((days, N_DAILY), dtype=np.int64)
    acc = np.zeros(N_ACC, dtype=np.float64)
    daily_c = np.zeros((days, n_class, N_CLASS_DAILY), dtype=np.int64)
    acc_c = np.zeros((n_class, N_CLASS_ACC), dtype=np.float64)
    det_c = np.zeros(n_class, dtype=np.int64)
    extra = np.zeros((days, N_EXTRA), dtype=np.float64)
    t_end = float(days)
    seg_total = seg_rate.sum(axis=1)

    n_src = src_par.shape[0]
    daily_a = np.zeros((days, n_class if n_src > 0 else 0, N_ARREST_DAILY), dtype=np.int64)
    officer_hours = np.zeros((days, N_ACTIVITIES), dtype=np.float64)
    pool_daily = np.zeros((days, n_src), dtype=np.float64)
    pool_left = pool_init.copy()
    criminal_first = n_src > 0 and arrest_opts[O_CRIMINAL_FIRST] != 0.0
    day_rate = np.zeros((1, n_class), dtype=np.float64)  # today's attempt rate per class
    day_total = np.zeros(1, dtype=np.float64)
    # Case and transport side: pathways, the judges' docket, documents, modes, escorts.
    n_path = path_i.shape[0]
    n_real = n_path - 2
    n_g1 = doc_f.shape[0] + 1
    no_group = n_g1 - 1
    n_mode = mode_f.shape[0]
    officer_hours_left = np.inf  # with [arrests]: reset each day from the officers
    daily_x = np.zeros((days, cs.N_X_DAILY), dtype=np.int64)
    daily_v = np.zeros((days, cs.N_V_DAILY), dtype=np.float64)  # volumes for costs
    daily_m = np.zeros((days, n_mode, cs.N_MD_DAILY), dtype=np.float64)
    acc_x = np.zeros(cs.N_X_ACC, dtype=np.float64)
    path_acc = np.zeros((n_path, cs.N_PATH_ACC), dtype=np.float64)
    mode_acc = np.zeros((n_mode, cs.N_MODE_ACC), dtype=np.float64)
    cq_cap = 1024 if case_on else 1
    cqj = np.empty(cq_cap, dtype=np.float64)  # docket: time the case joined it
    cqa = np.empty(cq_cap, dtype=np.float64)  # docket: admission time
    cqr = np.empty(cq_cap, dtype=np.int32)  # docket: tag
    cq_head = 0
    cq_tail = 0
    judges = judges_by_day[0] if case_on else 0
    court_busy = 0
    docs_waiting = 0
    m_cap = 1024 if case_on else 1
    mso = np.empty((n_mode, m_cap), dtype=np.float64)  # seat queues: ready time
    msa = np.empty((n_mode, m_cap), dtype=np.float64)  # seat queues: admission time
    msk = np.empty((n_mode, m_cap), dtype=np.int32)  # seat queues: tag
    mh = np.zeros(n_mode, dtype=np.int64)
    mt = np.zeros(n_mode, dtype=np.int64)
    dep_km = np.zeros(n_mode, dtype=np.int64)
    for m in range(n_mode):
        dep_km[m] = int(np.ceil(t_start * mode_f[m, cs.MF_PER_DAY]))
        while dep_km[m] / mode_f[m, cs.MF_PER_DAY] < t_start:
            dep_km[m] += 1
    next_mdep, next_m = cs.next_departure(mode_f, dep_km)

    cap = 1024
    ht = np.empty(cap, dtype=np.float64)  # heap: end of stay
    ha = np.empty(cap, dtype=np.float64)  # heap: admission time
    hr = np.empty(cap, dtype=np.int32)  # heap: tag = class * 2 + ordered removed
    hn = 0
    qa = np.empty(cap, dtype=np.float64)  # holding queue: arrival time
    qs = np.empty(cap, dtype=np.float64)  # holding queue: stay
    qr = np.empty(cap, dtype=np.int32)  # holding queue: tag
    q_head = 0
    q_tail = 0
    so = np.empty(cap, dtype=np.float64)  # seat queue: order time
    sa = np.empty(cap, dtype=np.float64)  # seat queue: admission time
    sk = np.empty(cap, dtype=np.int32)  # seat queue: class
    s_head = 0
    s_tail = 0

    detained = 0
    beds = beds_by_day[0]
    if beds < 0:
        beds = UNLIMITED

    # People already in beds: residual stays of a stationary M/G/infinity population.
    for c in range(n_class):
        for _ in range(initial_detained[c]):
            x = draw_length_biased(rng_initial, stay_dist[c], stay_p1[c], stay_p2[c])
            u = rng_initial.random()
            rem = rng_initial.random() < removal_share[c]
            if hn == ht.shape[0]:
                ht = _grow(ht, hn)
                ha = _grow(ha, hn)
                hr = _grow(hr, hn)
            if case_on:
                tag = cs.pack(c, n_real + (1 if rem else 0), no_group, cs.S_STAY, n_path, n_g1)
            else:
                tag = np.int32(2 * c + (1 if rem else 0))
            _heap_push(ht, ha, hr, hn, t_start + u * x, t_start - (1.0 - u) * x, tag)
            hn += 1
            detained += 1
            det_c[c] += 1

    n_fixed = fixed_arrivals.shape[0]
    use_fixed = n_fixed > 0
    i_fixed = 0
    seg = 0
    if n_src > 0:
        officer_hours_left = hours_by_day[0, HB_AVAILABLE]
        day_total[0] = day_class_rates(
            0, src_rate_by_day, src_par, src_mix, pool_left, criminal_first, day_rate
        )
    if use_fixed:
        next_arr = fixed_arrivals[0]
    elif n_src > 0:
        next_arr = _next_attempt(rng_attempts, float(t_start), day_total[0])
    else:
        next_arr, seg = next_arrival(rng_arrivals, float(t_start), 0, seg_start, seg_total)

    dep_k = 0
    next_dep = np.inf
    if has_transport:
        dep_k = int(np.ceil(t_start * departures_per_day))
        next_dep = dep_k / departures_per_day
        while next_dep < t_start:
            dep_k += 1
            next_dep = dep_k / departures_per_day

    next_day = float(t_start + 1)
    last_t = float(t_start)
    prev_detained = detained
    prev_waiting = 0
    error = OK
    n_events = 0

    while True:
        n_events += 1
        if n_events % STOP_POLL_EVENTS == 0 and stop[0] != 0:
            error = STOPPED
            break
        t_heap = ht[0] if hn > 0 else np.inf
        t = min(next_day, t_heap, next_dep, next_mdep, next_arr)
        if t >= t_end and next_day == np.inf:
            break

        # Time-averages over the reported horizon: integrate the step functions exactly.
        lo = max(last_t, 0.0)
        hi = min(t, t_end)
        if hi > lo:
            acc[A_AREA_DETAINED] += detained * (hi - lo)
            acc[A_AREA_WAITING] += (q_tail - q_head) * (hi - lo)
            # Day boundaries are events, so [lo, hi) lies inside one day.
            d_lo = int(np.floor(lo))
            extra[d_lo, X_BED_DAYS] += detained * (hi - lo)
            if detained >= beds:
                extra[d_lo, X_FULL_TIME] += hi - lo
            if n_class > 1:
                for c in range(n_class):
                    acc_c[c, CA_AREA_DETAINED] += det_c[c] * (hi - lo)
            if case_on:
                acc_x[cs.XA_AREA_COURT_QUEUE] += (cq_tail - cq_head) * (hi - lo)
                acc_x[cs.XA_AREA_IN_COURT] += court_busy * (hi - lo)
                acc_x[cs.XA_AREA_DOCS] += docs_waiting * (hi - lo)
                acc_x[cs.XA_AREA_JUDGES] += judges * (hi - lo)
                daily_v[d_lo, cs.V_COURT_DAYS] += court_busy * (hi - lo)
                daily_v[d_lo, cs.V_DOCKET_DAYS] += (cq_tail - cq_head) * (hi - lo)
                daily_v[d_lo, cs.V_DOC_WAIT_DAYS] += docs_waiting * (hi - lo)
        last_t = t
        in_horizon = 0.0 <= t < t_end
        d = int(np.floor(t)) if in_horizon else -1

        admit_from_queue = False
        start_court = False
        if t == next_day:
            day = int(next_day)
            if day >= 1:
                waiting = q_tail - q_head
                daily[day - 1, D_DETAINED] = detained
                daily[day - 1, D_WAITING] = waiting
                for c in range(n_class):
                    daily_c[day - 1, c, C_DETAINED] = det_c[c]
                if case_on:
                    daily_x[day - 1, cs.X_COURT_QUEUE] = cq_tail - cq_head
                    daily_x[day - 1, cs.X_IN_COURT] = court_busy
                    daily_x[day - 1, cs.X_WAITING_DOCS] = docs_waiting
                    daily_x[day - 1, cs.X_JUDGES] = judges
                if validate:
                    row = daily[day - 1]
                    row_x = daily_x[day - 1]
                    if (
                        detained
                        != prev_detained
                        + row[D_ADMITTED]
                        - row[D_REMOVALS]
                        - row[D_RELEASES]
                        - row_x[cs.X_NOT_COUNTED]
                    ):
                        error = ERR_DETAINED_BALANCE
                        break
                    if (
                        waiting
                        != prev_waiting
                        + row[D_BOOK_INS]
                        - row[D_TURNED_AWAY]
                        - row[D_ADMITTED]
                        - row_x[cs.X_DIVERTED]
                    ):
                        error = ERR_QUEUE_BALANCE
                        break
                prev_detained = detained
                prev_waiting = waiting
            elif day == 0:
                prev_detained = detained
                prev_waiting = q_tail - q_head
            if day < days:
                new_beds = beds_by_day[day - t_start]
                beds = UNLIMITED if new_beds < 0 else new_beds
                next_day = float(day + 1)
                admit_from_queue = True
                if n_src > 0:
                    # A new shift: reset the hours, restock the pools, recompute the rates
                    # and restart the (memoryless) attempt process at the new rate.
                    if day >= 1:
                        for s in range(n_src):
                            pool_daily[day - 1, s] = eligible_pool(s, pool_left, False)
                    replenish_pools(src_par, src_mix, pool_left)
                    officer_hours_left = hours_by_day[day - t_start, HB_AVAILABLE]
                    day_total[0] = day_class_rates(
                        day - t_start,
                        src_rate_by_day,
                        src_par,
                        src_mix,
                        pool_left,
                        criminal_first,
                        day_rate,
                    )
                    if not use_fixed:
                        next_arr = _next_attempt(rng_attempts, t, day_total[0])
                if case_on:
                    judges = judges_by_day[day - t_start]
                    start_court = True
            else:
                next_day = np.inf
        elif case_on and t == t_heap:
            admit = ha[0]
            tag = hr[0]
            _heap_pop(ht, ha, hr, hn)
            hn -= 1
            c, p, g, stage = cs.unpack(tag, n_path, n_g1)
            decide = stage == cs.S_COURT or (stage == cs.S_STAY and path_i[p, cs.PI_COURT] == 0)
            ready = stage == cs.S_DOCS
            if stage == cs.S_STAY and not decide:  # a court case joins the judges' docket
                cqj, cqa, cqr, cq_head, cq_tail = _fifo_push(
                    cqj, cqa, cqr, cq_head, cq_tail, t, admit, tag
                )
                start_court = True
            elif stage == cs.S_COURT:
                court_busy -= 1
                start_court = True
                if in_horizon:
                    daily_x[d, cs.X_COURT_COMPLETIONS] += 1
            elif ready:
                docs_waiting -= 1
            if decide and path_i[p, cs.PI_OUTCOME] == cs.O_REMOVAL:
                g, delay = cs.draw_document(rng_documents, doc_f, doc_i)
                if in_horizon:
                    acc_x[cs.XA_SUM_DOC_DELAY] += delay
                    acc_x[cs.XA_N_DOCS_READY] += 1
                if delay > 0.0:
                    ht, ha, hr = _push(
                        ht, ha, hr, hn, t + delay, admit, cs.pack(c, p, g, cs.S_DOCS, n_path, n_g1)
                    )
                    hn += 1
                    docs_waiting += 1
                else:
                    ready = True
            elif decide:  # release or voluntary departure: leaves the bed now
                _case_exit(
                    daily, daily_c, acc, acc_c, daily_x, path_acc, path_i, d, c, p, t - admit, 0.0
                )
                detained -= 1
                det_c[c] -= 1
                admit_from_queue = True
            if ready and n_mode > 0:  # keeps the bed until a seat of its mode takes it
                mso, msa, msk = _mode_push(
                    mso,
                    msa,
                    msk,
                    mh,
                    mt,
                    doc_i[g, cs.DI_MODE],
                    t,
                    admit,
                    cs.pack(c, p, g, cs.S_DOCS, n_path, n_g1),
                )
            elif ready:  # no transport: leaves at once
                _case_exit(
                    daily, daily_c, acc, acc_c, daily_x, path_acc, path_i, d, c, p, t - admit, 0.0
                )
                detained -= 1
                det_c[c] -= 1
                admit_from_queue = True
        elif t == t_heap:
            admit = ha[0]
            tag = hr[0]
            _heap_pop(ht, ha, hr, hn)
            hn -= 1
            c = tag >> 1
            rem = (tag & 1) == 1
            if rem and has_transport:
                # Inline, not _fifo_push: returning the arrays on every push measured about
                # 1.3x slower on the v1 benchmark (the same holds for the heap and queue below).
                if s_tail == so.shape[0]:
                    if s_head > so.shape[0] // 2:
                        n_s = s_tail - s_head
                        so[:n_s] = so[s_head:s_tail]
                        sa[:n_s] = sa[s_head:s_tail]
                        sk[:n_s] = sk[s_head:s_tail]
                        s_head = 0
                        s_tail = n_s
                    else:
                        so = _grow(so, s_tail)
                        sa = _grow(sa, s_tail)
                        sk = _grow(sk, s_tail)
                so[s_tail] = t
                sa[s_tail] = admit
                sk[s_tail] = c
                s_tail += 1
            else:
                detained -= 1
                det_c[c] -= 1
                if in_horizon:
                    acc[A_SUM_LOS] += t - admit
                    acc[A_N_LOS] += 1
                    acc_c[c, CA_SUM_LOS] += t - admit
                    acc_c[c, CA_N_LOS] += 1
                    if rem:
                        daily[d, D_REMOVALS] += 1
                        daily_c[d, c, C_REMOVALS] += 1
                        acc[A_N_DEPARTED] += 1
                    else:
                        daily[d, D_RELEASES] += 1
                        daily_c[d, c, C_RELEASES] += 1
                admit_from_queue = True
        elif t == next_dep:
            n_seat = min(seats, s_tail - s_head)
            for j in range(s_head, s_head + n_seat):
                c = sk[j]
                det_c[c] -= 1
                if in_horizon:
                    acc[A_SUM_LOS] += t - sa[j]
                    acc[A_SUM_WAIT_TRANSPORT] += t - so[j]
                    acc_c[c, CA_SUM_LOS] += t - sa[j]
                    acc_c[c, CA_N_LOS] += 1
                    daily_c[d, c, C_REMOVALS] += 1
            s_head += n_seat
            detained -= n_seat
            if in_horizon:
                extra[d, X_DEPARTURES] += 1
                if n_seat == seats and s_tail > s_head:
                    extra[d, X_SEATS_SHORT] += 1
                acc[A_N_DEPARTURES] += 1
                acc[A_N_LOS] += n_seat
                acc[A_N_DEPARTED] += n_seat
                daily[d, D_REMOVALS] += n_seat
            dep_k += 1
            next_dep = dep_k / departures_per_day
            admit_from_queue = n_seat > 0
        elif t == next_mdep:
            m = next_m
            n_seat = min(int(mode_f[m, cs.MF_SEATS]), mt[m] - mh[m])
            for j in range(mh[m], mh[m] + n_seat):
                c, p, g, stage = cs.unpack(msk[m, j], n_path, n_g1)
                det_c[c] -= 1
                wait = t - mso[m, j]
                _case_exit(
                    daily,
                    daily_c,
                    acc,
                    acc_c,
                    daily_x,
                    path_acc,
                    path_i,
                    d,
                    c,
                    p,
                    t - msa[m, j],
                    wait,
                )
                if in_horizon:
                    mode_acc[m, cs.MA_SEATED] += 1
                    mode_acc[m, cs.MA_SUM_WAIT] += wait
                    mode_acc[m, cs.MA_REMOVALS] += path_i[p, cs.PI_COUNTS]
            mh[m] += n_seat
            detained -= n_seat
            if in_horizon:
                acc[A_N_DEPARTURES] += 1
                mode_acc[m, cs.MA_DEPARTURES] += 1
                extra[d, X_DEPARTURES] += 1
                if n_seat == int(mode_f[m, cs.MF_SEATS]) and mt[m] > mh[m]:
                    extra[d, X_SEATS_SHORT] += 1
            if n_seat > 0:  # only a departure that carries anyone flies (or drives)
                hours = mode_f[m, cs.MF_OFFICER_HOURS]
                officer_hours_left -= cs.charge(officer_hours, t, H_ESCORT, hours)
                if in_horizon:
                    daily_m[d, m, cs.MD_USED] += 1
                    daily_m[d, m, cs.MD_HOURS] += mode_f[m, cs.MF_HOURS]
                    mode_acc[m, cs.MA_USED] += 1
                    mode_acc[m, cs.MA_HOURS] += mode_f[m, cs.MF_HOURS]
                    mode_acc[m, cs.MA_OFFICER_HOURS] += hours
            dep_km[m] += 1
            next_mdep, next_m = cs.next_departure(mode_f, dep_km)
            admit_from_queue = n_seat > 0
        else:
            p = -1
            if use_fixed:
                c = fixed_class[i_fixed]
                stay = fixed_stays[i_fixed]
                rem = fixed_removal[i_fixed]
                if case_on and fixed_pathway.shape[0] > 0:
                    p = fixed_pathway[i_fixed]
                i_fixed += 1
                next_arr = fixed_arrivals[i_fixed] if i_fixed < n_fixed else np.inf
            elif n_src > 0:
                c = draw_class(rng_arrest_class, 0, day_rate, day_total)
                stay = draw_stay(rng_stays, stay_dist[c], stay_p1[c], stay_p2[c])
                rem = rng_removal.random() < removal_share[c]
                next_arr = _next_attempt(rng_attempts, t, day_total[0])
            else:
                c = draw_class(rng_class, seg, seg_rate, seg_total)
                if case_on and n_real > 0:
                    p = cs.draw_pathway(rng_pathway, path_cum, c)
                    stay = cs.pathway_stay(rng_stays, path_i, path_f, p)
                    rem = False
                else:
                    stay = draw_stay(rng_stays, stay_dist[c], stay_p1[c], stay_p2[c])
                    rem = rng_removal.random() < removal_share[c]
                next_arr, seg = next_arrival(rng_arrivals, t, seg, seg_start, seg_total)
            if n_src > 0:
                booked, officer_hours_left = arrest_attempt(
                    c,
                    d,
                    detained < beds and q_tail == q_head,
                    officer_hours_left,
                    rng_booked,
                    src_par,
                    pool_left,
                    arrest_opts,
                    daily_a,
                    officer_hours,
                )
                if not booked:
                    continue
            if case_on:
                if p < 0:  # no [pathways]: decided by removal_share, as in v1
                    p = n_real + (1 if rem else 0)
                tag = cs.pack(c, p, no_group, cs.S_STAY, n_path, n_g1)
                if in_horizon:
                    path_acc[p, cs.PA_ENTERED] += 1
            else:
                tag = np.int32(2 * c + (1 if rem else 0))
            if in_horizon:
                daily[d, D_BOOK_INS] += 1
                daily_c[d, c, C_BOOK_INS] += 1
            if case_on and path_i[p, cs.PI_DIVERSION] == 1:  # ATD: never takes a bed
                if in_horizon:
                    daily_x[d, cs.X_DIVERTED] += 1
                    daily_v[d, cs.V_ATD_DAYS] += path_f[p, cs.PF_ATD_DAYS]
            elif detained < beds and q_tail == q_head:
                if hn == ht.shape[0]:
                    ht = _grow(ht, hn)
                    ha = _grow(ha, hn)
                    hr = _grow(hr, hn)
                _heap_push(ht, ha, hr, hn, t + stay, t, tag)
                hn += 1
                detained += 1
                det_c[c] += 1
                if validate and detained > beds:
                    error = ERR_ADMIT_OVER_BEDS
                    break
                if case_on:
                    hours, moved = cs.admission_escort(
                        rng_transfers, escort_f, officer_hours, daily_v, t
                    )
                    officer_hours_left -= hours
                    if moved and in_horizon:
                        daily_x[d, cs.X_TRANSFERS] += 1
                if in_horizon:
                    daily[d, D_ADMITTED] += 1
                    daily_c[d, c, C_ADMITTED] += 1
                    acc[A_N_ADMITTED] += 1
                    acc_c[c, CA_N_ADMITTED] += 1
            elif not wait_when_full:
                if in_horizon:
                    daily[d, D_TURNED_AWAY] += 1
            else:
                if q_tail == qa.shape[0]:
                    if q_head > qa.shape[0] // 2:
                        n_q = q_tail - q_head
                        qa[:n_q] = qa[q_head:q_tail]
                        qs[:n_q] = qs[q_head:q_tail]
                        qr[:n_q] = qr[q_head:q_tail]
                        q_head = 0
                        q_tail = n_q
                    else:
                        qa = _grow(qa, q_tail)
                        qs = _grow(qs, q_tail)
                        qr = _grow(qr, q_tail)
                qa[q_tail] = t
                qs[q_tail] = stay
                qr[q_tail] = tag
                q_tail += 1

        if admit_from_queue:
            while q_tail > q_head and detained < beds:
                if hn == ht.shape[0]:
                    ht = _grow(ht, hn)
                    ha = _grow(ha, hn)
                    hr = _grow(hr, hn)
                tag = qr[q_head]
                c = cs.unpack(tag, n_path, n_g1)[0] if case_on else tag >> 1
                _heap_push(ht, ha, hr, hn, t + qs[q_head], t, tag)
                hn += 1
                detained += 1
                det_c[c] += 1
                if validate and detained > beds:
                    error = ERR_ADMIT_OVER_BEDS
                if case_on:
                    hours, moved = cs.admission_escort(
                        rng_transfers, escort_f, officer_hours, daily_v, t
                    )
                    officer_hours_left -= hours
                    if moved and in_horizon:
                        daily_x[d, cs.X_TRANSFERS] += 1
                if in_horizon:
                    daily[d, D_ADMITTED] += 1
                    daily_c[d, c, C_ADMITTED] += 1
                    acc[A_N_ADMITTED] += 1
                    acc_c[c, CA_N_ADMITTED] += 1
                    acc[A_SUM_WAIT_BED] += t - qa[q_head]
                q_head += 1
            if error != OK:
                break

        if start_court:  # free judges take the oldest cases of the docket
            while court_busy < judges and cq_tail > cq_head:
                tag = cqr[cq_head]
                ht, ha, hr = _push(
                    ht,
                    ha,
                    hr,
                    hn,
                    t + cs.court_service(rng_court, court_f),
                    cqa[cq_head],
                    np.int32(tag - (tag & 3) + cs.S_COURT),
                )
                hn += 1
                court_busy += 1
                if in_horizon:
                    acc_x[cs.XA_SUM_COURT_WAIT] += t - cqj[cq_head]
                    acc_x[cs.XA_N_COURT_STARTED] += 1
                cq_head += 1

    if n_class == 1:
        acc_c[0, CA_AREA_DETAINED] = acc[A_AREA_DETAINED]
    if n_src > 0:
        for day in range(days):
            officer_hours[day, H_CASEWORK] = hours_by_day[day - t_start, HB_CASEWORK]
        if days >= 1:
            for s in range(n_src):
                pool_daily[days - 1, s] = eligible_pool(s, pool_left, False)
    for day in range(days):
        b = beds_by_day[day - t_start]
        daily[day, D_BEDS] = b
        acc[A_ARRIVALS] += daily[day, D_BOOK_INS]
        acc[A_TURNED_AWAY] += daily[day, D_TURNED_AWAY]
        acc[A_REMOVALS] += daily[day, D_REMOVALS]
        acc[A_RELEASES] += daily[day, D_RELEASES]
    return (
        daily,
        acc,
        daily_c,
        acc_c,
        error,
        extra,
        daily_a,
        officer_hours,
        pool_daily,
        daily_x,
        acc_x,
        path_acc,
        mode_acc,
        daily_v,
        daily_m,
    )


def _specialise(fn, case_side: bool):
    """`fn` compiled with the global CASE_SIDE fixed to case_side. Numba freezes globals as
    constants, so in the v1 specialisation every case-side branch folds away and the v1
    model runs as fast as before the case side existed. Each has its own name, hence its
    own on-disk cache entry."""
    name = f"{fn.__name__}_{'cases' if case_side else 'v1'}"
    copy = types.FunctionType(
        fn.__code__,
        {**fn.__globals__, "CASE_SIDE": case_side},
        name,
        fn.__defaults__,
        fn.__closure__,
    )
    copy.__qualname__ = name
    copy.__doc__ = fn.__doc__
    return njit(cache=True, nogil=True)(copy)


simulate_v1 = _specialise(simulate, case_side=False)
simulate_cases = _specialise(simulate, case_side=True)


def compiled(case_on: bool):
    """The compiled `simulate` for a scenario with (or without) the case side; call it with
    simulate's arguments."""
    return simulate_cases if case_on else simulate_v1
