"""Figures pinned against ICE's workbooks.

Every number below was read by eye from the 'Detention ...' sheet of the workbook named in
the comment (FY Overall / Total columns), not copied from the parser's output. FY2019 and
FY2024 also match the figures quoted in shared/data/SOURCES.md.
"""

from __future__ import annotations

import calendar
from datetime import date

import pandas as pd
import pytest

# fiscal year: adp, adp_ice, adp_cbp, alos, alos_ice, alos_cbp,
#              book_ins, book_ins_ice, book_ins_cbp, removals, data_through
PINNED = {
    # FY19_detentionStats_2019-10-06.xlsx, 'Detention FY19' rows 20-22, 29, 53-59, 67-75
    2019: (50165.44, 20115.38, 30050.05, 34.34, 54.51, 26.60,
           510854, 137084, 373770, 267258, date(2019, 9, 30)),
    # FY20_detentionStats_2021-01-14.xlsx, 'Detention EOFY2020' rows 20-22, 29, 51-59, 68-76
    2020: (33723.98, 16625.78, 17098.20, 63.54, 59.38, 67.60,
           182869, 99774, 83095, 185884, date(2020, 9, 30)),
    # FY21_detentionStats_2021-10-01.xlsx, 'Detention FY21 YTD' (data through 9/25/2021)
    2021: (19415.79, 7472.20, 11943.59, 43.67, 69.62, 33.63,
           207572, 48668, 158904, 57627, date(2021, 9, 25)),
    # FY22_detentionStats_2022-09-29.xlsx, 'Detention FY22' (data through 9/24/2022)
    2022: (22577.82, 5658.86, 16918.96, 25.77, 37.37, 23.26,
           306979, 56867, 250112, 69019, date(2022, 9, 24)),
    # FY23_detentionStats_2023-10-31.xlsx, 'Detention FY23' rows 20-22, 29, 68-76, 85-93
    2023: (28289.21, 9377.00, 18912.21, 37.53, 38.58, 37.04,
           273220, 84799, 188421, 142580, date(2023, 9, 30)),
    # FY24_detentionStats_2024-10-01.xlsx, 'Detention FY24' rows 20-22, 29, 91-99, 108-116
    2024: (37721.80, 12232.40, 25489.40, 46.90, 46.04, 47.29,
           277913, 90615, 187298, 271484, date(2024, 9, 30)),
}  # fmt: skip

FLOAT_COLS = ["adp", "adp_ice", "adp_cbp", "alos_days", "alos_ice_days", "alos_cbp_days"]
INT_COLS = ["book_ins", "book_ins_ice", "book_ins_cbp", "removals"]


def test_every_fiscal_year_present(fiscal_years):
    assert list(fiscal_years.index) == list(range(2019, 2026))


@pytest.mark.parametrize("fy", sorted(PINNED))
def test_fiscal_year_pinned(fiscal_years, fy):
    row = fiscal_years.loc[fy]
    expected = PINNED[fy]
    for col, want in zip(FLOAT_COLS, expected[:6], strict=True):
        assert row[col] == pytest.approx(want, abs=0.006), col
    for col, want in zip(INT_COLS, expected[6:10], strict=True):
        assert int(row[col]) == want, col
    assert pd.Timestamp(row["data_through"]).date() == expected[10]
    assert bool(row["partial_year"]) == (fy in (2021, 2022))
    assert row["source_file"].startswith(f"ice-detention-stats/FY{fy % 100:02d}_")
    assert row["source_sheet"].startswith("Detention")


def test_sources_md_quoted_figures(fiscal_years):
    """The figures SOURCES.md quotes, as rounded there."""
    fy19, fy24 = fiscal_years.loc[2019], fiscal_years.loc[2024]
    assert round(fy19["adp"]) == 50165 and round(fy19["alos_days"], 1) == 34.3
    assert (fy19["book_ins"], fy19["book_ins_ice"], fy19["book_ins_cbp"]) == (
        510854, 137084, 373770)  # fmt: skip
    assert fy19["removals"] == 267258
    assert round(fy24["adp"]) == 37722 and round(fy24["alos_days"], 1) == 46.9
    assert (fy24["book_ins"], fy24["book_ins_ice"], fy24["book_ins_cbp"]) == (
        277913, 90615, 187298)  # fmt: skip
    assert fy24["removals"] == 271484


def test_agency_parts_add_up(fiscal_years):
    fy = fiscal_years
    assert ((fy["adp_ice"] + fy["adp_cbp"] - fy["adp"]).abs() < 0.5).all()
    assert (fy["book_ins_ice"] + fy["book_ins_cbp"] == fy["book_ins"]).all()


def test_monthly_shape_and_partial_months(monthly):
    assert len(monthly) == 84
    assert monthly.groupby("fiscal_year").size().eq(12).all()
    assert monthly["month"].is_monotonic_increasing
    partial = monthly[monthly["partial_month"]]
    assert [str(pd.Timestamp(m).date()) for m in partial["month"]] == [
        "2021-09-01",
        "2022-09-01",
        "2025-09-01",
    ]


def test_monthly_book_ins_sum_to_fiscal_year(monthly, fiscal_years):
    sums = monthly.groupby("fiscal_year")[["book_ins", "book_ins_ice", "book_ins_cbp"]].sum()
    for col in sums.columns:
        assert (sums[col] == fiscal_years[col].astype("int64")).all(), col


def test_monthly_adp_averages_to_fiscal_year(monthly, fiscal_years):
    """Day-weighted monthly ADP reproduces ICE's FY Overall ADP."""
    for fy, group in monthly.groupby("fiscal_year"):
        through = pd.Timestamp(fiscal_years.loc[fy, "data_through"]).date()
        days = []
        for m in group["month"]:
            m = pd.Timestamp(m).date()
            last = calendar.monthrange(m.year, m.month)[1]
            if (m.year, m.month) == (through.year, through.month):
                last = through.day
            days.append(last)
        weighted = (group["adp"] * days).sum() / sum(days)
        assert weighted == pytest.approx(fiscal_years.loc[fy, "adp"], abs=1.0), fy


def _month(monthly, ym: str):
    rows = monthly[monthly["month"] == pd.Timestamp(ym + "-01")]
    assert len(rows) == 1
    return rows.iloc[0]


def test_monthly_pinned_cells(monthly):
    # FY19 'Detention FY19' row 60 (all agencies, Convicted Criminal), October
    assert _month(monthly, "2018-10")["adp_convicted"] == pytest.approx(20845.94, abs=0.01)
    # FY19 uses two criminality classes only
    assert pd.isna(_month(monthly, "2018-10")["adp_pending_charges"])
    assert _month(monthly, "2018-10")["adp_non_criminal"] == pytest.approx(24738.10, abs=0.01)
    # FY20 'Detention EOFY2020' row 21 (CBP), October
    assert _month(monthly, "2019-10")["book_ins_cbp"] == 13303
    # FY21 'Detention FY21 YTD' row 51 (Order of Recognizance / Total), April
    apr21 = _month(monthly, "2021-04")
    assert apr21["releases_recognizance"] == 9100 and apr21["releases_basis"] == "final_releases"
    # FY24 'Detention FY24' row 66 (Release to Remove / Total), September; book-outs basis
    sep24 = _month(monthly, "2024-09")
    assert sep24["releases_release_to_remove"] == 13083
    assert sep24["releases"] == 20613 and sep24["releases_basis"] == "final_book_outs"
    # FY23 'Detention FY23' row 85 (CBP Average ALOS), May
    assert _month(monthly, "2023-05")["alos_cbp_days"] == pytest.approx(31.83, abs=0.01)


def test_releases_only_where_published(monthly):
    fy1920 = monthly[monthly["fiscal_year"] <= 2020]
    assert fy1920["releases"].isna().all()  # FY2019-20 publish release reasons per year only
    later = monthly[monthly["fiscal_year"] >= 2021]
    assert later["releases"].notna().all()
    bonded = later["releases_bond_set_by_ice"] + later["releases_bond_set_by_ij"]
    assert (bonded == later["releases_bonded_out"]).all()
