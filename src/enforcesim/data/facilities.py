"""The ``facilities`` table: one row per ICE detention facility code (DETLOC).

Built from UWCHR's facility list (codes, names, AOR, state, type, capacity, guaranteed
minimum, first and last use per ICE's 2017 FOIA list), with per-diem rates from ICE's 2015
FOIA facility list (by code) and from the FY2021 ICE budget request (by exact name, only
where the name identifies one facility), codes seen only in the daily data (named from the
DDP file where it has them), and the first and last day each code has a non-zero population
in ``facility_daily``.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pandas as pd

from .daily import DDP_FILES
from .errors import DataError
from .excel import load_xlsx, norm

UWCHR = "uwchr-ice-detain/facilities.csv.gz"
LIST_2015 = "ice-facility-lists/2015IceDetentionFacilityListing.xlsx"
BUDGET_FY21 = "n8craig-ice-year-end/ICE_FY21_budget_guaranteed_minimums.csv"

COLUMNS = [
    "code",
    "name",
    "aor",
    "state",
    "type",
    "type_detailed",
    "capacity",
    "guaranteed_minimum",
    "guaranteed_minimum_source",
    "per_diem_rate",
    "per_diem_detail",
    "per_diem_source",
    "first_use",
    "last_use",
    "first_seen_daily",
    "last_seen_daily",
    "source_file",
    "source_sheet",
]

_MONEY = re.compile(r"\$\s*([\d,]+(?:\.\d+)?)\s*(\(flat fee\))?", re.IGNORECASE)


def first_rate(detail: object) -> float | None:
    """The first per-diem dollar rate in ICE's 'Per Diem Rate Detailed' cell (not a flat fee)."""
    if detail is None:
        return None
    if isinstance(detail, (int, float)) and not isinstance(detail, bool):
        return float(detail) if detail > 0 else None
    for amount, flat in _MONEY.findall(str(detail)):
        if not flat:
            return float(amount.replace(",", ""))
    return None


def gm_from_detail(detail: object) -> int | None:
    m = re.match(r"\s*([\d,]+)\s*\(gm\)", str(detail or ""), re.IGNORECASE)
    return int(m.group(1).replace(",", "")) if m else None


def _int_or_none(value: str) -> int | None:
    value = (value or "").replace(",", "").strip()
    if value in ("", "NA"):
        return None
    try:
        return int(float(value))
    except ValueError:
        return None


def _read_uwchr(raw: Path) -> pd.DataFrame:
    try:
        frame = pd.read_csv(raw / UWCHR, sep="|", dtype=str, keep_default_na=False)
    except FileNotFoundError as exc:
        raise DataError("file not found", file=UWCHR) from exc
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, EOFError, ValueError) as exc:
        raise DataError(f"cannot parse ({exc})", file=UWCHR) from exc
    need = ["detloc", "name", "aor", "state", "type", "type_detailed", "capacity",
            "guaranteed_minimum", "date_of_first_use", "date_of_last_use"]  # fmt: skip
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise DataError(f"missing column(s) {', '.join(missing)}", file=UWCHR)
    out = pd.DataFrame(
        {
            "code": frame["detloc"].str.strip(),
            "name": frame["name"].str.strip(),
            "aor": frame["aor"].replace("NA", None),
            "state": frame["state"].replace({"NA": None, "": None}),
            "type": frame["type"].replace("NA", None),
            "type_detailed": frame["type_detailed"].replace("NA", None),
            "capacity": frame["capacity"].map(_int_or_none).astype("Int64"),
            "guaranteed_minimum": frame["guaranteed_minimum"].map(_int_or_none).astype("Int64"),
            "first_use": pd.to_datetime(
                frame["date_of_first_use"].replace("NA", None), format="%m/%d/%Y"
            ).dt.date,
            "last_use": pd.to_datetime(
                frame["date_of_last_use"].replace("NA", None), format="%m/%d/%Y"
            ).dt.date,
            "source_file": UWCHR,
            "source_sheet": None,
        }
    )
    out["guaranteed_minimum_source"] = out["guaranteed_minimum"].map(
        lambda v: None if pd.isna(v) else UWCHR
    )
    return out


def _read_2015(raw: Path) -> pd.DataFrame:
    book = load_xlsx(raw / LIST_2015, LIST_2015, only=("Facility List - Main",))
    sheet = book.sheet("Facility List - Main")
    for r, row in enumerate(sheet.rows[:20]):
        header = [norm(v) for v in row]
        if "detloc" in header and "per diem rate detailed" in header:
            i_code, i_rate = header.index("detloc"), header.index("per diem rate detailed")
            records = []
            for values in sheet.rows[r + 1 :]:
                code = values[i_code] if i_code < len(values) else None
                if not code:
                    continue
                detail = values[i_rate] if i_rate < len(values) else None
                records.append(
                    {
                        "code": str(code).strip(),
                        "per_diem_detail_2015": None if detail is None else str(detail).strip(),
                        "per_diem_rate_2015": first_rate(detail),
                        "gm_2015": gm_from_detail(detail),
                    }
                )
            return pd.DataFrame(records).drop_duplicates("code")
    raise sheet.error("no header row with 'DETLOC' and 'Per Diem Rate Detailed'")


def _read_budget(raw: Path) -> pd.DataFrame:
    try:
        frame = pd.read_csv(raw / BUDGET_FY21, dtype=str, encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise DataError("file not found", file=BUDGET_FY21) from exc
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise DataError(f"cannot parse CSV ({exc})", file=BUDGET_FY21) from exc
    need = ["Name", "Guaranteed Minimum", "Guaranteed Minimum Per Diem",
            "Reported in FY21 Budget Request"]  # fmt: skip
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise DataError(f"missing column(s) {', '.join(missing)}", file=BUDGET_FY21)
    # Rows not reported in the budget request carry an imputed average rate: leave them out.
    frame = frame[frame["Reported in FY21 Budget Request"].str.strip().str.upper() == "Y"]
    return pd.DataFrame(
        {
            "name_key": frame["Name"].map(norm),
            "gm_fy21": frame["Guaranteed Minimum"].map(_int_or_none),
            "per_diem_fy21": pd.to_numeric(frame["Guaranteed Minimum Per Diem"], errors="coerce"),
        }
    )


def build(raw: Path, con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The facilities table; needs ``facility_daily`` to exist in ``con``."""
    base = _read_uwchr(raw)
    seen = con.execute(
        """
        SELECT facility_code AS code, min(date) AS first_seen_daily, max(date) AS last_seen_daily
        FROM facility_daily WHERE population > 0 OR population_24h > 0 GROUP BY 1
        """
    ).df()
    frame = base
    for rel in DDP_FILES:  # earlier file first: a code keeps the name it was first seen under
        ddp_names = con.execute(
            """
            SELECT detention_facility_code AS code, any_value(detention_facility) AS name
            FROM read_parquet(?) GROUP BY 1
            """,
            [str(raw / rel)],
        ).df()
        extra = ddp_names[~ddp_names["code"].isin(frame["code"])].copy()
        extra["source_file"] = rel
        extra["source_sheet"] = None
        frame = pd.concat([frame, extra], ignore_index=True)
    # Codes that appear only in the UWCHR headcount: known by code alone.
    only_daily = con.execute(
        "SELECT DISTINCT facility_code AS code FROM facility_daily ORDER BY 1"
    ).df()
    only_daily = only_daily[~only_daily["code"].isin(frame["code"])].copy()
    only_daily["source_file"] = "uwchr-ice-detain/inc_headcount_fy12-24ytd.csv.gz"
    only_daily["source_sheet"] = None
    frame = pd.concat([frame, only_daily], ignore_index=True)

    per_2015 = _read_2015(raw)
    frame = frame.merge(per_2015, on="code", how="left")
    budget = _read_budget(raw)
    frame["name_key"] = frame["name"].map(norm)
    unique_names = frame["name_key"].value_counts()
    unique_names = set(unique_names[unique_names == 1].index)
    budget = budget[budget["name_key"].isin(unique_names)].drop_duplicates("name_key")
    frame = frame.merge(budget, on="name_key", how="left")

    has_fy21 = frame["per_diem_fy21"].notna()
    has_2015 = frame["per_diem_rate_2015"].notna()
    frame["per_diem_rate"] = frame["per_diem_fy21"].where(has_fy21, frame["per_diem_rate_2015"])
    frame["per_diem_detail"] = [
        "; ".join(
            part
            for part in (
                None if pd.isna(fy21) else f"FY2021 budget request: ${fy21:.2f} per day",
                None if pd.isna(text) else f"2015 list: {text}",
            )
            if part
        )
        or None
        for fy21, text in zip(frame["per_diem_fy21"], frame["per_diem_detail_2015"], strict=True)
    ]
    frame["per_diem_source"] = None
    frame.loc[has_2015 & ~has_fy21, "per_diem_source"] = LIST_2015
    frame.loc[has_fy21, "per_diem_source"] = BUDGET_FY21

    gm = frame["guaranteed_minimum"]
    for col, src in (("gm_fy21", BUDGET_FY21), ("gm_2015", LIST_2015)):
        fill = gm.isna() & frame[col].notna()
        frame.loc[fill, "guaranteed_minimum"] = frame.loc[fill, col]
        frame.loc[fill, "guaranteed_minimum_source"] = src
        gm = frame["guaranteed_minimum"]
    frame["guaranteed_minimum"] = frame["guaranteed_minimum"].astype("Int64")

    frame = frame.merge(seen, on="code", how="left")
    dup = frame["code"][frame["code"].duplicated()]
    if len(dup):
        raise DataError(f"facility code {dup.iloc[0]!r} appears twice", file=UWCHR)
    return frame[COLUMNS].sort_values("code").reset_index(drop=True)
