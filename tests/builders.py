"""Builders shared by the tests: paths, small scenarios, known book-ins through the normal code
path, and the two ways of calling the command line.

Plain functions and constants (imported by the test modules); the fixtures that need
pytest's temporary folders are in conftest.py.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import typer
from typer.testing import CliRunner, Result

from enforcesim import parse_scenario
from enforcesim.engine.runner import simulate_replicate
from enforcesim.results import DAILY_COLUMNS
from enforcesim.scenario import Scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
DOCS = ROOT / "docs"
# The console script of the venv that runs the tests (not whatever is first on PATH).
EXE = Path(sys.executable).with_name("enforcesim")

FIXED1 = {"dist": "fixed", "mean": 1.0}
# Cost rates whose defaults are not zero, set to zero so that exact cases price only what
# the test names.
# A small scenario the study and execution tests share (a run takes well under a second).
SMALL_SCENARIO = """# A small test scenario. Day 0 = 2024-10-01.
[scenario]
name = "small"
days = 40
seed = 7
replicates = 4

[book_ins]
rate_per_day = 30.0  # persons/day (test value)

[detention]
beds = 260           # test value
when_full = "release"
length_of_stay = { dist = "exponential", mean = 8.0 }
removal_share = 0.6

[costs]
bed_day = 152.0      # USD per bed-day (ICE, 2024-25)

[targets]
removals_per_day = 16.0

[uncertainty]
"costs.bed_day" = { dist = "uniform", low = 130.0, high = 225.0 }
"""


ZERO_COSTS = {
    "overhead_per_funded_bed_day": 0.0,
    "per_officer_hour": 0.0,
    "per_flight_hour": 0.0,
    "per_atd_day": 0.0,
}
# An arrest source whose every arrest is of one class (convicted).
CONVICTED_ONLY = {"convicted": 1.0, "pending": 0.0, "none": 0.0}
# 2 officers x 5 h = 10 productive hours a day: 2 casework, 8 for arrests and escorts.
TWO_OFFICERS = {
    "headcount": 2,
    "productive_hours_per_day": 5.0,
    "casework_share": 0.2,
    "escort_hours_per_book_in": 1.0,
}


def read_toml(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text())


def code_blocks(text: str, lang: str) -> list[str]:
    """The fenced ```lang blocks of a Markdown text, in order."""
    import re

    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.S)


# --- scenarios ---------------------------------------------------------------------------------


def exact_scenario(
    *,
    name: str = "exact",
    days: int = 6,
    beds: int | str = "unlimited",
    when_full: str = "wait",
    warmup: int = 0,
    meta: dict | None = None,
    detention: dict | None = None,
    costs: dict | None = None,
    **sections: Any,
) -> Scenario:
    """A scenario for known book-ins (simulate_fixed): no random book-ins, stays of 1 day
    unless `detention` says otherwise; `costs`, when given, on top of ZERO_COSTS; every other
    keyword is a whole section."""
    raw: dict[str, Any] = {
        "scenario": {"name": name, "days": days, "warmup_days": warmup, **(meta or {})},
        "book_ins": {"rate_per_day": 0.0},
        "detention": {
            "beds": beds,
            "when_full": when_full,
            "length_of_stay": FIXED1,
            **(detention or {}),
        },
    }
    if costs is not None:
        raw["costs"] = {**ZERO_COSTS, **costs}
    raw.update(sections)
    return parse_scenario(raw)


def tiny_book_in_scenario(days: int = 3, rate: float = 5.0, stay: float = 2.0) -> dict:
    """Book-ins only (no arrest side, no case side): 10 beds, fixed stays."""
    return {
        "scenario": {"name": "v1", "days": days},
        "book_ins": {"rate_per_day": rate},
        "detention": {
            "beds": 10,
            "when_full": "release",
            "length_of_stay": {"dist": "fixed", "mean": stay},
        },
    }


def travel_documents_scenario(factor: float, uncooperative: bool, **sections: Any) -> Scenario:
    """Everyone is ordered removed after 1 day and then waits 0.5 days for a travel document
    (x `factor` if uncooperative)."""
    return exact_scenario(
        pathways={"removal": {"stay": FIXED1, "outcome": "removal"}},
        pathway_shares={"default": {"removal": 1.0}},
        travel_documents={
            "uncooperative_delay_factor": factor,
            "groups": {
                "slow": {
                    "share": 1.0,
                    "delay": {"dist": "fixed", "mean": 0.5},
                    "uncooperative": uncooperative,
                }
            },
        },
        **sections,
    )


# Group "near" (no document) rides the bus, 1 one-seat departure a day (t = 0, 1, 2, ...),
# 10 hours, 2 officers; group "far" (document in 0.25 days) takes the charter, 0.5
# departures a day (t = 0, 2, 4), 100 seats, 6 hours, 3 officers.
REMOVAL_MODES = {
    "bus": {
        "departures_per_day": 1.0,
        "seats_per_departure": 1,
        "hours_per_departure": 10.0,
        "officers_per_departure": 2.0,
        "groups": ["near"],
    },
    "charter": {
        "departures_per_day": 0.5,
        "seats_per_departure": 100,
        "hours_per_departure": 6.0,
        "officers_per_departure": 3.0,
    },
}


def removal_modes_scenario(near_share: float, modes: dict, **sections: Any) -> Scenario:
    """Everyone ordered removed after 1 day; a share `near_share` in group "near" (see
    REMOVAL_MODES), the rest in group "far"."""
    return exact_scenario(
        pathways={"removal": {"stay": FIXED1, "outcome": "removal"}},
        pathway_shares={"default": {"removal": 1.0}},
        travel_documents={
            "groups": {
                "near": {"share": near_share},
                "far": {"share": 1.0 - near_share, "delay": {"dist": "fixed", "mean": 0.25}},
            }
        },
        transport={"modes": modes},
        **sections,
    )


def arrest_scenario(
    source: dict,
    officers: dict,
    *,
    days: int = 200,
    warmup: int = 0,
    seed: int = 11,
    replicates: int = 8,
    beds: int | str = "unlimited",
    when_full: str = "throttle",
    **sections: Any,
) -> dict:
    """One arrest source "s" against an officer budget; exponential stays of mean 10 days."""
    sc = {
        "scenario": {
            "name": "arrest-theory",
            "days": days,
            "warmup_days": warmup,
            "seed": seed,
            "replicates": replicates,
        },
        "arrests": {"when_full": when_full, "sources": {"s": source}},
        "officers": officers,
        "detention": {
            "beds": beds,
            "when_full": "release",
            "length_of_stay": {"dist": "exponential", "mean": 10.0},
        },
    }
    sc.update(sections)
    return sc


# 1,000 officers x 5 h, no casework: a budget of 5,000 officer-hours a day.
OFFICERS_5000_HOURS = {"headcount": 1000, "productive_hours_per_day": 5.0, "casework_share": 0.0}


# --- known book-ins ------------------------------------------------------------------------------


def simulate_fixed(
    sc: Scenario,
    times,
    stays,
    removal=None,
    classes=None,
    pathways=None,
):
    """Replicate 0 of `sc` with known book-ins (times, stays; removal decisions, classes and
    pathways when given) instead of drawn ones, in validation mode (the kernel checks its
    conservation invariants)."""
    n = len(times)
    fixed = [
        np.array(times, float),
        np.array(stays, float),
        np.zeros(n, bool) if removal is None else np.array(removal, bool),
    ]
    if classes is not None or pathways is not None:
        fixed.append(np.zeros(n, np.int64) if classes is None else np.array(classes, np.int64))
    if pathways is not None:
        fixed.append(np.array(pathways, np.int64))
    return simulate_replicate(sc, 0, validate=True, fixed=tuple(fixed))


def daily_columns(out) -> dict[str, list]:
    """The daily table of one replicate as {column: values by day} (the contract's columns
    after replicate and day)."""
    return {name: col.tolist() for name, col in zip(DAILY_COLUMNS[2:], out.daily, strict=True)}


# --- the command line ----------------------------------------------------------------------------


def run_exe(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    """The installed `enforcesim` command, as a user runs it."""
    return subprocess.run([str(EXE), *args], capture_output=True, text=True, timeout=timeout)


def invoke_study(*args: str) -> Result:
    """The study commands (compare, sweep, sensitivity, report, study flagship) in-process."""
    from enforcesim.cli.study import register

    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    register(app)
    return CliRunner().invoke(app, list(args))
