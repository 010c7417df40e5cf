"""The engine: named inputs and outputs (structures.py), the compiled event loop (kernel.py)
with its helpers by kind of event (events.py), people containers (queues.py), arrest and
case helpers (arrests.py, cases.py), the conservation laws of validation mode
(invariants.py), and the replicate runner (runner.py).

Numba caches compiled kernels next to their source and re-validates a cache entry against
the timestamp of the decorated function's own file only, not of the njit helpers it calls
from other modules. So that a changed helper never runs through a stale kernel, the cache
is dropped whenever any engine source file changes (a hash of them is kept beside it).
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def _drop_stale_numba_cache() -> None:
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(here.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    cache = here / "__pycache__"
    stamp = cache / "enforcesim-engine-sources.sha256"
    try:
        if stamp.exists() and stamp.read_text() == digest.hexdigest():
            return
        for entry in list(cache.glob("*.nbi")) + list(cache.glob("*.nbc")):
            entry.unlink(missing_ok=True)
        cache.mkdir(exist_ok=True)
        stamp.write_text(digest.hexdigest())
    except OSError:  # a read-only install: numba then caches elsewhere or not at all
        pass


_drop_stale_numba_cache()
