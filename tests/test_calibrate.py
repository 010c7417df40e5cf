"""Calibration (issue 7): the fluid model against the engine, parameter recovery, the
in-sample FY2024 check (two streams, ICE and CBP arrests), the shipped scenarios and the
command line."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import enforcesim
from builders import SCENARIOS
from enforcesim.analyses.calibration.backtest import run_backtest
from enforcesim.analyses.calibration.fit import Series, fit_agency, observed, removal_shares
from enforcesim.analyses.calibration.fluid import Stay, expected_paths, monthly
from enforcesim.analyses.calibration.status_quo import (
    fit_status_quo,
    in_sample_check,
    monthly_from_daily,
    status_quo_dict,
)
from enforcesim.cli.calibrate import app
from enforcesim.scenario import load_scenario, parse_scenario
from enforcesim.tomlfile import value_comments


def _scenario(rate0, steps, days, mean, sd, n0, reps, seed, dist="lognormal"):
    return {
        "scenario": {"name": "t", "days": days, "replicates": reps, "seed": seed},
        "book_ins": {"rate_per_day": rate0, "schedule": steps},
        "detention": {
            "beds": "unlimited",
            "when_full": "release",
            "length_of_stay": {"dist": dist, "mean": mean, "sd": sd},
            "initial_detained": n0,
        },
    }


# ---- theory: the fluid model ------------------------------------------------------------


def test_fluid_littles_law_and_conservation():
    """Steady state: detained -> lambda * mean, ALOS -> mean (Little); every person booked in
    or present at time 0 is either still detained or has exited (exact to 1e-9)."""
    st = Stay(40.0, 50.0)
    p = expected_paths(np.full(3000, 100.0), [st])
    assert p.detained[-1] == pytest.approx(4000.0, rel=1e-3)
    assert p.los_sum[-1] / p.exits[-1] == pytest.approx(40.0, rel=1e-3)
    rates = np.r_[np.full(50, 200.0), np.full(70, 30.0)]
    p = expected_paths(
        rates, [st, Stay(10.0, 5.0)], np.r_[np.zeros(60, int), np.ones(60, int)], n0=1000.0
    )
    assert rates.sum() + 1000.0 == pytest.approx(p.exits.sum() + p.detained[-1], rel=1e-9)


@pytest.mark.parametrize("dist", ["lognormal", "gamma"])
def test_fluid_matches_engine(dist):
    """The engine's mean over 40 replicates (seed 11, unlimited beds, rate steps, initial
    population with stationary residual stays) against the fluid expectation: each day's
    mean detained within 1.5 %, the horizon's length of stay within 1 %."""
    steps = [{"day": 60, "rate_per_day": 400.0}, {"day": 150, "rate_per_day": 100.0}]
    r = enforcesim.run(_scenario(200.0, steps, 250, 40.0, 50.0, 5000, 40, 11, dist), workers=2)
    sim = r.daily().groupby("day")["detained"].mean().to_numpy()
    rates = np.r_[np.full(60, 200.0), np.full(90, 400.0), np.full(100, 100.0)]
    p = expected_paths(rates, [Stay(40.0, 50.0, dist)], n0=5000.0)
    assert np.abs(sim / p.detained - 1).max() < 0.015
    los = r.summary().loc["length_of_stay_days", "mean"]
    assert los == pytest.approx(p.los_sum.sum() / p.exits.sum(), rel=0.01)


# ---- recovery of known parameters from the engine's own output --------------------------


@pytest.mark.parametrize("dist", ["lognormal", "gamma"])
def test_recovers_known_parameters_from_engine_output(dist):
    """Simulate 12 months with known stays (lognormal or gamma, mean 45, sd 60 days), 30,000
    people at the start and monthly book-in rates between 450 and 1,100/day (one replicate,
    seed 7). Monthly ADP comes from the daily table; monthly ALOS from runs of the same seed
    cut at each month end (the draws of a prefix do not depend on the horizon). The fit (of
    the same family) must find the mean and the start population within 5 % and the sd
    within 30 % (the sd is weakly identified by 12 months, as in the real fit)."""
    months = pd.date_range("2023-10-01", periods=12, freq="MS")
    rates = np.array([900, 1100, 700, 450, 600, 1000, 800, 650, 950, 1050, 500, 750.0])
    lengths = months.days_in_month.to_numpy()
    starts = np.r_[0, np.cumsum(lengths)[:-1]]
    steps = [
        {"day": int(d), "rate_per_day": float(x)}
        for d, x in zip(starts[1:], rates[1:], strict=True)
    ]
    true = Stay(45.0, 60.0, dist)
    cum_los = []
    cum_exits = []
    adp = None
    for i, end in enumerate(np.cumsum(lengths)):
        sc = _scenario(
            float(rates[0]),
            [s for s in steps if s["day"] < end],
            int(end),
            true.mean,
            true.sd,
            30000,
            1,
            7,
            dist,
        )
        r = enforcesim.run(sc, workers=1)
        d = r.daily()
        exits = float((d["removals"] + d["releases"]).sum())
        cum_exits.append(exits)
        cum_los.append(r.summary().loc["length_of_stay_days", "mean"] * exits)
        if i == len(lengths) - 1:
            adp = monthly_from_daily(d, months)
    alos = np.diff(np.r_[0.0, cum_los]) / np.diff(np.r_[0.0, cum_exits])
    series = Series(months, rates * lengths, adp, alos, lengths.astype(float))
    f = fit_agency(series, "constant", dist=dist)
    st = f.stays[0]
    assert st.mean == pytest.approx(true.mean, rel=0.05)
    assert f.n0 == pytest.approx(30000, rel=0.05)
    assert st.sd == pytest.approx(true.sd, rel=0.30)


# ---- the FY2024 in-sample check ----------------------------------------------------------


@pytest.fixture(scope="module")
def status_quo():
    return fit_status_quo("2024-09-30")


def test_in_sample_fy2024_mape_below_5_percent(status_quo):
    """The status quo (two streams, ICE and CBP arrests) fed FY2024's monthly book-ins by
    agency from the fitted 1 Oct 2023 populations (engine, 4 replicates, seed 0): monthly
    mean detained within 5 % MAPE of ICE's FY2024 monthly ADP (the issue's requirement).
    Per agency (regression guards, not requirements; measured 2.0 % and 6.3 %): ICE within
    3 %, CBP within 8 % (one FY2024 stay cannot follow CBP's autumn 2023 peak and winter
    decline). The engine agrees with the fluid model that was fitted (1 %)."""
    r = in_sample_check(status_quo, replicates=4, seed=0)
    obs = observed("all", "2024-09-30").slice(60, 72)
    assert np.allclose(r["all"]["observed"], obs.adp, rtol=1e-4)
    assert r["all"]["mape_pct"] < 5.0
    assert r["ice"]["mape_pct"] < 3.0
    assert r["cbp"]["mape_pct"] < 8.0
    for key in ("all", "ice", "cbp"):
        assert r[key]["max_engine_vs_fluid_pct"] < 1.0


def test_shipped_status_quo_matches_the_fit(status_quo):
    """scenarios/status-quo-fy2024.toml carries the two-stream fit (to its rounding), its
    populations on day 0 are anchored to ICE's Sep 2024 ADP by agency, and it runs."""
    sc = load_scenario(SCENARIOS / "status-quo-fy2024.toml")
    streams = dict(sc.book_ins.stream_list())
    assert set(streams) == {"ice", "cbp"}
    sep = {"ice": 14073.2, "cbp": 23909.8}
    for a, st in streams.items():
        fit = status_quo.fits[a].stays[0]
        assert st.length_of_stay.dist == "gamma"
        assert st.length_of_stay.mean == pytest.approx(fit.mean, abs=0.06)
        assert st.length_of_stay.sd == pytest.approx(fit.sd, abs=0.06)
        assert st.initial_detained == status_quo.initial[a]
        assert st.initial_detained == pytest.approx(sep[a], rel=0.03)
        assert st.rate_per_day == pytest.approx(status_quo.inflow_per_day(a), abs=0.01)
    assert sc.detention.beds == "unlimited"
    assert "book_ins.streams.cbp.length_of_stay.sd" in sc.uncertainty
    parse_scenario(status_quo_dict(status_quo))
    r = enforcesim.run(sc, replicates=2, workers=2)
    assert 30000 < r.summary().loc["detained", "mean"] < 45000


def test_policy_2025_runs_and_is_dated():
    """policy-2025.toml: dated streams (status quo closed on 21 Jan 2025 = day 112, new
    streams opened then), bed build-out, targets, sources and labelled assumptions."""
    path = SCENARIOS / "policy-2025.toml"
    sc = load_scenario(path)
    streams = dict(sc.book_ins.stream_list())
    assert set(streams) == {"ice", "cbp", "ice_2025", "cbp_2025", "er"}
    for name in ("ice", "cbp"):
        assert [(s.day, s.rate_per_day) for s in streams[name].schedule] == [(112, 0.0)]
    for name in ("ice_2025", "cbp_2025", "er"):
        assert streams[name].rate_per_day == 0.0
        assert streams[name].schedule[0].day == 112
        assert streams[name].removal_share > 0.567
    # complementary: ICE-arrest book-ins split 75/25 between ice_2025 and er at each step
    for a, b in zip(streams["ice_2025"].schedule, streams["er"].schedule, strict=True):
        assert a.day == b.day and a.rate_per_day == pytest.approx(3 * b.rate_per_day)
    assert streams["er"].length_of_stay.mean < streams["ice_2025"].length_of_stay.mean
    assert [s.day for s in sc.detention.beds_schedule] == [182, 365, 547]
    assert sc.detention.when_full == "wait"
    assert sc.targets.removals_per_day == 2740.0
    assert sc.targets.book_ins_per_day == 3000.0
    text = path.read_text()
    for needle in (
        "VERIFY",
        "ASSUMPTION",
        "Federal Register",
        "H.R. 1",
        "28 May 2025",
        "21 Jan 2025",
        "10,000 new ICE officers",
    ):
        assert needle in text
    r = enforcesim.run(path, replicates=2, workers=2)
    assert r.summary().loc["book_ins_per_day", "mean"] > 759.0


# ---- data wiring ---------------------------------------------------------------------------


def test_removal_share_fy2024_from_book_outs():
    """FY2024: 152,982 'release to remove' and 115,498 other book-outs over ~278,000 exits."""
    rs = removal_shares().set_index("fiscal_year")
    assert rs.loc[2024, "low"] == pytest.approx(152982 / rs.loc[2024, "exits_est"])
    assert 0.5 < rs.loc[2024, "low"] < rs.loc[2024, "high"] < 0.62
    assert math.isnan(rs.loc[2019, "high"])


def test_partial_months_use_covered_days():
    s = observed("all", "2022-09-30")
    assert s.covered_days[-1] == 24  # FY2022 data end 24 Sep 2022
    assert s.covered_days[35] == 25  # FY2021: 25 Sep 2021
    rate, midx, cov = s.day_grid()
    adp, _ = monthly(expected_paths(rate, [Stay(30.0, 30.0)], n0=1.0), midx, s.n_months, cov)
    assert np.isfinite(adp).all()


def test_backtest_one_origin():
    """One origin (end of Mar 2023), 3 months: persistence repeats the last ADP exactly."""
    bt = run_backtest(
        "2024-09-30",
        origins=[53],
        horizons=(3,),
        methods=("persistence", "Little's law", "model (12-month window, gamma)"),
    )
    p = bt.forecasts[bt.forecasts["method"] == "persistence"]
    assert np.allclose(p["forecast"], 27692.516129, rtol=1e-6)
    assert set(bt.table["method"]) == {
        "persistence",
        "Little's law",
        "model (12-month window, gamma)",
    }
    assert (bt.table["origins"] == 1).all()


# ---- command line --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--through", "2031-01-01"],
        ["run", "--through", "soon"],
        ["run", "--bootstrap", "-1"],
        ["run", "--dist", "weibull"],
        ["backtest", "--through", "2017-01-01"],
    ],
)
def test_cli_bad_input_exit_2(args, tmp_path):
    res = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "Traceback" not in res.output
    assert not (tmp_path / "o" / "report.json").exists()


def test_cli_run_writes_scenario_and_report(tmp_path):
    res = CliRunner().invoke(app, ["run", "--bootstrap", "0", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    for name in (
        "status-quo-fy2024.toml",
        "report.json",
        "report.md",
        "fit.png",
        "stays.png",
        "in_sample.png",
    ):
        assert (tmp_path / name).exists()
    sc = load_scenario(tmp_path / "status-quo-fy2024.toml")
    assert {n for n, _ in sc.book_ins.stream_list()} == {"ice", "cbp"}
    assert "in-sample MAPE" in res.output
    # the fit's comments source the values they sit beside
    rows = {k: c for k, _v, c in value_comments((tmp_path / "status-quo-fy2024.toml").read_text())}
    assert "Day 0 = 2024-10-01" in rows["(file header)"]
    assert rows["costs.bed_day"] == "USD per bed-day, ICE 2024-25 (reference parameters)"
    assert rows["book_ins.streams.ice.rate_per_day"].startswith("FY2024 mean ICE-arrest")
