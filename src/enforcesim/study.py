"""Studies over many runs: compare scenarios on common random numbers, sweep a grid of values
(resumable), global sensitivity analysis (Sobol indices), and self-contained HTML reports.

    from enforcesim import study
    cmp = study.compare(["scenarios/library/status-quo-fy2024.toml", "B.toml"], replicates=10)
    cmp.differences()                          # paired differences from the first
    study.sweep("S.toml", [study.parse_vary("detention.beds=40000:80000:20000")], "out/sw")
    study.sensitivity("S.toml", n=32).write("out/sa")
    study.render("out/sw")                     # report.html + figures/*.png
"""

from .analyses.compare import Comparison, compare
from .analyses.sensitivity import Sensitivity, sensitivity
from .analyses.sweep import Axis, SweepResult, parse_vary, read_sweep, sweep
from .errors import StudyError
from .reports.render import render

__all__ = [
    "Axis",
    "Comparison",
    "Sensitivity",
    "StudyError",
    "SweepResult",
    "compare",
    "parse_vary",
    "read_sweep",
    "render",
    "sensitivity",
    "sweep",
]
