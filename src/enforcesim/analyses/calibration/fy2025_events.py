"""The dated events of FY2025 that drive the fitted scalars: dates, sizes, sources, in one
table (`EVENTS`), and the inputs of the event model built from it (`EventInputs`).

Day 0 = 1 Oct 2024. The size of every step comes from the event; a fitted scalar turns it
into book-ins (`SCALARS`, at most six). Daily ICE-arrest book-in demand:

    D(t) = b0 + theta_q * [ (Q - A24) 1{t >= quota day} + (G - Q) 1{t >= goal day} ]
              + theta_g * (new 287(g) agreements at t)

CBP-arrest book-ins = c0 + r x Border Patrol southwest-border encounters per day; Release to
Remove = rho0 x exits before the end of most releases + rho1 x exits from it on. ICE admits
while the total population is below the contract beds ("no space, no arrests").

A scenario-side `[[arrests.events]]` table can read the same rows: `key`, `date`, `size`,
`unit`, `source` and the `scalar` each one is multiplied by.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .fy2025_data import N_DAYS, fy_day


@dataclass(frozen=True)
class Event:
    """One dated input: what happened, its size and where the figure comes from."""

    key: str
    date: str  # ISO date it takes effect ("" for a fiscal-year baseline)
    event: str
    size: float
    unit: str
    source: str  # VERIFY = press source, ASSUMPTION = not a published figure
    enters_as: str
    scalar: str = ""  # the fitted scalar that turns the size into book-ins ("" = none)
    until: str = ""  # end of a ramp (ISO date)


EVENTS: tuple[Event, ...] = (
    Event("b0", "", "ICE-arrest book-ins before the 2025 changes (FY2024 mean)",
          90615 / 366, "book-ins/day", "ICE detention workbook FY2024 (90,615 / 366)",
          "base of ICE demand, fixed"),
    Event("a24", "", "ICE arrests in FY2024", 113431 / 366, "arrests/day",
          "ICE annual report FY2024 (113,431 / 366)", "subtracted from the quota, fixed"),
    Event("quota", "2025-01-21", "arrest quotas (1,200-1,500/day; one report 1,800)",
          1350.0, "arrests/day", "press reports, Jan 2025, VERIFY",
          "step of (Q - A24) in ICE demand", "theta_q"),
    Event("goal", "2025-05-28", "arrest goal (set 20 or 21 May, stated 28 May 2025)",
          3000.0, "arrests/day", "The New Republic, 2025 (press), VERIFY",
          "step of (G - Q) in ICE demand", "theta_q"),
    Event("agreements_jan", "2025-01-21", "287(g) agreements in force, Jan 2025", 135.0,
          "agreements", "ICE 287(g) page via press, VERIFY", "base of the ramp (not counted)"),
    Event("agreements_new", "2025-01-21", "287(g) agreements signed in 2025 (more than)",
          1100.0, "agreements", "ICE 287(g) page via press, VERIFY; even pace: ASSUMPTION",
          "ramp in ICE demand to 30 Sep 2025", "theta_g", until="2025-09-30"),
    Event("contract_beds", "2025-04-01", "contract capacity (usable beds)", 62913.0, "beds",
          "TRAC, Jul 2025, VERIFY", "cap on the total population: ICE admits below it"),
    Event("funded_beds", "", "funded beds FY2025 (exceeded from Feb 2025)", 41500.0, "beds",
          "appropriations (press), VERIFY", "not used: not a limit in FY2025"),
    Event("new_officers", "2025-07-04", "10,000 new officers funded", 0.0,
          "productive officers in FY2025",
          "press summaries of the 4 Jul 2025 law, VERIFY; training lag >= 90 days: ASSUMPTION",
          "nothing in FY2025"),
    Event("encounters", "", "Border Patrol southwest-border encounters, monthly", 1.0,
          "encounters/day", "CBP via the data store (Sep 2025 = Aug: ASSUMPTION)",
          "CBP transfers c0 + r x encounters", "c0, r"),
    Event("release_end", "2025-01-21", "end of most releases (executive order of 20 Jan)",
          1.0, "-", "executive order, 20 Jan 2025 (press), VERIFY",
          "removal share of every exit from this day", "rho0 before, rho1 after"),
    Event("expedited_removal", "2025-01-21", "expedited removal expanded", 1.0, "-",
          "Federal Register, Jan 2025", "inside rho1 and the new stays (not separable)"),
    Event("stays_change", "2025-01-21", "stays change (one change point per stream)", 1.0,
          "-", "the dated events above", "new stays for cohorts from this day (ICE M2, CBP M3)"),
)  # fmt: skip

BY_KEY = {e.key: e for e in EVENTS}


@dataclass(frozen=True)
class Scalar:
    name: str
    meaning: str
    identifying_series: str


SCALARS: tuple[Scalar, ...] = (
    Scalar("theta_q", "ICE-arrest book-ins per arrest/day of quota or goal gap",
           "ICE initial book-ins, arresting agency ICE, monthly (the steps from 21 Jan)"),
    Scalar("theta_g", "ICE-arrest book-ins per day per new 287(g) agreement",
           "the same series' trend between the quota steps"),
    Scalar("c0", "CBP-arrest book-ins/day not tied to border encounters",
           "CBP-arrest initial book-ins, monthly"),
    Scalar("r", "CBP-arrest book-ins per Border Patrol southwest-border encounter",
           "the same, against Border Patrol southwest-border encounters"),
    Scalar("rho0", "share of detention exits that are removals, before 21 Jan 2025",
           "final book-outs 'Release to Remove', Oct 2024 - 20 Jan 2025"),
    Scalar("rho1", "share of detention exits that are removals, from 21 Jan 2025",
           "final book-outs 'Release to Remove', from 21 Jan 2025"),
)  # fmt: skip


def _size(key: str) -> float:
    return BY_KEY[key].size


def _day(key: str) -> int:
    return fy_day(BY_KEY[key].date)


@dataclass(frozen=True)
class EventInputs:
    """The event model's inputs, every default read from `EVENTS`; the inputs the data cannot
    identify (`NOT_IDENTIFIED`) are moved by replacing a field."""

    b0: float = field(default_factory=lambda: _size("b0"))
    a24: float = field(default_factory=lambda: _size("a24"))
    quota: float = field(default_factory=lambda: _size("quota"))
    goal: float = field(default_factory=lambda: _size("goal"))
    quota_day: int = field(default_factory=lambda: _day("quota"))
    goal_day: int = field(default_factory=lambda: _day("goal"))
    agreements_new: float = field(default_factory=lambda: _size("agreements_new"))
    ramp_power: float = 1.0  # 1: even pace; < 1 front-loaded, > 1 back-loaded (ASSUMPTION)
    beds: float = field(default_factory=lambda: _size("contract_beds"))
    beds_day: int = field(default_factory=lambda: _day("contract_beds"))
    release_day: int = field(default_factory=lambda: _day("release_end"))

    def regressors(self) -> tuple[np.ndarray, np.ndarray]:
        """Daily (quota and goal gap, new 287(g) agreements) over FY2025: what theta_q and
        theta_g multiply."""
        t = np.arange(N_DAYS)
        x_q = (self.quota - self.a24) * (t >= self.quota_day) + (self.goal - self.quota) * (
            t >= self.goal_day
        )
        frac = np.clip((t - self.quota_day + 1) / (N_DAYS - self.quota_day), 0.0, 1.0)
        x_g = self.agreements_new * frac**self.ramp_power
        return x_q.astype(float), x_g


# Inputs the public data cannot identify: field of EventInputs and the range used
NOT_IDENTIFIED: dict[str, tuple[str, list[float]]] = {
    "January quota Q (arrests/day)": ("quota", [1200.0, 1500.0, 1800.0]),
    "287(g) signing pace (power of the ramp)": ("ramp_power", [0.5, 1.0, 2.0]),
    "goal step date (day from 1 Oct 2024)": (
        "goal_day",
        [fy_day("2025-05-21"), fy_day("2025-05-28")],
    ),
    "usable beds (contract capacity x 0.95-1.05)": (
        "beds",
        [round(_size("contract_beds") * f) for f in (0.95, 1.0, 1.05)],
    ),
}


def events_table() -> pd.DataFrame:
    """`EVENTS` as a table (for the report and a scenario-side reader)."""
    return pd.DataFrame([vars(e) for e in EVENTS])
