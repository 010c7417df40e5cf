"""Writing files so that a reader never sees half of one: the lowest layer, imported by the
output-folder policy, the tables and every study tool alike."""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write a file so that readers see the old or the new content, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def jsonable(obj: Any) -> Any:
    """`obj` with NumPy scalars as Python numbers and NaN/inf as null (strict JSON)."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, float | np.floating):
        return None if math.isnan(obj) or math.isinf(obj) else float(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def write_json(path: Path, obj: Any) -> None:
    write_atomic(path, json.dumps(jsonable(obj), indent=2, allow_nan=False) + "\n")


def write_csv_copies(folder: Path) -> list[Path]:
    """daily.csv beside daily.parquet, and so on for every daily table of a result folder
    (for spreadsheets; the Parquet files stay the reference, with their units)."""
    import pyarrow.parquet as pq

    written = []
    for path in sorted(folder.glob("*.parquet")):
        frame = pq.read_table(path).to_pandas()
        target = path.with_suffix(".csv")
        write_atomic(target, frame.to_csv(index=False, lineterminator="\n"))
        written.append(target)
    return written
