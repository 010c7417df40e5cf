"""The unit of every column of the daily Parquet tables, written as Arrow field metadata.

A daily row is one reported day of one replicate: a flow is a count during that day (so
"persons/day"), a state is its value at the end of the day (as in the contract), and a
volume is a time integral over the day ("bed-days"). `pyarrow.parquet.read_schema(path)
.field(name).metadata[b"unit"]` gives a column's unit; pandas ignores the metadata.
"""

from __future__ import annotations

import pyarrow as pa

# Columns that several tables share.
_COMMON = {
    "replicate": "index",
    "day": "days since day 0",
    "stream": "label",
    "source": "label",
    "criminality": "label",
}

DAILY_UNITS: dict[str, dict[str, str]] = {
    "daily": {
        "book_ins": "persons/day",
        "admitted": "persons/day",
        "turned_away": "persons/day",
        "detained": "persons",
        "waiting_for_bed": "persons",
        "removals": "persons/day",
        "releases": "persons/day",
        "beds": "beds (-1 = unlimited)",
        "bed_days": "bed-days",
        "departures": "departures/day",
        "cost_all_in": "USD",
    },
    "daily_streams": {
        "book_ins": "persons/day",
        "admitted": "persons/day",
        "detained": "persons",
        "removals": "persons/day",
        "releases": "persons/day",
    },
    "daily_arrests": {
        name: "arrests/day"
        for name in (
            "made",
            "booked_in",
            "not_booked_in",
            "diverted",
            "foregone_officers",
            "foregone_beds",
            "foregone_pool",
        )
    },
    "daily_officers": {
        "officers": "officers",
        "hours_available": "officer-hours/day",
        "hours_arrests": "officer-hours/day",
        "hours_escort_transport": "officer-hours/day",
        "hours_casework": "officer-hours/day",
    },
    "daily_cases": {
        "diverted": "persons/day",
        "voluntary_departures": "persons/day",
        "departures_not_removals": "persons/day",
        "court_completions": "cases/day",
        "court_queue": "cases",
        "in_court": "cases",
        "waiting_for_documents": "persons",
        "transfers": "persons/day",
        "judges": "judges",
        "officer_hours_arrests": "officer-hours/day",
        "officer_hours_escort": "officer-hours/day",
        "officer_hours_casework": "officer-hours/day",
        "court_days": "case-days",
        "docket_days": "case-days",
        "document_wait_days": "person-days",
        "atd_days": "participant-days",
        "escorted_trips_intake": "trips/day",
        "escorted_trips_transfers": "trips/day",
    },
}


def column_unit(table: str, column: str) -> str:
    """The unit of a column of a daily table ('' if unknown; the tests require none is)."""
    if column.startswith("binding_"):
        return "flag (true: the constraint binds that day)"
    return DAILY_UNITS.get(table, {}).get(column) or _COMMON.get(column, "")


def with_units(table: pa.Table, name: str) -> pa.Table:
    """The table with each field's metadata holding its unit (the values are untouched)."""
    fields = [
        f.with_metadata({**(f.metadata or {}), b"unit": column_unit(name, f.name).encode()})
        for f in table.schema
    ]
    return pa.Table.from_arrays(table.columns, schema=pa.schema(fields, table.schema.metadata))
