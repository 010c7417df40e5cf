"""Ctrl-C stops a run, inside the compiled kernel too: the kernel polls a stop flag, and
`enforcesim run` exits with code 130 and one line, no traceback, leaving the --out folder as
it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import numpy as np
import pytest

from enforcesim import Scenario, parse_scenario, run
from enforcesim.engine.runner import run_replicates, simulate_replicate

EXE = Path(sys.executable).with_name("enforcesim")
# About 7e8 events in one replicate: minutes of one core, far longer than any wait below.
LONG = """
[scenario]
name = "long"
days = 36500
replicates = 1
[book_ins]
rate_per_day = 20000.0
[detention]
beds = 100000
when_full = "release"
length_of_stay = { dist = "exponential", mean = 5.0 }
removal_share = 0.5
"""
SMALL = LONG.replace("36500", "20").replace("20000.0", "50.0")


def long_scenario() -> Scenario:
    return parse_scenario(tomllib.loads(LONG), "long")


def test_the_kernel_stops_on_its_flag() -> None:
    # The flag is up before the kernel starts: it must notice within its first few thousand
    # events instead of running for minutes, and the replicate ends in KeyboardInterrupt.
    with pytest.raises(KeyboardInterrupt):
        simulate_replicate(long_scenario(), 0, stop=np.ones(1, dtype=np.int64))


def test_run_replicates_restores_the_sigint_handler() -> None:
    before = signal.getsignal(signal.SIGINT)
    run_replicates(parse_scenario(tomllib.loads(SMALL), "small"), 1)
    assert signal.getsignal(signal.SIGINT) is before


def _thread_cpu_seconds(pid: int) -> list[float]:
    """CPU time of each thread of a process but its main thread (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        if task.name == str(pid):
            continue
        try:
            fields = (task / "stat").read_text().rpartition(")")[2].split()
        except OSError:  # the thread has just ended
            continue
        out.append((int(fields[11]) + int(fields[12])) / tick)  # utime + stime
    return out


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_ctrl_c_stops_a_run_inside_the_kernel(tmp_path: Path) -> None:
    out = tmp_path / "out"
    long_ = tmp_path / "long.toml"
    long_.write_text(LONG)
    run(tomllib.loads(SMALL), workers=1).write(out)  # the results a rerun must not spoil
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    proc = subprocess.Popen(
        [str(EXE), "run", str(long_), "--out", str(out), "--workers", "1", "-q"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A shell may start background jobs with SIGINT ignored; a terminal's user has it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        # Inside the kernel: a replicate thread has done half a CPU-second of work.
        deadline = time.monotonic() + 240
        while not any(s >= 0.5 for s in _thread_cpu_seconds(proc.pid)):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "no replicate thread ever got busy"
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, stderr
    assert stderr == f"interrupted; nothing written to {out}\n"
    assert stdout == ""
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
