"""Fitted scalars `[fitted.NAME]`: the few numbers fitted to data that turn dated events'
sizes into model inputs (docs/arrests.md, "Dated events and fitted scalars"). Each states
its estimate, its 95 % interval, the series that identifies it and the fit window, so that a
reader sees every fitted number in one table; at most six per scenario.

`fitted_table` gives that table to reports and docs; `event_provenance` records the table
and the arrest events' expansion with a run's results, and `describe` prints both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator, Field

from ..errors import NO_VALUE
from ..schema.base import Name, StrictModel, meta
from ..schema.errors import Violation, violations_error
from ..stages.arrest_events import event_day, expanded_schedules

if TYPE_CHECKING:
    from .model import Scenario

# The guard against curve fitting: a handful of scalars, each identified by its own series,
# explain the year; a step fitted one by one would explain anything.
MAX_FITTED = 6


class FittedScalar(StrictModel):
    """A scalar fitted to data: its estimate, 95 % interval, the series that identifies it
    and the window it was fitted on. Its `value` may vary in `[uncertainty]`
    (`"fitted.NAME.value"`)."""

    value: float = Field(
        ge=0,
        description="The estimate used by the run.",
        json_schema_extra=meta("as `unit`", varies=True),
    )
    low: float = Field(ge=0, description="Lower end of the 95 % interval.")
    high: float = Field(ge=0, description="Upper end of the 95 % interval.")
    unit: str = Field("1", min_length=1, description="Unit of the scalar.")
    identified_by: str = Field(min_length=1, description="The data series that identifies it.")
    fitted_on: str = Field(
        min_length=1, description='The fit window, e.g. "2024-10-01..2025-05-31".'
    )

    def violations(self) -> list[Violation]:
        # That the value lies inside its interval is checked when a file is loaded
        # (scenario/rules.py), not here: an [uncertainty] draw may leave the interval.
        if self.low <= self.high:
            return []
        return [Violation(("high",), self.high, f"must not be below low = {self.low:g}")]


def value_outside_interval(name: str, scalar: FittedScalar) -> Violation | None:
    """A file's estimate must lie in its own 95 % interval."""
    if scalar.low <= scalar.value <= scalar.high:
        return None
    return Violation(
        ("fitted", name, "value"),
        scalar.value,
        f"must lie in its 95 % interval low = {scalar.low:g} to high = {scalar.high:g} (to "
        "run at another value, e.g. 1 for an event taken at its full size, change the "
        "interval too and say why)",
    )


def _at_most_six(scalars: dict[str, FittedScalar]) -> dict[str, FittedScalar]:
    if len(scalars) > MAX_FITTED:
        raise violations_error(
            [
                Violation(
                    (),
                    NO_VALUE,
                    f"at most {MAX_FITTED} fitted scalars per scenario, not {len(scalars)} "
                    f"({', '.join(scalars)}): the guard against curve fitting (each scalar "
                    "scales dated events and is identified by its own series; steps are "
                    "never fitted one by one)",
                )
            ]
        )
    return scalars


FittedSection = Annotated[dict[Name, FittedScalar], AfterValidator(_at_most_six)]


def fitted_table(sc: Scenario) -> list[dict[str, Any]]:
    """One row per fitted scalar, in file order: name, estimate, interval, unit, the series
    that identifies it, the fit window, the events that use it and its [uncertainty] draw."""
    events = sc.arrests.events if sc.arrests is not None else []
    rows = []
    for name, f in sc.fitted.items():
        draw = sc.uncertainty.get(f"fitted.{name}.value")
        rows.append(
            {
                "name": name,
                "value": f.value,
                "low": f.low,
                "high": f.high,
                "unit": f.unit,
                "identified_by": f.identified_by,
                "fitted_on": f.fitted_on,
                "used_by": [i for i, e in enumerate(events) if e.scalar == name],
                "drawn": draw.model_dump() if draw is not None else None,
            }
        )
    return rows


def event_provenance(sc: Scenario) -> dict[str, Any]:
    """What summary.json's provenance records of fitted scalars and arrest events (nothing
    for a scenario without them): the fitted table, each event with its day and scalar, and
    the schedules the events give their sources (at the file's values; an [uncertainty]
    draw of a scalar changes a replicate's rates, not this record)."""
    events = sc.arrests.events if sc.arrests is not None else []
    out: dict[str, Any] = {}
    if sc.fitted:
        out["fitted"] = fitted_table(sc)
    if events:
        start = sc.scenario.start_date
        out["arrest_events"] = [
            {
                **e.model_dump(mode="json", exclude_none=True),
                "day_number": event_day(e, start),
                "scalar_value": 1.0 if e.scalar is None else sc.fitted[e.scalar].value,
            }
            for e in events
        ]
        out["arrest_schedules"] = {
            name: {
                "rate_per_day": s.rate_per_day,
                "schedule": [step.model_dump() for step in s.schedule],
            }
            for name, s in expanded_schedules(sc).items()
        }
    return out


def _num(v: float) -> str:
    return f"{v:,.4g}" if abs(v) < 1000 else f"{v:,.1f}"


def describe(record: dict[str, Any]) -> list[str]:
    """Lines for a terminal: the fitted table and the expanded steps of an event_provenance
    record (as written in summary.json)."""
    lines = []
    fitted = record.get("fitted") or []
    if fitted:
        lines.append(f"fitted scalars ({len(fitted)} of at most {MAX_FITTED}):")
        for r in fitted:
            draw = r.get("drawn") or {}
            drawn = " ".join(f"{k} {v}" for k, v in draw.items() if k != "dist")
            drawn = f"; drawn {draw['dist']} {drawn}" if draw else ""
            lines.append(
                f"  {r['name']} = {_num(r['value'])} ({_num(r['low'])}-{_num(r['high'])}, 95 %) "
                f"{r['unit']}; identified by {r['identified_by']}; fitted on "
                f"{r['fitted_on']}{drawn}"
            )
    for i, e in enumerate(record.get("arrest_events") or []):
        when = e.get("date", e.get("day"))
        ramp = f" to {e['until']}" if "until" in e else ""
        scalar = f" x {e['scalar']} {_num(e['scalar_value'])}" if "scalar" in e else ""
        split = ", ".join(f"{k} {v:g}" for k, v in e["split"].items())
        lines.append(
            f"arrest event {i} ({when}{ramp}, day {e['day_number']}): {e['what']}: size "
            f"{_num(e['size'])} {e['unit']}{scalar}, split {split} [{e['source']}]"
        )
    schedules = record.get("arrest_schedules") or {}
    if schedules:
        lines.append("arrests attempted per day, as the events make them (day: rate from then):")
    for name, s in schedules.items():
        steps = ", ".join(f"day {st['day']}: {_num(st['rate_per_day'])}" for st in s["schedule"])
        lines.append(
            f"  source {name}: {_num(s['rate_per_day'])} arrests/day from the start"
            + (f"; {steps}" if steps else "")
        )
    return lines
