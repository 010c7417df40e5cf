"""Replicates: draw parameters, build the kernel's inputs, run them over worker threads.

The kernel releases the GIL, so replicates run in parallel threads without copying state
between processes. Each replicate owns its random streams (see rng.py), so the results do
not depend on the number of workers or on the order in which replicates finish.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from ..errors import NO_VALUE, Problem, ScenarioError
from ..interrupt import interruptible, stop_flag
from ..rng import stream
from ..scenario import Escort, Scenario, resolve_share_key
from ..uncertainty import apply_draws, draw_parameters
from . import arrests as ar
from . import cases as cs
from . import kernel as k

_DIST_CODES = {
    "fixed": k.FIXED,
    "exponential": k.EXPONENTIAL,
    "lognormal": k.LOGNORMAL,
    "gamma": k.GAMMA,
}

# Memory the kernel holds per person in a bed or a queue (heap 17 B, queues up to 24 B),
# with head-room for array doubling; and per output row (8 int64 columns).
BYTES_PER_PERSON = 64
BYTES_PER_DAILY_ROW = 8 * 8 + 16


class InvariantError(RuntimeError):
    """Validation mode found a broken conservation law: a bug, never a user error."""


@dataclass(frozen=True)
class ReplicateOutput:
    replicate: int
    daily: np.ndarray  # (days, N_DAILY) int64
    acc: np.ndarray  # (N_ACC,) float64
    scenario: Scenario  # the scenario with this replicate's parameter draws
    drawn: dict[str, float | int]
    daily_streams: np.ndarray  # (days, streams, N_CLASS_DAILY) int64
    acc_streams: np.ndarray  # (streams, N_CLASS_ACC) float64
    daily_extra: np.ndarray  # (days, N_EXTRA) float64: bed-days, full time, departures,
    #                            departures short of seats
    officer_hours: np.ndarray  # (days, 3) float64: activities H_ARRESTS, H_ESCORT, H_CASEWORK
    daily_cases: np.ndarray  # (days, N_X_DAILY) int64: case side (zeros for v1)
    acc_cases: np.ndarray  # (N_X_ACC,) float64
    acc_pathways: np.ndarray  # (pathways + 2, N_PATH_ACC) float64
    acc_modes: np.ndarray  # (modes, N_MODE_ACC) float64
    # With [arrests] (None otherwise):
    daily_arrests: np.ndarray | None = None  # (days, classes, N_ARREST_DAILY) int64
    pool_left: np.ndarray | None = None  # (days, sources) pool at the end of each day
    hours_by_day: np.ndarray | None = None  # (days, 3) available, casework, officers
    # Case side (zeros, and no modes, for v1):
    daily_case_volumes: np.ndarray | None = None  # (days, N_V_DAILY) float64: court, docket,
    #                                              document-wait and ATD days, escort trips
    daily_modes: np.ndarray | None = None  # (days, modes, N_MD_DAILY): used, hours


def stay_parameters(dist: str, mean: float, sd: float | None) -> tuple[int, float, float]:
    """Kernel parameters of a stay distribution given by its mean and sd (days)."""
    if dist == "lognormal":
        assert sd is not None
        sigma2 = math.log1p((sd / mean) ** 2)
        return k.LOGNORMAL, math.log(mean) - sigma2 / 2, math.sqrt(sigma2)
    if dist == "gamma":
        assert sd is not None
        return k.GAMMA, (mean / sd) ** 2, sd * sd / mean
    return _DIST_CODES[dist], mean, 0.0


def rate_segments(sc: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """Start of each segment where every stream's rate is constant, and the rates
    (segments x streams). The first segment starts at the start of warm-up."""
    t_start = float(-sc.scenario.warmup_days)
    if sc.arrests is not None:  # arrests: rates are set day by day in the kernel
        return np.array([t_start]), np.zeros((1, len(sc.classes())))
    assert sc.book_ins is not None
    streams = [st for _, st in sc.book_ins.stream_list()]
    starts = sorted(
        {t_start}
        | {float(step.day) for st in streams for step in st.schedule if step.day > t_start}
    )
    rates = np.empty((len(starts), len(streams)), dtype=np.float64)
    for j, st in enumerate(streams):
        steps = [(t_start, st.rate_per_day)] + [(float(x.day), x.rate_per_day) for x in st.schedule]
        for i, t in enumerate(starts):
            rates[i, j] = [r for day, r in steps if day <= t][-1]
    return np.array(starts, dtype=np.float64), rates


def stream_parameters(sc: Scenario) -> dict[str, np.ndarray]:
    """Per-stream stay parameters, removal shares and initial populations for the kernel."""
    det = sc.detention
    streams = sc.classes()
    codes, p1s, p2s, shares, means = [], [], [], [], []
    for _, st in streams:
        los = st.length_of_stay or det.length_of_stay
        assert los is not None  # validated: every stream has a stay distribution
        code, p1, p2 = stay_parameters(los.dist, los.mean, los.sd)
        codes.append(code)
        p1s.append(p1)
        p2s.append(p2)
        means.append(los.mean)
        shares.append(det.removal_share if st.removal_share is None else st.removal_share)
    if any(st.initial_detained is not None for _, st in streams):
        initial = [st.initial_detained or 0 for _, st in streams]
    else:
        initial = split_initial(
            det.initial_detained, [r * m for r, m in zip(initial_rates(sc), means, strict=True)]
        )
    return {
        "dist": np.array(codes, dtype=np.int64),
        "p1": np.array(p1s, dtype=np.float64),
        "p2": np.array(p2s, dtype=np.float64),
        "share": np.array(shares, dtype=np.float64),
        "initial": np.array(initial, dtype=np.int64),
    }


def initial_rates(sc: Scenario) -> list[float]:
    """Each class's inflow at the start, to split detention.initial_detained by: a stream's
    rate, or an arrest class's attempts x share booked in."""
    if sc.arrests is None:
        return [st.rate_per_day for _, st in sc.classes()]
    inp = ar.build_inputs(sc)
    rates = inp.src_rate_by_day[0][:, None] * inp.src_mix * inp.src_par[:, ar.P_BOOKED, None]
    return [float(x) for x in rates.reshape(-1)]


def split_initial(total: int, weights: list[float]) -> list[int]:
    """Split a whole number in proportion to weights (largest remainders; equal if all 0)."""
    w = np.array(weights, dtype=np.float64)
    if w.sum() <= 0:
        w = np.ones_like(w)
    exact = total * w / w.sum()
    out = np.floor(exact).astype(np.int64)
    order = np.argsort(-(exact - out), kind="stable")
    out[order[: total - int(out.sum())]] += 1
    return [int(x) for x in out]


def beds_by_day(sc: Scenario) -> np.ndarray:
    """Beds in force on each day from the start of warm-up; -1 for unlimited."""
    warmup, days = sc.scenario.warmup_days, sc.scenario.days

    def code(b: int | str) -> int:
        return -1 if b == "unlimited" else int(b)

    out = np.full(warmup + days, code(sc.detention.beds), dtype=np.int64)
    for step in sc.detention.beds_schedule:
        out[warmup + step.day :] = code(step.beds)
    return out


@dataclass(frozen=True)
class CaseArrays:
    """The kernel's inputs for the case and transport side (see cases.py for the layout)."""

    on: bool
    path_cum: np.ndarray
    path_i: np.ndarray
    path_f: np.ndarray
    judges_by_day: np.ndarray
    court_f: np.ndarray
    doc_f: np.ndarray
    doc_i: np.ndarray
    mode_f: np.ndarray
    escort_f: np.ndarray

    def args(self) -> tuple[object, ...]:
        return (
            self.on,
            self.path_cum,
            self.path_i,
            self.path_f,
            self.judges_by_day,
            self.court_f,
            self.doc_f,
            self.doc_i,
            self.mode_f,
            self.escort_f,
        )


_OUTCOMES = {
    "removal": cs.O_REMOVAL,
    "release": cs.O_RELEASE,
    "voluntary_departure": cs.O_VOLUNTARY,
}


def case_arrays(sc: Scenario) -> CaseArrays:
    """Pathways (resolved to a class x pathway table of cumulative shares), judges, travel
    documents, removal modes and escort hours, as the kernel's arrays. A v1 scenario gets
    inert arrays and on = False."""
    names = list(sc.pathways)
    n_real = len(names)
    path_i = np.zeros((n_real + 2, cs.N_PATH_I), dtype=np.int64)
    path_f = np.zeros((n_real + 2, cs.N_PATH_F), dtype=np.float64)
    for j, name in enumerate(names):
        pw = sc.pathways[name]
        outcome = pw.outcome or "release"
        counts = pw.counts_as_removal
        if counts is None:
            counts = outcome == "removal"
        path_i[j, cs.PI_OUTCOME] = _OUTCOMES[outcome]
        path_i[j, cs.PI_COUNTS] = int(counts)
        path_i[j, cs.PI_COURT] = int(pw.court)
        path_i[j, cs.PI_DIVERSION] = int(pw.diversion)
        if pw.diversion:
            path_f[j, cs.PF_ATD_DAYS] = pw.atd_days()
        if pw.stay is not None:
            code, p1, p2 = stay_parameters(pw.stay.dist, pw.stay.mean, pw.stay.sd)
            path_i[j, cs.PI_DIST], path_i[j, cs.PI_HAS_STAY] = code, 1
            path_f[j, cs.PF_P1], path_f[j, cs.PF_P2] = p1, p2
    path_i[n_real + cs.PW_V1_RELEASE, cs.PI_OUTCOME] = cs.O_RELEASE
    path_i[n_real + cs.PW_V1_REMOVAL, cs.PI_OUTCOME] = cs.O_REMOVAL
    path_i[n_real + cs.PW_V1_REMOVAL, cs.PI_COUNTS] = 1

    classes = [name for name, _ in sc.classes()]
    path_cum = np.zeros((len(classes), n_real), dtype=np.float64)
    for c, cls in enumerate(classes):
        if n_real:
            key = resolve_share_key(cls, sc.pathway_shares)
            assert key is not None  # validated
            row = sc.pathway_shares[key]
            path_cum[c] = np.cumsum([row.get(name, 0.0) for name in names])

    warmup, days = sc.scenario.warmup_days, sc.scenario.days
    judges = np.zeros(warmup + days, dtype=np.int64)
    court_f = np.ones(cs.N_COURT_F, dtype=np.float64)
    if sc.courts is not None:
        judges[:] = sc.courts.judges
        for step in sc.courts.judges_schedule:
            judges[warmup + step.day :] = step.judges
        court_f[cs.CF_RATE] = (
            sc.courts.completions_per_judge_per_day * sc.courts.detained_docket_share
        )
        court_f[cs.CF_FIXED] = float(sc.courts.completion_time == "fixed")

    tr = sc.transport
    on = sc.has_case_side()
    modes = tr.mode_list() if tr and on else []  # v1 departures stay on the v1 code path
    mode_index = {name: m for m, (name, _) in enumerate(modes)}
    default_mode = next((m for m, (_, md) in enumerate(modes) if md.groups is None), 0)
    mode_f = np.zeros((len(modes), cs.N_MODE_F), dtype=np.float64)
    for m, (_, md) in enumerate(modes):
        mode_f[m] = (
            md.departures_per_day,
            md.seats_per_departure,
            md.officers_per_departure * md.hours_per_departure,
            md.hours_per_departure,
        )

    td = sc.travel_documents
    groups = list(td.groups.items()) if td else []
    doc_f = np.zeros((max(len(groups), 1), cs.N_DOC_F), dtype=np.float64)
    doc_i = np.zeros((max(len(groups), 1), cs.N_DOC_I), dtype=np.int64)
    doc_f[:, cs.DF_CUM] = 1.0
    doc_f[:, cs.DF_FACTOR] = 1.0
    doc_i[:, cs.DI_MODE] = default_mode
    claimed = {g: mode_index[name] for name, md in modes for g in (md.groups or [])}
    total = 0.0
    for j, (gname, grp) in enumerate(groups):
        total += grp.share
        doc_f[j, cs.DF_CUM] = total
        doc_i[j, cs.DI_MODE] = claimed.get(gname, default_mode)
        if grp.delay is not None:
            code, p1, p2 = stay_parameters(grp.delay.dist, grp.delay.mean, grp.delay.sd)
            doc_i[j, cs.DI_DIST], doc_i[j, cs.DI_HAS_DELAY] = code, 1
            doc_f[j, cs.DF_P1], doc_f[j, cs.DF_P2] = p1, p2
            if grp.uncooperative:
                doc_f[j, cs.DF_FACTOR] = td.uncooperative_delay_factor  # type: ignore[union-attr]

    escort_f = np.zeros(cs.N_ESCORT_F, dtype=np.float64)
    if tr and tr.intake:
        e = tr.intake
        escort_f[cs.EF_INTAKE] = _hours_per_person(e)
        escort_f[cs.EF_TRIPS_INTAKE] = 1.0 / e.persons_per_trip
    if tr and tr.transfers:
        x = tr.transfers
        escort_f[cs.EF_P_AIR] = x.share * x.air_share
        escort_f[cs.EF_P_GROUND] = x.share * (1.0 - x.air_share)
        escort_f[cs.EF_AIR] = _hours_per_person(x.air)
        escort_f[cs.EF_GROUND] = _hours_per_person(x.ground)
        escort_f[cs.EF_TRIPS_AIR] = 1.0 / x.air.persons_per_trip
        escort_f[cs.EF_TRIPS_GROUND] = 1.0 / x.ground.persons_per_trip
    return CaseArrays(on, path_cum, path_i, path_f, judges, court_f, doc_f, doc_i, mode_f, escort_f)


def _hours_per_person(e: Escort) -> float:
    """Officer-hours of an escorted trip, per person carried."""
    return e.officers_per_trip * e.hours_per_trip / e.persons_per_trip


_EMPTY_F = np.empty(0, dtype=np.float64)
_EMPTY_B = np.empty(0, dtype=np.bool_)
_EMPTY_I = np.empty(0, dtype=np.int64)


def simulate_replicate(
    sc: Scenario,
    replicate: int,
    validate: bool = False,
    fixed: tuple[np.ndarray, ...] | None = None,
    stop: np.ndarray | None = None,
) -> ReplicateOutput:
    """One replicate of a validated scenario (parameter draws applied here).

    `fixed` = (times, stays, decisions[, classes[, pathways]]) replaces the book-in process
    by known book-ins (exact tests); on the case side the stays are those of the pathways
    (for a court pathway, the time before the docket) and decisions are used only for
    book-ins without a pathway. `stop` (int64[1]): stop[0] != 0, set before or during the
    run (from another thread), ends it within a few thousand events with KeyboardInterrupt.
    """
    if stop is None:
        stop = np.zeros(1, dtype=np.int64)
    drawn = draw_parameters(sc, replicate)
    rsc = apply_draws(sc, drawn)
    seed = sc.scenario.seed
    det = rsc.detention
    par = stream_parameters(rsc)
    seg_start, seg_rate = rate_segments(rsc)
    tr = rsc.transport
    cases = case_arrays(rsc)
    # With the case side on, v1 departures run as a removal mode (cases.py), not here.
    v1_transport = tr is not None and tr.departures_per_day is not None and not cases.on
    if fixed is None:
        arr, stays, rem, cls, pws = _EMPTY_F, _EMPTY_F, _EMPTY_B, _EMPTY_I, _EMPTY_I
    else:
        arr, stays, rem = fixed[:3]
        cls = fixed[3] if len(fixed) > 3 else np.zeros(len(arr), dtype=np.int64)
        pws = fixed[4] if len(fixed) > 4 else _EMPTY_I
    arr_in = ar.build_inputs(rsc)
    (
        daily,
        acc,
        daily_c,
        acc_c,
        error,
        extra,
        daily_a,
        officer_hours,
        pool_left,
        daily_x,
        acc_x,
        acc_p,
        acc_m,
        daily_v,
        daily_m,
    ) = k.compiled(cases.on)(
        -rsc.scenario.warmup_days,
        rsc.scenario.days,
        seg_start,
        seg_rate,
        beds_by_day(rsc),
        det.when_full == "wait",
        par["dist"],
        par["p1"],
        par["p2"],
        par["share"],
        par["initial"],
        v1_transport,
        float(tr.departures_per_day) if v1_transport else 1.0,  # type: ignore[union-attr,arg-type]
        int(tr.seats_per_departure) if v1_transport else 0,  # type: ignore[union-attr,arg-type]
        stream(seed, replicate, "arrivals"),
        stream(seed, replicate, "stays"),
        stream(seed, replicate, "removal"),
        stream(seed, replicate, "initial"),
        stream(seed, replicate, "stream_class"),
        validate,
        np.asarray(arr, dtype=np.float64),
        np.asarray(stays, dtype=np.float64),
        np.asarray(rem, dtype=np.bool_),
        np.asarray(cls, dtype=np.int64),
        *_arrest_args(arr_in),
        stream(seed, replicate, "arrest_attempts"),
        stream(seed, replicate, "arrest_class"),
        stream(seed, replicate, "arrest_booked_in"),
        *cases.args(),
        stream(seed, replicate, "pathway"),
        stream(seed, replicate, "court"),
        stream(seed, replicate, "documents"),
        stream(seed, replicate, "transfers"),
        np.asarray(pws, dtype=np.int64),
        stop,
    )
    if error == k.STOPPED:
        raise KeyboardInterrupt
    if error != k.OK:
        what = {
            k.ERR_ADMIT_OVER_BEDS: "an admission while detained >= beds",
            k.ERR_DETAINED_BALANCE: "detained stock does not balance its flows",
            k.ERR_QUEUE_BALANCE: "holding-queue stock does not balance its flows",
        }[error]
        raise InvariantError(f"replicate {replicate}: invariant broken: {what}")
    arrests = rsc.arrests is not None
    warmup = rsc.scenario.warmup_days
    return ReplicateOutput(
        replicate,
        daily,
        acc,
        rsc,
        drawn,
        daily_c,
        acc_c,
        extra,
        officer_hours,
        daily_x,
        acc_x,
        acc_p,
        acc_m,
        daily_arrests=daily_a if arrests else None,
        pool_left=pool_left if arrests else None,
        hours_by_day=arr_in.hours_by_day[warmup:] if arrests else None,
        daily_case_volumes=daily_v,
        daily_modes=daily_m,
    )


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def memory_limit_bytes() -> int:
    """The memory a run may plan to use: 3/4 of physical memory, or ENFORCESIM_MAX_MEMORY."""
    env = os.environ.get("ENFORCESIM_MAX_MEMORY")
    if env:
        try:
            return int(float(env))
        except ValueError:
            raise ScenarioError(
                [Problem("ENFORCESIM_MAX_MEMORY", "", env, "must be a number of bytes")]
            ) from None
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover
        total = 8 * 2**30
    return int(total * 0.75)


def expected_people(sc: Scenario) -> float:
    """Upper bound on the people one replicate may hold in memory at once (in beds or queues).

    In "release" mode with finite beds nobody queues for a bed, and everyone waiting for a
    seat holds a bed, so the population is bounded by the beds (or the initial population).
    Otherwise, in the worst case every expected arrival is still held at the end.
    """
    days = sc.scenario.days
    if sc.arrests is not None:
        arrivals = ar.expected_attempts(sc)
    else:
        seg_start, seg_rate = rate_segments(sc)
        ends = np.append(seg_start[1:], days)
        arrivals = float(np.sum(seg_rate.sum(axis=1) * (ends - seg_start)))
        arrivals += 6 * math.sqrt(arrivals)
    initial = sum(st.initial_detained or 0 for _, st in sc.classes())
    initial += sc.detention.initial_detained
    bed_values = [sc.detention.beds] + [s.beds for s in sc.detention.beds_schedule]
    # With arrests nobody queues for a bed either: a full bed throttles or diverts.
    bounded = sc.detention.when_full == "release" or sc.arrests is not None
    if bounded and "unlimited" not in bed_values:
        return max(max(int(b) for b in bed_values), initial) + 1.0
    return arrivals + initial


def check_fits_in_memory(sc: Scenario, workers: int, file: str) -> None:
    people = max(expected_people(draw) for draw in _extreme_scenarios(sc))
    reps = sc.scenario.replicates
    need = (
        min(workers, reps) * people * BYTES_PER_PERSON
        + reps * sc.scenario.days * BYTES_PER_DAILY_ROW * 2
    )
    limit = memory_limit_bytes()
    if need > limit:
        what = (
            f"this run would need about {need / 2**30:.1f} GiB of memory "
            f"({people:,.0f} people held at once per replicate in the worst case, "
            f"{reps:,} replicate(s) x {sc.scenario.days:,} days of daily output), "
            f"more than the {limit / 2**30:.1f} GiB allowed"
        )
        hint = (
            "use fewer replicates, fewer days or fewer workers "
            "(the limit can be set with ENFORCESIM_MAX_MEMORY, in bytes)"
        )
        raise ScenarioError([Problem(file, "scenario", NO_VALUE, f"{what}; {hint}")])


def _extreme_scenarios(sc: Scenario) -> list[Scenario]:
    """The scenario and, for values under uncertainty, their upper bounds where finite."""
    if not sc.uncertainty:
        return [sc]
    hi = {}
    for path, d in sc.uncertainty.items():
        top = getattr(d, "high", None)
        if top is None:
            top = d.mean + 6 * d.sd
        hi[path] = top
    from ..uncertainty import draw_value

    return [sc, apply_draws(sc, {p: draw_value(p, sc.uncertainty[p], 1.0 - 1e-12) for p in hi})]


_compiled: set[bool] = set()


def _arrest_args(inp: ar.ArrestInputs) -> tuple[np.ndarray, ...]:
    return (
        inp.src_rate_by_day,
        inp.src_par,
        inp.src_mix,
        inp.pool_init,
        inp.hours_by_day,
        inp.opts,
    )


def ensure_compiled(case_side: bool = False) -> None:
    """Compile (or load from cache) the kernel once, before threads race to do it: the v1
    specialisation always, the case-side one (kernel.compiled) when a scenario needs it."""
    for flavour in {False, case_side} - _compiled:
        rng = np.random.Generator(np.random.PCG64(0))
        one_f = np.ones(1)
        one_i = np.ones(1, dtype=np.int64)
        sc = Scenario.model_validate(
            {
                "scenario": {"name": "compile", "days": 1},
                "book_ins": {"rate_per_day": 0.0},
                "detention": {
                    "beds": 0,
                    "when_full": "release",
                    "length_of_stay": {"dist": "fixed", "mean": 1.0},
                },
                **({"transport": {"intake": {}}} if flavour else {}),
            }
        )
        k.compiled(flavour)(
            0,
            1,
            np.zeros(1),
            np.zeros((1, 1)),
            one_i,
            False,
            one_i * k.FIXED,
            one_f,
            one_f * 0,
            one_f,
            one_i * 0,
            False,
            1.0,
            0,
            rng,
            rng,
            rng,
            rng,
            rng,
            False,
            _EMPTY_F,
            _EMPTY_F,
            _EMPTY_B,
            _EMPTY_I,
            *_arrest_args(ar.empty_inputs(1)),
            rng,
            rng,
            rng,
            *case_arrays(sc).args(),
            rng,
            rng,
            rng,
            rng,
            _EMPTY_I,
            np.zeros(1, dtype=np.int64),
        )
        _compiled.add(flavour)


def simulate_replicates(
    sc: Scenario, replicates: Iterable[int], validate: bool = False
) -> list[ReplicateOutput]:
    """The given replicates of a scenario, one after another, in the order given.

    Replicate i depends only on the seed and i (rng.py), so any split of 0..n-1 into ranges
    run anywhere and put back in order equals `run_replicates`.
    """
    ensure_compiled(sc.has_case_side())
    return [simulate_replicate(sc, i, validate) for i in replicates]


def run_replicates(
    sc: Scenario,
    workers: int | None = None,
    validate: bool = False,
    on_done: Callable[[int], None] | None = None,
) -> list[ReplicateOutput]:
    """All replicates of a scenario, in replicate order.

    Replicates run in worker threads, even with one worker, so that the main thread stays
    free to take Ctrl-C: it then stops every replicate within a few thousand events and
    raises KeyboardInterrupt (see interrupt.py).
    """
    n = sc.scenario.replicates
    workers = min(workers or default_workers(), n)
    ensure_compiled(sc.has_case_side())
    with interruptible(), stop_flag() as stop, ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(simulate_replicate, sc, i, validate, None, stop) for i in range(n)]
        out = []
        try:
            for i, f in enumerate(futures):
                out.append(f.result())
                if on_done:
                    on_done(i)
        except BaseException:
            # Whatever ends the run early, replicates still running must not outlive it.
            stop[0] = 1
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return out
