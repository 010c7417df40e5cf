"""The regression baseline's scenarios and the part of a run's output it pins.

Everything a user sees is pinned except provenance: every block of summary.json (metrics,
targets, drawn parameters, streams, arrests, costs, budgets, bottlenecks, pathways, modes)
and, for every daily Parquet table written, its column names and a SHA-256 of each column's
values (read back from the file, so internal layout and schema metadata such as units may
change while the numbers may not).
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

import enforcesim

HERE = Path(__file__).resolve().parent / "baseline"
SCENARIOS = HERE / "scenarios"
EXPECTED = HERE / "expected"

# Run-specific or descriptive keys: not numbers of the model.
UNPINNED = {"version", "scenario_sha256", "provenance", "contract", "interval", "units"}


def column_digest(values: np.ndarray) -> str:
    """SHA-256 (first 16 hex digits) of a column's values, exact to the last bit."""
    arr = np.ascontiguousarray(values)
    if arr.dtype == object:
        data = "\x1f".join(map(str, arr.tolist())).encode()
    else:
        data = arr.tobytes()
    return hashlib.sha256(str(arr.dtype).encode() + b"|" + data).hexdigest()[:16]


def daily_record(out_dir: Path) -> dict[str, dict[str, str]]:
    tables = {}
    for path in sorted(out_dir.glob("*.parquet")):
        table = pq.read_table(path)
        tables[path.stem] = {
            name: column_digest(table.column(name).to_numpy(zero_copy_only=False))
            for name in table.column_names
        }
    return tables


def baseline_record(path: Path) -> dict:
    """Every block of summary.json but provenance, and digests of every daily table."""
    results = enforcesim.run(path, workers=2)
    s = results.summary_dict()
    record = {key: value for key, value in s.items() if key not in UNPINNED}
    with tempfile.TemporaryDirectory() as tmp:
        out = results.write(Path(tmp) / "out")
        record["daily"] = daily_record(out)
    return record
