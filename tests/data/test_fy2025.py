"""FY2025: ICE's workbook (data to 20 Sep 2025) and the DDP facility-day table to 30 Sep 2025.

The pinned figures were read by eye from FY25_detentionStats_2025-09-25.xlsx, sheet
'Detention FY25' (FY Overall / Total cells), and agree with shared/data/SOURCES.md. The
consistency tests check the monthly rows against those FY cells as the parser read them.
"""

from __future__ import annotations

from datetime import date

import openpyxl
import pandas as pd
import pytest

from enforcesim import data
from enforcesim.data import ice_fy2025

FY25 = "ice-detention-stats/FY25_detentionStats_2025-09-25.xlsx"

# Facility-day table vs ICE's monthly ADP. The DDP midnight count sums each facility's
# midnight population; ICE's ADP counts midnight mandays in ERO facilities from its own
# (earlier) data run. Oct 2022 - Sep 2025 the DDP midnight count is 1.4-2.9 % BELOW ICE's
# ADP every month and the DDP 24-hour count (anyone present that day) 1.8-3.7 % ABOVE, so
# ADP must lie between the two and within 3.5 % of the midnight count (docs/data.md).
MONTHLY_ADP_TOLERANCE = 0.035


def _month(frame: pd.DataFrame, ym: str) -> pd.Series:
    rows = frame[pd.to_datetime(frame["month"]) == pd.Timestamp(ym + "-01")]
    assert len(rows) == 1
    return rows.iloc[0]


def test_fy2025_pinned(fiscal_years):
    row = fiscal_years.loc[2025]
    # 'Detention FY25' row 100 (Average), 96 (ICE Average), 92 (CBP Average), FY Overall
    assert (round(row["adp"]), round(row["adp_ice"]), round(row["adp_cbp"])) == (
        48404, 28706, 19699)  # fmt: skip
    # rows 117, 113, 109 (ALOS), FY Overall
    assert (round(row["alos_days"], 1), round(row["alos_ice_days"], 1)) == (50.3, 43.7)
    assert round(row["alos_cbp_days"], 1) == 63.1
    # rows 20-22 (initial book-ins Total / ICE / CBP), Total column
    assert (row["book_ins"], row["book_ins_ice"], row["book_ins_cbp"]) == (310181, 222832, 87349)
    # row 29 (ICE Removals: Total) and 30 (Removals with a FAMU Identifier)
    assert (row["removals"], row["removals_famu"]) == (319980, 39439)
    assert pd.Timestamp(row["data_through"]).date() == date(2025, 9, 20)
    assert bool(row["partial_year"]) and row["days"] == 355
    assert row["source_file"] == FY25 and row["source_sheet"] == "Detention FY25"


def test_removals_definition_changes(fiscal_years):
    d = fiscal_years["removals_definition"]
    assert "title 50" not in d.loc[2024].lower()
    assert "Title 50" in d.loc[2025] and "12 May 2023" in d.loc[2025]
    assert "12 May 2023" not in d.loc[2022]


def test_september_2025_has_20_days(monthly):
    fy25 = monthly[monthly["fiscal_year"] == 2025]
    assert len(fy25) == 12
    assert _month(monthly, "2025-09")["days"] == 20 and _month(monthly, "2025-09")["partial_month"]
    assert fy25["days"].sum() == 355
    # earlier partial Septembers and a leap February
    assert _month(monthly, "2021-09")["days"] == 25 and _month(monthly, "2024-02")["days"] == 29


def test_fy2025_months_consistent_with_fy_cells(monthly, fiscal_years):
    fy25, fy = monthly[monthly["fiscal_year"] == 2025], fiscal_years.loc[2025]
    for col in ("book_ins", "book_ins_ice", "book_ins_cbp"):
        assert fy25[col].sum() == fy[col], col
    # ADP per month is mandays / days, so the day-weighted mean is the FY value: the only
    # gap is the rounding of the published cells (14 significant digits)
    for col in ("adp", "adp_ice", "adp_cbp"):
        weighted = (fy25[col] * fy25["days"]).sum() / fy25["days"].sum()
        assert weighted == pytest.approx(fy[col], abs=0.01), col


def test_fy2025_book_outs(store, monthly):
    b = data.table("book_outs", store)
    fy25 = b[b["fiscal_year"] == 2025]
    totals = fy25[fy25["criminality"] == "total"].pivot(
        index="month", columns="reason", values="book_outs"
    )
    # 'Detention FY25' rows 38 (Total) and 67 (Release to Remove / Total), Total column
    assert totals["total"].sum() == 284019
    assert totals["release_to_remove"].sum() == 222401
    # the reasons add up to the Total row (bonded out = bond set by ICE + by IJ: not added)
    reasons = totals.drop(columns=["total", "bond_set_by_ice", "bond_set_by_ij"])
    assert (reasons.sum(axis=1) == totals["total"]).all()
    # criminality rows add up to each reason's Total row
    split = fy25[fy25["criminality"] != "total"].groupby(["month", "reason"])["book_outs"].sum()
    whole = fy25[(fy25["criminality"] == "total") & (fy25["reason"] != "total")]
    assert (whole.set_index(["month", "reason"])["book_outs"] == split).all()
    # row 68: Release to Remove, Convicted Criminal, September (20 days)
    sep = fy25[
        (fy25["month"] == pd.Timestamp("2025-09-01")) & (fy25["reason"] == "release_to_remove")
    ]
    conv = sep[sep["criminality"] == "convicted"].iloc[0]
    assert conv["book_outs"] == 7241 and conv["book_outs_per_day"] == pytest.approx(7241 / 20)
    # the same months in the wide monthly table
    assert _month(monthly, "2025-09")["releases_release_to_remove"] == 21158


def test_comparison_series(store):
    s = data.comparison_series(2025, store)
    assert list(s.columns) == [
        "month", "days", "book_ins_ice", "book_ins_ice_per_day", "adp", "adp_ice", "adp_cbp",
        "release_to_remove", "release_to_remove_per_day",
    ]  # fmt: skip
    assert len(s) == 12 and s["days"].tolist()[-1] == 20
    assert (s["book_ins_ice_per_day"] == s["book_ins_ice"] / s["days"]).all()
    assert (s["release_to_remove_per_day"] == s["release_to_remove"] / s["days"]).all()
    sep = s.iloc[-1]
    # 'Detention FY25' row 22 (ICE) Sep 21,293 and row 67 (Release to Remove) Sep 21,158
    assert sep["book_ins_ice_per_day"] == pytest.approx(21293 / 20)
    assert sep["release_to_remove_per_day"] == pytest.approx(21158 / 20)
    assert sep["adp"] == pytest.approx(60317.35)


def test_cli_show_monthly_rates(store):
    from typer.testing import CliRunner

    from enforcesim.cli.data import app

    result = CliRunner().invoke(
        app, ["show", "monthly-rates", "--format", "csv", "--db", str(store)]
    )
    assert result.exit_code == 0, result.output
    last = result.stdout.strip().splitlines()[-1].split(",")
    assert last[:3] == ["2025-09-01", "2025", "20"]


def test_facility_type_adp_repairs_fsc_april(store, monthly):
    ft = data.table("facility_type_monthly", store)
    wide = ft.pivot(index="month", columns="facility_type", values="adp")
    assert ((wide["fsc"] + wide["adult"] - wide["total"]).abs() < 0.01).all()
    apr = ft[(ft["month"] == pd.Timestamp("2025-04-01")) & (ft["facility_type"] == "fsc")].iloc[0]
    # 'Detention FY25' row 127: ICE divides April's FSC mandays by the 24 days from 7 April
    assert apr["adp_published"] == pytest.approx(3101 / 24)
    assert apr["adp"] == pytest.approx(3101 / 30)
    assert (
        wide["total"].to_numpy() == monthly[monthly["fiscal_year"] == 2025]["adp"].to_numpy()
    ).all()


def test_bond_monthly(store, monthly):
    bond = data.table("bond_monthly", store)
    assert bond["month"].min() == pd.Timestamp("2024-08-01")
    assert bond["month"].max() == pd.Timestamp("2025-09-01")
    # the bond sheet's book-out totals are the Detention sheet's (FY2024's September too)
    joined = bond.merge(monthly, on="month")
    assert (joined["book_outs"] == joined["releases"]).all() and len(joined) == 14
    share = joined["book_outs_bond_posted"] / joined["book_outs"]
    assert (share - joined["bond_posted_share"]).abs().max() < 1e-9
    assert bond.iloc[-1]["days"] == 20


def test_atd_snapshot(store):
    atd = data.table("atd_snapshot", store)
    assert (atd["as_of"] == pd.Timestamp("2025-09-20")).all()
    tech = atd[atd["breakdown"] == "technology"].set_index("category")["participants"]
    # 'ATD FY25 YTD' rows 9-15: SmartLINK 147,461 ... Total 181,210
    assert tech["SmartLINK"] == 147461 and tech["Total"] == 181210
    assert tech.drop("Total").sum() == tech["Total"]
    aor = atd[(atd["breakdown"] == "aor_technology") & (atd["category"] == "Total")]
    assert aor[aor["aor"] != "All"]["participants"].sum() == 181210
    status = atd[atd["breakdown"] == "famu_status"].set_index("category")["participants"]
    assert status["FAMU"] + status["Single Adult"] == status["Total"] == 181210


def test_headcounts(store, con):
    h = data.table("headcounts", store)
    tot = h[(h["population_group"] == "total") & (h["stay_band"] == "total")]
    # 15th and last day of each month Jan 2023 - Sep 2025; the end-of-September 2025
    # snapshot is after the sheet's data date (24 Sep) and published as 0: not stored
    assert len(tot) == 65 and tot["date"].max() == pd.Timestamp("2025-09-15")
    assert set(tot["point"]) == {"mid", "end"}
    assert pd.Timestamp("2024-02-29") in set(tot["date"])
    # ' ICLOS and Detainees' row 48 (Total / Total), September 2025 mid-month
    assert tot.iloc[-1]["detained"] == 61689
    bands = h[(h["population_group"] == "total") & (h["stay_band"] != "total")]
    assert (bands.groupby("date")["detained"].sum() == tot.set_index("date")["detained"]).all()
    groups = h[(h["population_group"] != "total") & (h["stay_band"] == "total")]
    assert (groups.groupby("date")["detained"].sum() == tot.set_index("date")["detained"]).all()
    assert tot["iclos_days"].notna().all()


def test_headcounts_against_facility_day_table(con):
    """ICE's snapshots count everyone in custody at the time (hold rooms and staging
    included); they run 1.7-6.9 % above the DDP midnight sum of the same day."""
    r = con.execute(
        """
        SELECT h.detained / n.population - 1 FROM headcounts h JOIN national_daily n
          ON n.date = h.date AND n.source = 'ddp_midnight'
        WHERE h.population_group = 'total' AND h.stay_band = 'total'
        """
    ).fetchall()
    gaps = [g for (g,) in r]
    assert len(gaps) == 65
    assert all(0 < g < 0.08 for g in gaps)


def test_facility_day_table_reaches_end_of_fy2025(con):
    rows = con.execute(
        "SELECT source_file, min(date), max(date), count(DISTINCT date) FROM facility_daily "
        "WHERE source = 'ddp' GROUP BY 1 ORDER BY 2"
    ).fetchall()
    assert [(str(a), str(b), n) for _, a, b, n in rows] == [
        ("2022-10-01", "2024-09-30", 731),
        ("2024-10-01", "2025-09-30", 365),
    ]
    assert rows[1][0] == "ddp-facility-daily/facilities-daily-population-fy25.parquet"


def test_facility_day_table_against_monthly_adp(con):
    """Monthly mean of the DDP national daily sum vs ICE's monthly ADP, over the days ICE's
    month covers (1-20 September 2025): ADP between the midnight and 24-hour counts, and
    within MONTHLY_ADP_TOLERANCE of the midnight count."""
    t = con.execute(
        """
        SELECT m.month, any_value(m.adp) AS adp,
               avg(n.population) FILTER (WHERE n.source = 'ddp_midnight') AS midnight,
               avg(n.population) FILTER (WHERE n.source = 'ddp_24h') AS h24
        FROM monthly m JOIN national_daily n
          ON date_trunc('month', n.date) = m.month AND day(n.date) <= m.days
        WHERE n.source LIKE 'ddp%'
        GROUP BY m.month ORDER BY m.month
        """
    ).df()
    assert len(t) == 36  # Oct 2022 - Sep 2025
    assert (t["midnight"] < t["adp"]).all() and (t["adp"] < t["h24"]).all()
    gap = (t["midnight"] - t["adp"]) / t["adp"]
    assert gap.abs().max() <= MONTHLY_ADP_TOLERANCE


def test_missing_fy2025_table_names_file_and_sheet(tmp_path):
    wb = openpyxl.load_workbook(data.raw_dir() / FY25)
    for row in wb["Monthly Bond Statistics"].iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and "Bonded Out Book Outs" in cell.value:
                cell.value = "Something else"
    out = tmp_path / "FY25_detentionStats_2025-09-25.xlsx"
    wb.save(out)
    with pytest.raises(data.DataError) as err:
        ice_fy2025.parse_workbook(out, "edited.xlsx")
    assert "edited.xlsx [sheet 'Monthly Bond Statistics']" in str(err.value)
    assert "bonded out book outs" in str(err.value)
