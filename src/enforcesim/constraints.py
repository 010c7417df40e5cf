"""Constraints that can hold a target back, in a registry: how to tell from a replicate's
output on which days each binds, and how to relax it in a scenario (for the Shapley
attribution in bottlenecks.py).

Beds and seats come with the v1 engine (seats also with removal modes), officers and pools
with the arrest side, judges and travel documents with the case side; other mechanisms
register their own `Constraint`. A constraint that does not apply to a scenario (no
departures, beds already unlimited, no [arrests], no court pathway, no document delay) is left
out of the attribution and never flagged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .engine.runner import ReplicateOutput
from .scenario import CONSTRAINT_NAMES, Scenario

# Seats per departure when seats are relaxed: every departure takes everyone waiting.
UNLIMITED_SEATS = 2**31 - 1


# Judges when judges are relaxed: every case reaches a judge as it joins the docket.
UNLIMITED_JUDGES = 2**31 - 1


# Officers on day 0 when officers are relaxed: officer-hours that never run out.
UNLIMITED_OFFICERS = 10**12
# A pool's size when pools are relaxed: no run draws it down measurably (and every count
# stays exact in float64), so hours per arrest keep their value at a full pool.
UNDEPLETED_POOL = 1e15


@dataclass(frozen=True)
class Constraint:
    name: str
    meaning: str
    applies: Callable[[Scenario], bool]
    relax: Callable[[dict[str, Any]], None]  # edits a dumped scenario in place
    binding: Callable[[ReplicateOutput], np.ndarray]  # bool per reported day
    # Whether its `binding_NAME` column is in daily.parquet only for scenarios it applies to
    # (beds and seats: always, as before the arrest side existed).
    optional: bool = False


def _drop_uncertainty(data: dict[str, Any], prefix: str) -> None:
    """A relaxed value cannot vary any more (an "unlimited" value has no draws)."""
    unc = data.get("uncertainty") or {}
    for key in [p for p in unc if p.startswith(prefix)]:
        del unc[key]


def _relax_beds(data: dict[str, Any]) -> None:
    det = data["detention"]
    det["beds"] = "unlimited"
    for step in det.get("beds_schedule") or []:
        step["beds"] = "unlimited"
    _drop_uncertainty(data, "detention.beds")


def _relax_seats(data: dict[str, Any]) -> None:
    tr = data["transport"]
    if tr.get("seats_per_departure") is not None:
        tr["seats_per_departure"] = UNLIMITED_SEATS
    _drop_uncertainty(data, "transport.seats_per_departure")
    for name, mode in (tr.get("modes") or {}).items():
        mode["seats_per_departure"] = UNLIMITED_SEATS
        _drop_uncertainty(data, f"transport.modes.{name}.seats_per_departure")


def _relax_judges(data: dict[str, Any]) -> None:
    courts = data["courts"]
    courts["judges"] = UNLIMITED_JUDGES
    for step in courts.get("judges_schedule") or []:
        step["judges"] = UNLIMITED_JUDGES
    _drop_uncertainty(data, "courts.judges")


def _relax_documents(data: dict[str, Any]) -> None:
    """No document delay: every removal order's document is ready at once. Group shares (and
    so modes) are kept; the uncooperative flags lose their effect with the delays."""
    for name, group in data["travel_documents"]["groups"].items():
        group.pop("delay", None)
        _drop_uncertainty(data, f"travel_documents.groups.{name}.delay")
    _drop_uncertainty(data, "travel_documents.uncooperative_delay_factor")


def _relax_officers(data: dict[str, Any]) -> None:
    of = data.setdefault("officers", {})
    of["headcount"] = UNLIMITED_OFFICERS
    of["hires"] = []
    of["attrition_per_year"] = 0.0
    for key in ("headcount", "attrition_per_year", "hires"):
        _drop_uncertainty(data, f"officers.{key}")


def _relax_pool(data: dict[str, Any]) -> None:
    for name, src in (data.get("arrests") or {}).get("sources", {}).items():
        if src.get("pool") is not None:
            src["pool"]["size"] = UNDEPLETED_POOL
            _drop_uncertainty(data, f"arrests.sources.{name}.pool.size")


def _extra_positive(col: str) -> Callable[[ReplicateOutput], np.ndarray]:
    def binding(out: ReplicateOutput) -> np.ndarray:
        if out.daily_extra is None:
            return np.zeros(len(out.daily.beds), dtype=bool)
        return getattr(out.daily_extra, col) > 0

    return binding


def _arrests_positive(*cols: str) -> Callable[[ReplicateOutput], np.ndarray]:
    """Days with any arrest (any class) counted in one of the arrest side's columns."""

    def binding(out: ReplicateOutput) -> np.ndarray:
        if out.daily_arrests is None:
            return np.zeros(len(out.daily.beds), dtype=bool)
        return sum(getattr(out.daily_arrests, c).sum(axis=1) for c in cols) > 0

    return binding


def _beds_binding(out: ReplicateOutput) -> np.ndarray:
    """Every bed taken some time in the day, or (arrest side) an arrest throttled or diverted
    for want of a bed."""
    return _extra_positive("full_time")(out) | _arrests_positive("foregone_beds", "diverted")(out)


def _case_positive(col: str) -> Callable[[ReplicateOutput], np.ndarray]:
    """Days on which a case-side time integral (a `daily_case_volumes` column) is positive."""

    def binding(out: ReplicateOutput) -> np.ndarray:
        v = out.daily_case_volumes
        if v is None:
            return np.zeros(len(out.daily.beds), dtype=bool)
        return getattr(v, col) > 0

    return binding


def _has_departures(sc: Scenario) -> bool:
    return sc.transport is not None and bool(sc.transport.mode_list())


def _has_court(sc: Scenario) -> bool:
    return sc.courts is not None and any(p.court for p in sc.pathways.values())


def _has_document_delay(sc: Scenario) -> bool:
    td = sc.travel_documents
    return td is not None and any(g.delay is not None and g.share > 0 for g in td.groups.values())


def _has_pool(sc: Scenario) -> bool:
    return sc.arrests is not None and any(s.pool is not None for s in sc.arrests.sources.values())


CONSTRAINTS: dict[str, Constraint] = {
    "beds": Constraint(
        "beds",
        "some time in the day with every bed taken (so arrivals are turned away or "
        "wait; with [arrests], arrests are throttled or diverted), or an arrest throttled or "
        "diverted for want of a bed",
        lambda sc: (
            sc.detention.beds != "unlimited"
            or any(s.beds != "unlimited" for s in sc.detention.beds_schedule)
        ),
        _relax_beds,
        _beds_binding,
    ),
    "seats": Constraint(
        "seats",
        "a departure in the day left full with people still waiting for a seat",
        _has_departures,
        _relax_seats,
        _extra_positive("seats_short"),
    ),
    "officers": Constraint(
        "officers",
        "an attempted arrest in the day was foregone because the day's "
        "officer-hours were used up (with [arrests])",
        lambda sc: sc.arrests is not None,
        _relax_officers,
        _arrests_positive("foregone_officers"),
        optional=True,
    ),
    "pool": Constraint(
        "pool",
        "an attempted arrest in the day was foregone because its source's eligible "
        "pool was empty (with an arrest source's pool)",
        _has_pool,
        _relax_pool,
        _arrests_positive("foregone_pool"),
        optional=True,
    ),
    "judges": Constraint(
        "judges",
        "some time in the day with a case waiting on the docket, so every judge "
        "busy (with a court pathway and [courts])",
        _has_court,
        _relax_judges,
        _case_positive("docket_days"),
        optional=True,
    ),
    "documents": Constraint(
        "documents",
        "some time in the day with someone in a bed waiting for a travel "
        "document (with a document group that has a delay)",
        _has_document_delay,
        _relax_documents,
        _case_positive("document_wait_days"),
        optional=True,
    ),
}
assert set(CONSTRAINTS) == set(CONSTRAINT_NAMES)


def register_constraint(c: Constraint) -> None:
    """Add a mechanism's constraint (add its name to CONSTRAINT_NAMES too)."""
    CONSTRAINTS[c.name] = c


def reported(sc: Scenario) -> list[str]:
    """The constraints with a `binding_NAME` column in daily.parquet: every one but the
    optional ones that do not apply to the scenario."""
    return [name for name, c in CONSTRAINTS.items() if not c.optional or c.applies(sc)]


def binding_flags(out: ReplicateOutput) -> dict[str, np.ndarray]:
    """Per registered constraint, whether it binds on each reported day (False where it does
    not apply)."""
    days = len(out.daily.beds)
    return {
        name: (c.binding(out) if c.applies(out.scenario) else np.zeros(days, dtype=bool))
        for name, c in CONSTRAINTS.items()
    }
