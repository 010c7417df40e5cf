"""Dated arrest events `[[arrests.events]]`: each a dated, cited change in the arrests the
sources attempt, whose size comes from the event (an arrest quota, a number of 287(g)
agreements) and is turned into arrests per day by a named fitted scalar `[fitted.NAME]`.

A step event adds `scalar x size x split[source]` to each source's rate from its date on; a
ramp adds the same total spread evenly between `date` and `until`, as steps on the first of
each month (the level at each step: the share of the ramp's days elapsed by then). The
sources an event names are driven by events only (no hand-written `schedule`): the loader
refuses the mix. Expansion (`expanded_schedules`) is a function of the validated scenario,
evaluated where the rates are read, so an `[uncertainty]` draw of a fitted scalar (applied
to the dumped scenario, then re-validated) changes the expanded rates, and a dumped
scenario keeps its events, not their expansion. See docs/arrests.md, "Dated events and
fitted scalars".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple

from pydantic import Field

from ..errors import NO_VALUE
from ..schema.base import Name, StrictModel, meta
from ..schema.errors import Violation
from .book_ins import RateStep

if TYPE_CHECKING:
    from ..scenario import Scenario

# An event with no scalar is taken as it is: its size must then already be arrests per day.
RATE_UNIT = "arrests/day"
# Without a start date a ramp steps every 30 days counted from day 0 (a month of 30 days).
DAYS_PER_MONTH = 30


class ArrestEvent(StrictModel):
    """A dated, cited event that changes the arrests sources attempt: a step from `date` on,
    or with `until` a ramp (the total reached at `until`, added as monthly steps). Its size
    comes from the event; `scalar` names the `[fitted.NAME]` scalar that turns it into
    arrests per day (none: scalar 1, the size already in arrests/day)."""

    date: dt.date | None = Field(
        None,
        description="Calendar date the event takes effect (needs `scenario.start_date`). An "
        "event before day 0 is in force from the start of warm-up.",
        json_schema_extra=meta("date"),
    )
    day: int | None = Field(
        None,
        description="Instead of `date`: the day number it takes effect (negative: before "
        "day 0, in force from the start of warm-up).",
        json_schema_extra=meta("day"),
    )
    until: dt.date | int | None = Field(
        None,
        description="Makes the event a ramp reaching its full size on this date (a day "
        "number with `day`): monthly steps on the first of each month (every 30 days from "
        "day 0 with day numbers), each at the share of the ramp's days elapsed.",
        json_schema_extra=meta("date or day"),
    )
    what: str = Field(min_length=1, description="What happened, in words.")
    source: str = Field(
        min_length=1,
        description='Where the date and size come from ("VERIFY": a press source; '
        '"ASSUMPTION": not a published figure).',
    )
    size: float = Field(
        ge=0,
        description="The event's own size, in `unit` (e.g. a quota gap in arrests/day, a "
        "count of agreements).",
        json_schema_extra=meta("as `unit`"),
    )
    unit: str = Field(
        RATE_UNIT,
        min_length=1,
        description=f'Unit of `size`; without `scalar` it must be "{RATE_UNIT}".',
    )
    scalar: Name | None = Field(
        None,
        description="Name of the `[fitted.NAME]` scalar the size is multiplied by (none: 1).",
    )
    split: dict[Name, Annotated[float, Field(ge=0, le=1)]] = Field(
        min_length=1,
        description="Source name -> share of the event's arrests (shares sum to 1).",
        json_schema_extra=meta("share"),
    )

    def violations(self) -> list[Violation]:
        found = []
        if (self.date is None) == (self.day is None):
            found.append(
                Violation(
                    ("date",),
                    NO_VALUE,
                    "give either date (a calendar date) or day (a day number), not "
                    + ("both" if self.date is not None else "neither"),
                )
            )
        start = self.date if self.date is not None else self.day
        if self.until is not None and start is not None:
            same_kind = isinstance(self.until, dt.date) == isinstance(start, dt.date)
            if not same_kind:
                found.append(
                    Violation(
                        ("until",),
                        self.until,
                        "must be a date with date, a day number with day",
                    )
                )
            elif self.until <= start:  # type: ignore[operator]
                found.append(Violation(("until",), self.until, f"must be after {start}"))
        total = sum(self.split.values())
        if abs(total - 1.0) > 1e-9:
            found.append(Violation(("split",), NO_VALUE, f"shares must sum to 1, not {total:g}"))
        return found


class ExpandedSchedule(NamedTuple):
    """A source's rate as events make it: before the first step (warm-up included), then
    piecewise-constant steps on days 0 to days - 1."""

    rate_per_day: float
    schedule: list[RateStep]


def event_day(event: ArrestEvent, start_date: dt.date | None) -> int:
    """The day number of an event's date (day 0 = start_date)."""
    if event.day is not None:
        return event.day
    assert event.date is not None and start_date is not None
    return (event.date - start_date).days


def _until_day(event: ArrestEvent, start_date: dt.date | None) -> int | None:
    if event.until is None or isinstance(event.until, int):
        return event.until
    assert start_date is not None
    return (event.until - start_date).days


def _month_starts(first: int, last: int, start_date: dt.date | None) -> list[int]:
    """Day numbers strictly between first and last that begin a month: calendar months with
    a start date, else every 30 days from day 0."""
    if start_date is None:
        k = first // DAYS_PER_MONTH + 1
        return list(range(k * DAYS_PER_MONTH, last, DAYS_PER_MONTH))
    d = start_date + dt.timedelta(days=first)
    m = dt.date(d.year + d.month // 12, d.month % 12 + 1, 1)
    out = []
    while (m - start_date).days < last:
        out.append((m - start_date).days)
        m = dt.date(m.year + m.month // 12, m.month % 12 + 1, 1)
    return out


def event_levels(event: ArrestEvent, start_date: dt.date | None) -> list[tuple[int, float]]:
    """(day, share of the event's full size in force from that day), increasing: one step
    at its day, or for a ramp one per month start and the full size at `until`."""
    first = event_day(event, start_date)
    last = _until_day(event, start_date)
    if last is None:
        return [(first, 1.0)]
    span = last - first
    steps = [(d, (d - first) / span) for d in _month_starts(first, last, start_date)]
    return steps + [(last, 1.0)]


def event_increments(
    event: ArrestEvent, scalar: float, start_date: dt.date | None
) -> list[tuple[int, str, float]]:
    """(day, source, arrests/day added from that day on) of one event."""
    out = []
    previous = 0.0
    for day, level in event_levels(event, start_date):
        for name, share in event.split.items():
            out.append((day, name, scalar * event.size * share * (level - previous)))
        previous = level
    return out


def expand_events(
    events: list[ArrestEvent],
    base_rates: Mapping[str, float],
    scalars: Mapping[str, float],
    start_date: dt.date | None,
    days: int,
) -> dict[str, ExpandedSchedule]:
    """Each source an event names: its rate_per_day from the start (its own plus every event
    dated before day 0) and its steps on days 0 to days - 1 (later steps of a ramp fall
    outside the horizon and are dropped)."""
    added: dict[str, dict[int, float]] = {name: {} for e in events for name in e.split}
    for event in events:
        scalar = 1.0 if event.scalar is None else scalars[event.scalar]
        for day, name, delta in event_increments(event, scalar, start_date):
            at = max(day, -1)  # every day before day 0 folds into the starting rate
            added[name][at] = added[name].get(at, 0.0) + delta
    out = {}
    for name, deltas in added.items():
        rate = base_rates[name] + deltas.pop(-1, 0.0)
        steps = []
        level = rate
        for day in sorted(d for d in deltas if d < days):
            level += deltas[day]
            steps.append(RateStep(day=day, rate_per_day=level))
        out[name] = ExpandedSchedule(rate, steps)
    return out


def expanded_schedules(sc: Scenario) -> dict[str, ExpandedSchedule]:
    """The schedules the arrest events give the sources they name (none without events)."""
    if sc.arrests is None or not sc.arrests.events:
        return {}
    base = {name: float(src.rate_per_day or 0.0) for name, src in sc.arrests.sources.items()}
    scalars = {name: f.value for name, f in sc.fitted.items()}
    return expand_events(sc.arrests.events, base, scalars, sc.scenario.start_date, sc.scenario.days)


def event_violations(
    events: list[ArrestEvent],
    sources: Mapping[str, Any],
    scalar_names: list[str],
    start_date: dt.date | None,
    days: int,
) -> Iterator[Violation]:
    """What an event says about other sections: its date needs start_date, its scalar a
    [fitted] entry, its split sources that have a rate to step and no schedule of their own,
    and it must take effect before the end of the horizon."""
    mixed: set[str] = set()
    for i, event in enumerate(events):
        loc: tuple[Any, ...] = ("arrests", "events", i)
        dated = [k for k in ("date", "until") if isinstance(getattr(event, k), dt.date)]
        for key in dated:
            if start_date is None:
                yield Violation(
                    loc + (key,),
                    getattr(event, key),
                    "a date needs scenario.start_date (the date of day 0); or give a "
                    "day number (day, until as a number)",
                )
        if event.scalar is not None and event.scalar not in scalar_names:
            yield Violation(
                loc + ("scalar",),
                event.scalar,
                "must name a [fitted.NAME] scalar; valid: "
                + (", ".join(scalar_names) or "none (no [fitted] section)"),
            )
        if event.scalar is None and event.unit != RATE_UNIT:
            yield Violation(
                loc + ("unit",),
                event.unit,
                f'an event without a scalar is taken as {RATE_UNIT}: give "{RATE_UNIT}" or '
                "name the [fitted] scalar that converts its size",
            )
        for name in event.split:
            src = sources.get(name)
            if src is None:
                yield Violation(
                    loc + ("split", name),
                    event.split[name],
                    "not an arrest source; valid: " + ", ".join(sources),
                )
            elif src.per_encounter is not None:
                yield Violation(
                    loc + ("split", name),
                    event.split[name],
                    "source is driven by border encounters (per_encounter): it has no "
                    "rate_per_day for an event to add to",
                )
            elif src.schedule and name not in mixed:
                mixed.add(name)
                yield Violation(
                    ("arrests", "sources", name, "schedule"),
                    NO_VALUE,
                    "not allowed for a source that arrest events drive (an events-driven "
                    "source is driven only by events: state each step as a dated event)",
                )
        if not dated or start_date is not None:
            first = event_day(event, start_date)
            if first >= days:
                yield Violation(
                    loc + ("day" if event.day is not None else "date",),
                    event.day if event.day is not None else event.date,
                    f"takes effect on day {first}, after the horizon (days 0 to {days - 1})",
                )
