"""The regression baseline's scenarios and the part of a summary it pins."""

from __future__ import annotations

from pathlib import Path

import enforcesim

HERE = Path(__file__).resolve().parent / "baseline"
SCENARIOS = HERE / "scenarios"
EXPECTED = HERE / "expected"


def baseline_record(path: Path) -> dict:
    """Metrics, targets and parameter draws of a run: everything but provenance."""
    s = enforcesim.run(path, workers=2).summary_dict()
    return {
        key: s[key]
        for key in ("scenario", "seed", "replicates", "metrics", "targets", "parameters")
    }
