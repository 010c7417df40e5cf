"""What the stages' cost volumes have in common (not a stage): a stage module's `VOLUMES`
maps a volume's name to a function of a replicate's output giving one number per reported
day (or None when the run does not produce it); costs.py gathers them from the stages and
the costs stage prices them.

Other mechanisms, and tests, can supply a volume without touching a stage: a replicate output
attribute (or `volumes` dict entry) of the volume's name, summed over its other axes. The
volumes that accept one name it with `supplied`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..engine.runner import ReplicateOutput

VolumeFn = Callable[["ReplicateOutput"], "np.ndarray | None"]


def supplied(name: str) -> VolumeFn:
    """A volume another mechanism writes on the replicate output, summed to one per day."""

    def get(out: ReplicateOutput) -> np.ndarray | None:
        v = getattr(out, name, None)
        if v is None:
            v = (getattr(out, "volumes", None) or {}).get(name)
        if v is None:
            return None
        # A named tuple of per-day columns is summed over its fields like the other axes.
        a = np.column_stack(tuple(v)) if isinstance(v, tuple) else np.asarray(v, np.float64)
        return a.reshape(a.shape[0], -1).sum(axis=1)

    return get


def first_of(*fns: VolumeFn) -> VolumeFn:
    """The first of the functions that gives a volume."""

    def get(out: ReplicateOutput) -> np.ndarray | None:
        for fn in fns:
            v = fn(out)
            if v is not None:
                return v
        return None

    return get
