"""Read worksheets into plain grids and find tables in them by their titles.

ICE moves its tables around from year to year (blocks shift by rows and columns, sheets are
renamed, labels gain trailing spaces), so nothing here uses fixed cell addresses: a table is
found by the text of its title cell, its header row is the next row that names the months, and
it ends at the first empty row.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from .errors import DataError

MONTHS = ("oct", "nov", "dec", "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep")
TOTAL_HEADERS = ("total", "fy overall")


def norm(value: object) -> str:
    """Lower-case text with runs of whitespace (including non-breaking spaces) collapsed."""
    if value is None:
        return ""
    return re.sub(r"\s+", " ", str(value).replace("\xa0", " ")).strip().lower()


@dataclass
class Sheet:
    file: str  # as shown in messages, relative to the raw folder
    name: str
    rows: list[list[object]]

    def cell(self, r: int, c: int) -> object:
        if r < len(self.rows) and c < len(self.rows[r]):
            return self.rows[r][c]
        return None

    def error(self, message: str) -> DataError:
        return DataError(message, file=self.file, sheet=self.name)


@dataclass
class Workbook:
    file: str
    sheets: dict[str, Sheet] = field(default_factory=dict)
    all_names: list[str] = field(default_factory=list)  # every sheet, loaded or not

    def sheet(self, prefix: str, exclude: tuple[str, ...] = ()) -> Sheet:
        """The first sheet whose normalised name starts with ``prefix``."""
        want = norm(prefix)
        for name, sheet in self.sheets.items():
            key = norm(name)
            if key.startswith(want) and not any(key.startswith(norm(x)) for x in exclude):
                return sheet
        raise DataError(
            f"no sheet whose name starts with {prefix!r} (sheets: "
            + ", ".join(repr(n) for n in (self.all_names or list(self.sheets)))
            + ")",
            file=self.file,
        )


def load_xlsx(path: Path, display: str, only: tuple[str, ...] | None = None) -> Workbook:
    """Load an .xlsx workbook's cell values. ``only``: sheet-name prefixes to keep."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError as exc:
        raise DataError("file not found", file=display) from exc
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise DataError(f"not a readable .xlsx workbook ({exc})", file=display) from exc
    book = Workbook(file=display, all_names=list(wb.sheetnames))
    try:
        for ws in wb.worksheets:
            if only is not None and not any(norm(ws.title).startswith(norm(p)) for p in only):
                continue
            rows = [list(r) for r in ws.iter_rows(values_only=True)]
            book.sheets[ws.title] = Sheet(file=display, name=ws.title, rows=rows)
    finally:
        wb.close()
    return book


def find_title(sheet: Sheet, pattern: str, start_row: int = 0) -> tuple[int, int]:
    """(row, col) of the first cell whose normalised text matches ``pattern`` (regex search)."""
    rx = re.compile(pattern)
    for r in range(start_row, len(sheet.rows)):
        for c, value in enumerate(sheet.rows[r]):
            if isinstance(value, str) and rx.search(norm(value)):
                return r, c
    raise sheet.error(f"table titled like /{pattern}/ not found")


def find_all_titles(sheet: Sheet, pattern: str) -> list[tuple[int, int]]:
    rx = re.compile(pattern)
    hits = []
    for r, row in enumerate(sheet.rows):
        for c, value in enumerate(row):
            if isinstance(value, str) and rx.search(norm(value)):
                hits.append((r, c))
    return hits


@dataclass
class MonthRow:
    labels: tuple[str, ...]  # the label cells, normalised ('' for blank)
    months: dict[str, float | None]  # 'oct'..'sep' -> value
    total: float | None
    row: int  # 0-based row in the sheet


@dataclass
class MonthTable:
    sheet: Sheet
    title: str
    rows: list[MonthRow]


def _number(sheet: Sheet, r: int, c: int, title: str) -> float | None:
    value = sheet.cell(r, c)
    if value is None or (isinstance(value, str) and value.strip() in ("", "-")):
        return None
    if isinstance(value, bool) or isinstance(value, (datetime, date)):
        raise sheet.error(f"table {title!r}: cell R{r + 1}C{c + 1} is not a number: {value!r}")
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).replace(",", "").strip()
    try:
        return float(text)
    except ValueError:
        raise sheet.error(
            f"table {title!r}: cell R{r + 1}C{c + 1} is not a number: {value!r}"
        ) from None


def month_table(sheet: Sheet, pattern: str, *, require_months: bool = True) -> MonthTable:
    """Read the month-by-month table whose title matches ``pattern``.

    The header row is the first of the next three rows that has 'Oct' at or right of the
    title's column; columns between the title column and 'Oct' are label columns.
    """
    r0, c0 = find_title(sheet, pattern)
    title = str(sheet.cell(r0, c0)).strip()
    header_row = None
    for r in range(r0 + 1, min(r0 + 4, len(sheet.rows))):
        texts = [norm(v) for v in sheet.rows[r]]
        if "oct" in texts[c0:]:
            header_row = r
            break
    if header_row is None:
        if require_months:
            raise sheet.error(f"table {title!r}: no header row naming the months below the title")
        return MonthTable(sheet, title, [])
    header = [norm(v) for v in sheet.rows[header_row]]
    month_cols: dict[str, int] = {}
    total_col = None
    first_month = None
    for c in range(c0, len(header)):
        h = header[c]
        if h in MONTHS and h not in month_cols:
            month_cols[h] = c
            first_month = c if first_month is None else first_month
        elif h in TOTAL_HEADERS and month_cols:
            total_col = c
            break
    missing = [m for m in MONTHS if m not in month_cols]
    if missing:
        raise sheet.error(f"table {title!r}: header row lacks month(s) {', '.join(missing)}")
    assert first_month is not None
    last_col = total_col if total_col is not None else max(month_cols.values())
    label_cols = list(range(c0, first_month))
    rows: list[MonthRow] = []
    r = header_row + 1
    while r < len(sheet.rows):
        span = [sheet.cell(r, c) for c in range(c0, last_col + 1)]
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in span):
            break
        labels = tuple(norm(sheet.cell(r, c)) for c in label_cols)
        months = {m: _number(sheet, r, c, title) for m, c in month_cols.items()}
        total = _number(sheet, r, total_col, title) if total_col is not None else None
        rows.append(MonthRow(labels=labels, months=months, total=total, row=r))
        r += 1
    if not rows:
        raise sheet.error(f"table {title!r}: no data rows below the header")
    return MonthTable(sheet, title, rows)


def labelled_value(sheet: Sheet, pattern: str, label: str = "total", depth: int = 4) -> float:
    """The first number right of the cell labelled ``label`` in the few rows under a title."""
    r0, c0 = find_title(sheet, pattern)
    title = str(sheet.cell(r0, c0)).strip()
    for r in range(r0 + 1, min(r0 + 1 + depth, len(sheet.rows))):
        if norm(sheet.cell(r, c0)) == label:
            for c in range(c0 + 1, len(sheet.rows[r])):
                value = (
                    _number(sheet, r, c, title) if not isinstance(sheet.cell(r, c), str) else None
                )
                if value is not None:
                    return value
            raise sheet.error(f"table {title!r}: row {label!r} has no number")
    raise sheet.error(f"table {title!r}: no row labelled {label!r} below the title")
