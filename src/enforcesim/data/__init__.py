"""The real-data store: public aggregate statistics parsed into an embedded DuckDB database.

>>> from enforcesim import data
>>> data.build()                      # no-op when the store is current
>>> data.table("fiscal_years")        # pandas DataFrame

Tables: ``fiscal_years``, ``monthly``, ``monthly_rates``, ``book_outs``,
``facility_type_monthly``, ``bond_monthly``, ``atd_snapshot``, ``headcounts``,
``national_daily``, ``facilities``, ``facility_daily``, ``border_encounters`` (see
docs/data.md). ``comparison_series(2025)``: the monthly FY2025 series a run is compared
with. Every problem with the raw files raises :class:`DataError`, whose message names the
file and sheet.
"""

from __future__ import annotations

from .comparison import comparison_series
from .errors import DataError
from .paths import default_db_path, raw_dir
from .store import TABLES, build, connect, table

__all__ = [
    "DataError",
    "TABLES",
    "build",
    "comparison_series",
    "connect",
    "default_db_path",
    "raw_dir",
    "table",
]
