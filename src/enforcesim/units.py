"""Units of the daily Parquet tables' columns, written as Arrow field metadata.

A daily row is one reported day of one replicate: a flow is a count during that day (so
"persons/day"), a state is its value at the end of the day (as in the contract), and a
volume is a time integral over the day ("bed-days"). Each stage declares the unit of every
column it adds (stages/outputs.py); `pyarrow.parquet.read_schema(path).field(name)
.metadata[b"unit"]` gives a column's unit; pandas ignores the metadata.
"""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa


def with_units(table: pa.Table, units: Mapping[str, str]) -> pa.Table:
    """The table with each field's metadata holding its unit from `units` ('' for a column
    without one; the tests require none is); the values are untouched."""
    fields = [
        f.with_metadata({**(f.metadata or {}), b"unit": units.get(f.name, "").encode()})
        for f in table.schema
    ]
    return pa.Table.from_arrays(table.columns, schema=pa.schema(fields, table.schema.metadata))
