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
from ..scenario import Scenario
from ..scenario.uncertainty import apply_draws, draw_parameters
from ..stages import arrests, book_ins, cases, detention, officers, transport
from . import kernel as k
from .invariants import OK, InvariantError
from .structures import (
    ArrestDayCounts,
    CaseDayCounts,
    CaseDayVolumes,
    CaseTotals,
    ClassDayCounts,
    ClassTotals,
    DayCounts,
    DayVolumes,
    FixedBookIns,
    Horizon,
    KernelInputs,
    ModeDayVolumes,
    ModeTotals,
    OfficerHours,
    OfficerSupply,
    Options,
    PathwayTotals,
    Streams,
    Totals,
    table,
    totals,
)

__all__ = ["InvariantError", "ReplicateOutput", "kernel_inputs", "run_replicates"]

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
    daily_case_volumes: CaseDayVolumes | None = None  # the case side's daily volumes
    daily_modes: ModeDayVolumes | None = None  # (days, modes) each: used, hours
    stopped: bool = False  # stopped through the stop flag before the end of the horizon


_EMPTY_F = np.empty(0, dtype=np.float64)
_EMPTY_B = np.empty(0, dtype=np.bool_)
_EMPTY_I = np.empty(0, dtype=np.int64)


def kernel_inputs(
    sc: Scenario,
    replicate: int,
    validate: bool = False,
    fixed: tuple[np.ndarray, ...] | None = None,
    stop: np.ndarray | None = None,
    capacity: int = 1024,
) -> KernelInputs:
    """The kernel's arguments for one replicate of a scenario whose parameter draws are
    applied, each stage's built by the stage; see simulate_replicate for `fixed`, and
    Options for `stop` and `capacity`."""
    seed = sc.scenario.seed
    arrest_sources = arrests.engine_input(sc)
    # Arrest classes split the people in beds at the start by their book-ins at the start.
    inflow = arrests.booked_in_at_start(arrest_sources) if sc.arrests is not None else None
    if fixed is None:
        arr, stays, rem, cls, pws = _EMPTY_F, _EMPTY_F, _EMPTY_B, _EMPTY_I, _EMPTY_I
    else:
        arr, stays, rem = fixed[:3]
        cls = fixed[3] if len(fixed) > 3 else np.zeros(len(arr), dtype=np.int64)
        pws = fixed[4] if len(fixed) > 4 else _EMPTY_I
    return KernelInputs(
        Horizon(-sc.scenario.warmup_days, sc.scenario.days),
        book_ins.engine_input(sc, inflow),
        detention.engine_input(sc),
        arrest_sources,
        officers.engine_input(sc),
        cases.engine_input(sc),
        transport.engine_input(sc),
        Streams(*(stream(seed, replicate, name) for name in Streams._fields)),
        FixedBookIns(
            np.asarray(arr, dtype=np.float64),
            np.asarray(stays, dtype=np.float64),
            np.asarray(rem, dtype=np.bool_),
            np.asarray(cls, dtype=np.int64),
            np.asarray(pws, dtype=np.int64),
        ),
        Options(validate, np.zeros(1, dtype=np.int64) if stop is None else stop, capacity),
    )


def simulate_replicate(
    sc: Scenario,
    replicate: int,
    validate: bool = False,
    fixed: tuple[np.ndarray, ...] | None = None,
    stop: np.ndarray | None = None,
    capacity: int = 1024,
) -> ReplicateOutput:
    """One replicate of a validated scenario (parameter draws applied here).

    `fixed` = (times, stays, decisions[, classes[, pathways]]) replaces the book-in process
    by known book-ins (exact tests); on the case side the stays are those of the pathways
    (for a pathway to the docket, the time before it) and decisions are used only for
    book-ins without a pathway. `stop`, an int64[1] array, stops the run early when another
    thread sets it (the output then says `stopped`). `capacity` is the people containers'
    initial size (Options.capacity: it changes no result).
    """
    drawn = draw_parameters(sc, replicate)
    rsc = apply_draws(sc, drawn)
    inputs = kernel_inputs(rsc, replicate, validate, fixed, stop, capacity)
    out = k.compiled(inputs.cases.on)(*inputs)
    if out.stopped:
        raise KeyboardInterrupt
    if out.error != OK:
        raise InvariantError(out.error, replicate)
    arrests_on = rsc.arrests is not None
    warmup = rsc.scenario.warmup_days
    days = rsc.scenario.days
    supply = inputs.officers
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
        daily_arrests=table(out.arrests_day, ArrestDayCounts, days) if arrests_on else None,
        pool_left=out.pool_left if arrests_on else None,
        hours_by_day=OfficerSupply(*(col[warmup:] for col in supply)) if arrests_on else None,
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
        arrivals = arrests.expected_attempts(sc)
    else:
        seg_start, seg_rate = book_ins.rate_segments(sc)
        ends = np.append(seg_start[1:], days)
        arrivals = float(np.sum(seg_rate.sum(axis=1) * (ends - seg_start)))
        arrivals += 6 * math.sqrt(arrivals)
    initial = sum(st.initial_count() or 0 for _, st in sc.classes())
    initial += sc.detention.initial_detained
    bed_values = [sc.detention.beds] + [s.beds for s in sc.detention.beds_schedule]
    # With arrests nobody queues for a bed either: a full bed throttles or diverts.
    bounded = sc.detention.when_full == "release" or sc.arrests is not None
    if bounded and "unlimited" not in bed_values:
        return max(max(int(b) for b in bed_values), initial) + 1.0
    return arrivals + initial


def check_fits_in_memory(sc: Scenario, workers: int, file: str) -> None:
    people = max(expected_people(draw) for draw in extreme_scenarios(sc))
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


def extreme_scenarios(sc: Scenario) -> list[Scenario]:
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
