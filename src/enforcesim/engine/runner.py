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
from typing import Any

import numpy as np

from ..errors import NO_VALUE, Problem, ScenarioError
from ..interrupt import interruptible, stop_flag
from ..rng import stream
from ..scenario import Escort, Scenario, resolve_share_key
from ..scenario.uncertainty import apply_draws, draw_parameters
from . import arrests as ar
from . import cases as cs
from . import kernel as k
from .invariants import OK, InvariantError
from .structures import (
    ArrestDayCounts,
    BookIns,
    CaseDayCounts,
    CaseDayVolumes,
    Cases,
    CaseTotals,
    ClassDayCounts,
    ClassTotals,
    DayCounts,
    DayVolumes,
    Detention,
    FixedBookIns,
    Horizon,
    ModeDayVolumes,
    ModeTotals,
    OfficerHours,
    OfficerSupply,
    Options,
    PathwayTotals,
    Streams,
    Totals,
    Transport,
    table,
    totals,
)

__all__ = ["InvariantError", "ReplicateOutput", "kernel_inputs", "run_replicates"]

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


@dataclass(frozen=True)
class ReplicateOutput:
    """One replicate's kernel output, by name (structures.py for every column)."""

    replicate: int
    daily: DayCounts  # the contract's daily columns
    acc: Totals  # totals over the reported horizon (floats)
    scenario: Scenario  # the scenario with this replicate's parameter draws
    drawn: dict[str, float | int]
    daily_streams: ClassDayCounts  # (days, streams) each
    acc_streams: ClassTotals  # (streams,) each
    daily_extra: DayVolumes  # bed-days, full time, departures, departures short of seats
    officer_hours: OfficerHours  # the ledger by activity
    daily_cases: CaseDayCounts  # case side (zeros without it)
    acc_cases: CaseTotals  # floats
    acc_pathways: PathwayTotals  # (pathways + 2,) each
    acc_modes: ModeTotals  # (modes,) each
    # With [arrests] (None otherwise):
    daily_arrests: ArrestDayCounts | None = None  # (days, classes) each
    pool_left: np.ndarray | None = None  # (days, sources) pool at the end of each day
    hours_by_day: OfficerSupply | None = None  # reported days: available, casework, officers
    # Case side (zeros, and no modes, without it):
    daily_case_volumes: CaseDayVolumes | None = None  # court, docket, document-wait and ATD
    #                                                    days, escort trips
    daily_modes: ModeDayVolumes | None = None  # (days, modes) each: used, hours
    stopped: bool = False  # stopped through the stop flag before the end of the horizon


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


_OUTCOMES = {
    "removal": cs.O_REMOVAL,
    "release": cs.O_RELEASE,
    "voluntary_departure": cs.O_VOLUNTARY,
}


def case_and_transport_inputs(sc: Scenario) -> tuple[Cases, Transport]:
    """Pathways (resolved to a class x pathway table of cumulative shares), judges, travel
    documents, removal modes and escort hours, as the kernel's arrays; and the contract's
    departures, which run as a removal mode instead when the case side is on. A scenario
    without the case side gets inert arrays and on = False."""
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
    path_i[n_real + cs.PW_BY_SHARE_RELEASE, cs.PI_OUTCOME] = cs.O_RELEASE
    path_i[n_real + cs.PW_BY_SHARE_REMOVAL, cs.PI_OUTCOME] = cs.O_REMOVAL
    path_i[n_real + cs.PW_BY_SHARE_REMOVAL, cs.PI_COUNTS] = 1

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
    # Without the case side, the contract's departures run on the book-in model's own path.
    modes = tr.mode_list() if tr and on else []
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
    scheduled = tr is not None and tr.departures_per_day is not None and not on
    transport = Transport(
        scheduled,
        float(tr.departures_per_day) if scheduled else 1.0,  # type: ignore[union-attr,arg-type]
        int(tr.seats_per_departure) if scheduled else 0,  # type: ignore[union-attr,arg-type]
        mode_f,
        escort_f,
    )
    cases = Cases(on, path_cum, path_i, path_f, judges, court_f, doc_f, doc_i)
    return cases, transport


def _hours_per_person(e: Escort) -> float:
    """Officer-hours of an escorted trip, per person carried."""
    return e.officers_per_trip * e.hours_per_trip / e.persons_per_trip


_EMPTY_F = np.empty(0, dtype=np.float64)
_EMPTY_B = np.empty(0, dtype=np.bool_)
_EMPTY_I = np.empty(0, dtype=np.int64)


def kernel_inputs(
    sc: Scenario,
    replicate: int,
    validate: bool = False,
    fixed: tuple[np.ndarray, ...] | None = None,
    stop: np.ndarray | None = None,
) -> tuple[Any, ...]:
    """The kernel's arguments for one replicate of a scenario whose parameter draws are
    applied: (horizon, book_ins, detention, arrests, cases, transport, streams, fixed,
    options); see simulate_replicate for `fixed`, and Options for `stop`."""
    seed = sc.scenario.seed
    par = stream_parameters(sc)
    seg_start, seg_rate = rate_segments(sc)
    cases, transport = case_and_transport_inputs(sc)
    if fixed is None:
        arr, stays, rem, cls, pws = _EMPTY_F, _EMPTY_F, _EMPTY_B, _EMPTY_I, _EMPTY_I
    else:
        arr, stays, rem = fixed[:3]
        cls = fixed[3] if len(fixed) > 3 else np.zeros(len(arr), dtype=np.int64)
        pws = fixed[4] if len(fixed) > 4 else _EMPTY_I
    return (
        Horizon(-sc.scenario.warmup_days, sc.scenario.days),
        BookIns(
            seg_start, seg_rate, par["dist"], par["p1"], par["p2"], par["share"], par["initial"]
        ),
        Detention(beds_by_day(sc), sc.detention.when_full == "wait"),
        ar.build_inputs(sc),
        cases,
        transport,
        Streams(*(stream(seed, replicate, name) for name in Streams._fields)),
        FixedBookIns(
            np.asarray(arr, dtype=np.float64),
            np.asarray(stays, dtype=np.float64),
            np.asarray(rem, dtype=np.bool_),
            np.asarray(cls, dtype=np.int64),
            np.asarray(pws, dtype=np.int64),
        ),
        Options(validate, np.zeros(1, dtype=np.int64) if stop is None else stop),
    )


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
    book-ins without a pathway. `stop`, an int64[1] array, stops the run early when another
    thread sets it (the output then says `stopped`).
    """
    drawn = draw_parameters(sc, replicate)
    rsc = apply_draws(sc, drawn)
    inputs = kernel_inputs(rsc, replicate, validate, fixed, stop)
    out = k.compiled(inputs[4].on)(*inputs)
    if out.stopped:
        raise KeyboardInterrupt
    if out.error != OK:
        raise InvariantError(out.error, replicate)
    arrests = rsc.arrests is not None
    warmup = rsc.scenario.warmup_days
    days = rsc.scenario.days
    supply = inputs[3].hours
    return ReplicateOutput(
        replicate,
        table(out.day, DayCounts, days),
        totals(out.totals, Totals),
        rsc,
        drawn,
        table(out.class_day, ClassDayCounts, days),
        table(out.class_totals, ClassTotals),
        table(out.day, DayVolumes, days),
        table(out.ledger, OfficerHours, days),
        table(out.case_day, CaseDayCounts, days),
        totals(out.case_totals, CaseTotals),
        table(out.pathways, PathwayTotals),
        table(out.modes, ModeTotals),
        daily_arrests=table(out.arrests_day, ArrestDayCounts, days) if arrests else None,
        pool_left=out.pool_left if arrests else None,
        hours_by_day=OfficerSupply(*(col[warmup:] for col in supply)) if arrests else None,
        daily_case_volumes=table(out.case_day, CaseDayVolumes, days),
        daily_modes=table(out.mode_day, ModeDayVolumes, days),
        stopped=out.stopped,
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
    from ..scenario.uncertainty import draw_value

    return [sc, apply_draws(sc, {p: draw_value(p, sc.uncertainty[p], 1.0 - 1e-12) for p in hi})]


_compiled: set[bool] = set()


def ensure_compiled(case_side: bool = False) -> None:
    """Compile (or load from cache) the kernel once, before threads race to do it: the book-in
    model's specialisation always, the case side's (kernel.compiled) when a scenario needs
    it. The arguments are built as for a run, so their types are a run's."""
    for case_on in {False, case_side} - _compiled:
        sc = Scenario.model_validate(
            {
                "scenario": {"name": "compile", "days": 1},
                "book_ins": {"rate_per_day": 0.0},
                "detention": {
                    "beds": 0,
                    "when_full": "release",
                    "length_of_stay": {"dist": "fixed", "mean": 1.0},
                },
                **({"transport": {"intake": {}}} if case_on else {}),
            }
        )
        k.compiled(case_on)(*kernel_inputs(sc, 0))
        _compiled.add(case_on)


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
