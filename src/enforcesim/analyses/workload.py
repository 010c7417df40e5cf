"""How much a run or a study will simulate, estimated before anything runs, and the limit on it.

The work of one replicate is counted in events, the kernel's unit of work: arrivals (book-ins
of every stream and schedule, or attempted arrests of every source, CBP transfers from
encounters included) over warm-up and horizon, the people detained at the start, day
boundaries and scheduled departures. These are expected values, taken at the upper bounds
of the values under [uncertainty]; each person who gets a bed adds roughly one more event
when they leave, which the measured speed below already includes. A run is its replicates
times its runs: one, or 2^n with bottleneck attribution over n constraints, each relaxed
variant estimated on its own.

Beyond the limit (DEFAULT_MAX_EVENTS, or ENFORCESIM_MAX_EVENTS) a run, a sweep or a Sobol
study is refused before it starts, with exit code 2 and a line that gives the estimate, the
limit and how to raise it, like the memory limit (runner.check_fits_in_memory), which
`check_run` applies too. `enforcesim validate FILE` prints the estimate without running.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from ..errors import NO_VALUE, Problem, ScenarioError
from ..scenario import Scenario
from ..stages.arrests import source_rates_by_day
from ..stages.book_ins import rate_segments

ENV_MAX_EVENTS = "ENFORCESIM_MAX_EVENTS"
# 20 billion events: 1.5 to 4 hours of one core (see the speeds below). Every shipped
# scenario, even with all its bottleneck runs (at most 4.9e8 events), is within 3% of it; a
# rate or a day count a thousand times too large is not.
DEFAULT_MAX_EVENTS = 2e10
# Events per CPU-second of one thread, warm kernel, simulation alone (no compilation, no
# result tables), from `.venv/bin/python benchmarks/events_per_second.py` on the 2-core Xeon
# of benchmarks/results.json (busy; CPU time): 3.8-5.7 million for scenarios without the case
# side (arrests included), 1.5 million with it. Machines and scenarios differ, so a time
# derived from these is rough (a factor of 3 either way).
EVENTS_PER_SECOND = 4e6
EVENTS_PER_SECOND_CASE_SIDE = 1.5e6


def replicate_events(sc: Scenario) -> float:
    """Expected events of one replicate (at the upper bounds of its uncertain values)."""
    from ..engine.runner import extreme_scenarios

    return max(_events(variant) for variant in extreme_scenarios(sc))


def _events(sc: Scenario) -> float:
    total_days = sc.scenario.warmup_days + sc.scenario.days
    if sc.arrests is not None:
        arrivals = float(source_rates_by_day(sc).sum())
    else:
        seg_start, seg_rate = rate_segments(sc)
        ends = np.append(seg_start[1:], float(sc.scenario.days))
        arrivals = float(np.sum(seg_rate.sum(axis=1) * (ends - seg_start)))
    initial = sc.detention.initial_detained + sum(st.initial_count() or 0 for _, st in sc.classes())
    per_day = (
        sum(md.departures_per_day for _, md in sc.transport.mode_list()) if sc.transport else 0
    )
    return arrivals + initial + total_days * (1.0 + per_day)


def bottleneck_variants(sc: Scenario, bottlenecks: bool | None = None) -> list[frozenset[str]]:
    """The constraint subsets relaxed by bottleneck attribution (with the empty one, the run
    itself); just that one when there is no attribution. `bottlenecks` as in api.run."""
    if not (bottlenecks or (bottlenecks is None and sc.bottlenecks is not None)):
        return [frozenset()]
    from ..bottlenecks import constraint_names

    names = constraint_names(sc)
    return [frozenset(s) for size in range(len(names) + 1) for s in combinations(names, size)]


@dataclass(frozen=True)
class Workload:
    """The estimated work of a run: events per replicate, replicates and runs."""

    events: float  # in all
    events_per_replicate: float  # of the run as given (not of its relaxed variants)
    replicates: int
    runs: int  # 1, or 2^n with bottleneck attribution
    threads: int  # replicates simulated at once
    case_side: bool  # the case side runs: the slower kernel
    central: bool = False  # the central run simulates the replicates once more

    def seconds(self) -> float:
        """A rough time on this machine's cores, from the measured events per second."""
        return self.events / (self.events_per_second() * max(self.threads, 1))

    def events_per_second(self) -> float:
        """The measured speed of one thread on this kind of scenario."""
        return EVENTS_PER_SECOND_CASE_SIDE if self.case_side else EVENTS_PER_SECOND

    def describe(self) -> str:
        runs = f" x {self.runs:,} bottleneck runs" if self.runs > 1 else ""
        central = ", and the central run" if self.central else ""
        return (
            f"about {self.events:.3g} events ({self.events_per_replicate:.3g} per replicate "
            f"x {self.replicates:,} replicate(s){runs}{central})"
        )


def run_workload(
    sc: Scenario, workers: int, bottlenecks: bool | None = None, central: bool | None = None
) -> Workload:
    """The estimated work of api.run on a validated scenario (its replicates and seed set),
    `bottlenecks` and `central` as in api.run: the central run (with [uncertainty]) simulates
    the replicates once more, counted at the run's own upper-bound estimate."""
    from ..bottlenecks import relaxed

    reps = sc.scenario.replicates
    variants = bottleneck_variants(sc, bottlenecks)
    per_rep = replicate_events(sc)
    total = reps * sum(per_rep if not s else replicate_events(relaxed(sc, s)) for s in variants)
    with_central = bool(sc.uncertainty) and central is not False
    if with_central:
        total += reps * per_rep
    return Workload(
        total, per_rep, reps, len(variants), min(workers, reps), sc.has_case_side(), with_central
    )


def max_events() -> float:
    """The limit on the events of one command: DEFAULT_MAX_EVENTS or ENFORCESIM_MAX_EVENTS."""
    env = os.environ.get(ENV_MAX_EVENTS)
    if not env:
        return DEFAULT_MAX_EVENTS
    try:
        limit = float(env)
    except ValueError:
        limit = -1.0
    if not limit > 0:
        raise ScenarioError(
            [Problem(ENV_MAX_EVENTS, "", env, "must be a number of events > 0, e.g. 1e11")]
        )
    return limit


def refusal(what: str, events: float) -> str | None:
    """The refusal of work beyond the limit (None within it); `what` says what would simulate
    `events`, e.g. "this run would simulate about 3e12 events (...)"."""
    limit = max_events()
    if events <= limit:
        return None
    return (
        f"{what}, more than the limit of {limit:.3g}; use a lower rate, fewer days or fewer "
        f"replicates, or raise the limit with {ENV_MAX_EVENTS}={_above(events)}"
    )


def _above(events: float) -> str:
    """A round number of events at or above the estimate (e.g. 4e12 for 3.65e12)."""
    if not math.isfinite(events):
        return "inf"
    exponent = math.floor(math.log10(events))
    mantissa = math.ceil(events / 10.0**exponent - 1e-9)
    return f"{mantissa}e{exponent}"


def check_events(workload: Workload, file: str) -> None:
    """Refuse (ScenarioError) a run whose estimated events exceed the limit."""
    message = refusal(f"this run would simulate {workload.describe()}", workload.events)
    if message:
        raise ScenarioError([Problem(file, "scenario", NO_VALUE, message)])


def check_run(
    sc: Scenario,
    workers: int,
    file: str,
    bottlenecks: bool | None,
    central: bool | None = None,
) -> Workload:
    """Both limits on a run before it starts, memory then events; returns the estimate."""
    from ..engine.runner import check_fits_in_memory

    check_fits_in_memory(sc, workers, file)
    workload = run_workload(sc, workers, bottlenecks, central)
    check_events(workload, file)
    return workload


def explain(workload: Workload) -> list[str]:
    """What `enforcesim validate` prints about a run's work: the estimate, the limit and a
    rough time."""
    env = os.environ.get(ENV_MAX_EVENTS)
    source = f"set by {ENV_MAX_EVENTS}" if env else f"the default; {ENV_MAX_EVENTS} raises it"
    return [
        f"work: {workload.describe()}",
        f"limit: {max_events():.3g} events ({source})",
        f"time: roughly {_duration(workload.seconds())} on {workload.threads} thread(s), "
        "compilation aside (rough: from a measured "
        f"{workload.events_per_second():.2g} events per second per thread)",
    ]


def _duration(seconds: float) -> str:
    if seconds < 1:
        return "under a second"
    units = (("days", 86400), ("hours", 3600), ("minutes", 60), ("seconds", 1))
    unit, size = next((u, n) for u, n in units if seconds >= 2 * n or n == 1)
    x = seconds / size
    return f"{x:,.0f} {unit}" if x < 1e6 else f"{x:.2g} {unit}"


def check_study(
    file: str, what: str, scenarios: Iterable[Scenario], replicates: int | None = None
) -> float:
    """Refuse (ScenarioError) a study whose runs together exceed the limit, before the first
    runs: `scenarios` are its runs (a sweep's points to run, a Sobol sample's rows, the
    compared files), each with `replicates` (default: its own) and its bottleneck runs if
    it has [bottlenecks]. `what` names the study ("sweep"). Returns the estimate."""
    total, runs = 0.0, 0
    for sc in scenarios:
        w = run_workload(sc, 1)
        total += w.events / w.replicates * (replicates or w.replicates)
        runs += w.runs
    message = refusal(
        f"this {what} would simulate about {total:.3g} events in {runs:,} runs", total
    )
    if message:
        raise ScenarioError([Problem(file, "", NO_VALUE, message)])
    return total
