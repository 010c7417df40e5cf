"""The flagship's published Sobol analysis (N >= 256, docs/data/flagship-sobol/), read back for
the flagship report and for the table in docs/flagship.md.

The study's own Sobol stage is a screening (N = 8, a few minutes of `make demo`); the
published analysis is the same Saltelli design at N >= 256 with its noise floor, run once by
scripts/flagship_sobol.py and committed, so a report shows it without rerunning it. The
folder lies in the project tree (docs/ of a clone), found relative to this package's source.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from markupsafe import Markup

from ..analyses.noise_floor import above_floor
from . import figures as F
from .html import Page, table

PUBLISHED_SOBOL = Path(__file__).resolve().parents[3] / "docs" / "data" / "flagship-sobol"
DOCS_BEGIN = "<!-- flagship-sobol:begin (written by scripts/flagship_sobol.py --docs) -->"
DOCS_END = "<!-- flagship-sobol:end -->"


@dataclass
class PublishedSobol:
    folder: Path
    summary: dict[str, Any]  # summary.json: N, runs, horizon, seed, wall time, noise floor...
    indices: pd.DataFrame  # metric, input, S1, S1_conf, ST, ST_conf
    noise: pd.DataFrame  # metric, seeds, nominal_mean, var_seeds, var_sample, noise_floor

    def label(self) -> str:
        """N, runs, horizon, date and wall time in one phrase, for captions and headings."""
        s = self.summary
        return (
            f"N = {s['n']}, {s['runs']:,} runs of {s['replicates_per_point']} replicate, "
            f"{s['horizon_days']} days, seed {s['seed']}, run {s['date']} in "
            f"{wall_time(s['wall_time_s'])} ({s['machine']})"
        )


def read_published(folder: Path = PUBLISHED_SOBOL) -> PublishedSobol | None:
    """The published analysis, or None where the folder is absent (an installed package
    without the project tree)."""
    if not (folder / "summary.json").exists():
        return None
    return PublishedSobol(
        folder,
        json.loads((folder / "summary.json").read_text()),
        pd.read_csv(folder / "indices.csv"),
        pd.read_csv(folder / "noise.csv"),
    )


def wall_time(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"


def _ci(value: float, half: float) -> str:
    return f"{value:.2f} [{value - half:.2f}, {value + half:.2f}]"


def _floor(value: float) -> str:
    return "infinite" if math.isinf(value) else f"{value:.2g}"


def index_rows(pub: PublishedSobol) -> list[list[str]]:
    """metric, input, S1 [95 % CI], ST [95 % CI], whether ST is above the noise floor."""
    above = above_floor(pub.indices, pub.noise).tolist()
    return [
        [r.metric, r.input, _ci(r.S1, r.S1_conf), _ci(r.ST, r.ST_conf), "yes" if a else "no"]
        for r, a in zip(pub.indices.itertuples(), above, strict=True)
    ]


def noise_rows(pub: PublishedSobol) -> list[list[str]]:
    return [
        [
            r.metric,
            f"{r.seeds:d}",
            f"{r.var_seeds:,.4g}",
            f"{r.var_sample:,.4g}",
            _floor(r.noise_floor),
        ]
        for r in pub.noise.itertuples()
    ]


INDEX_HEADERS = ["output", "input", "S1 [95 % CI]", "ST [95 % CI]", "ST above noise floor"]
NOISE_HEADERS = ["output", "seeds", "variance over seeds", "variance over sample", "noise floor"]


def markdown(pub: PublishedSobol) -> str:
    """The block of docs/flagship.md between DOCS_BEGIN and DOCS_END (without them)."""

    def md(headers: list[str], rows: list[list[str]]) -> list[str]:
        return [
            "| " + " | ".join(headers) + " |",
            "|" + "---|" * len(headers),
            *("| " + " | ".join(r) + " |" for r in rows),
        ]

    s = pub.summary
    lines = [
        f"From `docs/data/flagship-sobol/` ({pub.label()}; scenario SHA-256 "
        f"`{s['scenario_sha256'][:12]}...`):",
        "",
    ]
    if s.get("placeholder"):
        lines += [f"**PLACEHOLDER, not for citation:** {s['placeholder']}", ""]
    lines += md(INDEX_HEADERS, index_rows(pub)) + ["", "Noise floor:", ""]
    lines += md(NOISE_HEADERS, noise_rows(pub))
    return "\n".join(lines) + "\n"


def with_docs_block(text: str, pub: PublishedSobol) -> str:
    """`text` (docs/flagship.md) with its block replaced by markdown(pub)."""
    head, sep, rest = text.partition(DOCS_BEGIN)
    _, sep2, tail = rest.partition(DOCS_END)
    if not sep or not sep2:
        raise ValueError(f"no {DOCS_BEGIN} ... {DOCS_END} block")
    return f"{head}{DOCS_BEGIN}\n{markdown(pub)}{DOCS_END}{tail}"


def docs_block(text: str) -> str:
    """The block of `text` between the markers (what with_docs_block wrote)."""
    return text.partition(DOCS_BEGIN)[2].partition(DOCS_END)[0].removeprefix("\n")


def published_sobol_html(page: Page, macros: Any, pub: PublishedSobol | None) -> Markup:
    """The flagship report's section on the published analysis (the flagship.html.j2 macro
    `published_sobol`), or a line saying where it would be."""
    if pub is None:
        return macros.published_sobol_missing(str(PUBLISHED_SOBOL))
    s = pub.summary
    source = (
        f"Model: enforcesim {s['enforcesim_version']}, scenario {s['scenario']} over "
        f"{s['horizon_days']} days; SALib Sobol analysis, {pub.label()}; "
        f"{s['bootstrap_resamples']} bootstrap resamples; dashed: the noise floor over "
        f"{len(s['noise_seeds'])} seeds. docs/data/flagship-sobol/."
    )
    data = F.sobol_bars(
        pub.indices,
        page.fig_path("sobol_published.png"),
        source,
        s["n"],
        s["runs"],
        s["noise_floor"],
    )
    return macros.published_sobol(
        s,
        pub.label(),
        wall_time(s["wall_time_s"]),
        page.figure("sobol_published.png", data),
        table(INDEX_HEADERS, index_rows(pub)),
        table(NOISE_HEADERS, noise_rows(pub), numeric={1, 2, 3, 4}),
        source,
    )
