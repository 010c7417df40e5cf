"""Compare scenarios on common random numbers.

Every scenario runs with the same seed and number of replicates, so replicate i of each one
draws from the same random streams (one per mechanism, and one per [uncertainty] key): the
difference B_i - A_i then carries much less noise than the difference of two independent
runs. For each metric the comparison gives each scenario's mean and 2.5-97.5 % interval over
replicates, and for each scenario after the first (the baseline) the paired difference:
its mean, the 2.5-97.5 % interval of the replicate differences (where the difference of one
replicate may fall) and a 95 % confidence interval of the mean difference (Student t).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import __version__
from ..errors import StudyError
from ..execution import Executor, LocalExecutor
from ..execution.executors import ProgressCallback
from ..files import write_atomic, write_json
from ..outdir import add_file, replacing
from ..results import Results
from .common import LoadedScenario, load, quantile_interval, unit
from .fanned import results_on
from .workload import check_study


@dataclass
class Comparison:
    """Scenarios run on common random numbers; the first is the baseline."""

    labels: list[str]
    scenarios: list[LoadedScenario]
    results: list[Results]
    seed: int
    replicates: int
    notes: list[str] = field(default_factory=list)

    def metrics(self) -> list[str]:
        return list(self.results[0].replicate_metrics().columns)

    def table(self) -> pd.DataFrame:
        """One row per metric and scenario: mean, lo, hi over replicates, and the unit."""
        rows = []
        for m in self.metrics():
            for label, res in zip(self.labels, self.results, strict=True):
                iv = quantile_interval(res.replicate_metrics()[m].to_numpy(dtype=float))
                rows.append({"metric": m, "scenario": label, **iv, "unit": unit(m)})
        return pd.DataFrame(rows)

    def paired(self, metric: str, index: int) -> np.ndarray:
        """Replicate differences scenario[index] - baseline (NaN where either is null)."""
        a = self.results[0].replicate_metrics()[metric].to_numpy(dtype=float)
        b = self.results[index].replicate_metrics()[metric].to_numpy(dtype=float)
        return b - a

    def differences(self) -> pd.DataFrame:
        """One row per metric and scenario after the baseline: the paired difference."""
        rows = []
        base = self.labels[0]
        for i in range(1, len(self.labels)):
            for m in self.metrics():
                d = self.paired(m, i)
                ok = d[~np.isnan(d)]
                iv = quantile_interval(ok)
                ci_lo = ci_hi = None
                if ok.size >= 2:
                    from scipy import stats

                    half = stats.t.ppf(0.975, ok.size - 1) * ok.std(ddof=1) / math.sqrt(ok.size)
                    ci_lo, ci_hi = float(ok.mean() - half), float(ok.mean() + half)
                elif ok.size == 1:
                    ci_lo = ci_hi = float(ok[0])
                a = self.results[0].replicate_metrics()[m].to_numpy(dtype=float)
                a_mean = float(np.nanmean(a)) if np.any(~np.isnan(a)) else math.nan
                rel = (
                    iv["mean"] / a_mean * 100
                    if iv["mean"] is not None and a_mean and not math.isnan(a_mean)
                    else None
                )
                rows.append(
                    {
                        "metric": m,
                        "scenario": self.labels[i],
                        "baseline": base,
                        "diff_mean": iv["mean"],
                        "diff_lo": iv["lo"],
                        "diff_hi": iv["hi"],
                        "diff_ci_lo": ci_lo,
                        "diff_ci_hi": ci_hi,
                        "diff_pct": rel,
                        "pairs": int(ok.size),
                        "unit": unit(m),
                    }
                )
        return pd.DataFrame(
            rows,
            columns=[
                "metric",
                "scenario",
                "baseline",
                "diff_mean",
                "diff_lo",
                "diff_hi",
                "diff_ci_lo",
                "diff_ci_hi",
                "diff_pct",
                "pairs",
                "unit",
            ],
        )

    def write(self, out_dir: str | Path) -> Path:
        """comparison.csv, differences.csv, manifest.json and one result folder per scenario
        (runs/LABEL: summary.json, daily.parquet and a copy of the scenario file)."""
        with replacing(out_dir, "compare") as out:
            self._write_into(out)
        return Path(out_dir)

    def _write_into(self, out: Path) -> None:
        for label, ls, res in zip(self.labels, self.scenarios, self.results, strict=True):
            run_dir = res.write(out / "runs" / label)
            add_file(run_dir, "scenario.toml", ls.text)
        write_atomic(out / "comparison.csv", self.table().to_csv(index=False))
        write_atomic(out / "differences.csv", self.differences().to_csv(index=False))
        write_json(
            out / "manifest.json",
            {
                "tool": "compare",
                "version": __version__,
                "seed": self.seed,
                "replicates": self.replicates,
                "baseline": self.labels[0],
                "overrides": self.scenarios[0].overrides,
                "notes": self.notes,
                "scenarios": [
                    {
                        "label": lab,
                        "name": ls.name,
                        "source": str(ls.path),
                        "scenario_sha256": ls.file_sha256,
                        "run": f"runs/{lab}",
                    }
                    for lab, ls in zip(self.labels, self.scenarios, strict=True)
                ],
            },
        )


def _labels(scenarios: Sequence[LoadedScenario]) -> list[str]:
    """Unique folder-safe labels: the scenario names, made unique by file stem or number."""
    labels: list[str] = []
    for ls in scenarios:
        base = re.sub(r"[^A-Za-z0-9_.-]+", "-", ls.name).strip("-.") or "scenario"
        label = base
        if label in labels:
            label = f"{base}-{re.sub(r'[^A-Za-z0-9_.-]+', '-', ls.path.stem)}"
        n = 2
        while label in labels:
            label = f"{base}-{n}"
            n += 1
        labels.append(label)
    return labels


def compare(
    paths: Sequence[str | Path],
    *,
    seed: int | None = None,
    replicates: int | None = None,
    workers: int | None = None,
    on_scenario_done: Callable[[int, str], None] | None = None,
    overrides: Mapping[str, Any] | None = None,
    executor: Executor | None = None,
    on_progress: ProgressCallback | None = None,
) -> Comparison:
    """Run the scenarios on common random numbers; the first is the baseline.

    The seed and replicates are the arguments', else the baseline file's, for every scenario
    (a pairing needs them equal). Raises ScenarioError for a bad file; all files are
    validated before any runs. `overrides` (`--set`) apply to every scenario, so that the
    comparison stays one of the files' differences; they are in each run's provenance.

    The replicates run as tasks on `executor` (default: `workers` local threads; a
    ClusterExecutor runs them on a Dask cluster), with the same numbers wherever they run;
    `on_scenario_done(i, label)` is called as scenario i's runs are all in.
    """
    if len(paths) < 1:
        raise ValueError("compare needs at least one scenario")
    loaded = [load(p, overrides) for p in paths]
    if len(loaded) < 2:
        raise StudyError(
            [
                f"{paths[0]}: compare needs at least two scenario files (the first is the "
                "baseline); to run one scenario use `enforcesim run`"
            ]
        )
    base = loaded[0].scenario.scenario
    explicit = (seed is not None, replicates is not None)
    seed = base.seed if seed is None else seed
    replicates = base.replicates if replicates is None else replicates
    notes: list[str] = []
    for ls in loaded[1:]:
        meta = ls.scenario.scenario
        if (meta.seed != seed and not explicit[0]) or (
            meta.replicates != replicates and not explicit[1]
        ):
            notes.append(
                f"{ls.path}: run with seed {seed} and {replicates} replicates "
                f"(the file says seed {meta.seed}, {meta.replicates} replicates) so "
                "that its replicates pair with the baseline's"
            )
    check_study(str(loaded[0].path), "comparison", (ls.scenario for ls in loaded), replicates)
    labels = _labels(loaded)
    own = executor is None
    ex = LocalExecutor(workers) if executor is None else executor

    def done(i: int) -> None:
        if on_scenario_done is not None:
            on_scenario_done(i, labels[i])

    try:
        results = results_on(
            ex,
            [ls.path for ls in loaded],
            seed=seed,
            replicates=replicates,
            overrides=overrides,
            workers=workers,
            on_done=done,
            on_progress=on_progress,
        )
    finally:
        if own:
            ex.close()
    return Comparison(labels, loaded, results, seed, replicates, notes)


def read_comparison(folder: Path) -> dict[str, Any]:
    """What `Comparison.write` left: the manifest and both tables."""
    import json

    return {
        "manifest": json.loads((folder / "manifest.json").read_text()),
        "table": pd.read_csv(folder / "comparison.csv"),
        "differences": pd.read_csv(folder / "differences.csv"),
    }
