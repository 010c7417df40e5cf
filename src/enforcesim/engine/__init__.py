"""The engine: named inputs and outputs (structures.py), the compiled event loop (kernel.py)
with its helpers by kind of event (events.py), people containers (queues.py), the
conservation laws of validation mode (invariants.py), and the replicate runner (runner.py).
Each stage's input, its compiled helpers and its output records live in its module under
stages/; the engine imports them, never the other way round.

Numba caches compiled kernels next to their source and re-validates a cache entry against
the timestamp of the decorated function's own file only, not of the njit helpers it calls
from other modules. So that a changed helper never runs through a stale kernel, the caches
of the engine and of the stages are dropped whenever any of their source files changes (a
hash of them is kept beside the engine's cache).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

_HERE = Path(__file__).resolve().parent
# Every folder with njit code the kernel compiles: its own and the stages' helpers.
COMPILED_SOURCES = (_HERE, _HERE.parent / "stages")
SOURCES_STAMP = _HERE / "__pycache__" / "enforcesim-engine-sources.sha256"


def drop_stale_numba_cache(
    folders: Sequence[Path] = COMPILED_SOURCES, stamp: Path = SOURCES_STAMP
) -> bool:
    """Drop the numba caches of `folders` unless their sources hash to `stamp`'s hash.
    Returns whether they were dropped."""
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted(folder.glob("*.py")):
            digest.update(f"{folder.name}/{path.name}".encode())
            digest.update(path.read_bytes())
    try:
        if stamp.exists() and stamp.read_text() == digest.hexdigest():
            return False
        for folder in folders:
            cache = folder / "__pycache__"
            for entry in list(cache.glob("*.nbi")) + list(cache.glob("*.nbc")):
                entry.unlink(missing_ok=True)
        stamp.parent.mkdir(exist_ok=True)
        stamp.write_text(digest.hexdigest())
    except OSError:  # a read-only install: numba then caches elsewhere or not at all
        return False
    return True


drop_stale_numba_cache()
