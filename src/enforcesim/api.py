"""The public Python API; the CLI is a thin layer over it.

import enforcesim
results = enforcesim.run("scenarios/example.toml", replicates=20)
results.summary()        # DataFrame: metric -> mean, lo, hi, unit
results.daily()          # DataFrame: one row per replicate and day
results.write("out/example")
"""

from .analyses.runs import estimate, load, run

__all__ = ["estimate", "load", "run"]
