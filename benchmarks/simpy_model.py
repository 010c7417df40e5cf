"""Contract-v1 detention model written in plain SimPy: the reference enforcesim is compared with.

Every book-in is a SimPy process. Beds are a `simpy.Container` whose level is the number of
people in beds and whose capacity is the bed count: a person puts one unit in to take a bed
(under when_full = "wait" the put waits, first come first served, in the Container's queue)
and takes it out on leaving. People ordered removed wait in a `simpy.Store` (first in, first
out, so in order of the time the order was made) until a departure process, running at
t = k / departures_per_day, seats up to `seats_per_departure` of them.

The semantics are those of the scenario contract (shared spec/scenario-contract.md), the
same as enforcesim's kernel, and so are the random streams: replicate i of seed s draws
book-in gaps, stays, removal decisions and initial residual stays from
`SeedSequence(s, spawn_key=(i, n))` with the stream numbers of `enforcesim.rng.STREAMS`, in
the same order. Run on the same seed, the two models therefore see the same people, which is
how the tests can compare them exactly as well as statistically.

Not supported here: `[uncertainty]` (parameter draws) and the per-day table; the reference
computes the contract's summary metrics of each replicate.

    import simpy_model                 # with benchmarks/ on sys.path
    df = simpy_model.run(scenario, seed=1, replicates=30)   # a TOML path, dict or Scenario
    df["detained"].mean()                                   # one row per replicate
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import simpy

from enforcesim.scenario import Scenario, parse_scenario, read_toml

# Stream numbers of enforcesim.rng.STREAMS: keep equal so both models can share draws.
STREAMS = {"arrivals": 0, "stays": 1, "removal": 2, "initial": 3}


def stream(seed: int, replicate: int, name: str) -> np.random.Generator:
    ss = np.random.SeedSequence(seed, spawn_key=(replicate, STREAMS[name]))
    return np.random.Generator(np.random.PCG64(ss))


def load(scenario: str | Path | dict[str, Any] | Scenario) -> Scenario:
    """A validated scenario from a TOML path, a parsed TOML dict or a Scenario."""
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, dict):
        return parse_scenario(scenario, "<dict>")
    raw, _ = read_toml(Path(scenario))
    return parse_scenario(raw, str(scenario))


class Beds(simpy.Container):
    """Occupied beds: level = people in beds, capacity = beds in force.

    The contract allows what Container refuses: no beds at all, more people than beds at the
    start (initial_detained), and a cut below the level (nobody is evicted; admissions stop
    until the level falls under the new capacity). So the capacity is set after construction,
    and an increase admits from the waiting queue at once.
    """

    def __init__(self, env: simpy.Environment, beds: float, occupied: int):
        super().__init__(env, capacity=max(beds, occupied, 1), init=occupied)
        self._capacity = beds

    def set_capacity(self, beds: float) -> None:
        self._capacity = beds
        self._trigger_put(None)

    @property
    def full(self) -> bool:
        return self._level >= self._capacity


@dataclass
class Tally:
    """Counts and integrals over the reported horizon [0, days)."""

    days: float
    last_t: float
    detained: int = 0  # people in beds now
    waiting: int = 0  # people in the holding queue now
    simulated_book_ins: int = 0  # warm-up included: the benchmark's unit of work
    book_ins: int = 0
    admitted: int = 0
    turned_away: int = 0
    removals: int = 0
    releases: int = 0
    departures: int = 0
    area_detained: float = 0.0
    area_waiting: float = 0.0
    sum_wait_bed: float = 0.0
    sum_los: float = 0.0
    n_left: int = 0
    sum_wait_transport: float = 0.0
    n_departed: int = 0

    def counts(self, t: float) -> bool:
        return 0.0 <= t < self.days

    def advance(self, t: float) -> None:
        """Integrate the stocks up to t (call before changing them)."""
        lo, hi = max(self.last_t, 0.0), min(t, self.days)
        if hi > lo:
            self.area_detained += self.detained * (hi - lo)
            self.area_waiting += self.waiting * (hi - lo)
        self.last_t = t


class DetentionModel:
    """One replicate of a scenario, built as SimPy processes; `run()` returns its metrics."""

    def __init__(self, sc: Scenario, replicate: int = 0, seed: int | None = None):
        if sc.uncertainty:
            raise NotImplementedError("the SimPy reference does not draw [uncertainty]")
        self.sc = sc
        seed = sc.scenario.seed if seed is None else seed
        t_start = -sc.scenario.warmup_days
        self.env = simpy.Environment(initial_time=t_start)
        self.tally = Tally(days=float(sc.scenario.days), last_t=float(t_start))
        self.rng_arrivals = stream(seed, replicate, "arrivals")
        self.rng_stays = stream(seed, replicate, "stays")
        self.rng_removal = stream(seed, replicate, "removal")
        det = sc.detention
        self.release_when_full = det.when_full == "release"
        self.removal_share = det.removal_share
        self.draw_stay = stay_sampler(
            det.length_of_stay.dist, det.length_of_stay.mean, det.length_of_stay.sd, self.rng_stays
        )
        self.beds = Beds(self.env, bed_count(det.beds), det.initial_detained)
        self.tally.detained = det.initial_detained
        self.seat_queue = simpy.Store(self.env) if sc.transport else None

        self._start_initial(stream(seed, replicate, "initial"))
        self.env.process(self.book_ins())
        if sc.transport:
            self.env.process(self.departures())
        if det.beds_schedule:
            self.env.process(self.bed_plan())

    # --- processes ----------------------------------------------------------------------
    def book_ins(self) -> Generator[simpy.Event, Any, None]:
        """Poisson arrivals with a piecewise-constant rate (exact: gaps restart at each step)."""
        env = self.env
        starts, rates = rate_segments(self.sc)
        seg = 0
        while True:
            end = starts[seg + 1] if seg + 1 < len(starts) else math.inf
            if rates[seg] > 0.0:
                gap = self.rng_arrivals.standard_exponential() / rates[seg]
                if env.now + gap < end:
                    yield env.timeout(gap)
                    stay = self.draw_stay()
                    removed = self.rng_removal.random() < self.removal_share
                    env.process(self.person(stay, removed))
                    continue
            if end == math.inf:
                return
            yield env.timeout(end - env.now)
            seg += 1

    def person(self, stay: float, removed: bool) -> Generator[simpy.Event, Any, None]:
        env, tally, beds = self.env, self.tally, self.beds
        arrived = env.now
        tally.simulated_book_ins += 1
        if tally.counts(arrived):
            tally.book_ins += 1
        if self.release_when_full and beds.full:
            if tally.counts(arrived):
                tally.turned_away += 1
            return
        bed = beds.put(1)
        if not bed.triggered:
            tally.advance(arrived)
            tally.waiting += 1
            yield bed
            tally.advance(env.now)
            tally.waiting -= 1
        admitted = env.now
        tally.advance(admitted)
        tally.detained += 1
        if tally.counts(admitted):
            tally.admitted += 1
            tally.sum_wait_bed += admitted - arrived
        yield env.timeout(stay)
        yield from self.leave(admitted, removed)

    def in_bed_at_start(
        self, admitted: float, remaining: float, removed: bool
    ) -> Generator[simpy.Event, Any, None]:
        yield self.env.timeout(remaining)
        yield from self.leave(admitted, removed)

    def leave(self, admitted: float, removed: bool) -> Generator[simpy.Event, Any, None]:
        """The case is decided: released now, or removed (after a seat, if [transport])."""
        env, tally = self.env, self.tally
        ordered = env.now
        if removed and self.seat_queue is not None:
            seated = env.event()
            yield self.seat_queue.put(seated)
            yield seated
        now = env.now
        tally.advance(now)
        tally.detained -= 1
        if tally.counts(now):
            tally.sum_los += now - admitted
            tally.n_left += 1
            if removed:
                tally.removals += 1
                tally.sum_wait_transport += now - ordered
                tally.n_departed += 1
            else:
                tally.releases += 1
        yield self.beds.get(1)

    def departures(self) -> Generator[simpy.Event, Any, None]:
        """Departures at t = k / f, each seating up to `seats` people in order of their order."""
        env, tr = self.env, self.sc.transport
        assert tr is not None and self.seat_queue is not None
        f = tr.departures_per_day
        k = math.ceil(env.now * f)
        while k / f < env.now:
            k += 1
        while True:
            yield env.timeout(k / f - env.now)
            for _ in range(min(tr.seats_per_departure, len(self.seat_queue.items))):
                seated = yield self.seat_queue.get()
                seated.succeed()
            if self.tally.counts(env.now):
                self.tally.departures += 1
            k += 1

    def bed_plan(self) -> Generator[simpy.Event, Any, None]:
        for step in self.sc.detention.beds_schedule:
            yield self.env.timeout(step.day - self.env.now)
            self.beds.set_capacity(bed_count(step.beds))

    def _start_initial(self, rng: np.random.Generator) -> None:
        """People in beds at the start: residual stays of a stationary M/G/infinity stock."""
        det = self.sc.detention
        draw_biased = length_biased_sampler(
            det.length_of_stay.dist, det.length_of_stay.mean, det.length_of_stay.sd, rng
        )
        t0 = self.env.now
        for _ in range(det.initial_detained):
            x = draw_biased()
            u = rng.random()
            removed = rng.random() < det.removal_share
            self.env.process(self.in_bed_at_start(t0 - (1.0 - u) * x, u * x, removed))

    # --- results ------------------------------------------------------------------------
    def run(self) -> dict[str, float]:
        self.env.run(until=self.tally.days)
        self.tally.advance(self.tally.days)
        return self.metrics()

    def metrics(self) -> dict[str, float]:
        t, days, costs = self.tally, self.tally.days, self.sc.costs
        beds = reported_beds(self.sc)
        detained = t.area_detained / days
        cost_total = (
            t.area_detained * costs.bed_day
            + t.book_ins * costs.per_book_in
            + t.departures * costs.per_departure
        )
        return {
            "book_ins_per_day": t.book_ins / days,
            "admitted_per_day": t.admitted / days,
            "turned_away_per_day": t.turned_away / days,
            "turned_away_share": ratio(t.turned_away, t.book_ins),
            "detained": detained,
            "waiting_for_bed": t.area_waiting / days,
            "wait_for_bed_days": ratio(t.sum_wait_bed, t.admitted),
            "occupancy": math.nan if np.isinf(beds).any() else ratio(detained, beds.mean()),
            "removals_per_day": t.removals / days,
            "releases_per_day": t.releases / days,
            "length_of_stay_days": ratio(t.sum_los, t.n_left),
            "wait_for_transport_days": ratio(t.sum_wait_transport, t.n_departed),
            "cost_total": cost_total,
            "cost_per_removal": ratio(cost_total, t.removals),
            "simulated_book_ins": float(t.simulated_book_ins),
        }


# --- scenario helpers -------------------------------------------------------------------
def ratio(num: float, den: float) -> float:
    return num / den if den > 0 else math.nan


def bed_count(beds: int | str) -> float:
    return math.inf if beds == "unlimited" else float(beds)


def reported_beds(sc: Scenario) -> np.ndarray:
    """Beds in force on each reported day (inf = unlimited)."""
    out = np.full(sc.scenario.days, bed_count(sc.detention.beds))
    for step in sc.detention.beds_schedule:
        out[step.day :] = bed_count(step.beds)
    return out


def rate_segments(sc: Scenario) -> tuple[list[float], list[float]]:
    starts = [float(-sc.scenario.warmup_days)] + [float(s.day) for s in sc.book_ins.schedule]
    rates = [sc.book_ins.rate_per_day] + [s.rate_per_day for s in sc.book_ins.schedule]
    if len(starts) > 1 and starts[1] == starts[0]:  # a step at day 0 without warm-up
        starts, rates = starts[1:], rates[1:]
    return starts, rates


def lognormal_parameters(mean: float, sd: float) -> tuple[float, float]:
    sigma2 = math.log1p((sd / mean) ** 2)
    return math.log(mean) - sigma2 / 2, math.sqrt(sigma2)


def stay_sampler(dist: str, mean: float, sd: float | None, rng: np.random.Generator):
    """A function drawing one stay (days) with the given mean and sd."""
    if dist == "fixed":
        return lambda: mean
    if dist == "exponential":
        return lambda: rng.exponential(mean)
    assert sd is not None
    if dist == "lognormal":
        mu, sigma = lognormal_parameters(mean, sd)
        return lambda: rng.lognormal(mu, sigma)
    shape, scale = (mean / sd) ** 2, sd * sd / mean
    return lambda: rng.gamma(shape, scale)


def length_biased_sampler(dist: str, mean: float, sd: float | None, rng: np.random.Generator):
    """A stay drawn with probability proportional to its length (what a snapshot sees)."""
    if dist == "fixed":
        return lambda: mean
    if dist == "exponential":
        return lambda: rng.gamma(2.0, mean)
    assert sd is not None
    if dist == "lognormal":
        mu, sigma = lognormal_parameters(mean, sd)
        return lambda: rng.lognormal(mu + sigma * sigma, sigma)
    shape, scale = (mean / sd) ** 2, sd * sd / mean
    return lambda: rng.gamma(shape + 1.0, scale)


def simulate(
    scenario: str | Path | dict[str, Any] | Scenario, replicate: int = 0, seed: int | None = None
) -> dict[str, float]:
    """The metrics of one replicate (NaN for a null ratio), plus `simulated_book_ins`."""
    return DetentionModel(load(scenario), replicate, seed).run()


def run(
    scenario: str | Path | dict[str, Any] | Scenario,
    seed: int | None = None,
    replicates: int | None = None,
) -> pd.DataFrame:
    """Replicates 0..n-1 one after the other: one row per replicate, one column per metric."""
    sc = load(scenario)
    n = sc.scenario.replicates if replicates is None else replicates
    rows = [DetentionModel(sc, i, seed).run() for i in range(n)]
    df = pd.DataFrame(rows)
    df.index.name = "replicate"
    return df
