"""The FY2025 fit: six scalars from dated events, held-out validation inside FY2025, the
refit, the identifiability table and the rolling back-test's baselines.

The model is the fluid expectation (no random draws), so the fitted numbers are exact and
need no seed; the one fit on Oct 2024 - May 2025 (with intervals and ranges) is shared by
the module."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import enforcesim
from builders import ROOT
from enforcesim.analyses.against_ice import against_ice
from enforcesim.analyses.calibration.backtest import run_fy2025_backtest
from enforcesim.analyses.calibration.fy2025 import Context, run_fy2025
from enforcesim.analyses.calibration.fy2025_data import linear_trend, mape, persistence
from enforcesim.analyses.calibration.fy2025_events import EVENTS, SCALARS, EventInputs
from enforcesim.analyses.runs import load
from enforcesim.central import without_uncertainty
from enforcesim.cli.calibrate import app
from enforcesim.data import comparison_series
from enforcesim.reports.fy2025 import write

MAIN = ROOT / "scenarios" / "library" / "goal-3000-buildout-100k.toml"


@pytest.fixture(scope="module")
def ctx(store):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ENFORCESIM_DB", str(store))
        yield Context.load()


@pytest.fixture(scope="module")
def result(ctx):
    return run_fy2025(8, ctx=ctx)


@pytest.fixture(scope="module")
def files(result, tmp_path_factory):
    folder = tmp_path_factory.mktemp("fy2025")
    write(result, folder)
    return folder


def test_at_most_six_scalars_each_inside_its_interval(result):
    s = result.scalars
    assert set(s["fit"]) == {"held_out", "refit"}
    for _, g in s.groupby("fit"):
        assert list(g["name"]) == [x.name for x in SCALARS]
        assert len(g) <= 6
        assert (g["low"] <= g["estimate"]).all() and (g["estimate"] <= g["high"]).all()
        assert g["identifying_series"].str.len().gt(0).all()
    assert set(s["fit_window"]) == {"2024-10..2025-05", "2024-10..2025-09"}


def test_events_are_the_one_source_of_the_model_inputs():
    ev = EventInputs()
    by = {e.key: e for e in EVENTS}
    assert ev.quota == by["quota"].size and ev.goal == by["goal"].size
    assert ev.beds == by["contract_beds"].size
    assert ev.quota_day == (pd.Timestamp(by["quota"].date) - pd.Timestamp("2024-10-01")).days
    assert all(e.source for e in EVENTS)


def test_held_out_mape_from_monthly_csv_equals_validation_csv(files):
    monthly = pd.read_csv(files / "monthly.csv")
    val = pd.read_csv(files / "validation.csv").set_index("series")
    for series, g in monthly.groupby("series"):
        out = g[~g["in_fit_window"]]
        ins = g[g["in_fit_window"]]
        assert len(out) == 4
        assert mape(out["held_out"], out["observed"]) == pytest.approx(
            val.loc[series, "held_out_mape_pct"], rel=1e-9
        )
        assert mape(ins["held_out"], ins["observed"]) == pytest.approx(
            val.loc[series, "in_sample_mape_pct"], rel=1e-9
        )
        assert mape(g["refit"], g["observed"]) == pytest.approx(
            val.loc[series, "refit_mape_pct"], rel=1e-9
        )
    assert (files / "report.md").read_text().count("held-out MAPE") == 2


def test_bigger_beds_give_more_book_ins_jun_sep(result):
    beds = result.identifiability[result.identifiability["input"].str.startswith("usable beds")]
    beds = beds.sort_values("value")
    assert len(beds) == 3
    assert np.all(np.diff(beds["ice_book_ins_held_out_mean"]) > 0)
    assert np.all(np.diff(beds["adp_last_month"]) > 0)


def test_issue_targets_held_out_jun_sep(result):
    """The issue's thresholds on the held-out Jun-Sep 2025 forecast (fit Oct-May, frozen):
    ICE-arrest book-ins within 15 % MAPE, ADP within 10 %, each better than persistence and
    a linear trend. Tolerance: none beyond the thresholds (the model is deterministic); the
    margin over the linear trend on book-ins is small (measured 7.6 vs 7.8 %), so a change
    that loses it fails here on purpose."""
    v = result.validation.set_index("series")
    for series, target in (("ice_book_ins", 15.0), ("adp", 10.0)):
        held = v.loc[series, "held_out_mape_pct"]
        assert held < target
        assert held < v.loc[series, "persistence_mape_pct"]
        assert held < v.loc[series, "trend_mape_pct"]


def test_baselines_on_a_hand_checkable_series():
    y = np.array([2.0, 4.0, 4.0, 6.0, 0.0, 0.0])
    # persistence: the last month seen (index 3) repeated
    assert persistence(y, 4).tolist() == [6.0, 6.0]
    # least squares through (0,2) (1,4) (2,4) (3,6): slope 6/5 = 1.2, intercept 4 - 1.2*1.5
    assert linear_trend(y, 4) == pytest.approx([2.2 + 1.2 * 4, 2.2 + 1.2 * 5])
    assert linear_trend(y, 4, 1) == pytest.approx([7.0])
    assert mape([110.0, 90.0], [100.0, 100.0]) == pytest.approx(10.0)


def test_backtest_origin_may_matches_the_held_out_fit(ctx, result):
    """One origin (May 2025, 3 months): the event model's error is the held-out fit's over
    Jun-Aug, and the baselines are those of the series seen up to May."""
    per, summary = run_fy2025_backtest(horizons=(3,), ctx=ctx, origins=[8])
    row = per.set_index(["series", "method"])["mape_pct"]
    y = ctx.observed("ice_book_ins")
    assert row["ice_book_ins", "event model"] == pytest.approx(
        mape(result.held.months["ice_book_ins"][8:11], y[8:11]), rel=1e-6
    )
    assert row["ice_book_ins", "persistence"] == pytest.approx(mape(np.full(3, y[7]), y[8:11]))
    assert row["adp", "linear trend"] == pytest.approx(
        mape(linear_trend(ctx.observed("adp"), 8, 3), ctx.observed("adp")[8:11])
    )
    assert set(summary["origins"]) == {1}
    assert not summary.loc[summary["method"] == "persistence", "loses"].any()


@pytest.mark.parametrize("month", ["2024-09", "2025-10", "2025-01", "2025-09", "soon"])
def test_fit_window_without_data_exit_2(month, tmp_path):
    res = CliRunner().invoke(app, ["fy2025", "--fit-through", month, "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "--fit-through" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "o").exists()


def held_out_overrides(result) -> dict:
    """The main scenario's inputs at the fit on Oct 2024 - May 2025: the six scalars (theta_q
    and theta_g from book-ins to arrests by the sources' 0.80 share booked in, as the file
    states) and the stays after the change."""
    s = result.scalars
    est = s[s["fit"] == "held_out"].set_index("name")["estimate"]
    st = result.stays[result.stays["fit"] == "held_out"].set_index(["agency", "parameter"])[
        "estimate"
    ]
    ice_stay = "detention.length_of_stay_schedule.0.length_of_stay"
    cbp_stays = "arrests.sources.cbp.length_of_stay_schedule"
    return {
        "fitted.theta_q.value": est["theta_q"] / 0.80,
        "fitted.theta_g.value": est["theta_g"] / 0.80,
        "arrests.sources.cbp.base_per_day": est["c0"],
        "arrests.sources.cbp.per_encounter": est["r"],
        "detention.removal_share": est["rho0"],
        "detention.removal_share_schedule.0.removal_share": est["rho1"],
        f"{ice_stay}.mean": st[("ice", "mean after (days)")],
        f"{ice_stay}.sd": st[("ice", "sd after (days)")],
        f"{cbp_stays}.0.length_of_stay.mean": st[("cbp", "mean before (days)")],
        f"{cbp_stays}.0.length_of_stay.sd": st[("cbp", "sd before (days)")],
        f"{cbp_stays}.1.length_of_stay.mean": st[("cbp", "mean after (days)")],
        f"{cbp_stays}.1.length_of_stay.sd": st[("cbp", "sd after (days)")],
    }


def test_the_engine_scores_the_held_out_months_as_the_fit_does(result, store):
    """The held-out test run by the engine itself: the main library scenario (dated events,
    30 Sep 2024 cohorts, contract beds) at the scalars and stays fitted on Oct 2024 - May
    2025, without [uncertainty], 4 replicates, seed 0, scored on Jun - Sep 2025 against ICE.
    Theory: the fluid model the fit uses is the engine's expectation, so the engine's
    held-out MAPE must match the fit's within the replicate mean's noise and the two models'
    small differences (the engine's monthly 287(g) steps and the January quota step on a
    day, the bed cap applied per arrest): tolerance 2 points. And the issue's targets hold in
    the engine too: book-ins <= 15 %, ADP <= 10 %, better than persistence on both
    (measured: 7.5 % and 4.6 %; trend 7.8 % and 7.1 %)."""
    sc, _, _ = load(MAIN, overrides=held_out_overrides(result))
    run = enforcesim.run(without_uncertainty(sc), replicates=4, seed=0, workers=2)
    cmp = against_ice(run, observed=comparison_series(2025, store))
    t = cmp.table[cmp.table["month"] >= "2025-06"]
    v = result.validation.set_index("series")
    for series, fit_row in (("ice_book_ins", "ice_book_ins"), ("detained", "adp")):
        part = t[t["series"] == series]
        engine = float(np.mean(np.abs(part["central"] / part["ice"] - 1.0)) * 100.0)
        assert engine == pytest.approx(v.loc[fit_row, "held_out_mape_pct"], abs=2.0)
        assert engine <= (15.0 if series == "ice_book_ins" else 10.0)
        assert engine < v.loc[fit_row, "persistence_mape_pct"]
