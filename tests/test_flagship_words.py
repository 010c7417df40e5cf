"""The flagship headlines' computed sentences (reports/flagship_words.py): each must follow
the numbers and the scenario it describes, so a sentence that would be false is not printed
(fixed text written for an earlier model said beds filled with people waiting for FY2024's
removal transport after the recalibration made that untrue)."""

from __future__ import annotations

import copy
import datetime as dt
import tomllib

import numpy as np
import pandas as pd
import pytest

from builders import ROOT
from enforcesim.reports import flagship_words as W
from enforcesim.reports.flagship_results import forecast_year

MAIN = ROOT / "scenarios" / "library" / "goal-3000-buildout-100k.toml"


@pytest.fixture
def raw() -> dict:
    return tomllib.loads(MAIN.read_text())


def test_the_period_is_read_from_the_scenarios_start_date_and_days(raw):
    start, days = raw["scenario"]["start_date"], raw["scenario"]["days"]
    end = start + dt.timedelta(days=days - 1)
    assert W.period_words(raw) == (
        f"{start.day} {start:%b %Y} - {end.day} {end:%b %Y} ({days:,} days)"
    )
    raw["scenario"]["days"] = 60
    assert W.period_words(raw).endswith("(60 days)")
    del raw["scenario"]["start_date"]
    assert W.period_words(raw) == "days 0-59 (60 days)"


def test_the_forecast_year_is_only_named_when_the_horizon_holds_all_of_it(raw):
    first, last = W.fiscal_year_span(raw, W.FORECAST_FY)
    start = raw["scenario"]["start_date"]
    assert start + dt.timedelta(days=first) == dt.date(W.FORECAST_FY - 1, 10, 1)
    assert start + dt.timedelta(days=last) == dt.date(W.FORECAST_FY, 9, 30)
    raw["scenario"]["days"] = last  # one day short
    assert W.fiscal_year_span(raw, W.FORECAST_FY) is None


class FakeRuns:
    """The two daily tables forecast_year reads, for a run and its central run; the values
    are the day number (ICE arrests) and a tenth of it (detained) plus the replicate."""

    def __init__(self, raw: dict, days: int, replicates: int) -> None:
        self.scenario = raw
        grid = pd.MultiIndex.from_product(
            [range(replicates), range(days)], names=["replicate", "day"]
        ).to_frame(index=False)
        self.daily_ = grid.assign(detained=grid["day"] / 10 + grid["replicate"])
        jails = grid.assign(source="jails", made=grid["day"] + grid["replicate"])
        cbp = grid.assign(source="cbp", made=1000.0)  # a CBP transfer: not an ICE arrest
        self.arrests_ = pd.concat([jails, cbp], ignore_index=True)
        self.summaries = {"m": {}, "m-process-noise-only": {}}

    def raw(self, label: str) -> dict:
        return self.scenario

    as_run = raw  # the horizon it was run over

    def daily(self, label: str, name: str = "daily") -> pd.DataFrame:
        return self.arrests_ if name == "daily_arrests" else self.daily_


def test_the_forecast_years_means_are_over_its_days_and_ice_arrests_only(raw):
    days, replicates = raw["scenario"]["days"], 5
    fc = forecast_year(FakeRuns(raw, days, replicates), "m")
    first, last = fc["span"]
    mid = (first + last) / 2  # the mean of the day numbers over the year
    reps = np.arange(replicates)
    assert fc["arrests"][0] == pytest.approx(mid + reps.mean())
    assert fc["arrests"][1:] == pytest.approx(tuple(np.percentile(mid + reps, [2.5, 97.5])))
    assert fc["detained"][0] == pytest.approx(mid / 10 + reps.mean())
    assert fc["arrests_central"] == pytest.approx(fc["arrests"][0])
    raw["scenario"]["days"] = 400
    assert forecast_year(FakeRuns(raw, 400, 2), "m") is None


def point(attempts: float, **foregone: float) -> dict:
    return {"arrests": attempts - sum(foregone.values()), "attempts": attempts} | {
        f"foregone_{c}": foregone.get(c, 0.0) for c in W.LACK
    }


def test_too_few_attempts_are_the_reason_not_a_fixed_constraint(raw):
    theta = raw["fitted"]["theta_q"]["value"]
    text = W.shortfall_reason(point(1335.0, beds=5.0), 3000.0, raw)
    assert "only 1,335 ICE arrests a day are attempted" in text
    assert f"theta_q = {theta * 100:.0f} %" in text and "100% for lack of beds" in text
    assert "bind first" not in text and "transport" not in text
    raw["fitted"]["theta_q"]["value"] = 0.3
    assert "theta_q = 30 %" in W.shortfall_reason(point(1335.0), 3000.0, raw)


@pytest.mark.parametrize("cause", ["officers", "beds", "pool"])
def test_with_attempts_at_the_goal_the_reason_names_the_cause_that_foregoes_most(raw, cause):
    others = {c: 10.0 for c in W.LACK if c != cause}
    text = W.shortfall_reason(point(3300.0, **{cause: 500.0}, **others), 3000.0, raw)
    assert f"{W.BINDS[cause]} first" in text and "attempted" in text
    assert "for lack of " + W.LACK[cause] in text
    assert W.shortfall_reason(point(3300.0), 3000.0, raw) == ""


def entry(achieved: float, relaxed: float, target: float = 3000.0) -> dict:
    return {
        "target": target,
        "achieved": {"mean": achieved},
        "all_relaxed": {"mean": relaxed},
    }


def test_the_part_beyond_every_constraint_is_said_to_be_the_unrealised_share(raw):
    parts = {"beds": 60.0, "officers": 40.0, "beyond_constraints": 1500.0}
    text = W.beyond_words(entry(1400.0, 1500.0), parts, raw)
    assert f"({1500 / 1600:.0%} of the gap)" in text and "makes 1,500 a day" in text
    theta = raw["fitted"]["theta_q"]
    assert f"theta_q = {theta['value'] * 100:.0f} %" in text
    assert "relaxing beds or officers cannot close it" in text
    # without the fitted share (attempts not scaled by theta_q) it claims no share
    plain = copy.deepcopy(raw)
    for event in plain["arrests"]["events"]:
        event["scalar"] = "theta_g"
    assert "theta_q" not in W.beyond_words(entry(1400.0, 1500.0), parts, plain)
    # overshooting with every constraint relaxed: nothing is beyond them
    over = {**parts, "beyond_constraints": -50.0}
    assert W.beyond_words(entry(2950.0, 3050.0), over, raw) == ""


def test_the_main_scenarios_terms_are_read_from_its_file(raw):
    text = W.scenario_terms(raw)
    det, tr = raw["detention"], raw["transport"]
    assert f"about {raw['officers']['headcount']:,} officers" in text
    most = max(s["beds"] for s in det["beds_schedule"])
    assert f"{det['beds']:,} beds built out to {most:,}" in text
    assert f"{tr['departures_per_day']:g} departures of {tr['seats_per_departure']:,} seats" in text
    assert "FY2024" not in text
    raw["scenario"]["days"] = min(s["day"] for s in det["beds_schedule"])  # cut before it
    assert "built out" not in W.scenario_terms(raw)


def test_the_fitted_share_is_named_only_when_its_events_fall_within_the_horizon(raw):
    assert W.realised_share(raw) == raw["fitted"]["theta_q"]["value"]
    start = raw["scenario"]["start_date"]
    first = min(e["date"] for e in raw["arrests"]["events"] if e["scalar"] == "theta_q")
    raw["scenario"]["days"] = (first - start).days  # the horizon ends the day before
    assert W.realised_share(raw) is None
    raw["scenario"]["days"] += 1
    assert W.realised_share(raw) is not None
