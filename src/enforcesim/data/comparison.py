"""The FY2025 comparison series: ICE's monthly counts per covered day, read from the store's
``monthly_rates`` (series.py builds it).

>>> from enforcesim import data
>>> data.comparison_series(2025)   # month, days, ICE book-ins/day, ADP, release-to-remove/day
"""

from __future__ import annotations

import os

import pandas as pd

from .errors import DataError
from .store import table

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


def comparison_series(
    fiscal_year: int = 2025, db_path: str | os.PathLike | None = None
) -> pd.DataFrame:
    """ICE's monthly book-ins by arresting agency ICE per day, ADP (all, ICE-arrested,
    CBP-arrested) and "Release to Remove" book-outs per day for one fiscal year.

    Rates are per day the workbook covers (``days``: 20 for September 2025). Release to Remove
    is published by month from FY2024 on; earlier years give NULL there.
    """
    rates = table("monthly_rates", db_path)
    out = rates[rates["fiscal_year"] == fiscal_year][COMPARISON_COLUMNS]
    if out.empty:
        raise DataError(f"no monthly ICE data for FY{fiscal_year} in the store")
    return out.reset_index(drop=True)
