"""Where the raw files, the manifest and the DuckDB store live."""

from __future__ import annotations

import os
from pathlib import Path

DB_ENV = "ENFORCESIM_DB"
RAW_ENV = "ENFORCESIM_RAW_DIR"
DB_NAME = "enforcesim.duckdb"


def project_root() -> Path | None:
    """The checkout this package runs from: the first parent holding ``data/raw``."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "data" / "raw").is_dir() and (parent / "data" / "MANIFEST.csv").is_file():
            return parent
    return None


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "enforcesim"


def raw_dir() -> Path:
    """The folder of vendored raw files (``data/raw``); ``ENFORCESIM_RAW_DIR`` overrides it."""
    env = os.environ.get(RAW_ENV)
    if env:
        return Path(env)
    root = project_root()
    if root is None:
        from .errors import DataError

        raise DataError(
            "cannot find the project's data/raw folder (package installed outside a "
            f"checkout?); set {RAW_ENV} to a folder holding the raw files and MANIFEST.csv"
        )
    return root / "data" / "raw"


def manifest_path(raw: Path | None = None) -> Path:
    """``MANIFEST.csv`` sits next to the raw folder (``data/MANIFEST.csv``)."""
    raw = raw if raw is not None else raw_dir()
    return raw.parent / "MANIFEST.csv"


def default_db_path() -> Path:
    """``$ENFORCESIM_DB``, else ``data/store/enforcesim.duckdb`` in the checkout, else a cache."""
    env = os.environ.get(DB_ENV)
    if env:
        return Path(env)
    root = project_root()
    if root is not None:
        return root / "data" / "store" / DB_NAME
    return _cache_dir() / DB_NAME
