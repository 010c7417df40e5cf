"""Book-ins: people booked into detention, as a Poisson process with a piecewise-constant
rate, or the sum of several named streams."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

import numpy as np
from numba import njit
from pydantic import Field

from ..errors import NO_VALUE
from ..schema.base import Name, StrictModel, meta
from ..schema.errors import Violation
from ..schema.stays import StayDistribution
from ..schema.steps import Steps
from .constraint import Constraint
from .detention import (
    LENGTH_OF_STAY_SCHEDULE_DOC,
    REMOVAL_SHARE_SCHEDULE_DOC,
    Detention,
    RemovalShareStep,
    StayStep,
    stay_parameters,
)
from .outputs import (
    Breakdown,
    DailyColumns,
    Definitions,
    MetricSet,
    StageOutputs,
    ratio,
    reported_days,
)
from .volume import VolumeFn

if TYPE_CHECKING:
    from ..scenario import Scenario


class RateStep(StrictModel):
    day: int = Field(ge=0, description="First day the rate applies (integer in [0, days)).")
    rate_per_day: float = Field(
        ge=0,
        description="Poisson rate from this day on.",
        json_schema_extra=meta("persons/day", varies=True),
    )


class Cohort(StrictModel):
    """People of one stream in beds at the start who were admitted the same time ago."""

    admitted_days_ago: float = Field(
        ge=0,
        description="Days in custody at the start (admitted this many days before the start "
        "of warm-up, or of day 0 without warm-up).",
        json_schema_extra=meta("days"),
    )
    count: int = Field(
        ge=0,
        description="People of this cohort in beds at the start.",
        json_schema_extra=meta("persons"),
    )


class Stream(StrictModel):
    """One named flow of book-ins (for example by arresting agency): its own Poisson rate and
    schedule, and optionally its own stays and removal share."""

    rate_per_day: float = Field(
        ge=0,
        description="Rate of this stream before its first schedule step, warm-up included.",
        json_schema_extra=meta("persons/day", varies=True),
    )
    schedule: Steps[RateStep] = Field(
        default_factory=list,
        description="Piecewise-constant steps of this stream, same rules as `book_ins.schedule`.",
    )
    length_of_stay: StayDistribution | None = Field(
        None, description="Stays of this stream (default: `detention.length_of_stay`)."
    )
    removal_share: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Share of this stream's decided cases ordered removed "
        "(default: `detention.removal_share`).",
        json_schema_extra=meta("share", varies=True),
    )
    removal_share_schedule: Steps[RemovalShareStep] = Field(
        default_factory=list,
        description=REMOVAL_SHARE_SCHEDULE_DOC
        + " Default: `detention.removal_share_schedule` if the stream sets no "
        "`removal_share`.",
    )
    length_of_stay_schedule: Steps[StayStep] = Field(
        default_factory=list,
        description=LENGTH_OF_STAY_SCHEDULE_DOC
        + " Default: `detention.length_of_stay_schedule` if the stream sets no "
        "`length_of_stay`.",
    )
    initial_detained: int | None = Field(
        None,
        ge=0,
        description="People of this stream in beds at the start. If no stream "
        "sets it, `detention.initial_detained` is split between streams in proportion to "
        "rate x mean stay at the start.",
        json_schema_extra=meta("persons", varies=True),
    )
    initial_cohorts: list[Cohort] = Field(
        default_factory=list,
        description="People of this stream in beds at the start by time already in custody, "
        "`[{ admitted_days_ago, count }, ...]`, for a population that is not in steady state "
        "(e.g. after fast growth). Each person's remaining stay is drawn from the stream's "
        "stay given that it already lasted `admitted_days_ago` days (a fixed stay already "
        "exceeded ends at the start), instead of the stationary residual stay. "
        "`initial_detained` may then be omitted (it is the counts' sum) or must equal it.",
    )

    def violations(self) -> list[Violation]:
        """initial_detained, if given with cohorts, is their total."""
        total = sum(c.count for c in self.initial_cohorts)
        if self.initial_cohorts and self.initial_detained not in (None, total):
            return [
                Violation(
                    ("initial_detained",),
                    self.initial_detained,
                    f"must equal the sum of initial_cohorts counts ({total}) or be omitted",
                )
            ]
        return []

    def initial_count(self) -> int | None:
        """People of this stream in beds at the start, if the stream sets them."""
        if self.initial_cohorts:
            return sum(c.count for c in self.initial_cohorts)
        return self.initial_detained


class BookIns(StrictModel):
    """People booked into detention: a Poisson process with a piecewise-constant rate, or
    the sum of several named streams (an extension of the contract)."""

    SECTION_NEEDS: ClassVar[str] = "rate_per_day, or [book_ins.streams.NAME] tables"

    rate_per_day: float | None = Field(
        None,
        ge=0,
        description="Rate before the first schedule step, warm-up included. "
        "Required unless `streams` are given (then not allowed).",
        json_schema_extra=meta("persons/day", varies=True),
    )
    schedule: Steps[RateStep] = Field(
        default_factory=list,
        description="Piecewise-constant steps: from `day` on, `rate_per_day`. Days strictly "
        "increasing, in [0, days).",
    )
    streams: dict[Name, Stream] = Field(
        default_factory=dict,
        description="Named streams `[book_ins.streams.NAME]` (NAME: lower-case letters, "
        "digits, _), instead of `rate_per_day` and `schedule`.",
    )

    def violations(self) -> list[Violation]:
        """Either one rate (and schedule) or named streams, each with its own."""
        found = []
        if self.streams:
            for key, value in (("rate_per_day", self.rate_per_day), ("schedule", self.schedule)):
                if value not in (None, []):
                    found.append(
                        Violation(
                            (key,),
                            NO_VALUE,
                            "not allowed with [book_ins.streams]: each stream has its own",
                        )
                    )
        elif self.rate_per_day is None:
            found.append(
                Violation(
                    ("rate_per_day",),
                    NO_VALUE,
                    "required key is missing (or give [book_ins.streams.NAME] tables); "
                    "must be a number >= 0",
                )
            )
        return found

    def stream_list(self) -> list[tuple[str, Stream]]:
        """The streams in file order; a single rate is one stream named "all"."""
        if self.streams:
            return list(self.streams.items())
        return [("all", Stream(rate_per_day=self.rate_per_day or 0.0, schedule=self.schedule))]


# --- cost volumes and constraints ---

# What costs can be charged on, per reported day (costs.py gathers every stage's).
VOLUMES: dict[str, VolumeFn] = {
    "book_ins": lambda out: out.daily.book_ins.astype(np.float64),
}

# Book-ins arrive at their rate whatever happens downstream: nothing here holds a target back.
CONSTRAINTS: tuple[Constraint, ...] = ()


# --- metrics and daily tables ---


def stream_names(sc: Any) -> list[str]:
    return [name for name, _ in sc.classes()]


METRICS: Definitions = {"book_ins_per_day": ("persons/day", "arrivals per day")}


def metrics(out: Any) -> dict[str, float]:
    return {"book_ins_per_day": out.acc.arrivals / reported_days(out)}


# Per-stream metrics (block "streams" of summary.json; for scenarios with
# [book_ins.streams], and per arrest class with [arrests]).
STREAM_METRICS: Definitions = {
    "book_ins_per_day": ("persons/day", "arrivals of the stream per day"),
    "admitted_per_day": ("persons/day", "of which got a bed, per day"),
    "detained": ("persons", "time-average number of the stream in beds"),
    "removals_per_day": ("persons/day", "removals of the stream per day"),
    "releases_per_day": ("persons/day", "releases of the stream per day"),
    "length_of_stay_days": ("days", "mean days in a bed of the stream's people who left one"),
}


def stream_metrics(out: Any) -> dict[str, dict[str, float]]:
    """Per-stream metrics of one replicate, by stream name."""
    days = reported_days(out)
    ds = out.daily_streams
    a = out.acc_streams
    result = {}
    for c, name in enumerate(stream_names(out.scenario)):
        result[name] = {
            "book_ins_per_day": ds.book_ins[:, c].sum() / days,
            "admitted_per_day": ds.admitted[:, c].sum() / days,
            "detained": a.area_detained[c] / days,
            "removals_per_day": ds.removals[:, c].sum() / days,
            "releases_per_day": ds.releases[:, c].sum() / days,
            "length_of_stay_days": ratio(a.sum_los[c], a.n_los[c]),
        }
    return result


# The stream table's columns are the engine's per-class day counts, by the same names.
STREAM_DAILY: Definitions = {
    "book_ins": ("persons/day", "arrivals of the stream in the day"),
    "admitted": ("persons/day", "of which got a bed"),
    "detained": ("persons", "the stream's people in beds at the end of the day"),
    "removals": ("persons/day", "removals of the stream in the day"),
    "releases": ("persons/day", "releases of the stream in the day"),
}

OUTPUTS = StageOutputs(
    metric_sets=(MetricSet("contract", METRICS, metrics),),
    breakdowns=(Breakdown("streams", "streams", STREAM_METRICS, stream_metrics),),
    daily=(
        DailyColumns(
            "daily",
            "contract",
            {"book_ins": ("persons/day", "arrivals in the day")},
            lambda out: [out.daily.book_ins],
            contract=True,
        ),
        DailyColumns(
            "daily_streams",
            "streams",
            STREAM_DAILY,
            lambda out: [getattr(out.daily_streams, c) for c in STREAM_DAILY],
            keys={"stream": stream_names},
        ),
    ),
)


# --- engine input and kernel helpers ---
class BookInsInput(NamedTuple):
    """Book-in streams (classes) and what each arrival draws."""

    seg_start: np.ndarray  # float64[S]: start of each rate segment (seg_start[0] = t_start)
    seg_rate: np.ndarray  # float64[S, K]: book-ins per day of each class in each segment
    stay_dist: np.ndarray  # int64[K]: stay distribution code (detention.py) of each class
    stay_p1: np.ndarray  # float64[K]: its parameters
    stay_p2: np.ndarray  # float64[K]
    removal_share: np.ndarray  # float64[K]
    initial_detained: np.ndarray  # int64[K]: people of each class in beds at t_start
    # Classes with initial cohorts: cohorts cohort_first[c]:cohort_first[c + 1] (int64[K + 1])
    # with their time in custody at t_start (float64[M]) and head-counts (int64[M]).
    cohort_first: np.ndarray
    cohort_age: np.ndarray
    cohort_count: np.ndarray
    # Classes whose stay changes by book-in date: steps los_first[c]:los_first[c + 1]
    # (int64[K + 1]), each for people booked in from time los_day (float64[L]), with its
    # stay code (int64[L]) and parameters (float64[L] each).
    los_first: np.ndarray
    los_day: np.ndarray
    los_dist: np.ndarray
    los_p1: np.ndarray
    los_p2: np.ndarray
    # Classes whose removal share changes by decision date: steps share_first[c]:
    # share_first[c + 1] (int64[K + 1]), each for stays ending from time share_day
    # (float64[R]) on, with its share (float64[R]).
    share_first: np.ndarray
    share_day: np.ndarray
    share_value: np.ndarray


class ClassDayCounts(NamedTuple):
    """int64[days, classes] each."""

    book_ins: np.ndarray
    admitted: np.ndarray
    detained: np.ndarray  # end of day
    removals: np.ndarray
    releases: np.ndarray


class ClassTotals(NamedTuple):
    """float64[classes] each."""

    area_detained: np.ndarray
    sum_los: np.ndarray
    n_los: np.ndarray
    n_admitted: np.ndarray


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


def stay_schedule(st: Stream, det: Detention) -> list[StayStep]:
    """A class's stay steps: its own, or detention's if it sets no stay of its own (a stream
    with its own stay keeps it whole)."""
    if st.length_of_stay_schedule or st.length_of_stay is not None:
        return st.length_of_stay_schedule
    return det.length_of_stay_schedule


def removal_share_schedule(st: Stream, det: Detention) -> list[RemovalShareStep]:
    """A class's removal-share steps: its own, or detention's if it sets no share of its own."""
    if st.removal_share_schedule or st.removal_share is not None:
        return st.removal_share_schedule
    return det.removal_share_schedule


def _firsts(counts: list[int]) -> np.ndarray:
    return np.cumsum([0, *counts]).astype(np.int64)


def engine_input(sc: Scenario, inflow_at_start: Sequence[float] | None = None) -> BookInsInput:
    """Rate segments, each class's stay parameters and removal share, and the people in beds
    at the start. Unless every class sets its own, detention.initial_detained is split in
    proportion to each class's inflow at the start x mean stay: `inflow_at_start` (book-ins
    per day of each class; with arrests, the arrest stage's `booked_in_at_start`), by
    default each stream's rate."""
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
    if any(st.initial_count() is not None for _, st in streams):
        initial = [st.initial_count() or 0 for _, st in streams]
    else:
        if inflow_at_start is None:
            inflow_at_start = [st.rate_per_day for _, st in streams]
        weights = [r * m for r, m in zip(inflow_at_start, means, strict=True)]
        initial = split_initial(det.initial_detained, weights)
    seg_start, seg_rate = rate_segments(sc)
    cohorts = [st.initial_cohorts for _, st in streams]
    first = np.cumsum([0] + [len(c) for c in cohorts]).astype(np.int64)
    stay_steps = [stay_schedule(st, det) for _, st in streams]
    stays = [
        stay_parameters(x.length_of_stay.dist, x.length_of_stay.mean, x.length_of_stay.sd)
        for steps in stay_steps
        for x in steps
    ]
    share_steps = [removal_share_schedule(st, det) for _, st in streams]
    return BookInsInput(
        seg_start,
        seg_rate,
        np.array(codes, dtype=np.int64),
        np.array(p1s, dtype=np.float64),
        np.array(p2s, dtype=np.float64),
        np.array(shares, dtype=np.float64),
        np.array(initial, dtype=np.int64),
        first,
        np.array([x.admitted_days_ago for c in cohorts for x in c], dtype=np.float64),
        np.array([x.count for c in cohorts for x in c], dtype=np.int64),
        _firsts([len(steps) for steps in stay_steps]),
        np.array([x.day for steps in stay_steps for x in steps], dtype=np.float64),
        np.array([code for code, _, _ in stays], dtype=np.int64),
        np.array([p1 for _, p1, _ in stays], dtype=np.float64),
        np.array([p2 for _, _, p2 in stays], dtype=np.float64),
        _firsts([len(steps) for steps in share_steps]),
        np.array([x.day for steps in share_steps for x in steps], dtype=np.float64),
        np.array([x.removal_share for steps in share_steps for x in steps], dtype=np.float64),
    )


@njit(cache=True, nogil=True)
def stay_in_force(book, c, t):
    """Stay code and parameters of class c for someone booked in at time t: its last stay
    step from a day <= t, or its base stay before the first (or without steps)."""
    dist, p1, p2 = book.stay_dist[c], book.stay_p1[c], book.stay_p2[c]
    for j in range(book.los_first[c], book.los_first[c + 1]):
        if book.los_day[j] > t:
            break
        dist, p1, p2 = book.los_dist[j], book.los_p1[j], book.los_p2[j]
    return dist, p1, p2


@njit(cache=True, nogil=True)
def removal_share_in_force(book, c, t):
    """Removal share of class c for a case decided at time t: its last share step from a day
    <= t, or its base share."""
    share = book.removal_share[c]
    for j in range(book.share_first[c], book.share_first[c + 1]):
        if book.share_day[j] > t:
            break
        share = book.share_value[j]
    return share
