"""Grid runs: one scenario, some numeric values varied over a grid.

Every grid point runs with the scenario's seed (or the one given), so points differ only by
the varied values (common random numbers across the grid: surfaces are smooth and
neighbouring points compare fairly). A point's result is one JSON file written atomically
under `points/`; `manifest.json` records the grid, the scenario's hash, the seed and the
replicates. A rerun in the same folder skips the points already there, and refuses a folder
whose manifest differs.

Feasibility: for each target, the share of replicates at a point that meet it. With
`[uncertainty]` in the scenario each replicate draws its own parameters, so this is the
probability under parameter uncertainty and process noise; without, under process noise only.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import __version__
from ..errors import ScenarioError, StudyError
from ..execution import Executor, LocalExecutor, Run, RunOutput, run_all
from ..execution.executors import ProgressCallback
from ..execution.fanout import provenance
from ..files import write_atomic, write_json
from ..outdir import check as check_out
from ..outdir import resume
from ..results import Results
from ..scenario import parse_scenario
from .common import LoadedScenario, load
from .workload import check_study

MAX_POINTS = 100_000
_MISSING = object()


@dataclass(frozen=True)
class Axis:
    """One varied value: its dotted path and the grid values."""

    path: str
    values: tuple[float | int, ...]


def _number(text: str) -> Decimal:
    try:
        d = Decimal(text.strip().replace("_", ""))
    except InvalidOperation:
        raise ValueError(text) from None
    if not d.is_finite():
        raise ValueError(text)
    return d


def _as_value(d: Decimal) -> float | int:
    return int(d) if d == d.to_integral_value() else float(d)


def parse_vary(spec: str) -> Axis:
    """'PATH=START:STOP:STEP' (STOP included when on the grid) or 'PATH=V1,V2,...'."""
    where = f"--vary {spec!r}"
    if "=" not in spec:
        raise StudyError(
            [
                f"{where}: must be PATH=START:STOP:STEP or PATH=V1,V2,... "
                "(e.g. detention.beds=40000:120000:10000)"
            ]
        )
    path, _, values = (s.strip() for s in spec.partition("="))
    if not path or any(not part for part in path.split(".")):
        raise StudyError([f"{where}: the path must be a dotted key such as detention.beds"])
    try:
        if ":" in values:
            parts = values.split(":")
            if len(parts) != 3:
                raise StudyError([f"{where}: a range is START:STOP:STEP (three numbers)"])
            start, stop, step = (_number(p) for p in parts)
            if step <= 0:
                raise StudyError([f"{where}: STEP must be > 0 (got {step})"])
            if stop < start:
                raise StudyError([f"{where}: STOP ({stop}) must be >= START ({start})"])
            n = int((stop - start) / step) + 1
            if n > MAX_POINTS:
                raise StudyError([f"{where}: {n:,} values; at most {MAX_POINTS:,} points"])
            grid = [start + k * step for k in range(n)]
        else:
            grid = [_number(v) for v in values.split(",") if v.strip()]
            if not grid:
                raise ValueError(values)
    except ValueError as exc:
        raise StudyError(
            [
                f"{where}: {str(exc)!r} is not a number; values are "
                "START:STOP:STEP or a comma list of numbers"
            ]
        ) from None
    if len(set(grid)) != len(grid):
        raise StudyError([f"{where}: values repeat"])
    return Axis(path, tuple(_as_value(d) for d in grid))


def _lookup(raw: dict[str, Any], path: str) -> Any:
    node: Any = raw
    for part in path.split("."):
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                return _MISSING
            node = node[int(part)]
        elif isinstance(node, dict):
            if part not in node:
                return _MISSING
            node = node[part]
        else:
            return _MISSING
    return node


def apply_point(
    raw: dict[str, Any], axes: Sequence[Axis], values: Sequence[float | int]
) -> dict[str, Any]:
    """A copy of the raw scenario with the point's values set (uncertainty on them dropped)."""
    data = copy.deepcopy(raw)
    for axis, v in zip(axes, values, strict=True):
        parts = axis.path.split(".")
        node: Any = data
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(parts[-1])] = v
        else:
            node[parts[-1]] = v
        data.get("uncertainty", {}).pop(axis.path, None)
    return data


def check_axes(ls: LoadedScenario, axes: Sequence[Axis]) -> None:
    """Every path names a numeric value of the scenario and every grid value is valid there;
    raises StudyError naming each bad --vary."""
    problems: list[str] = []
    paths = [a.path for a in axes]
    if len(set(paths)) != len(paths):
        problems.append("--vary: a path is given twice")
    for axis in axes:
        parent, _, leaf = axis.path.rpartition(".")
        holder = _lookup(ls.raw, parent) if parent else ls.raw
        current = _lookup(ls.raw, axis.path)
        where = f"--vary {axis.path}"
        if holder is _MISSING or not isinstance(holder, dict | list):
            section = axis.path.split(".")[0]
            hint = (
                f" (there is no [{section}] section in {ls.path})"
                if section not in ls.raw
                else f" ({parent} is not set in {ls.path})"
            )
            problems.append(
                f"{where}: not a value of this scenario{hint}; a path names a "
                "numeric value such as detention.beds, costs.bed_day or "
                "book_ins.schedule.0.rate_per_day"
            )
            continue
        if current is not _MISSING and (
            isinstance(current, bool)
            or not (isinstance(current, int | float) or current == "unlimited")
        ):
            problems.append(
                f"{where}: {ls.path} has {current!r} there; only numeric values can vary"
            )
            continue
        seen: set[str] = set()
        for v in axis.values:
            trial = apply_point(ls.raw, [axis], [v])
            try:
                parse_scenario(trial, str(ls.path))
            except ScenarioError as exc:
                for p in exc.problems:
                    msg = str(p)
                    if msg not in seen:
                        seen.add(msg)
                        problems.append(f"{where} = {v}: {msg}")
    if problems:
        raise StudyError(problems)


@dataclass
class SweepResult:
    folder: Path
    axes: list[Axis]
    ran: list[int]
    skipped: list[int]

    def table(self) -> pd.DataFrame:
        return read_sweep(self.folder)["table"]


def _grid(axes: Sequence[Axis]) -> list[tuple[float | int, ...]]:
    return list(itertools.product(*(a.values for a in axes)))


def _manifest(
    ls: LoadedScenario, axes: Sequence[Axis], seed: int, replicates: int, targets: dict[str, float]
) -> dict[str, Any]:
    return {
        "tool": "sweep",
        "version": __version__,
        "scenario": ls.name,
        "source": str(ls.path),
        "scenario_content_sha256": ls.content_sha256,
        "scenario_sha256": ls.file_sha256,
        "seed": seed,
        "replicates": replicates,
        "grid": [{"path": a.path, "values": list(a.values)} for a in axes],
        "targets": targets,
        "overrides": ls.overrides,
    }


_SAME = ("scenario_content_sha256", "seed", "replicates", "grid", "targets")


def sweep(
    scenario: str | Path,
    axes: Sequence[Axis],
    out_dir: str | Path,
    *,
    seed: int | None = None,
    replicates: int | None = None,
    workers: int | None = None,
    targets: dict[str, float] | None = None,
    on_point: Callable[[int, int, bool], None] | None = None,
    overrides: Mapping[str, Any] | None = None,
    executor: Executor | None = None,
    on_progress: ProgressCallback | None = None,
) -> SweepResult:
    """Run every grid point not already in out_dir; `on_point(done, total, skipped)` is
    called after each point (its result is on disk by then), in the order points finish.

    Points run as tasks on `executor` (default: `workers` local threads; a
    ClusterExecutor runs them on a Dask cluster) with the same numbers wherever they run;
    `on_progress` gets the executor's task counts and time-left estimate. Each point file's
    `provenance` says where its tasks ran.

    `targets` adds or overrides targets (any metric -> value) for the feasibility map; the
    scenario's own [targets] are used otherwise. `overrides` (`--set`) apply to every point
    and are kept in the manifest; a path cannot be both set and varied.
    """
    ls = load(scenario, overrides)
    both = [a.path for a in axes if a.path in ls.overrides]
    if both:
        raise StudyError([f"--vary {p}: also given by --set; vary it or set it" for p in both])
    if not axes:
        raise StudyError(
            [
                "--vary: give at least one value to vary, e.g. "
                "--vary detention.beds=40000:120000:10000"
            ]
        )
    check_axes(ls, axes)
    meta = ls.scenario.scenario
    seed = meta.seed if seed is None else seed
    replicates = meta.replicates if replicates is None else replicates
    all_targets = {
        k: float(v) for k, v in ls.scenario.targets.model_dump().items() if v is not None
    }
    all_targets.update(targets or {})
    grid = _grid(axes)
    if len(grid) > MAX_POINTS:
        raise StudyError([f"--vary: the grid has {len(grid):,} points; at most {MAX_POINTS:,}"])
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise StudyError([f"{out}: exists and is not a folder"])
    check_out(out, "sweep", inputs=[ls.path])
    manifest = _manifest(ls, axes, seed, replicates, all_targets)
    mpath = out / "manifest.json"
    if mpath.exists():
        try:
            old = json.loads(mpath.read_text())
        except json.JSONDecodeError:
            raise StudyError([f"{mpath}: not valid JSON; use a new folder"]) from None
        diff = [k for k in _SAME if old.get(k) != manifest[k]]
        if old.get("tool") != "sweep" or diff:
            what = (
                ", ".join("the scenario" if k == "scenario_content_sha256" else k for k in diff)
                or "the tool"
            )
            raise StudyError(
                [
                    f"{out}: holds a different sweep ({what} differ from this "
                    f"one: it ran {old.get('source')} over "
                    + ", ".join(g["path"] for g in old.get("grid", []))
                    + "); use a new --out folder, or delete this one to start over"
                ]
            )
    pending = {
        i: parse_scenario(apply_point(ls.raw, axes, values), str(ls.path))
        for i, values in enumerate(grid)
        if not (out / "points" / f"{i:05d}.json").exists()
    }
    check_study(str(ls.path), "sweep", pending.values(), replicates)
    resume(out, "sweep", inputs=[ls.path])
    write_json(mpath, manifest)
    write_atomic(out / "scenario.toml", ls.text)
    skipped = [i for i in range(len(grid)) if i not in pending]
    if on_point is not None:
        for n in range(len(skipped)):
            on_point(n + 1, len(grid), True)
    todo = sorted(pending)
    # a point reports its intervals only: no central run
    runs = [Run(pending[i], seed, replicates) for i in todo]
    ran: list[int] = []
    own = executor is None
    ex = LocalExecutor(workers) if executor is None else executor

    def write_point(done: RunOutput) -> None:
        # Written as soon as the point's last task is in: an interrupted sweep keeps it.
        i = todo[done.index]
        res = Results(done.scenario, done.outputs, ls.content_sha256, str(ls.path))
        summary = res.summary_dict()
        per_rep = res.replicate_metrics()
        write_json(
            out / "points" / f"{i:05d}.json",
            {
                "index": i,
                "values": {a.path: v for a, v in zip(axes, grid[i], strict=True)},
                "metrics": summary["metrics"],
                "replicate_metrics": {m: per_rep[m].tolist() for m in per_rep.columns},
                "parameters": summary["parameters"],
                "provenance": provenance(ex, done),
            },
        )
        ran.append(i)
        if on_point is not None:
            on_point(len(skipped) + len(ran), len(grid), False)

    try:
        run_all(runs, ex, write_point, on_progress)
    finally:
        if own:
            ex.close()
    table = read_sweep(out)["table"]
    write_atomic(out / "grid.csv", table.to_csv(index=False))
    return SweepResult(out, list(axes), ran, skipped)


def probability_met(values: Sequence[float | None], target: float) -> float:
    v = np.array([math.nan if x is None else x for x in values], dtype=float)
    return float(np.mean(np.nan_to_num(v, nan=-np.inf) >= target)) if v.size else math.nan


def read_sweep(folder: str | Path) -> dict[str, Any]:
    """The manifest and one table row per finished point: the varied values, each metric's
    mean, lo and hi, and each target's probability of being met."""
    folder = Path(folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    rows = []
    for p in sorted((folder / "points").glob("*.json")):
        point = json.loads(p.read_text())
        row: dict[str, Any] = {"point": point["index"], **point["values"]}
        for m, iv in point["metrics"].items():
            row.update({f"{m}_mean": iv["mean"], f"{m}_lo": iv["lo"], f"{m}_hi": iv["hi"]})
        for t, target in manifest["targets"].items():
            if t in point["replicate_metrics"]:
                row[f"p_{t}"] = probability_met(point["replicate_metrics"][t], target)
        rows.append(row)
    return {"manifest": manifest, "table": pd.DataFrame(rows)}
