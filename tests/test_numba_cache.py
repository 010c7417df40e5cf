"""The numba cache is dropped when any source the kernel compiles changes: numba checks a
cached kernel only against its own file, not against the helpers it calls elsewhere."""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

from numba.core.registry import CPUDispatcher

import enforcesim.engine.runner  # noqa: F401  (imports the kernel and every helper it calls)
from enforcesim.engine import COMPILED_SOURCES, drop_stale_numba_cache


def test_every_compiled_helper_is_in_a_hashed_folder():
    folders = {
        Path(inspect.getfile(obj.py_func)).resolve().parent
        for name, module in list(sys.modules.items())
        if name.startswith("enforcesim")
        for obj in vars(module).values()
        if isinstance(obj, CPUDispatcher)
    }
    assert {f.name for f in folders} >= {"engine", "stages"}
    assert folders <= set(COMPILED_SOURCES)


def test_a_changed_helper_source_drops_every_cache(tmp_path):
    engine, stage = tmp_path / "engine", tmp_path / "stages"
    stamp = engine / "__pycache__" / "sources.sha256"
    for folder in (engine, stage):
        (folder / "__pycache__").mkdir(parents=True)
        (folder / "helpers.py").write_text("x = 1\n")
    entries = [engine / "__pycache__" / "kernel.nbi", stage / "__pycache__" / "helpers.nbc"]

    def cached() -> list[bool]:
        return [entry.exists() for entry in entries]

    assert drop_stale_numba_cache([engine, stage], stamp)  # no stamp yet
    for entry in entries:
        entry.write_bytes(b"compiled")
    assert not drop_stale_numba_cache([engine, stage], stamp)
    assert cached() == [True, True]
    (stage / "helpers.py").write_text("x = 2\n")
    assert drop_stale_numba_cache([engine, stage], stamp)
    assert cached() == [False, False]
