"""The case and transport side of the event loop (an extension of the contract's model): case
pathways, the judges' docket, travel documents, removal modes and escort hours.

These helpers are called by the kernel only when the scenario configures one of these
mechanisms; a scenario without them never reaches them and draws exactly what it drew before
they existed.

A person on the case side carries one int32 tag through the heap and the queues:

    tag = ((class * n_pathways + pathway) * (n_groups + 1) + group) * 4 + stage

`pathway` indexes the scenario's pathways and, after them, two pseudo-pathways decided as
in the contract's model by `removal_share` (offsets PW_BY_SHARE_RELEASE, PW_BY_SHARE_REMOVAL):
those of people in beds at the start, and of every arrival when no [pathways] are given.
`group` is the travel-document group (n_groups while not yet drawn); `stage` is what the
person's heap entry ends:
S_STAY (the stay before the decision, or before joining the docket), S_COURT (a judge's
hearing), S_DOCS (the wait for a travel document).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .dists import draw_stay

# Stages of a heap entry
S_STAY, S_COURT, S_DOCS = 0, 1, 2

# Outcomes of a pathway
O_REMOVAL, O_RELEASE, O_VOLUNTARY = 0, 1, 2

# Columns of path_i (int64[n_pathways, N_PATH_I]); path_f (float64[n_pathways, N_PATH_F])
# holds the stay's (p1, p2) and, for a diversion, the participant-days in ATD it commits to
PF_P1, PF_P2, PF_ATD_DAYS = range(3)
N_PATH_F = 3
PI_DIST, PI_OUTCOME, PI_COUNTS, PI_COURT, PI_DIVERSION, PI_HAS_STAY = range(6)
N_PATH_I = 6

# Pseudo-pathways after the scenario's own: index n_real + offset
PW_BY_SHARE_RELEASE, PW_BY_SHARE_REMOVAL = 0, 1

# Entries of court_f (float64[N_COURT_F])
CF_RATE, CF_FIXED = range(2)
N_COURT_F = 2

# Columns of doc_f (float64[n_groups, N_DOC_F]) and doc_i (int64[n_groups, N_DOC_I])
DF_CUM, DF_P1, DF_P2, DF_FACTOR = range(4)
N_DOC_F = 4
DI_DIST, DI_HAS_DELAY, DI_MODE = range(3)
N_DOC_I = 3

# Columns of mode_f (float64[n_modes, N_MODE_F])
MF_PER_DAY, MF_SEATS, MF_OFFICER_HOURS, MF_HOURS = range(4)
N_MODE_F = 4

# Entries of escort_f (float64[N_ESCORT_F]): officer-hours per person (EF_INTAKE, EF_GROUND,
# EF_AIR), probabilities of a transfer (EF_P_*), and trips per person (EF_TRIPS_*: 1 /
# persons_per_trip, 0 without that escort)
(
    EF_INTAKE,
    EF_P_GROUND,
    EF_P_AIR,
    EF_GROUND,
    EF_AIR,
    EF_TRIPS_INTAKE,
    EF_TRIPS_GROUND,
    EF_TRIPS_AIR,
) = range(8)
N_ESCORT_F = 8


@njit(cache=True, nogil=True)
def pack(c, p, g, stage, n_path, n_g1):
    return np.int32(((c * n_path + p) * n_g1 + g) * 4 + stage)


@njit(cache=True, nogil=True)
def unpack(tag, n_path, n_g1):
    """(class, pathway, group, stage) of a tag."""
    stage = tag & 3
    rest = tag >> 2
    g = rest % n_g1
    rest //= n_g1
    return rest // n_path, rest % n_path, g, stage


@njit(cache=True, nogil=True)
def draw_pathway(rng, path_cum, c):
    """Pathway of an arrival of class c: one uniform against the class's cumulative
    shares (the last pathway takes any rounding remainder)."""
    u = rng.random()
    n = path_cum.shape[1]
    for p in range(n - 1):
        if u < path_cum[c, p]:
            return p
    return n - 1


@njit(cache=True, nogil=True)
def draw_document(rng, doc_f, doc_i):
    """Travel-document group of a removal order and the days until its document is ready
    (no draw when there is one group without a delay: no [travel_documents])."""
    n = doc_f.shape[0]
    if n == 1 and doc_i[0, DI_HAS_DELAY] == 0:
        return 0, 0.0
    u = rng.random()
    g = n - 1
    for j in range(n - 1):
        if u < doc_f[j, DF_CUM]:
            g = j
            break
    if doc_i[g, DI_HAS_DELAY] == 0:
        return g, 0.0
    return g, draw_stay(rng, doc_i[g, DI_DIST], doc_f[g, DF_P1], doc_f[g, DF_P2]) * doc_f[
        g, DF_FACTOR
    ]


@njit(cache=True, nogil=True)
def court_service(rng, court_f):
    """A judge's time on one detained case (days)."""
    if court_f[CF_FIXED] > 0.0:
        return 1.0 / court_f[CF_RATE]
    return rng.exponential(1.0 / court_f[CF_RATE])


@njit(cache=True, nogil=True)
def admission_escort(rng, escort_f, counted, ledger, vols):
    """Officer-hours of one admission: the intake escort, and a transfer for a share of
    admissions (one uniform per admission, only when transfers are configured). When
    `counted` (a reported day), charges them to the day's officer-hours (ledger: its
    LEDGER_RECORD) and books the trips (a share 1 / persons_per_trip of a trip each) and the
    transfer in vols (its CASE_DAY_RECORD). Returns the hours, which the caller takes from
    the day's hours left whatever the day."""
    hours = escort_f[EF_INTAKE]
    trips = 0.0
    moved = False
    if escort_f[EF_P_AIR] + escort_f[EF_P_GROUND] > 0.0:
        u = rng.random()
        if u < escort_f[EF_P_AIR]:
            hours += escort_f[EF_AIR]
            trips = escort_f[EF_TRIPS_AIR]
            moved = True
        elif u < escort_f[EF_P_AIR] + escort_f[EF_P_GROUND]:
            hours += escort_f[EF_GROUND]
            trips = escort_f[EF_TRIPS_GROUND]
            moved = True
    if counted:
        if hours > 0.0:
            ledger.escort_transport += hours
        vols.escorted_trips_intake += escort_f[EF_TRIPS_INTAKE]
        vols.escorted_trips_transfers += trips
        if moved:
            vols.transfers += 1
    return hours


@njit(cache=True, nogil=True)
def next_departure(mode_f, dep_k):
    """Earliest next departure over the modes (lowest mode first on ties): (time, mode)."""
    best = np.inf
    best_m = -1
    for m in range(mode_f.shape[0]):
        t = dep_k[m] / mode_f[m, MF_PER_DAY]
        if t < best:
            best = t
            best_m = m
    return best, best_m


@njit(cache=True, nogil=True)
def pathway_stay(rng, path_i, path_f, p):
    """Days from admission to the decision (to the docket for a court pathway); no draw for
    a pathway without a stay (a court pathway straight to the docket, a diversion)."""
    if path_i[p, PI_HAS_STAY] == 0:
        return 0.0
    return draw_stay(rng, path_i[p, PI_DIST], path_f[p, PF_P1], path_f[p, PF_P2])
