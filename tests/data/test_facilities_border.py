"""Facilities and border encounters."""

from __future__ import annotations

import pandas as pd
import pytest

from enforcesim import data
from enforcesim.data.facilities import first_rate, gm_from_detail


@pytest.fixture(scope="module")
def facilities(store):
    return data.table("facilities", store).set_index("code")


def test_codes_unique_and_daily_codes_covered(facilities, con):
    assert facilities.index.is_unique
    missing = con.execute(
        "SELECT count(DISTINCT facility_code) FROM facility_daily "
        "WHERE facility_code NOT IN (SELECT code FROM facilities)"
    ).fetchone()[0]
    assert missing == 0


def test_adelanto(facilities):
    row = facilities.loc["ADLNTCA"]
    # uwchr facilities.csv.gz: capacity 1940, guaranteed minimum 1455, AOR LOS
    assert (row["capacity"], row["guaranteed_minimum"], row["aor"], row["state"]) == (
        1940, 1455, "LOS", "CA")  # fmt: skip
    # FY2021 budget request: $124.10; 2015 FOIA list: "1455 (GM); $111.92 (1-1455), ..."
    assert row["per_diem_rate"] == pytest.approx(124.10)
    assert "$111.92 (1-1455)" in row["per_diem_detail"]
    assert pd.Timestamp(row["last_seen_daily"]) == pd.Timestamp("2025-09-30")


def test_per_diem_from_2015_list_only(facilities):
    # ALBANY COUNTY JAIL: 2015 list 'Per Diem Rate Detailed' = 119.3 (a number)
    row = facilities.loc["ALBCONY"]
    assert row["per_diem_rate"] == pytest.approx(119.3)
    assert row["per_diem_source"] == "ice-facility-lists/2015IceDetentionFacilityListing.xlsx"


@pytest.mark.parametrize(
    ("text", "rate", "gm"),
    [
        ("1455 (GM); $111.92 (1-1455), $42.36 (1456-1940)", 111.92, 1455),
        ("$1,900,620 (flat fee); + $7.21 per diem", 7.21, None),
        ("B4", None, None),
        (119.3, 119.3, None),
        (None, None, None),
    ],
)
def test_per_diem_parsing(text, rate, gm):
    assert first_rate(text) == (pytest.approx(rate) if rate is not None else None)
    assert gm_from_detail(text) == gm


def test_border_encounters(store):
    be = data.table("border_encounters", store)
    oct99 = be[(be["dataset"] == "dhs_khsm_usbp") & (be["region"] == "All")].iloc[0]
    # KHSM 'Monthly Count' row 2: FY2000, '01 October', 89810
    assert (str(pd.Timestamp(oct99["month"]).date()), oct99["encounters"]) == ("1999-10-01", 89810)
    fy24 = be[(be["fiscal_year"] == 2024) & (be["agency"] == "USBP")]
    khsm = fy24[(fy24["dataset"] == "dhs_khsm_usbp") & (fy24["region"] == "Southwest Land Border")]
    cbp = fy24[fy24["dataset"] == "cbp_swb"]
    # two publications of the same series: KHSM rounds to tens
    assert khsm["encounters"].sum() == pytest.approx(cbp["encounters"].sum(), rel=1e-3)
    assert len(cbp) == 12
