"""The data manifest: every vendored raw file with its origin, licence, size and SHA-256."""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

from .errors import DataError

COLUMNS = ("path", "source_folder", "origin", "licence", "sha256", "bytes")


@dataclass(frozen=True)
class Entry:
    path: str  # relative to the raw folder, e.g. "ice-detention-stats/FY19_....xlsx"
    source_folder: str
    origin: str
    licence: str
    sha256: str
    bytes: int


def read_manifest(path: Path) -> list[Entry]:
    if not path.is_file():
        raise DataError("data manifest not found", file=str(path))
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise DataError(f"manifest lacks column(s) {', '.join(missing)}", file=str(path))
        entries = []
        for line, row in enumerate(reader, start=2):
            try:
                entries.append(
                    Entry(
                        path=row["path"],
                        source_folder=row["source_folder"],
                        origin=row["origin"],
                        licence=row["licence"],
                        sha256=row["sha256"].lower(),
                        bytes=int(row["bytes"]),
                    )
                )
            except (TypeError, ValueError) as exc:
                raise DataError(f"line {line}: bad manifest row ({exc})", file=str(path)) from exc
    return entries


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(raw: Path, entries: list[Entry]) -> None:
    """Check every file exists, has the recorded size and SHA-256; raise on the first problem."""
    for entry in entries:
        path = raw / entry.path
        if not path.is_file():
            raise DataError("raw file listed in MANIFEST.csv is missing", file=entry.path)
        size = path.stat().st_size
        if size != entry.bytes:
            raise DataError(
                f"raw file is {size} bytes, MANIFEST.csv records {entry.bytes} "
                "(corrupt or replaced copy?)",
                file=entry.path,
            )
        actual = sha256_of(path)
        if actual != entry.sha256:
            raise DataError(
                f"SHA-256 {actual[:12]}... does not match MANIFEST.csv ({entry.sha256[:12]}...): "
                "the file was modified or corrupted",
                file=entry.path,
            )


def digest(entries: list[Entry]) -> str:
    """One hash over the manifest's contents: changes whenever a raw file changes."""
    text = "\n".join(
        f"{e.path}:{e.sha256}:{e.bytes}" for e in sorted(entries, key=lambda e: e.path)
    )
    return hashlib.sha256(text.encode()).hexdigest()
