"""Monthly per-day rates (``monthly_rates``), built with the store; comparison.py reads them.

ICE's monthly counts cover different numbers of days (September 2025: 20, the workbook's data
end 20 Sep; September 2021 and 2022: 25 and 24), so a model is compared with counts per
covered day, never with raw monthly totals. ADP is already a per-day figure.
"""

from __future__ import annotations

import duckdb

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
