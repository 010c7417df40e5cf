"""enforcesim: a data-calibrated simulator of the immigration detention and removal pipeline.

The data flow is scenario -> validated model -> engine -> results -> reports:

    import enforcesim
    results = enforcesim.run("scenarios/example.toml")
    print(results.summary())

The names below are loaded on first use, so that `import enforcesim` (and with it every
command's start, `enforcesim --help` included) does not load NumPy, pandas or Numba before
something needs them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> the module that defines it
_LAZY = {
    "Problem": "enforcesim.errors",
    "ScenarioError": "enforcesim.errors",
    "Results": "enforcesim.results",
    "Scenario": "enforcesim.scenario",
    "load_scenario": "enforcesim.scenario",
    "parse_scenario": "enforcesim.scenario",
    "run": "enforcesim.analyses.runs",
}

__all__ = [
    "Problem",
    "Results",
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "parse_scenario",
    "run",
    "__version__",
]

if TYPE_CHECKING:
    from .analyses.runs import run
    from .errors import Problem, ScenarioError
    from .results import Results
    from .scenario import Scenario, load_scenario, parse_scenario


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'enforcesim' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value  # later look-ups do not come back here
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
