"""The dated forecast (analyses/forecast.py, `enforcesim forecast`, scripts/forecast_fy2026.py):
calendar months of a window, the band over replicates, the window check, the CSV, and the
committed artefact against the scenario it was made from."""

from __future__ import annotations

import tomllib
from datetime import date

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from builders import DOCS, ROOT, SMALL_SCENARIO
from enforcesim.analyses.forecast import COLUMNS, forecast, window_months
from enforcesim.analyses.runs import run
from enforcesim.cli import app
from enforcesim.scenario import sha256_bytes

runner = CliRunner()
DAY0 = date(2024, 10, 1)  # the small scenario reports 40 days: 1 Oct - 9 Nov 2024
SMALL_DATED = SMALL_SCENARIO.replace("replicates = 4", "replicates = 4\nstart_date = 2024-10-01")


def small(replicates: int = 4, **sections) -> dict:
    raw = tomllib.loads(SMALL_DATED)
    raw["scenario"]["replicates"] = replicates
    raw.update(sections)
    return raw


def test_window_months_are_calendar_months_cut_by_the_window():
    months = window_months(DAY0, date(2024, 10, 15), date(2024, 11, 5))
    assert months.to_dict("records") == [
        {"month": "2024-10", "days": 17, "first_day": 14, "last_day": 30},
        {"month": "2024-11", "days": 5, "first_day": 31, "last_day": 35},
    ]
    # a window across a year end: December, then January of the next year
    months = window_months(date(2025, 10, 1), date(2025, 12, 1), date(2026, 1, 31))
    assert list(months["month"]) == ["2025-12", "2026-01"]
    assert list(months["days"]) == [31, 31]


def test_each_month_is_the_mean_over_its_days_inside_the_window_and_costs_are_summed():
    res = run(small(), central=False)
    fc = forecast(res, res, date(2024, 10, 15), date(2024, 11, 5))
    assert fc.months == ["2024-10", "2024-11"]
    daily = res.daily()
    t = fc.table.set_index(["series", "month"])
    for month, (a, b) in {"2024-10": (14, 30), "2024-11": (31, 35)}.items():
        inside = daily[(daily["day"] >= a) & (daily["day"] <= b)]
        per_rep = inside.groupby("replicate")["detained"].mean()
        assert t.at[("detained", month), "median"] == pytest.approx(per_rep.median(), rel=1e-12)
        assert t.at[("detained", month), "mean"] == pytest.approx(per_rep.mean(), rel=1e-12)
        # no [uncertainty] in the central run given: the run is its own central run
        assert t.at[("detained", month), "central"] == pytest.approx(per_rep.mean(), rel=1e-12)
        cost = inside.groupby("replicate")["cost_all_in"].sum()
        assert t.at[("cost_total", month), "median"] == pytest.approx(cost.median(), rel=1e-12)
        share = inside["binding_beds"].astype(float).mean()
        assert t.at[("binding_beds", month), "mean"] == pytest.approx(share, rel=1e-12)
    assert t.at[("detained", "2024-11"), "days"] == 5
    # 4 replicates: no 2.5 / 97.5 percentiles
    assert fc.table["p2_5"].isna().all() and fc.table["p97_5"].isna().all()
    assert "ice_arrests" in fc.missing  # book-ins drive the small scenario


def test_the_band_is_ordered_and_has_tails_from_40_replicates_on():
    """Percentiles of the same replicates' monthly means: 2.5 <= 10 <= 50 <= 90 <= 97.5 for
    every series and month (seed 7, 40 replicates); the parameter draw of costs.bed_day
    (130-225, the file's 152) moves the band's costs above the central run's."""
    from enforcesim.central import without_uncertainty

    res = run(small(replicates=40), central=False)
    central = run(without_uncertainty(res.scenario), central=False)
    fc = forecast(res, central, DAY0, date(2024, 11, 9))
    t = fc.table
    assert not t[["p2_5", "p97_5"]].isna().any().any()
    cols = ["p2_5", "p10", "median", "p90", "p97_5"]
    assert (np.diff(t[cols].to_numpy(), axis=1) >= 0).all()
    cost = t[t["series"] == "cost_beds"]
    assert (cost["median"] > cost["central"]).all()
    assert "parameter uncertainty" in fc.band


def test_a_budget_runs_out_in_its_month_or_not_by_its_end():
    budget = {"start": 0, "pays_for": ["beds"]}
    spent = run(small(budget={"b": budget | {"amount_usd": 1.0}}), central=False)
    fc = forecast(spent, spent, DAY0, date(2024, 11, 9))
    (b,) = fc.budgets
    assert b.runs_out == {
        "p10": "2024-10",
        "median": "2024-10",
        "p90": "2024-10",
        "central": "2024-10",
    }
    assert b.probability_runs_out == 1.0
    kept = run(small(budget={"b": budget | {"amount_usd": 1e15}}), central=False)
    (b,) = forecast(kept, kept, DAY0, date(2024, 11, 9)).budgets
    assert set(b.runs_out.values()) == {None} and b.probability_runs_out == 0.0
    assert "does not run out by 2024-11-09" in b.describe()
    assert b.spent_in_window["median"] > 0


@pytest.mark.parametrize(
    ("window", "key"),
    [
        (("2024-09-01", "2024-10-31"), "scenario.start_date = 2024-10-01"),
        (("2024-10-01", "2024-12-31"), "scenario.days = 40"),
    ],
)
def test_a_window_outside_the_run_exits_2_naming_the_key(write_toml, window, key):
    path = write_toml(SMALL_DATED)
    r = runner.invoke(app, ["forecast", str(path), "--from", window[0], "--to", window[1]])
    assert r.exit_code == 2
    assert f"{path}: {key}" in r.stderr
    assert "Traceback" not in r.stderr


def test_a_scenario_without_start_date_exits_2_naming_the_key(write_toml):
    path = write_toml(SMALL_SCENARIO)
    r = runner.invoke(app, ["forecast", str(path), "--from", "2024-10-01", "--to", "2024-10-31"])
    assert r.exit_code == 2
    assert f"{path}: scenario.start_date: missing" in r.stderr


def test_the_command_writes_the_csv_columns_and_the_provenance(write_toml, tmp_path):
    import json

    path = write_toml(SMALL_DATED)
    out = tmp_path / "fc"
    args = ["forecast", str(path), "--from", "2024-10-01", "--to", "2024-10-31", "--out", str(out)]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.stderr
    table = pd.read_csv(out / "forecast.csv")
    assert list(table.columns) == COLUMNS
    assert set(table["month"]) == {"2024-10"}
    meta = json.loads((out / "forecast.json").read_text())
    assert meta["scenario_sha256"] == sha256_bytes(path.read_bytes())
    assert meta["window"] == ["2024-10-01", "2024-10-31"]


def test_the_committed_forecast_was_made_from_the_current_scenarios():
    """docs/data/forecast-fy2026.csv records the SHA-256 of each scenario file it was made
    from. A scenario changed without rerunning `scripts/forecast_fy2026.py` fails here:
    the committed forecast would no longer be that scenario's."""
    table = pd.read_csv(DOCS / "data" / "forecast-fy2026.csv")
    assert {"scenario_file", "scenario_sha256", *COLUMNS} <= set(table.columns)
    made_from = table[["scenario_file", "scenario_sha256"]].drop_duplicates()
    assert "scenarios/library/goal-3000-buildout-100k.toml" in set(made_from["scenario_file"])
    for row in made_from.itertuples():
        current = sha256_bytes((ROOT / row.scenario_file).read_bytes())
        assert row.scenario_sha256 == current, (
            f"{row.scenario_file} changed since docs/forecast-fy2026.md was made: "
            "rerun .venv/bin/python scripts/forecast_fy2026.py"
        )
    text = (DOCS / "forecast-fy2026.md").read_text()
    for digest in made_from["scenario_sha256"]:
        assert digest in text


def test_one_at_a_time_gives_an_integer_value_integer_ends():
    """Beds are whole: a range with fractional ends (240.5-280.5) is run at 240 and 280 (as
    the draws round), not refused as "not a decimal number"."""
    from enforcesim.analyses.forecast import Input, one_at_a_time

    rows = one_at_a_time(
        small(replicates=2),
        [Input("detention.beds", 240.5, 280.5, "test range")],
        DAY0,
        date(2024, 10, 31),
        workers=1,
    )
    beds = rows[rows["input"] == "detention.beds"].set_index("end")["value"]
    assert beds["low"] == 240 and beds["high"] == 280
    assert isinstance(beds["low"], int | np.integer)
