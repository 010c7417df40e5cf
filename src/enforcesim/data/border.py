"""Border encounters (exogenous inflow): DHS KHSM Border Patrol series and CBP SW border file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .errors import DataError
from .excel import MONTHS, Sheet, load_xlsx, norm

KHSM = "cbp-encounters/KHSM_Encounters_USBP_fy25m11.xlsx"
SBO = "cbp-encounters/sbo-encounters-fy22-fy25-aug.csv"

COLUMNS = [
    "month",
    "fiscal_year",
    "agency",
    "region",
    "encounters",
    "dataset",
    "source_file",
    "source_sheet",
]

_MONTH_NAMES = {
    "october": "oct", "november": "nov", "december": "dec", "january": "jan",
    "february": "feb", "march": "mar", "april": "apr", "may": "may", "june": "jun",
    "july": "jul", "august": "aug", "september": "sep",
}  # fmt: skip


def _month_start(fiscal_year: int, month: str):
    from .ice_workbooks import month_start

    return month_start(fiscal_year, month)


def _frame(sheet: Sheet, need: tuple[str, ...]) -> pd.DataFrame:
    """The sheet as a DataFrame, header row found by its 'Quantity' cell."""
    for r, row in enumerate(sheet.rows[:10]):
        header = [norm(v) for v in row]
        if "quantity" in header:
            missing = [n for n in need if n not in header]
            if missing:
                raise sheet.error(f"header row lacks column(s) {', '.join(missing)}")
            data = [dict(zip(header, values, strict=False)) for values in sheet.rows[r + 1 :]]
            frame = pd.DataFrame(data)
            return frame.dropna(subset=["quantity"])[list(need)]
    raise sheet.error("no header row with a 'Quantity' column")


def _khsm(raw: Path) -> list[dict]:
    book = load_xlsx(raw / KHSM, KHSM, only=("Monthly Count", "Monthly Region"))
    rows = []
    for sheet_prefix, region_col in (("Monthly Count", None), ("Monthly Region", "region")):
        sheet = book.sheet(sheet_prefix)
        need = ("fiscal year", "month", "quantity") + ((region_col,) if region_col else ())
        frame = _frame(sheet, need)
        for rec in frame.to_dict("records"):
            month_text = norm(rec["month"]).split(" ", 1)[-1]
            if month_text not in _MONTH_NAMES:
                raise sheet.error(f"unrecognised month {rec['month']!r}")
            fy = int(rec["fiscal year"])
            rows.append(
                {
                    "month": _month_start(fy, _MONTH_NAMES[month_text]),
                    "fiscal_year": fy,
                    "agency": "USBP",
                    "region": str(rec[region_col]).strip() if region_col else "All",
                    "encounters": int(rec["quantity"]),
                    "dataset": "dhs_khsm_usbp",
                    "source_file": KHSM,
                    "source_sheet": sheet.name,
                }
            )
    return rows


def _sbo(raw: Path) -> list[dict]:
    path = raw / SBO
    try:
        frame = pd.read_csv(path, dtype=str)
    except FileNotFoundError as exc:
        raise DataError("file not found", file=SBO) from exc
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise DataError(f"cannot parse CSV ({exc})", file=SBO) from exc
    need = ["Fiscal Year", "Month (abbv)", "Component", "Encounter Count"]
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise DataError(f"missing column(s) {', '.join(missing)}", file=SBO)
    frame["fy"] = frame["Fiscal Year"].str.extract(r"(\d{4})", expand=False)
    frame["count"] = pd.to_numeric(frame["Encounter Count"].str.replace(",", ""), errors="coerce")
    bad = frame[frame["fy"].isna() | frame["count"].isna()]
    if len(bad):
        raise DataError(f"unreadable fiscal year or count on data row {bad.index[0] + 2}", file=SBO)
    agency = {"U.S. Border Patrol": "USBP", "Office of Field Operations": "OFO"}
    grouped = frame.groupby(["fy", "Month (abbv)", "Component"], as_index=False)["count"].sum()
    rows = []
    for rec in grouped.to_dict("records"):
        month = norm(rec["Month (abbv)"])
        if month not in MONTHS or rec["Component"] not in agency:
            raise DataError(
                f"unrecognised month or component {rec['Month (abbv)']!r}/{rec['Component']!r}",
                file=SBO,
            )
        fy = int(rec["fy"])
        rows.append(
            {
                "month": _month_start(fy, month),
                "fiscal_year": fy,
                "agency": agency[rec["Component"]],
                "region": "Southwest Land Border",
                "encounters": int(rec["count"]),
                "dataset": "cbp_swb",
                "source_file": SBO,
                "source_sheet": None,
            }
        )
    return rows


def parse(raw: Path) -> pd.DataFrame:
    frame = pd.DataFrame(_khsm(raw) + _sbo(raw), columns=COLUMNS)
    frame["encounters"] = frame["encounters"].astype("int64")
    return frame.sort_values(["dataset", "region", "agency", "month"]).reset_index(drop=True)
