"""Replicates: draw parameters, build the kernel's inputs, run them over worker threads.

The kernel releases the GIL, so replicates run in parallel threads without copying state
between processes. Each replicate owns its random streams (see rng.py), so the results do
not depend on the number of workers or on the order in which replicates finish.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from ..errors import NO_VALUE, Problem, ScenarioError
from ..rng import stream
from ..scenario import Scenario
from ..uncertainty import apply_draws, draw_parameters
from . import arrests as ar
from . import kernel as k

_DIST_CODES = {"fixed": k.FIXED, "exponential": k.EXPONENTIAL, "lognormal": k.LOGNORMAL,
               "gamma": k.GAMMA}

# Memory the kernel holds per person in a bed or a queue (heap 17 B, queues up to 24 B),
# with head-room for array doubling; and per output row (8 int64 columns).
BYTES_PER_PERSON = 64
BYTES_PER_DAILY_ROW = 8 * 8 + 16


class InvariantError(RuntimeError):
    """Validation mode found a broken conservation law: a bug, never a user error."""


@dataclass(frozen=True)
class ReplicateOutput:
    replicate: int
    daily: np.ndarray          # (days, N_DAILY) int64
    acc: np.ndarray            # (N_ACC,) float64
    scenario: Scenario         # the scenario with this replicate's parameter draws
    drawn: dict[str, float | int]
    daily_streams: np.ndarray  # (days, streams, N_CLASS_DAILY) int64
    acc_streams: np.ndarray    # (streams, N_CLASS_ACC) float64
    daily_extra: np.ndarray | None = None  # (days, N_EXTRA) float64: bed-days, full time,
    #                                        departures, departures short of seats
    # With [arrests] (empty otherwise):
    daily_arrests: np.ndarray | None = None   # (days, classes, N_ARREST_DAILY) int64
    officer_hours: np.ndarray | None = None   # (days, 3) float64: the ledger by activity
    pool_left: np.ndarray | None = None       # (days, sources) pool at the end of each day
    hours_by_day: np.ndarray | None = None    # (days, 3) available, casework, officers


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
    starts = sorted({t_start} | {float(step.day) for st in streams for step in st.schedule
                                 if step.day > t_start})
    rates = np.empty((len(starts), len(streams)), dtype=np.float64)
    for j, st in enumerate(streams):
        steps = [(t_start, st.rate_per_day)] + [(float(x.day), x.rate_per_day)
                                                 for x in st.schedule]
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
        initial = split_initial(det.initial_detained,
                                [r * m for r, m in zip(initial_rates(sc), means, strict=True)])
    return {"dist": np.array(codes, dtype=np.int64), "p1": np.array(p1s, dtype=np.float64),
            "p2": np.array(p2s, dtype=np.float64),
            "share": np.array(shares, dtype=np.float64),
            "initial": np.array(initial, dtype=np.int64)}


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
        out[warmup + step.day:] = code(step.beds)
    return out


_EMPTY_F = np.empty(0, dtype=np.float64)
_EMPTY_B = np.empty(0, dtype=np.bool_)
_EMPTY_I = np.empty(0, dtype=np.int64)


def simulate_replicate(
    sc: Scenario,
    replicate: int,
    validate: bool = False,
    fixed: tuple[np.ndarray, ...] | None = None,
) -> ReplicateOutput:
    """One replicate of a validated scenario (parameter draws applied here).

    `fixed` = (times, stays, decisions[, classes]) replaces the book-in process by known
    book-ins (exact tests).
    """
    drawn = draw_parameters(sc, replicate)
    rsc = apply_draws(sc, drawn)
    seed = sc.scenario.seed
    det = rsc.detention
    par = stream_parameters(rsc)
    seg_start, seg_rate = rate_segments(rsc)
    tr = rsc.transport
    if fixed is None:
        arr, stays, rem, cls = _EMPTY_F, _EMPTY_F, _EMPTY_B, _EMPTY_I
    else:
        arr, stays, rem = fixed[:3]
        cls = fixed[3] if len(fixed) > 3 else np.zeros(len(arr), dtype=np.int64)
    arr_in = ar.build_inputs(rsc)
    daily, acc, daily_c, acc_c, error, extra, daily_a, ledger, pool_left = k.simulate(
        -rsc.scenario.warmup_days, rsc.scenario.days, seg_start, seg_rate, beds_by_day(rsc),
        det.when_full == "wait", par["dist"], par["p1"], par["p2"], par["share"],
        par["initial"], tr is not None,
        float(tr.departures_per_day) if tr else 1.0, int(tr.seats_per_departure) if tr else 0,
        stream(seed, replicate, "arrivals"), stream(seed, replicate, "stays"),
        stream(seed, replicate, "removal"), stream(seed, replicate, "initial"),
        stream(seed, replicate, "stream_class"),
        validate, np.asarray(arr, dtype=np.float64), np.asarray(stays, dtype=np.float64),
        np.asarray(rem, dtype=np.bool_), np.asarray(cls, dtype=np.int64),
        *_arrest_args(arr_in), stream(seed, replicate, "arrest_attempts"),
        stream(seed, replicate, "arrest_class"), stream(seed, replicate, "arrest_booked_in"),
    )
    if error != k.OK:
        what = {k.ERR_ADMIT_OVER_BEDS: "an admission while detained >= beds",
                k.ERR_DETAINED_BALANCE: "detained stock does not balance its flows",
                k.ERR_QUEUE_BALANCE: "holding-queue stock does not balance its flows"}[error]
        raise InvariantError(f"replicate {replicate}: invariant broken: {what}")
    if rsc.arrests is None:
        return ReplicateOutput(replicate, daily, acc, rsc, drawn, daily_c, acc_c, extra)
    warmup = rsc.scenario.warmup_days
    return ReplicateOutput(replicate, daily, acc, rsc, drawn, daily_c, acc_c, extra, daily_a,
                           ledger, pool_left, arr_in.hours_by_day[warmup:])


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
            raise ScenarioError([Problem("ENFORCESIM_MAX_MEMORY", "", env,
                                         "must be a number of bytes")]) from None
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
    need = (min(workers, reps) * people * BYTES_PER_PERSON
            + reps * sc.scenario.days * BYTES_PER_DAILY_ROW * 2)
    limit = memory_limit_bytes()
    if need > limit:
        raise ScenarioError([Problem(
            file, "scenario", NO_VALUE,
            f"this run would need about {need / 2**30:.1f} GiB of memory "
            f"({people:,.0f} people held at once per replicate in the worst case, "
            f"{reps:,} replicate(s) x {sc.scenario.days:,} days of daily output), more than "
            f"the {limit / 2**30:.1f} GiB allowed; use fewer replicates, fewer days or "
            f"fewer workers (the limit can be set with ENFORCESIM_MAX_MEMORY, in bytes)")])


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
    return [sc, apply_draws(sc, {p: draw_value(p, sc.uncertainty[p], 1.0 - 1e-12)
                                 for p in hi})]


_compiled = False


def _arrest_args(inp: ar.ArrestInputs) -> tuple[np.ndarray, ...]:
    return (inp.src_rate_by_day, inp.src_par, inp.src_mix, inp.pool_init, inp.hours_by_day,
            inp.opts)


def ensure_compiled() -> None:
    """Compile (or load from cache) the kernel once, before threads race to do it."""
    global _compiled
    if _compiled:
        return
    rng = np.random.Generator(np.random.PCG64(0))
    one_f = np.ones(1)
    one_i = np.ones(1, dtype=np.int64)
    k.simulate(0, 1, np.zeros(1), np.zeros((1, 1)), one_i, False, one_i * k.FIXED, one_f,
               one_f * 0, one_f, one_i * 0, False, 1.0, 0, rng, rng, rng, rng, rng, False,
               _EMPTY_F, _EMPTY_F, _EMPTY_B, _EMPTY_I, *_arrest_args(ar.empty_inputs(1)),
               rng, rng, rng)
    _compiled = True


def run_replicates(
    sc: Scenario,
    workers: int | None = None,
    validate: bool = False,
    on_done: Callable[[int], None] | None = None,
) -> list[ReplicateOutput]:
    """All replicates of a scenario, in replicate order."""
    n = sc.scenario.replicates
    workers = min(workers or default_workers(), n)
    ensure_compiled()
    if workers == 1:
        out = []
        for i in range(n):
            out.append(simulate_replicate(sc, i, validate))
            if on_done:
                on_done(i)
        return out
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(simulate_replicate, sc, i, validate) for i in range(n)]
        out = []
        for i, f in enumerate(futures):
            out.append(f.result())
            if on_done:
                on_done(i)
    return out
