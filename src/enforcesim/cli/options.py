"""Checks of the command-line options shared by every command that runs scenarios."""

from __future__ import annotations

from typing import Annotated

import typer


def option_problems(seed: int | None, replicates: int | None, workers: int | None) -> list[str]:
    """One message per bad --seed, --replicates or --workers value (empty if all are fine)."""
    from ..scenario import MAX_REPLICATES, MAX_SEED

    bad = []
    if workers is not None and workers < 1:
        bad.append(f"--workers = {workers}: must be >= 1")
    if seed is not None and not 0 <= seed < MAX_SEED:
        bad.append(f"--seed = {seed}: must be an integer >= 0 and < 2**63")
    if replicates is not None and not 1 <= replicates <= MAX_REPLICATES:
        bad.append(f"--replicates = {replicates}: must be an integer from 1 to {MAX_REPLICATES}")
    return bad


SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        metavar="PATH=VALUE",
        help="Set a scenario value as if it were written in the file (repeatable): PATH is a "
        "dotted key as in [uncertainty], VALUE a TOML value, e.g. --set detention.beds=80000 "
        "--set detention.when_full='\"wait\"'. Checked like the file; recorded in "
        "summary.json's provenance.",
    ),
]
