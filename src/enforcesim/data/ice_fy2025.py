"""Tables ICE's detention workbooks publish from FY2025 on, and book-outs by criminality.

From the same ``ice-detention-stats/`` workbooks as :mod:`.ice_workbooks`, found by title:

* ``book_outs`` -- final releases / final book-outs by reason x criminality x month (every
  workbook with the month-by-month release table, FY2021 on);
* ``facility_type_monthly`` -- ADP and ALOS by facility type (FSC, Adult) and month;
* ``bond_monthly`` -- the "Monthly Bond Statistics" sheet (13 months plus the current one);
* ``atd_snapshot`` -- active Alternatives-to-Detention participants at the workbook date;
* ``headcounts`` -- people detained on the 15th and the last day of each month, by
  length-of-stay band, with the average in-custody length of stay (ICLOS).

The last four are required in workbooks for FY2025 and later and not read from earlier ones.
Every month row carries ``days``: the days of the month the workbook covers (20 for
September 2025, whose data end 20 Sep), so per-day rates are ``count / days``.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from .excel import MONTHS, Sheet, Workbook, find_title, load_xlsx, month_table, norm
from .ice_workbooks import (
    CRIMINALITY,
    RELEASE_REASONS,
    T_RELEASES,
    data_through,
    month_start,
    workbook_fiscal_year,
)

FIRST_FY = 2025  # the first workbook with the facility-type, bond, ATD and head-count tables

T_ADP_FACILITY = r"^ice average daily population by facility type and month"
T_ALOS_FACILITY = r"^ice average length of stay by facility type and month"
T_BOND = r"bonded out book outs count and alos"
T_ATD_TECH = r"^atd active population counts and daily cost by technology"
T_ATD_STATUS = r"^atd active population by status"
T_ATD_AOR = r"^active atd participants and average length in program"
T_ICLOS = r"^average in custody length of stay \(iclos\)"
T_DETAINEES = r"^detainees$"

FACILITY_TYPES = {"total": "total", "fsc": "fsc", "adult": "adult"}
BOND_ROWS = {
    "total ice final book outs": "book_outs",
    "ice final book outs with bond posted": "book_outs_bond_posted",
    "bond posted book outs/releases (%)": "bond_posted_share",
    "average bond amount ($)": "average_bond_usd",
    "alos (days)": "alos_days",
}
HEADCOUNT_GROUPS = {
    "adult facility aliens": "adult",
    "fsc facility individuals": "fsc",
    "single adults with a positive fear determination still in custody": (
        "single_adult_positive_fear"
    ),
    "family units with a positive fear determination still in custody": "family_positive_fear",
    "total": "total",
}
STAY_BANDS = {
    "0-180 days": "0-180",
    "181-365 days": "181-365",
    "366-730 days": "366-730",
    "more than 730 days": "731+",
    "total": "total",
}
ATD_TECHNOLOGIES = {"smartlink", "ankle monitor", "wristworn", "voiceid", "no tech", "dual tech"}
MONTH_NAMES = {norm(calendar.month_name[i]): i for i in range(1, 13)}

BOOK_OUT_COLUMNS = [
    "month", "fiscal_year", "days", "basis", "reason", "criminality", "book_outs",
    "book_outs_per_day", "source_file", "source_sheet",
]  # fmt: skip
FACILITY_TYPE_COLUMNS = [
    "month", "fiscal_year", "days", "facility_type", "adp", "adp_published", "alos_days",
    "source_file", "source_sheet",
]  # fmt: skip
BOND_COLUMNS = [
    "month", "fiscal_year", "days", *BOND_ROWS.values(), "source_file", "source_sheet",
]  # fmt: skip
ATD_COLUMNS = [
    "as_of", "fiscal_year", "breakdown", "aor", "category", "participants",
    "daily_tech_cost_usd", "alip_days", "source_file", "source_sheet",
]  # fmt: skip
HEADCOUNT_COLUMNS = [
    "date", "fiscal_year", "point", "population_group", "stay_band", "detained", "iclos_days",
    "source_file", "source_sheet",
]  # fmt: skip


def covered_days(start: date, through: date) -> int:
    """Days of the month starting ``start`` that fall on or before ``through``."""
    last = calendar.monthrange(start.year, start.month)[1]
    if (start.year, start.month) == (through.year, through.month):
        return through.day
    return last


def _fy_of(d: date) -> int:
    return d.year + 1 if d.month >= 10 else d.year


def _months(fy: int, through: date) -> list[tuple[str, date, int]]:
    out = []
    for m in MONTHS:
        start = month_start(fy, m)
        if start <= through:
            out.append((m, start, covered_days(start, through)))
    return out


# --- book-outs by reason x criminality (FY2021 on) -----------------------------------------


def book_outs(det: Sheet, fy: int, through: date, display: str) -> list[dict]:
    table = month_table(det, T_RELEASES, require_months=False)
    if not table.rows:  # FY2019-20: release reasons by fiscal year only, not by month
        return []
    basis = "final_book_outs" if "book out" in norm(table.title) else "final_releases"
    rows = []
    reason = None
    for row in table.rows:
        first, crim = (row.labels + ("", ""))[:2]
        if first == "total" and crim == "":
            reason, crim_key = "total", "total"
        elif first:
            if first not in RELEASE_REASONS or crim != "total":
                raise det.error(f"table {table.title!r}: unexpected row labels {row.labels!r}")
            reason, crim_key = RELEASE_REASONS[first], "total"
        elif crim in CRIMINALITY and reason not in (None, "total"):
            crim_key = CRIMINALITY[crim]
        else:
            raise det.error(f"table {table.title!r}: unexpected row labels {row.labels!r}")
        for m, start, days in _months(fy, through):
            value = row.months[m]
            rows.append(
                {
                    "month": start,
                    "fiscal_year": fy,
                    "days": days,
                    "basis": basis,
                    "reason": reason,
                    "criminality": crim_key,
                    "book_outs": None if value is None else int(value),
                    "book_outs_per_day": None if value is None else value / days,
                    "source_file": display,
                    "source_sheet": det.name,
                }
            )
    return rows


# --- ADP and ALOS by facility type -----------------------------------------------------------


def _by_type(det: Sheet, pattern: str) -> tuple[str, dict[str, dict]]:
    table = month_table(det, pattern)
    out = {}
    for row in table.rows:
        label = row.labels[0] if row.labels else ""
        if label not in FACILITY_TYPES:
            raise det.error(f"table {table.title!r}: unexpected facility type {label!r}")
        out[FACILITY_TYPES[label]] = row.months
    for need in FACILITY_TYPES.values():
        if need not in out:
            raise det.error(f"table {table.title!r}: no {need!r} row")
    return table.title, out


def facility_types(det: Sheet, fy: int, through: date, display: str) -> list[dict]:
    """One row per month and facility type.

    ``adp`` is per calendar day of the month. ICE divides the FSC mandays of the month family
    detention resumed (April 2025, from the 7th) by the days FSCs were open, not by the days
    of the month, so there the types do not add up to the Total row; ``adp`` is then Total
    minus the other types (which do add up) and ``adp_published`` keeps ICE's figure.
    """
    title, adp = _by_type(det, T_ADP_FACILITY)
    _, alos = _by_type(det, T_ALOS_FACILITY)
    types = [t for t in FACILITY_TYPES.values() if t != "total"]
    rows = []
    for m, start, days in _months(fy, through):
        published = {t: adp[t][m] for t in FACILITY_TYPES.values()}
        fixed = dict(published)
        parts = sum(published[t] or 0.0 for t in types)
        if published["total"] is not None and abs(parts - published["total"]) > 0.5:
            # FSC per day open is at least its per calendar day; anything else is a new defect
            fsc = published["total"] - (published["adult"] or 0.0)
            if not 0 <= fsc <= (published["fsc"] or 0.0):
                raise det.error(f"table {title!r}: {m} facility types do not add up to Total")
            fixed["fsc"] = fsc
        for t in FACILITY_TYPES.values():
            rows.append(
                {
                    "month": start,
                    "fiscal_year": fy,
                    "days": days,
                    "facility_type": t,
                    "adp": fixed[t],
                    "adp_published": published[t],
                    "alos_days": alos[t][m],
                    "source_file": display,
                    "source_sheet": det.name,
                }
            )
    return rows


# --- Monthly bond statistics -----------------------------------------------------------------


def bonds(book: Workbook, through: date, display: str) -> list[dict]:
    sheet = book.sheet("Monthly Bond")
    r0, c0 = find_title(sheet, T_BOND)
    title = str(sheet.cell(r0, c0)).strip()
    header = None
    for r in range(r0 + 1, min(r0 + 4, len(sheet.rows))):
        if any(isinstance(v, datetime | date) for v in sheet.rows[r]):
            header = r
            break
    if header is None:
        raise sheet.error(f"table {title!r}: no header row of months below the title")
    cols = {
        c: (v.date() if isinstance(v, datetime) else v)
        for c, v in enumerate(sheet.rows[header])
        if isinstance(v, datetime | date)
    }
    values: dict[str, dict[int, float | None]] = {}
    for r in range(header + 1, len(sheet.rows)):
        label = norm(sheet.cell(r, c0))
        if not label:
            break
        if label not in BOND_ROWS:
            raise sheet.error(f"table {title!r}: unexpected row {label!r}")
        values[BOND_ROWS[label]] = {
            c: (None if sheet.cell(r, c) is None else float(sheet.cell(r, c))) for c in cols
        }
    missing = [k for k in BOND_ROWS.values() if k not in values]
    if missing:
        raise sheet.error(f"table {title!r}: no row(s) {', '.join(missing)}")
    rows = []
    for c, start in sorted(cols.items(), key=lambda kv: kv[1]):
        if start.day != 1:
            raise sheet.error(f"table {title!r}: header {start} is not the first of a month")
        if start > through:
            continue
        row: dict[str, object] = {
            "month": start,
            "fiscal_year": _fy_of(start),
            "days": covered_days(start, through),
        }
        for key in BOND_ROWS.values():
            row[key] = values[key][c]
        for key in ("book_outs", "book_outs_bond_posted"):
            row[key] = None if row[key] is None else int(row[key])  # type: ignore[arg-type]
        row["source_file"] = display
        row["source_sheet"] = sheet.name
        rows.append(row)
    return rows


# --- ATD snapshot ----------------------------------------------------------------------------


def _label_rows(sheet: Sheet, pattern: str, ncols: int) -> tuple[str, int, list[tuple]]:
    """Rows under a small label/value table: (title, title column, [(label, v1, v2, ...)])."""
    r0, c0 = find_title(sheet, pattern)
    title = str(sheet.cell(r0, c0)).strip()
    out = []
    for r in range(r0 + 2, len(sheet.rows)):  # title, header, then data
        label = sheet.cell(r, c0)
        vals = [sheet.cell(r, c0 + 1 + i) for i in range(ncols)]
        if label is None or not isinstance(vals[0], int | float):
            break
        out.append((str(label).strip(), *[None if v is None else float(v) for v in vals]))
    if not out:
        raise sheet.error(f"table {title!r}: no data rows")
    return title, c0, out


def atd(book: Workbook, display: str) -> list[dict]:
    sheet = book.sheet("ATD")
    title, _, aor_rows = _label_rows(sheet, T_ATD_AOR, 2)
    m = re.search(r"as of (\d{1,2})/(\d{1,2})/(\d{4})", norm(title))
    if not m:
        raise sheet.error(f"table {title!r}: no 'as of mm/dd/yyyy' in the title")
    as_of = date(int(m.group(3)), int(m.group(1)), int(m.group(2)))
    # the two other tables are dated only by their "Participants Report, m.d.yyyy" notes
    for r, row in enumerate(sheet.rows):
        for v in row:
            d = re.search(r"report, (\d{1,2})\.(\d{1,2})\.(\d{4})", norm(v))
            if d and date(int(d.group(3)), int(d.group(1)), int(d.group(2))) != as_of:
                raise sheet.error(f"row {r + 1}: report date {d.group(0)!r} is not {as_of}")

    def row(breakdown, aor, category, participants, cost=None, alip=None):
        return {
            "as_of": as_of,
            "fiscal_year": _fy_of(as_of),
            "breakdown": breakdown,
            "aor": aor,
            "category": category,
            "participants": int(participants),
            "daily_tech_cost_usd": cost,
            "alip_days": alip,
            "source_file": display,
            "source_sheet": sheet.name,
        }

    rows = []
    _, _, tech = _label_rows(sheet, T_ATD_TECH, 2)
    rows += [row("technology", "All", lab, n, cost=cost) for lab, n, cost in tech]
    _, _, status = _label_rows(sheet, T_ATD_STATUS, 2)
    rows += [row("famu_status", "All", lab, n, alip=alip) for lab, n, alip in status]
    aor = None
    for lab, n, alip in aor_rows:
        key = norm(lab)
        if key == "total":
            rows.append(row("aor_technology", "All", "Total", n, alip=alip))
        elif key in ATD_TECHNOLOGIES:
            if aor is None:
                raise sheet.error(f"table {title!r}: technology row {lab!r} before any AOR")
            rows.append(row("aor_technology", aor, lab, n, alip=alip))
        else:
            aor = lab
            rows.append(row("aor_technology", aor, "Total", n, alip=alip))
    return rows


# --- head-counts on the 15th and the last day of each month ---------------------------------


def _headcount_through(book: Workbook) -> date:
    notes = book.sheet("Footnotes")
    rx = re.compile(r"iclos and detainees data are updated through (\d{1,2})/(\d{1,2})/(\d{4})")
    for row in notes.rows:
        for v in row:
            m = rx.search(norm(v))
            if m:
                return date(int(m.group(3)), int(m.group(1)), int(m.group(2)))
    raise notes.error("no 'ICLOS and Detainees Data are updated through mm/dd/yyyy' footnote")


def _snapshot_columns(sheet: Sheet, r_year: int, c0: int) -> dict[int, tuple[date, str]]:
    """{column: (date, 'mid'|'end')} from the year / month name / mid-end header rows."""
    year = month = None
    cols = {}
    for c in range(c0 + 1, len(sheet.rows[r_year + 2])):
        y = sheet.cell(r_year, c)
        if isinstance(y, int | float):
            year = int(y)
        name = norm(sheet.cell(r_year + 1, c))
        if name:
            if name not in MONTH_NAMES:
                raise sheet.error(f"row {r_year + 2}: {name!r} is not a month name")
            month = MONTH_NAMES[name]
        point = norm(sheet.cell(r_year + 2, c))
        if not point:
            continue
        if point not in ("mid", "end") or year is None or month is None:
            raise sheet.error(f"column {c + 1}: cannot read the snapshot date of {point!r}")
        day = 15 if point == "mid" else calendar.monthrange(year, month)[1]
        cols[c] = (date(year, month, day), point)
    return cols


def headcounts(book: Workbook, display: str) -> list[dict]:
    """People detained by population group and length of stay on the 15th ('mid') and last
    day ('end') of each month; snapshots after the sheet's data date are dropped (ICE
    publishes them as 0)."""
    sheet = book.sheet("ICLOS", exclude=())
    through = _headcount_through(book)
    out: dict[tuple, dict] = {}

    def header_after(r0: int, c0: int) -> int:
        for r in range(r0 + 1, min(r0 + 6, len(sheet.rows))):
            if norm(sheet.cell(r, c0)) == "population":
                return r
        raise sheet.error("no 'Population' header row below the table title")

    r0, c0 = find_title(sheet, T_DETAINEES)
    rh = header_after(r0, c0)
    cols = _snapshot_columns(sheet, rh, c0)
    group = None
    for r in range(rh + 3, len(sheet.rows)):
        label = norm(sheet.cell(r, c0))
        if not label:
            continue
        numbers = [sheet.cell(r, c) for c in cols]
        if all(v is None for v in numbers):
            if label not in HEADCOUNT_GROUPS:
                raise sheet.error(f"row {r + 1}: unknown population group {label!r}")
            group = HEADCOUNT_GROUPS[label]
            continue
        if group is None or label not in STAY_BANDS:
            raise sheet.error(f"row {r + 1}: unexpected row {label!r} in the Detainees table")
        for c, (d, point) in cols.items():
            if d > through:
                continue
            v = sheet.cell(r, c)
            out[(d, point, group, STAY_BANDS[label])] = {
                "detained": None if v is None else int(v),
                "iclos_days": None,
            }

    r1, c1 = find_title(sheet, T_ICLOS)
    rh = header_after(r1, c1)
    cols = _snapshot_columns(sheet, rh, c1)
    for r in range(rh + 3, len(sheet.rows)):
        label = norm(sheet.cell(r, c1))
        if not label:
            break
        if label not in HEADCOUNT_GROUPS:
            raise sheet.error(f"row {r + 1}: unknown population group {label!r} in ICLOS")
        for c, (d, point) in cols.items():
            key = (d, point, HEADCOUNT_GROUPS[label], "total")
            if d > through:
                continue
            if key not in out:
                raise sheet.error(f"ICLOS for {key} has no head-count")
            v = sheet.cell(r, c)
            out[key]["iclos_days"] = None if v is None else float(v)
    return [
        {
            "date": d,
            "fiscal_year": _fy_of(d),
            "point": point,
            "population_group": g,
            "stay_band": band,
            **vals,
            "source_file": display,
            "source_sheet": sheet.name,
        }
        for (d, point, g, band), vals in sorted(out.items())
    ]


# --- all workbooks -----------------------------------------------------------------------------


def parse_workbook(path: Path, display: str) -> dict[str, list[dict]]:
    book = load_xlsx(path, display, only=("Detention", "Footnotes", "Monthly Bond", "ATD", "ICLOS"))
    det = book.sheet("Detention")
    fy = workbook_fiscal_year(book, det, path)
    through = data_through(book, fy)
    out: dict[str, list[dict]] = {
        "book_outs": book_outs(det, fy, through, display),
        "facility_type_monthly": [],
        "bond_monthly": [],
        "atd_snapshot": [],
        "headcounts": [],
    }
    if fy >= FIRST_FY:
        out["facility_type_monthly"] = facility_types(det, fy, through, display)
        out["bond_monthly"] = bonds(book, through, display)
        out["atd_snapshot"] = atd(book, display)
        out["headcounts"] = headcounts(book, display)
    return out


COLUMNS = {
    "book_outs": BOOK_OUT_COLUMNS,
    "facility_type_monthly": FACILITY_TYPE_COLUMNS,
    "bond_monthly": BOND_COLUMNS,
    "atd_snapshot": ATD_COLUMNS,
    "headcounts": HEADCOUNT_COLUMNS,
}


def parse_all(raw: Path, files: list[str]) -> dict[str, pd.DataFrame]:
    rows: dict[str, list[dict]] = {k: [] for k in COLUMNS}
    for rel in sorted(files):
        for key, part in parse_workbook(raw / rel, rel).items():
            rows[key].extend(part)
    frames = {k: pd.DataFrame(v, columns=COLUMNS[k]) for k, v in rows.items()}
    # the bond sheet repeats the prior year's last months: keep each month once (latest file)
    bond = frames["bond_monthly"]
    frames["bond_monthly"] = bond.drop_duplicates("month", keep="last").sort_values("month")
    for key in ("book_outs",):
        frames[key]["book_outs"] = frames[key]["book_outs"].astype("Int64")
    for col in ("book_outs", "book_outs_bond_posted"):
        frames["bond_monthly"][col] = frames["bond_monthly"][col].astype("Int64")
    frames["headcounts"]["detained"] = frames["headcounts"]["detained"].astype("Int64")
    return {k: f.reset_index(drop=True) for k, f in frames.items()}
