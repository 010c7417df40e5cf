"""The detention model given FY2025's observed book-ins reproduces FY2025's monthly ADP, by
arresting agency (the issue "Meet reality": "Given FY2025's observed book-ins by agency it
reproduces FY2025's monthly ADP within 5 %, by agency too").

The scenario is built from the shipped files, not restated here: the people in beds on
30 Sep 2024 (`initial_cohorts` of the main scenario's ICE and CBP sources), the stays that
change on 21 Jan 2025 (the main scenario's `[detention]` for ICE arrests, its `cbp` source
for CBP arrests), and ICE's observed book-ins by arresting agency, month by month, as two
book-in streams `ice` and `cbp` with unlimited beds. The stays after the change are those of
`scenarios/status-quo-fy2025.toml` (checked equal), so this is the status quo's detention
model run over the year it was fitted on.

Theory: with unlimited beds the population is an M_t/G/infinity queue; its mean follows the
fluid model the stays were fitted with (docs/recalibration-fy2025.md, section 4: MAPE 2.7 %
ICE, 3.7 % CBP). Tolerance: MAPE over the 12 months within 5 % per agency and in total
(the issue's threshold), 4 replicates, seed 0: the replicate mean's own noise on a
population of 14,000-47,000 is a fraction of a percent. Known misses, asserted as such so
that a change shows: no month is off by more than 15 % (measured: MAPE 3.3 % total, 2.5 %
ICE-arrest, 3.9 % CBP-arrest; the worst months are CBP-arrest Oct-Nov 2024 at -10 % and
-12 %: the 30 Sep 2024 stock empties too fast under FY2024's CBP stay, and ICE-arrest
Mar-Apr 2025 at -5.5 %).
"""

from __future__ import annotations

import tomllib

import numpy as np
import pytest

import enforcesim
from builders import ROOT
from enforcesim.analyses.against_ice import against_ice
from enforcesim.data import comparison_series
from enforcesim.data.store import table

MAIN = ROOT / "scenarios" / "library" / "goal-3000-buildout-100k.toml"
STATUS_QUO = ROOT / "scenarios" / "status-quo-fy2025.toml"


def monthly_steps(per_day: list[float], months: list) -> list[dict]:
    """Observed monthly rates as book-in steps from day 0 = 1 Oct 2024."""
    start = months[0]
    return [
        {"day": int((m - start).days), "rate_per_day": float(r)}
        for m, r in zip(months, per_day, strict=True)
    ][1:]


def backcast_scenario(store) -> dict:
    main = tomllib.loads(MAIN.read_text())
    det, src = main["detention"], main["arrests"]["sources"]
    rates = table("monthly_rates", store)
    rates = rates[rates["fiscal_year"] == 2025].sort_values("month")
    months = list(rates["month"])
    ice = rates["book_ins_ice_per_day"].tolist()
    cbp = rates["book_ins_cbp_per_day"].tolist()
    return {
        "scenario": {
            "name": "backcast-fy2025",
            "days": 365,
            "seed": 0,
            "replicates": 4,
            "start_date": main["scenario"]["start_date"],
        },
        "book_ins": {
            "streams": {
                "ice": {
                    "rate_per_day": ice[0],
                    "schedule": monthly_steps(ice, months),
                    "length_of_stay": det["length_of_stay"],
                    "length_of_stay_schedule": det["length_of_stay_schedule"],
                    "initial_cohorts": src["jails"]["initial_cohorts"],
                },
                "cbp": {
                    "rate_per_day": cbp[0],
                    "schedule": monthly_steps(cbp, months),
                    "length_of_stay": src["cbp"]["length_of_stay"],
                    "length_of_stay_schedule": src["cbp"]["length_of_stay_schedule"],
                    "initial_cohorts": src["cbp"]["initial_cohorts"],
                },
            }
        },
        "detention": {"beds": "unlimited", "when_full": "wait", "removal_share": 0.8},
    }


def test_fy2025_stays_are_the_status_quos():
    """The stays after 21 Jan 2025 in the main scenario are those the FY2025 status quo runs
    on (one fit, two files)."""
    main = tomllib.loads(MAIN.read_text())
    sq = tomllib.loads(STATUS_QUO.read_text())["book_ins"]["streams"]
    ice_after = main["detention"]["length_of_stay_schedule"][-1]["length_of_stay"]
    cbp_after = main["arrests"]["sources"]["cbp"]["length_of_stay_schedule"][-1]["length_of_stay"]
    for after, stream in ((ice_after, sq["ice"]), (cbp_after, sq["cbp"])):
        assert after["dist"] == stream["length_of_stay"]["dist"]
        assert after["mean"] == pytest.approx(stream["length_of_stay"]["mean"], abs=0.05)
        assert after["sd"] == pytest.approx(stream["length_of_stay"]["sd"], abs=0.15)


def test_observed_book_ins_reproduce_fy2025_adp_by_agency(store):
    res = enforcesim.run(backcast_scenario(store), workers=2)
    cmp = against_ice(res, observed=comparison_series(2025, store))
    assert len(cmp.months) == 12
    mape = cmp.mape.set_index("series")["mape_central_pct"]
    table_ = cmp.table.set_index("series")
    report = {s: round(float(mape[s]), 2) for s in ("detained", "detained_ice", "detained_cbp")}
    for series in ("detained", "detained_ice", "detained_cbp"):
        assert mape[series] <= 5.0, report
        worst = np.abs(table_.loc[series, "error_central_pct"].to_numpy(dtype=float)).max()
        assert worst <= 15.0, (series, worst)
