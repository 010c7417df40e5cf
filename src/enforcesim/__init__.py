"""enforcesim: a data-calibrated simulator of the immigration detention and removal pipeline.

The data flow is scenario -> validated model -> engine -> results -> reports:

    import enforcesim
    results = enforcesim.run("scenarios/example.toml")
    print(results.summary())
"""

__version__ = "0.1.0"

from .api import run  # noqa: E402
from .errors import Problem, ScenarioError  # noqa: E402
from .results import Results  # noqa: E402
from .scenario import Scenario, load_scenario, parse_scenario  # noqa: E402

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
