"""Ctrl-C that also stops the compiled kernel.

A running kernel holds no Python frame and releases the GIL, so the interpreter cannot raise
KeyboardInterrupt inside it: the run would go on until its replicates finish. Instead each run
passes the kernel a stop flag (int64[1]) that the kernel polls every few thousand events
(kernel.STOP_POLL). While inside `interruptible()`, a SIGINT in the main thread sets
every registered flag, and any flag registered afterwards, then raises KeyboardInterrupt as
usual. Replicates therefore run in worker threads, which leaves the main thread free to take
the signal.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import numpy as np

_flags: dict[int, np.ndarray] = {}  # the stop flags of the runs going on now
_interrupted = threading.Event()  # set by Ctrl-C until the outermost interruptible() ends


@contextmanager
def interruptible() -> Iterator[None]:
    """While inside, Ctrl-C stops every run (kernels included) and raises KeyboardInterrupt.

    Only the main thread can take signals: elsewhere, where SIGINT is ignored or handled
    outside Python, and inside another interruptible(), this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    if not callable(previous) or getattr(previous, "stops_kernels", False):
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        # No lock here: the handler runs in the main thread, which may hold it.
        _interrupted.set()
        for flag in list(_flags.values()):
            flag[0] = 1
        previous(signum, frame)

    handler.stops_kernels = True  # type: ignore[attr-defined]
    signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        _interrupted.clear()


@contextmanager
def stop_flag() -> Iterator[np.ndarray]:
    """A stop flag for one run's kernels: stop[0] becomes 1 on Ctrl-C (see interruptible)."""
    flag = np.zeros(1, dtype=np.int64)
    _flags[id(flag)] = flag
    if _interrupted.is_set():  # Ctrl-C came while this run was being set up
        flag[0] = 1
    try:
        yield flag
    finally:
        _flags.pop(id(flag), None)
