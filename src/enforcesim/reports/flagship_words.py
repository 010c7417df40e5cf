"""The flagship headlines' computed sentences: the period their means cover, the first
forecast year's figures, why the feasibility map's best point falls short of the goal, and
what the part of the goal's gap beyond every constraint is. Each is computed from the saved
results and the run's own scenario, so it stays true when the scenarios are recalibrated
(fixed text written for one model went false for the next)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

# The first fiscal year after the data (every value is calibrated on data through FY2025,
# 30 Sep 2025): the forecast year the headlines single out.
FORECAST_FY = 2026
# What an attempted arrest not made lacked, by foregone cause.
LACK = {"officers": "officer-hours", "beds": "beds", "pool": "people left in the pool"}
BINDS = {"officers": "officers bind", "beds": "beds bind", "pool": "the pool binds"}
THE_SHARE = "the share of the quota and goal gaps that FY2025 realised as arrests"


def day_date(raw: dict[str, Any], day: int) -> dt.date | None:
    start = raw.get("scenario", {}).get("start_date")
    if not isinstance(start, dt.date):
        return None
    return start + dt.timedelta(days=day)


def span_words(raw: dict[str, Any], first: int, last: int) -> str:
    """Days first..last as dates when the scenario has a start date, else as day numbers."""
    a, b = day_date(raw, first), day_date(raw, last)
    if a is None or b is None:
        return f"days {first:,}-{last:,}"
    return f"{a.day} {a:%b %Y} - {b.day} {b:%b %Y}"


def period_words(raw: dict[str, Any]) -> str:
    """The reported horizon of a run: '1 Oct 2024 - 30 Sep 2027 (1,095 days)'."""
    days = int(raw["scenario"]["days"])
    return f"{span_words(raw, 0, days - 1)} ({days:,} days)"


def fiscal_year_span(raw: dict[str, Any], fy: int) -> tuple[int, int] | None:
    """Day numbers of fiscal year `fy` (1 Oct fy-1 to 30 Sep fy), when the reported horizon
    holds all of it; None otherwise (no start date, or a horizon that cuts it)."""
    start = raw.get("scenario", {}).get("start_date")
    if not isinstance(start, dt.date):
        return None
    first = (dt.date(fy - 1, 10, 1) - start).days
    last = (dt.date(fy, 9, 30) - start).days
    if first < 0 or last > int(raw["scenario"]["days"]) - 1:
        return None
    return first, last


def replicate_band(
    frame: pd.DataFrame, column: str, first: int, last: int
) -> tuple[float, float, float]:
    """Mean over days first..last of each replicate, then the mean and the 2.5th-97.5th
    percentiles over replicates (the headlines' intervals)."""
    days = frame[(frame["day"] >= first) & (frame["day"] <= last)]
    per = days.groupby("replicate")[column].mean().to_numpy(dtype=float)
    if per.size == 0:
        return (np.nan, np.nan, np.nan)
    lo, hi = np.percentile(per, [2.5, 97.5])
    return (float(per.mean()), float(lo), float(hi))


def realised_share(raw: dict[str, Any]) -> float | None:
    """theta_q, the fitted share of the quota and goal gaps realised as arrests, when an
    arrest event scaled by it takes effect within the horizon; None otherwise."""
    last = day_date(raw, int(raw.get("scenario", {}).get("days", 0)) - 1)

    def in_force(event: dict[str, Any]) -> bool:
        when = event.get("date")
        return last is None or not isinstance(when, dt.date) or when <= last

    events = raw.get("arrests", {}).get("events", [])
    if not any(e.get("scalar") == "theta_q" and in_force(e) for e in events):
        return None
    value = raw.get("fitted", {}).get("theta_q", {}).get("value")
    return None if value is None else float(value)


def share_words(raw: dict[str, Any]) -> str:
    """'theta_q = 41 % (drawn 31-51 %)' from the scenario file."""
    theta = realised_share(raw)
    if theta is None:
        return ""
    text = f"theta_q = {theta * 100:.0f} %"
    draw = raw.get("uncertainty", {}).get("fitted.theta_q.value")
    if isinstance(draw, dict) and "low" in draw and "high" in draw:
        text += f", drawn {draw['low'] * 100:.0f}-{draw['high'] * 100:.0f} % per replicate"
    return text


def either(names: list[str]) -> str:
    """'beds, seats or officers'."""
    return names[0] if len(names) < 2 else f"{', '.join(names[:-1])} or {names[-1]}"


def shortfall_reason(best: dict[str, float], goal: float, raw: dict[str, Any]) -> str:
    """Why the best point of the feasibility map falls short of the goal, from its own
    numbers: too few attempts (no bed or officer makes an arrest that is not attempted), or
    else the cause that foregoes most of the attempts."""
    attempts = best.get("attempts")
    lost = {c: best.get(f"foregone_{c}", 0.0) for c in LACK}
    total = sum(lost.values())
    top = max(lost, key=lambda c: lost[c])
    not_made = (
        f"of the {total:,.0f} attempted a day not made, {lost[top] / total:.0%} for lack of "
        f"{LACK[top]}"
        if total > 0.5
        else ""
    )
    if attempts is not None and attempts < goal:
        share = share_words(raw)
        why = f" ({THE_SHARE}: {share})" if share else ""
        text = (
            f" Even there only {attempts:,.0f} ICE arrests a day are attempted{why}, so "
            f"no number of beds or officers on the grid reaches {goal:,.0f}"
        )
        return text + (f"; {not_made}." if not_made else ".")
    if not not_made:
        return ""
    return f" There, {not_made}: {BINDS[top]} first."


def beyond_words(entry: dict[str, Any], parts: dict[str, float], raw: dict[str, Any]) -> str:
    """What the ICE-arrest gap's part beyond every constraint is: the goal's gap the model
    attributes to no constraint (the run with every constraint relaxed still falls short)."""
    beyond = parts.get("beyond_constraints", 0.0)
    total = entry["target"] - entry["achieved"]["mean"]
    if beyond <= 0 or total <= 0:
        return ""
    relaxed = entry.get("all_relaxed", {}).get("mean")
    text = (
        f" The part beyond every constraint ({beyond / total:.0%} of the gap) is the goal's gap "
        "the model attributes to no constraint"
    )
    if relaxed is not None:
        text += f": with all of them relaxed it makes {relaxed:,.0f} a day"
    share = share_words(raw)
    relaxable = either([c for c in parts if c != "beyond_constraints"])
    if share:
        text += (
            ", because ICE's attempts follow the quota and goal gaps only at the share "
            f"FY2025 realised as arrests ({share}): this part is the share of the gap FY2025 "
            f"did not realise, so relaxing {relaxable} cannot close it."
        )
    else:
        text += ", because the scenario's attempts fall short of the goal."
    return text


def scenario_terms(raw: dict[str, Any]) -> str:
    """The main scenario's officers, beds and removal transport in words, from its file:
    'about 6,000 officers, 62,913 beds built out to 100,000 from 1 Oct 2025, removal
    transport of 9 departures of 135 seats a day'."""
    parts = []
    officers = raw.get("officers", {}).get("headcount")
    if officers is not None:
        parts.append(f"about {officers:,} officers")
    det = raw.get("detention", {})
    if "beds" in det:
        beds = f"{det['beds']:,} beds"
        days = int(raw.get("scenario", {}).get("days", 0))
        steps = [s for s in det.get("beds_schedule", []) if int(s["day"]) < days]
        if steps:
            when = day_date(raw, int(steps[0]["day"]))
            beds += f" built out to {max(s['beds'] for s in steps):,}" + (
                "" if when is None else f" from {when.day} {when:%b %Y}"
            )
        parts.append(beds)
    tr = raw.get("transport", {})
    if "departures_per_day" in tr and "seats_per_departure" in tr:
        parts.append(
            f"removal transport of {tr['departures_per_day']:g} departures of "
            f"{tr['seats_per_departure']:,} seats a day"
        )
    return ", ".join(parts)


def best_point(best: dict[str, float] | None, goal: float, raw: dict[str, Any]) -> str:
    """The feasibility map's best point in words: what it makes and why it falls short."""
    if not best:
        return ""
    made = f"The point that makes the most makes {best['arrests']:,.0f} a day."
    return made + (shortfall_reason(best, goal, raw) if best["arrests"] < goal else "")
