"""The reports of a sweep folder (feasibility maps and cost surfaces over a grid) and of a
sensitivity folder (Sobol indices)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..analyses.common import meaning, unit
from . import figures as F
from .html import Page, table
from .parts import (
    assumptions_html,
    assumptions_table,
    interval,
    noise_floor_html,
    number_or_none,
    sections,
    sobol_html,
)

COST_METRICS = ("cost_per_removal", "cost_total")
GRID_METRICS = (
    "detained",
    "occupancy",
    "removals_per_day",
    "turned_away_per_day",
    "cost_per_removal",
)


def _scenario_copy(folder: Path) -> str | None:
    path = folder / "scenario.toml"
    return path.read_text() if path.exists() else None


def render_sweep(folder: Path, out: Path) -> Path:
    from ..analyses.sweep import read_sweep

    sw = read_sweep(folder)
    man, grid = sw["manifest"], sw["table"]
    axes = [g["path"] for g in man["grid"]]
    total = 1
    for g in man["grid"]:
        total *= len(g["values"])
    T = sections()
    page = Page(f"enforcesim sweep: {man['scenario']}", out)
    page.section(
        "Grid",
        T.sweep_grid(
            man["scenario"],
            man["source"],
            len(grid),
            total,
            man["replicates"],
            man["seed"],
            table(
                ["varied value", "grid"],
                [[g["path"], ", ".join(f"{v:,}" for v in g["values"])] for g in man["grid"]],
            ),
        ),
    )
    if grid.empty:
        page.section("Feasibility map", T.no_points())
        return page.write()
    x, y = axes[0], axes[1] if len(axes) > 1 else None
    shown = grid
    fixed = ""
    if len(axes) > 2:
        at = {a: grid[a].iloc[0] for a in axes[2:]}
        for a, v in at.items():
            shown = shown[shown[a] == v]
        fixed = ", ".join(f"{a} = {v:,}" for a, v in at.items())
    kind = _sweep_kind(folder)
    src = (
        f"Model: enforcesim {man['version']}, {man['replicates']} replicates per point, "
        f"seed {man['seed']}; intervals: {kind}."
    )
    maps = []
    for t, target in man["targets"].items():
        col = f"p_{t}"
        if col not in shown:
            continue
        name = f"feasibility_{t}.png"
        data = F.grid_map(
            shown,
            x,
            y,
            col,
            page.fig_path(name),
            src,
            f"Probability that {t} >= {target:,g} ({unit(t)})",
            "probability target met (share of replicates)",
            0.0,
            1.0,
            percent=True,
        )
        maps.append((page.figure(name, data), t, f"{target:,g}", unit(t)))
    page.section("Feasibility map", T.feasibility(fixed, bool(man["targets"]), maps, kind, src))
    maps = []
    for m in COST_METRICS:
        col = f"{m}_mean"
        if col not in shown or shown[col].isna().all():
            continue
        name = f"cost_{m}.png"
        data = F.grid_map(
            shown,
            x,
            y,
            col,
            page.fig_path(name),
            src,
            f"{m}: mean over replicates ({unit(m)})",
            f"{m} ({unit(m)})",
        )
        maps.append((page.figure(name, data), meaning(m), unit(m)))
    page.section("Cost surfaces", T.cost_surfaces(fixed, maps, src))
    keys = [k for k in GRID_METRICS if f"{k}_mean" in grid]
    rows = []
    for r in grid.sort_values("point").to_dict("records"):
        rows.append(
            [
                *(f"{r[a]:,}" for a in axes),
                *(
                    interval({s: number_or_none(r[f"{k}_{s}"]) for s in ("mean", "lo", "hi")}, k)
                    for k in keys
                ),
                *(f"{r[f'p_{t}']:.0%}" for t in man["targets"] if f"p_{t}" in r),
            ]
        )
    headers = [
        *axes,
        *(f"{k} ({unit(k)})" for k in keys),
        *(f"P({t} met)" for t in man["targets"]),
    ]
    page.section(
        "Results by grid point",
        T.grid_results(table(headers, rows, numeric=range(len(headers)))),
    )
    text = _scenario_copy(folder)
    page.section(
        "Assumptions and sources",
        T.sweep_assumptions(man["source"], text, assumptions_table(text)),
    )
    page.section("How to read the intervals", T.intervals(kind))
    page.section(
        "Provenance",
        T.provenance([table(["key", "value"], [[k, json.dumps(v)] for k, v in man.items()])]),
    )
    return page.write()


def _sweep_kind(folder: Path) -> str:
    for p in sorted((folder / "points").glob("*.json"))[:1]:
        if json.loads(p.read_text()).get("parameters"):
            return "process noise and parameter uncertainty"
    return "process noise only"


def render_sensitivity(folder: Path, out: Path) -> Path:
    man = json.loads((folder / "manifest.json").read_text())
    indices = pd.read_csv(folder / "indices.csv")
    T = sections()
    page = Page(f"enforcesim sensitivity: {man['scenario']}", out)
    rows = [
        [p, d["dist"], ", ".join(f"{k} = {v:,}" for k, v in d.items() if k != "dist")]
        for p, d in man["inputs"].items()
    ]
    page.section(
        "Inputs", T.sensitivity_inputs(table(["input", "distribution", "parameters"], rows))
    )
    src = (
        f"Model: enforcesim {man['version']}, scenario '{man['scenario']}'; SALib Sobol "
        f"analysis, N = {man['n']}, {man['runs']} runs of {man['replicates']} replicate(s), "
        f"seed {man['seed']}, {man['bootstrap_resamples']} bootstrap resamples."
    )
    page.section("Sobol indices", sobol_html(page, indices, man, src))
    if (folder / "noise.csv").exists():
        page.section("Noise floor", noise_floor_html(pd.read_csv(folder / "noise.csv"), man))
    page.section("Method", T.sensitivity_method(man))
    page.section("Assumptions and sources", assumptions_html(_scenario_copy(folder), man["source"]))
    settings = [[k, json.dumps(v)] for k, v in man.items() if k != "inputs"]
    page.section("Provenance", T.provenance([table(["key", "value"], settings)]))
    return page.write()
