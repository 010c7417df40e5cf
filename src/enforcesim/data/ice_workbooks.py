"""ICE's year-end "Detention Statistics" workbooks -> ``fiscal_years`` and ``monthly``.

Every table is located by its title (see :mod:`.excel`); a table that cannot be found raises
:class:`DataError` naming the workbook and sheet.
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from pathlib import Path

import pandas as pd

from .errors import DataError
from .excel import MONTHS, MonthTable, Sheet, Workbook, labelled_value, load_xlsx, month_table, norm

SOURCE_FOLDER = "ice-detention-stats"

T_BOOKINS = r"^ice initial book-ins by arresting agency and month"
T_ADP = r"^ice average daily population by arresting agency, month and criminality"
T_ALOS = r"^ice average length of stay by arresting agency, month and criminality"
T_RELEASES = r"^ice final (releases|book outs) by release reason"
T_REMOVALS = r"^ice removals"

CRIMINALITY = {
    "convicted criminal": "convicted",
    "pending criminal charges": "pending_charges",
    "other immigration violator": "other_violator",
    "non-criminal": "non_criminal",
}
AGENCIES = ("", "ice", "cbp")  # '' = all arresting agencies

RELEASE_REASONS = {
    "bonded out": "bonded_out",
    "bond set by ice": "bond_set_by_ice",
    "bond set by ij": "bond_set_by_ij",
    "order of recognizance": "recognizance",
    "order of supervision": "supervision",
    "paroled": "paroled",
    "prosecutorial discretion": "prosecutorial_discretion",
    "proceedings terminated": "proceedings_terminated",
    "release to remove": "release_to_remove",
    "relief granted by ij": "relief_granted_by_ij",
    "transfer to u.s. marshals or other agency": "transfer_usms_other",
    "transferred": "transferred",
    "other": "other",
}

FISCAL_YEAR_COLUMNS = [
    "fiscal_year",
    "adp",
    "adp_ice",
    "adp_cbp",
    "alos_days",
    "alos_ice_days",
    "alos_cbp_days",
    "book_ins",
    "book_ins_ice",
    "book_ins_cbp",
    "removals",
    "data_through",
    "partial_year",
    "days",
    "removals_famu",
    "removals_definition",
    "source_file",
    "source_sheet",
]


def _adp_col(agency: str, crim: str | None) -> str:
    parts = ["adp"] + ([agency] if agency else []) + ([crim] if crim else [])
    return "_".join(parts)


def _alos_col(agency: str, crim: str) -> str:
    return "_".join(["alos"] + ([agency] if agency else []) + [crim, "days"])


MONTHLY_COLUMNS = (
    ["month", "fiscal_year", "partial_month", "book_ins", "book_ins_ice", "book_ins_cbp"]
    + [_adp_col(a, c) for a in AGENCIES for c in (None, *CRIMINALITY.values())]
    + ["alos_days", "alos_ice_days", "alos_cbp_days", "releases_basis", "releases"]
    + [f"releases_{v}" for v in RELEASE_REASONS.values()]
    + ["days"]
    + [_alos_col(a, c) for a in AGENCIES for c in CRIMINALITY.values() if c != "non_criminal"]
    + ["source_file", "source_sheet"]
)


def month_start(fiscal_year: int, month: str) -> date:
    idx = MONTHS.index(month)  # 0 = October
    cal_month = (idx + 9) % 12 + 1
    year = fiscal_year - 1 if cal_month >= 10 else fiscal_year
    return date(year, cal_month, 1)


def workbook_fiscal_year(book: Workbook, det: Sheet, path: Path) -> int:
    """The FY the workbook covers: from its title cell, checked against the file name."""
    fy = None
    for row in det.rows[:8]:
        for value in row:
            m = re.search(r"detention data, (?:eo)?fy\s?(20)?(\d{2})\b", norm(value))
            if m:
                fy = 2000 + int(m.group(2))
                break
        if fy:
            break
    m = re.match(r"FY(\d{2})_", path.name)
    by_name = 2000 + int(m.group(1)) if m else None
    if fy is None and by_name is None:
        raise det.error("cannot tell the fiscal year: no 'ICE DETENTION DATA, FYxx' title")
    if fy is not None and by_name is not None and fy != by_name:
        raise det.error(f"title says FY{fy} but the file name says FY{by_name}")
    return fy or by_name  # type: ignore[return-value]


def data_through(book: Workbook, fiscal_year: int) -> date:
    """The last day of data for ADP/ALOS, from the Footnotes sheet."""
    notes = book.sheet("Footnotes")
    rx = re.compile(r"(?:filtered|updated) through (\d{1,2})/(\d{1,2})/(\d{4})")
    for r, row in enumerate(notes.rows):
        if any("average daily population and ice average length of stay" in norm(v) for v in row):
            for rr in range(r, min(r + 3, len(notes.rows))):
                for value in notes.rows[rr]:
                    m = rx.search(norm(value))
                    if m:
                        month, day, year = (int(g) for g in m.groups())
                        return date(year, month, day)
    raise notes.error("no 'ADP and ALOS ... updated/filtered through mm/dd/yyyy' footnote found")


def _removals_definition(book: Workbook) -> str:
    """What the workbook's removals count, from its removals footnotes (ICE widened the
    definition twice: ER hand-overs for ICE Air from 12 May 2023, Title 50 expulsions from
    March 2025)."""
    notes = book.sheet("Footnotes")
    text, inside = [], False
    for row in notes.rows:
        head = norm(row[0]) if row else ""
        if head:
            inside = bool(re.search(r"\bice removals\b", head)) and "semiannual" not in head
        if inside:
            text.extend(norm(v) for v in row[1:] if v is not None)
    if not text:
        raise notes.error("no 'ICE Removals' footnote section")
    joined = " ".join(text)
    parts = ["removals and returns"]
    if "may 12, 2023" in joined:
        parts.append("from 12 May 2023 also ER cases Border Patrol hands to ICE for ICE Air")
    if "title 50" in joined:
        parts.append("from March 2025 also Title 50 expulsions")
    return "; ".join(parts)


def _famu_removals(det: Sheet) -> int | None:
    """'Removals with a FAMU Identifier' under the removals table, where published."""
    try:
        return int(labelled_value(det, T_REMOVALS, label="removals with a famu identifier"))
    except DataError:
        return None


def _agency(label: str, sheet: Sheet, title: str) -> str:
    m = re.fullmatch(r"(ice|cbp)?\s*average", label)
    if not m:
        raise sheet.error(f"table {title!r}: unexpected agency row {label!r}")
    return m.group(1) or ""


def _by_agency_and_criminality(table: MonthTable) -> dict[tuple[str, str | None], dict]:
    """{(agency, criminality or None): {'months': {...}, 'total': x}} for ADP/ALOS tables."""
    out: dict[tuple[str, str | None], dict] = {}
    agency: str | None = None
    for row in table.rows:
        label = row.labels[0] if row.labels else ""
        if label in CRIMINALITY:
            if agency is None:
                raise table.sheet.error(
                    f"table {table.title!r}: criminality row {label!r} before any agency row"
                )
            key = (agency, CRIMINALITY[label])
        else:
            agency = _agency(label, table.sheet, table.title)
            key = (agency, None)
        out[key] = {"months": row.months, "total": row.total}
    for need in ("", "ice", "cbp"):
        if (need, None) not in out:
            name = {"": "Average", "ice": "ICE Average", "cbp": "CBP Average"}[need]
            raise table.sheet.error(f"table {table.title!r}: no {name!r} row")
    return out


def _bookins(table: MonthTable) -> dict[str, dict]:
    out = {}
    for row in table.rows:
        label = row.labels[0] if row.labels else ""
        if label not in ("total", "ice", "cbp"):
            raise table.sheet.error(f"table {table.title!r}: unexpected agency row {label!r}")
        out[label] = {"months": row.months, "total": row.total}
    for need in ("total", "ice", "cbp"):
        if need not in out:
            raise table.sheet.error(f"table {table.title!r}: no {need.upper()!r} row")
    return out


def _releases(table: MonthTable) -> dict[str, dict[str, float | None]]:
    """{reason column: months} from the release-reason table (rows 'reason / Total')."""
    out: dict[str, dict[str, float | None]] = {}
    for row in table.rows:
        reason, crim = (row.labels + ("", ""))[:2]
        if reason == "total" and crim == "":
            out["releases"] = row.months
        elif reason and crim == "total":
            if reason not in RELEASE_REASONS:
                raise table.sheet.error(f"table {table.title!r}: unknown release reason {reason!r}")
            out[f"releases_{RELEASE_REASONS[reason]}"] = row.months
        elif reason == "" and crim in CRIMINALITY:
            continue  # criminality split of the reason above: not kept
        else:
            raise table.sheet.error(f"table {table.title!r}: unexpected row labels {row.labels!r}")
    if "releases" not in out:
        raise table.sheet.error(f"table {table.title!r}: no 'Total' row")
    return out


def parse_workbook(path: Path, display: str) -> tuple[dict, list[dict]]:
    """One workbook -> (fiscal_years row, monthly rows)."""
    book = load_xlsx(path, display, only=("Detention", "Footnotes"))
    det = book.sheet("Detention")
    fy = workbook_fiscal_year(book, det, path)
    through = data_through(book, fy)

    bookins = _bookins(month_table(det, T_BOOKINS))
    adp = _by_agency_and_criminality(month_table(det, T_ADP))
    alos = _by_agency_and_criminality(month_table(det, T_ALOS))
    removals = labelled_value(det, T_REMOVALS)
    rel_table = month_table(det, T_RELEASES, require_months=False)
    releases = _releases(rel_table) if rel_table.rows else {}
    basis = None
    if releases:
        basis = "final_book_outs" if "book out" in norm(rel_table.title) else "final_releases"

    def total(d: dict, key) -> float:
        value = d[key]["total"]
        if value is None:
            raise det.error(f"no fiscal-year total for {key!r}")
        return value

    fy_row = {
        "fiscal_year": fy,
        "adp": total(adp, ("", None)),
        "adp_ice": total(adp, ("ice", None)),
        "adp_cbp": total(adp, ("cbp", None)),
        "alos_days": total(alos, ("", None)),
        "alos_ice_days": total(alos, ("ice", None)),
        "alos_cbp_days": total(alos, ("cbp", None)),
        "book_ins": int(total(bookins, "total")),
        "book_ins_ice": int(total(bookins, "ice")),
        "book_ins_cbp": int(total(bookins, "cbp")),
        "removals": int(removals),
        "data_through": through,
        "partial_year": through < date(fy, 9, 30),
        "days": (through - date(fy - 1, 10, 1)).days + 1,
        "removals_famu": _famu_removals(det),
        "removals_definition": _removals_definition(book),
        "source_file": display,
        "source_sheet": det.name,
    }

    monthly = []
    for m in MONTHS:
        start = month_start(fy, m)
        if start > through:
            continue
        last_day = calendar.monthrange(start.year, start.month)[1]
        row: dict[str, object] = {
            "month": start,
            "fiscal_year": fy,
            "partial_month": start.year == through.year
            and start.month == through.month
            and through.day < last_day,
            "book_ins": bookins["total"]["months"][m],
            "book_ins_ice": bookins["ice"]["months"][m],
            "book_ins_cbp": bookins["cbp"]["months"][m],
        }
        for (agency, crim), values in adp.items():
            row[_adp_col(agency, crim)] = values["months"][m]
        row["alos_days"] = alos[("", None)]["months"][m]
        row["alos_ice_days"] = alos[("ice", None)]["months"][m]
        row["alos_cbp_days"] = alos[("cbp", None)]["months"][m]
        row["releases_basis"] = basis
        for col, months in releases.items():
            row[col] = months[m]
        row["days"] = min(last_day, (through - start).days + 1)
        for (agency, crim), values in alos.items():
            if crim is not None and crim != "non_criminal":
                row[_alos_col(agency, crim)] = values["months"][m]
        row["source_file"] = display
        row["source_sheet"] = det.name
        monthly.append(row)
    return fy_row, monthly


def parse_all(raw: Path, files: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    fy_rows, monthly_rows = [], []
    for rel in sorted(files):
        fy_row, monthly = parse_workbook(raw / rel, rel)
        fy_rows.append(fy_row)
        monthly_rows.extend(monthly)
    if not fy_rows:
        raise DataError(f"no workbooks found in {SOURCE_FOLDER}/", file=SOURCE_FOLDER)
    fys = pd.DataFrame(fy_rows, columns=FISCAL_YEAR_COLUMNS)
    dup = fys["fiscal_year"][fys["fiscal_year"].duplicated()]
    if len(dup):
        raise DataError(f"two workbooks for FY{int(dup.iloc[0])}", file=SOURCE_FOLDER)
    fys = fys.sort_values("fiscal_year").reset_index(drop=True)
    fys["removals_famu"] = fys["removals_famu"].astype("Int64")
    monthly = pd.DataFrame(monthly_rows, columns=MONTHLY_COLUMNS)
    for col in MONTHLY_COLUMNS:
        if col.startswith(("book_ins", "releases")) and col != "releases_basis":
            monthly[col] = monthly[col].astype("Int64")
    monthly = monthly.sort_values("month").reset_index(drop=True)
    return fys, monthly
