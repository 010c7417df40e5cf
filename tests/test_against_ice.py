"""The model against what happened (analyses/against_ice.py): monthly means over ICE's covered
days, the series each run can give, the band and the errors, the command and the flagship
report's section."""

from __future__ import annotations

import json
from datetime import date
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from enforcesim import data
from enforcesim.analyses.against_ice import (
    compare,
    covered_months,
    mape,
    model_daily,
    monthly_means,
)
from enforcesim.cli import app

runner = CliRunner()

# A hand-made ICE series: August (31 covered days) and September 2025 covered to the 20th.
OBSERVED = pd.DataFrame(
    {
        "month": ["2025-08-01", "2025-09-01"],
        "days": [31, 20],
        "book_ins_ice_per_day": [100.0, 100.0],
        "adp": [50.0, 10.0],
        "adp_ice": [1.0, 1.0],
        "adp_cbp": [1.0, 1.0],
        "release_to_remove_per_day": [10.0, 10.0],
    }
)

SCENARIO = """# against-ice test scenario: day 0 = 2024-10-01
[scenario]
name = "against-ice"
days = 365
seed = 5
replicates = 2
{start}
[book_ins.streams.ice]
rate_per_day = 30.0   # test value
[book_ins.streams.cbp]
rate_per_day = 20.0   # test value

[detention]
beds = "unlimited"
when_full = "release"
length_of_stay = {{ dist = "exponential", mean = 10.0 }}
removal_share = 0.5
"""


def _daily(start_day: int, n_days: int, replicates: int, value) -> pd.DataFrame:
    rows = [
        {"replicate": r, "day": d, "detained": value(r, d), "removals": 1.0}
        for r in range(replicates)
        for d in range(start_day, start_day + n_days)
    ]
    return pd.DataFrame(rows)


def test_september_is_averaged_over_its_20_covered_days_only():
    # day 0 = 1 Aug 2025; detained on day d = d: August's mean is 15 (days 0-30), September's
    # the mean of days 31-50 (1-20 Sep) = 40.5, not of 31-60 (21-30 Sep are not covered)
    daily = _daily(0, 61, 1, lambda r, d: float(d))
    months = covered_months(OBSERVED, date(2025, 8, 1), 61)
    assert list(months["month"]) == ["2025-08", "2025-09"]
    assert list(months["last_day"]) == [30, 50]
    means = monthly_means(daily, months, ["detained"]).set_index("month")["detained"]
    assert means["2025-08"] == pytest.approx(15.0)
    assert means["2025-09"] == pytest.approx(40.5)
    comp = compare(daily, date(2025, 8, 1), OBSERVED, fiscal_year=2025)
    sep = comp.table.query("series == 'detained' and month == '2025-09'").iloc[0]
    assert sep["days"] == 20 and sep["central"] == pytest.approx(40.5)
    assert sep["error_central_pct"] == pytest.approx((40.5 / 10.0 - 1) * 100)


def test_a_month_the_run_reports_only_in_part_is_left_out():
    # day 0 = 2 Aug: August is not reported in full, September's covered days are
    assert list(covered_months(OBSERVED, date(2025, 8, 2), 60)["month"]) == ["2025-09"]
    # day 0 = 1 Aug, 40 days: September's covered days (to day 50) are not all reported
    assert list(covered_months(OBSERVED, date(2025, 8, 1), 40)["month"]) == ["2025-08"]
    daily = _daily(0, 10, 1, lambda r, d: 1.0)
    with pytest.raises(ValueError, match="covers no whole month"):
        compare(daily, date(2025, 9, 25), OBSERVED, fiscal_year=2025)


def test_ice_book_ins_leave_out_the_cbp_transfer_sources_and_detained_splits_by_kind():
    kinds = {"street": "at_large", "jail": "custodial", "border": "cbp_transfer"}
    days = range(3)
    arrests = pd.DataFrame(
        [
            {"replicate": 0, "day": d, "source": s, "criminality": c, "booked_in": b}
            for d in days
            for s, b in (("street", 1.0), ("jail", 10.0), ("border", 100.0))
            for c in ("convicted", "none")
        ]
    )
    streams = pd.DataFrame(
        [
            {"replicate": 0, "day": d, "stream": f"{s}.{c}", "detained": x, "book_ins": 0.0}
            for d in days
            for s, x in (("street", 2.0), ("jail", 3.0), ("border", 7.0))
            for c in ("convicted", "none")
        ]
    )
    daily = _daily(0, 3, 1, lambda r, d: 24.0)
    model, missing = model_daily(
        {"daily": daily, "daily_arrests": arrests, "daily_streams": streams}, kinds
    )
    assert list(model["ice_book_ins"]) == [22.0] * 3  # (1 + 10) x 2 criminalities
    assert list(model["detained_ice"]) == [10.0] * 3
    assert list(model["detained_cbp"]) == [14.0] * 3
    assert missing == {}
    # one book-in rate, no streams: only the totals
    model, missing = model_daily({"daily": daily}, {})
    assert set(missing) == {"ice_book_ins", "detained_ice", "detained_cbp"}
    assert "ice_book_ins" not in model


def test_mape_is_the_mean_absolute_relative_error_in_percent():
    assert mape(np.array([110.0, 80.0]), np.array([100.0, 100.0])) == pytest.approx(15.0)
    assert mape(np.array([50.0]), np.array([100.0])) == pytest.approx(50.0)


def test_the_band_is_the_10th_and_90th_percentiles_around_the_median():
    # five replicates at 0, 10, 20, 30, 40 every day: p10 = 4, median 20, p90 = 36 (linear
    # interpolation between order statistics)
    daily = _daily(0, 61, 5, lambda r, d: 10.0 * r)
    comp = compare(daily, date(2025, 8, 1), OBSERVED, fiscal_year=2025)
    t = comp.table[comp.table["series"] == "detained"]
    assert (t["p10"] <= t["median"]).all() and (t["median"] <= t["p90"]).all()
    assert list(t["p10"]) == pytest.approx([4.0, 4.0])
    assert list(t["median"]) == pytest.approx([20.0, 20.0])
    assert list(t["p90"]) == pytest.approx([36.0, 36.0])
    m = comp.mape.set_index("series").loc["detained"]
    assert m["mape_median_pct"] == pytest.approx(
        np.mean([abs(20 / 50 - 1), abs(20 / 10 - 1)]) * 100
    )


def test_a_run_from_1_october_2024_covers_the_twelve_months(
    store, write_toml, tmp_path, monkeypatch
):
    monkeypatch.setenv("ENFORCESIM_DB", str(store))
    path = write_toml(SCENARIO.format(start="start_date = 2024-10-01"))
    out = tmp_path / "cmp"
    r = runner.invoke(app, ["against-ice", str(path), "--out", str(out), "--format", "json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    months = sorted({row["month"] for row in rows})
    assert months == [
        m.strftime("%Y-%m") for m in pd.date_range("2024-10-01", periods=12, freq="MS")
    ]
    assert {row["series"] for row in rows} == {
        "ice_book_ins",
        "detained",
        "detained_ice",
        "detained_cbp",
        "removals",
    }
    table = pd.read_csv(out / "against_ice.csv")
    ice = data.comparison_series(2025, db_path=store)
    sep = table.query("series == 'removals' and month == '2025-09'").iloc[0]
    assert sep["days"] == 20
    assert sep["ice"] == pytest.approx(ice["release_to_remove_per_day"].iloc[-1])
    assert (out / "against_ice.png").stat().st_size > 0
    assert set(pd.read_csv(out / "against_ice_mape.csv")["months"]) == {12}


def test_a_scenario_without_start_date_is_refused_naming_the_key(write_toml, tmp_path):
    path = write_toml(SCENARIO.format(start=""))
    r = runner.invoke(app, ["against-ice", str(path), "--out", str(tmp_path / "x")])
    assert r.exit_code == 2
    assert f"{path}: scenario.start_date: missing" in r.output
    assert "Traceback" not in r.output
    assert not (tmp_path / "x").exists()


def test_the_flagship_section_compares_the_main_run_with_its_central_run(
    store, write_toml, tmp_path, monkeypatch
):
    """The report's section on a folder laid out as the flagship's (runs/LABEL/*.parquet):
    the section itself; `study flagship --quick` renders it end to end in test_flagship."""
    import enforcesim
    from enforcesim.reports.against_ice import flagship_section
    from enforcesim.reports.html import Page, macros

    monkeypatch.setenv("ENFORCESIM_DB", str(store))
    text = SCENARIO.format(start="start_date = 2025-05-28").replace("days = 365", "days = 80")
    path = write_toml(text)
    folder = tmp_path / "study"
    res = enforcesim.run(path)
    res.write(folder / "runs" / "main")
    enforcesim.run(path, seed=6).write(folder / "runs" / "noise")  # another central run
    rs = SimpleNamespace(
        raw=lambda label: {},
        daily=lambda label, t: pd.read_parquet(folder / "runs" / label / f"{t}.parquet"),
    )
    page = Page("t", folder)
    st = SimpleNamespace(
        main="main",
        rs=rs,
        start=pd.Timestamp("2025-05-28"),
        runs_source="Model: test",
        page=page,
        figure=page.figure,
    )
    html = str(flagship_section(st, macros("flagship.html.j2"), "noise"))
    # 28 May - 15 Aug: June and July are reported in full, May and August are not
    assert "2 months covered (2025-06 to 2025-07" in html and "2025-08" not in html
    assert "runs/noise/daily*.parquet" in html and "misses ICE" in html
    assert (folder / "figures" / "against_ice.png").exists()
