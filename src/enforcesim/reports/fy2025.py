"""The files of `enforcesim calibrate fy2025`: scalars, validation, months, identifiability
(CSV) and a Markdown report that puts them side by side."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..analyses.calibration.fy2025 import Fy2025

TARGETS_PCT = {"ice_book_ins": 15.0, "adp": 10.0}  # the held-out targets
FILES = ("scalars.csv", "stays.csv", "validation.csv", "monthly.csv", "identifiability.csv")


def markdown_table(df: pd.DataFrame, digits: int = 3) -> str:
    def cell(v) -> str:
        if isinstance(v, float):
            return f"{v:,.{digits}f}" if abs(v) < 1000 else f"{v:,.0f}"
        return str(v)

    lines = ["| " + " | ".join(df.columns) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(False)]
    return "\n".join(lines)


def verdicts(r: Fy2025) -> list[str]:
    """One line per target series: held-out MAPE against its target and both baselines."""
    v = r.validation.set_index("series")
    out = []
    for series, target in TARGETS_PCT.items():
        row = v.loc[series]
        h = row["held_out_mape_pct"]
        beats = [
            f"{name} {row[col]:.1f} % ({'beaten' if h < row[col] else 'NOT beaten'})"
            for name, col in (("persistence", "persistence_mape_pct"), ("trend", "trend_mape_pct"))
        ]
        met = "met" if h < target else "NOT met"
        out.append(
            f"- {series}: held-out MAPE {h:.1f} % (target {target:.0f} %: {met}); "
            + "; ".join(beats)
        )
    return out


def write(r: Fy2025, folder: Path) -> list[str]:
    """Write the CSVs and report.md into `folder`; returns the names written."""
    r.scalars.to_csv(folder / "scalars.csv", index=False)
    r.stays.to_csv(folder / "stays.csv", index=False)
    r.validation.to_csv(folder / "validation.csv", index=False)
    r.monthly.to_csv(folder / "monthly.csv", index=False)
    r.identifiability.to_csv(folder / "identifiability.csv", index=False)
    k = r.held.n_months
    wide = r.monthly.pivot(index="month", columns="series", values=["observed", "held_out"])
    wide.columns = [f"{s} {kind}" for kind, s in wide.columns]
    wide = wide[sorted(wide.columns)].reset_index()
    text = [
        "# FY2025 fit, held-out validation and refit",
        "",
        f"Fitted on {r.held.window} (stays and scalars), frozen, scored on the remaining "
        f"{12 - k} months of FY2025; refit on {r.refit.window}. MAPE in %. Method and events: "
        "docs/recalibration-fy2025.md.",
        "",
        *verdicts(r),
        "",
        "## Fitted scalars (95 % profile-likelihood intervals)",
        "",
        markdown_table(r.scalars),
        "",
        "## Detention stays (not counted in the six; Gauss-Newton 95 %)",
        "",
        markdown_table(r.stays, 1),
        "",
        "## Validation: in-sample, held-out, baselines, refit",
        "",
        markdown_table(r.validation, 1),
        "",
        "## Months: ICE vs the model fitted on the window",
        "",
        markdown_table(wide, 0),
        "",
        "## Inputs the public data cannot identify (scalars refitted, held-out rescored)",
        "",
        markdown_table(r.identifiability),
        "",
        "Not identifiable and not varied here: officer-hours per arrest (a bound only), "
        "custodial vs at-large and collateral arrests, the booked-in share of arrests, "
        "transport capacity (never binding in FY2025), expedited removal's share (inside "
        "rho1 and the new stays).",
        "",
    ]
    (folder / "report.md").write_text("\n".join(text))
    return [*FILES, "report.md"]


def month_table(rows: dict, labels: list[str], fmt: str = "{:,.0f}") -> str:
    """A Markdown table: one row per month, one column per series (a dict of arrays)."""
    import numpy as np

    lines = ["| month | " + " | ".join(rows) + " |", "|---|" + "---|" * len(rows)]
    for i, lab in enumerate(labels):
        cells = [fmt.format(v[i]) if np.isfinite(v[i]) else "" for v in rows.values()]
        lines.append(f"| {lab} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
