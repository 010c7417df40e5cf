"""What the reports of result and study folders share, the flagship's included: reading a
result folder back with its scenario text, the calendar anchor of day 0, ICE's published
statistics beside the model, the removals figure, the Sobol section and number formats."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from markupsafe import Markup

from .. import __version__
from ..analyses.common import fmt
from ..errors import StudyError
from ..scenario import sha256_bytes
from ..tomlfile import value_comments
from . import figures as F
from .html import Page, macros, table

ICE_SOURCE = (
    "ICE detention statistics workbooks FY2019-FY2024 (public domain; enforcesim "
    "data store, tables fiscal_years and monthly)"
)


def sections() -> Any:
    """The macros of the study reports' template (each returns escaped HTML)."""
    return macros("study.html.j2")


def interval(iv: dict[str, Any] | None, metric: str = "") -> str:
    """'mean [lo, hi]' of a summary interval, '-' where it has no mean."""
    if not iv or iv.get("mean") is None:
        return "-"
    return f"{fmt(iv['mean'], metric)} [{fmt(iv['lo'], metric)}, {fmt(iv['hi'], metric)}]"


def number_or_none(v: Any) -> float | None:
    return None if v is None or pd.isna(v) else float(v)


# --- scenario text: assumptions, sources and calendar anchor ---------------------------------

_DAY0 = re.compile(r"day 0\s*=\s*(\d{4}-\d{2}-\d{2}|\d{1,2} [A-Z][a-z]{2,8} \d{4})", re.IGNORECASE)


def start_date(text: str | None) -> pd.Timestamp | None:
    """The calendar date of day 0 when the scenario states it ('Day 0 = 2024-10-01')."""
    if not text:
        return None
    m = _DAY0.search(text)
    if not m:
        return None
    try:
        return pd.Timestamp(m.group(1)).normalize()
    except ValueError:
        return None


def assumptions_table(text: str | None) -> Any:
    """Every value of a scenario file with its comment (None without the file's text)."""
    if text is None:
        return None
    return table(["key", "value", "comment (source)"], value_comments(text))


def assumptions_html(text: str | None, origin: str) -> Markup:
    return macros("macros.html.j2").assumptions(origin, text, assumptions_table(text))


# --- ICE's published statistics --------------------------------------------------------------


def published_ice_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """ICE's fiscal-year figures and monthly series (with book-ins per day) from the data
    store; raises DataError where the store cannot be built or read."""
    from ..data import table as store_table

    fy = store_table("fiscal_years")
    monthly = store_table("monthly")
    monthly = monthly.assign(month=pd.to_datetime(monthly["month"]))
    days = monthly["month"].dt.days_in_month
    monthly = monthly.assign(book_ins_per_day=monthly["book_ins"] / days)
    return fy, monthly


def fiscal_year_days(r: Any) -> int:
    """Days of a fiscal year covered by its data (the last one may be partial)."""
    return (pd.Timestamp(r.data_through) - pd.Timestamp(f"{r.fiscal_year - 1}-10-01")).days + 1


def ice_section(
    page: Page, models: list[tuple[str, pd.DataFrame, dict[str, Any], pd.Timestamp | None]]
) -> Markup:
    """FY table of ICE's statistics beside each model's metrics, and a plot of the monthly
    series beside the model for scenarios anchored to a calendar date."""
    from ..data import DataError

    try:
        fy, monthly = published_ice_tables()
    except DataError as exc:  # the data store is optional for a report
        return sections().ice_unavailable(str(exc))
    rows = []
    for r in fy.itertuples():
        ndays = fiscal_year_days(r)
        rows.append(
            [
                f"ICE FY{r.fiscal_year}" + (" (partial)" if r.partial_year else ""),
                fmt(r.adp, "detained"),
                fmt(r.alos_days),
                fmt(r.book_ins / ndays),
                fmt(r.removals / ndays),
            ]
        )
    for label, _daily, summary, _start in models:
        m = summary["metrics"]
        rows.append(
            [
                f"model: {label}",
                interval(m.get("detained"), "detained"),
                interval(m.get("length_of_stay_days"), "length_of_stay_days"),
                interval(m.get("book_ins_per_day"), "book_ins_per_day"),
                interval(m.get("removals_per_day"), "removals_per_day"),
            ]
        )
    headers = [
        "series",
        "ADP / detained (persons)",
        "ALOS / stay (days)",
        "book-ins (persons/day)",
        "removals (persons/day)",
    ]
    anchored = [(label, daily, start) for label, daily, _s, start in models if start is not None]
    fig, start = None, None
    if anchored:
        start = anchored[0][2]
        keep = [(label, daily) for label, daily, s in anchored if s == start]
        name = "ice_vs_model.png"
        data = F.observed_vs_model(
            monthly,
            keep,
            start,
            page.fig_path(name),
            f"Sources: {ICE_SOURCE}; model: enforcesim {__version__}.",
        )
        fig = page.figure(name, data)
    return sections().ice(
        table(headers, rows, numeric={1, 2, 3, 4}),
        ICE_SOURCE,
        fig,
        None if start is None else start.date(),
    )


# --- figures and sections several reports draw --------------------------------------------------


def flows_figure(
    page: Page,
    series: list[tuple[str, pd.DataFrame]],
    start: pd.Timestamp | None,
    src: str,
    title: str,
) -> Markup:
    window = max(F.smoothing_window(d) for _, d in series)
    data = F.flows(series, start, page.fig_path("removals_releases.png"), src, title, window)
    return sections().flows(page.figure("removals_releases.png", data), window, src)


def sobol_html(
    page: Page,
    indices: pd.DataFrame,
    manifest: dict[str, Any],
    source: str,
    output_label: str = "metric",
    digits: int = 3,
) -> Markup:
    """The Sobol figure, its table and the analysis's notes (for `report` of a sensitivity
    folder and for the flagship report)."""
    fig, rows = None, None
    if not indices.empty:
        data = F.sobol_bars(
            indices,
            page.fig_path("sobol.png"),
            source,
            manifest["n"],
            manifest["runs"],
            manifest.get("noise_floor"),
        )
        fig = page.figure("sobol.png", data)
        rows = table(
            [output_label, "input", "S1", "S1 95 % CI ±", "ST", "ST 95 % CI ±"],
            (
                [r.metric, r.input]
                + [f"{v:.{digits}f}" for v in (r.S1, r.S1_conf, r.ST, r.ST_conf)]
                for r in indices.itertuples()
            ),
            numeric={2, 3, 4, 5},
        )
    return sections().sobol(fig, rows, manifest.get("notes", []), source)


def noise_floor_html(noise: pd.DataFrame, manifest: dict[str, Any]) -> Markup:
    """The noise floor of a Sobol analysis (noise.csv of a sensitivity folder) and what it
    means."""
    rows = table(
        [
            "metric",
            "seeds",
            "nominal mean",
            "variance over seeds",
            "variance over sample",
            "noise floor",
        ],
        (
            [
                r.metric,
                f"{r.seeds:d}",
                f"{r.nominal_mean:,.4g}",
                f"{r.var_seeds:,.4g}",
                f"{r.var_sample:,.4g}",
                f"{r.noise_floor:.3g}",
            ]
            for r in noise.itertuples()
        ),
        numeric={1, 2, 3, 4, 5},
    )
    return sections().noise_floor(rows, manifest)


# --- one result folder -----------------------------------------------------------------------


@dataclass
class RunData:
    folder: Path
    summary: dict[str, Any]
    daily: pd.DataFrame
    text: str | None
    origin: str
    start: pd.Timestamp | None


_SUMMARY_KEYS = ("scenario", "seed", "replicates", "metrics")


def load_run(folder: Path, scenario: Path | None = None, start: str | None = None) -> RunData:
    spath = folder / "summary.json"
    try:
        summary = json.loads(spath.read_text())
    except FileNotFoundError:
        raise StudyError(
            [
                f"{spath}: not found ({folder} is not a result folder of `run`, "
                "`compare`, `sweep` or `sensitivity`)"
            ]
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise StudyError([f"{spath}: not valid JSON: {exc}"]) from None
    missing = [k for k in _SUMMARY_KEYS if not isinstance(summary, dict) or k not in summary]
    if missing:
        raise StudyError(
            [f"{spath}: not a summary written by enforcesim run (no {', '.join(missing)})"]
        )
    dpath = folder / "daily.parquet"
    try:
        daily = pd.read_parquet(dpath)
    except FileNotFoundError:
        raise StudyError([f"{dpath}: not found"]) from None
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        first = (str(exc).strip().splitlines() or [""])[0]
        raise StudyError(
            [f"{dpath}: not a readable Parquet file ({first}); run the command that wrote it again"]
        ) from None
    text, origin = _scenario_text(folder, summary, scenario)
    return RunData(folder, summary, daily, text, origin, _start(start) or start_date(text))


def _start(value: str | None) -> pd.Timestamp | None:
    if value is None:
        return None
    try:
        return pd.Timestamp(value).normalize()
    except ValueError:
        raise StudyError([f"--start-date {value!r}: not a date (YYYY-MM-DD)"]) from None


def _scenario_text(
    folder: Path, summary: dict[str, Any], scenario: Path | None
) -> tuple[str | None, str]:
    if scenario is not None:
        try:
            return scenario.read_text(), str(scenario)
        except OSError as exc:
            raise StudyError([f"--scenario {scenario}: cannot read: {exc}"]) from None
    copy = folder / "scenario.toml"
    if copy.exists():
        return copy.read_text(), str(summary.get("provenance", {}).get("source", copy))
    source = summary.get("provenance", {}).get("source")
    if source and Path(source).is_file():
        data = Path(source).read_bytes()
        if sha256_bytes(data) == summary.get("scenario_sha256"):
            return data.decode("utf-8"), source
        return None, f"{source} has changed since the run"
    return None, str(source or "unknown")
