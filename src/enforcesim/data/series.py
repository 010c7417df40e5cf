"""Monthly per-day rates (``monthly_rates``) and the FY2025 comparison series.

ICE's monthly counts cover different numbers of days (September 2025: 20, the workbook's data
end 20 Sep; September 2021 and 2022: 25 and 24), so a model is compared with counts per
covered day, never with raw monthly totals. ADP is already a per-day figure.

>>> from enforcesim import data
>>> data.comparison_series(2025)   # month, days, ICE book-ins/day, ADP, release-to-remove/day
"""

from __future__ import annotations

import os

import duckdb
import pandas as pd

#: columns of :func:`comparison_series`: the three series a FY2025 run is compared with
COMPARISON_COLUMNS = [
    "month",
    "days",
    "book_ins_ice",
    "book_ins_ice_per_day",
    "adp",
    "adp_ice",
    "adp_cbp",
    "release_to_remove",
    "release_to_remove_per_day",
]

_RATES_SQL = """
CREATE TABLE monthly_rates AS
SELECT month, fiscal_year, days, partial_month,
       book_ins, book_ins / days AS book_ins_per_day,
       book_ins_ice, book_ins_ice / days AS book_ins_ice_per_day,
       book_ins_cbp, book_ins_cbp / days AS book_ins_cbp_per_day,
       adp, adp_ice, adp_cbp,
       releases_basis, releases, releases / days AS releases_per_day,
       releases_release_to_remove AS release_to_remove,
       releases_release_to_remove / days AS release_to_remove_per_day,
       source_file, source_sheet
FROM monthly
ORDER BY month
"""


def create_table(con: duckdb.DuckDBPyConnection) -> None:
    """``monthly_rates`` from ``monthly`` (which must exist)."""
    con.execute(_RATES_SQL)


def comparison_series(
    fiscal_year: int = 2025, db_path: str | os.PathLike | None = None
) -> pd.DataFrame:
    """ICE's monthly book-ins by arresting agency ICE per day, ADP (all, ICE-arrested,
    CBP-arrested) and "Release to Remove" book-outs per day for one fiscal year.

    Rates are per day the workbook covers (``days``: 20 for September 2025). Release to Remove
    is published by month from FY2024 on; earlier years give NULL there.
    """
    from .store import table

    rates = table("monthly_rates", db_path)
    out = rates[rates["fiscal_year"] == fiscal_year][COMPARISON_COLUMNS]
    if out.empty:
        from .errors import DataError

        raise DataError(f"no monthly ICE data for FY{fiscal_year} in the store")
    return out.reset_index(drop=True)
