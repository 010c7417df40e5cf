"""The model against what happened, drawn: three panels (ICE-arrest book-ins, detained,
removals), each month's model band over replicates, the central run and ICE's points; and the
sentence that says where the model misses."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from markupsafe import Markup

from ..analyses.against_ice import AgainstIce
from . import figures as F

ICE_SERIES_SOURCE = (
    "ICE: FY2025 detention statistics workbook (data store, monthly_rates; September 2025 "
    "covers 1-20 Sep, rates per covered day)"
)
# panel -> (series drawn in it with their colour, y label)
PANELS = (
    ("ICE-arrest book-ins", (("ice_book_ins", F.OKABE_ITO[0]),), "book-ins (persons/day)"),
    (
        "Detained",
        (
            ("detained", F.OKABE_ITO[0]),
            ("detained_ice", F.OKABE_ITO[1]),
            ("detained_cbp", F.OKABE_ITO[2]),
        ),
        "detained / ADP (persons)",
    ),
    ("Removals out of detention", (("removals", F.OKABE_ITO[0]),), "persons/day"),
)
LABEL = {
    "ice_book_ins": "ICE arrests",
    "detained": "all",
    "detained_ice": "ICE arrests",
    "detained_cbp": "CBP arrests",
    "removals": "vs Release to Remove",
}


def figure(comp: AgainstIce, path: Path, source: str) -> bytes:
    """The three panels; `source` names the data file and the scenario (the footer)."""
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.2))
    x = pd.to_datetime([f"{m}-15" for m in comp.months])
    for ax, (title, series, ylabel) in zip(axes, PANELS, strict=True):
        for name, colour in series:
            t = comp.table[comp.table["series"] == name]
            if t.empty:
                continue
            label = LABEL[name]
            ax.fill_between(x, t["p10"], t["p90"], color=colour, alpha=0.25, lw=0)
            ax.plot(x, t["central"], color=colour, lw=1.8, label=f"model, {label}")
            ax.plot(x, t["ice"], "o", color=colour, mec=F.OBSERVED, mew=1.2, ms=6)
        ax.set_title(title)
        ax.set_ylabel(ylabel)
        ax.set_ylim(bottom=0)
        F.thousands(ax)
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %y"))
        ax.tick_params(axis="x", labelrotation=45)
        if len(series) > 1:
            ax.legend(fontsize=8, loc="best")
    axes[0].plot([], [], "o", color="white", mec=F.OBSERVED, label="ICE")
    axes[0].fill_between([], [], [], color=F.OKABE_ITO[0], alpha=0.25, label="model p10-p90")
    axes[0].legend(fontsize=8, loc="best")
    fig.suptitle(f"The model against what happened, FY{comp.fiscal_year} by month", y=1.02)
    return F.save(fig, path, textwrap.fill(source, 190))


def footer(comp: AgainstIce, data_file: str, scenario: str, model: str) -> str:
    """The figure's source line: data file, scenario, model run and ICE's series."""
    return (
        f"Data: {data_file}. Scenario: {scenario}. Model: {model}; line: {comp.central}; band: "
        f"{comp.band}. Points: {ICE_SERIES_SOURCE}."
    )


def where_it_misses(comp: AgainstIce) -> str:
    """One honest sentence: the series the model misses most and least, with the sign."""
    m = comp.mape.set_index("series")["mape_central_pct"]
    worst, best = m.idxmax(), m.idxmin()
    t = comp.table
    sign = np.sign(t[t["series"] == worst]["error_central_pct"]).mean()
    side = "below" if sign < 0 else "above" if sign > 0 else "on both sides of"
    months = f"{len(comp.months)} month{'s' * (len(comp.months) != 1)}"
    return (
        f"Over the {months} compared, the central run misses ICE's series most on "
        f"{worst} (mean absolute error {m[worst]:.0f} %, mostly {side} ICE) and least on "
        f"{best} ({m[best]:.0f} %); the model is a scenario of the goal, not a fit to these "
        "months, so a large error says how far the scenario's assumptions are from what "
        "happened."
    )


# --- the flagship report's section -------------------------------------------------------------


def flagship_section(st: Any, T: Any, noise_only: str) -> Markup:
    """'The model against what happened' for the flagship's main scenario: its saved run
    (band over replicates) and its process-noise-only run (the central run: the same seed and
    replicates without [uncertainty]), FY2025 month by month against ICE's series. `st` is the
    report's Study."""
    from ..analyses.against_ice import compare, model_daily
    from ..data import DataError, comparison_series

    try:
        observed = comparison_series(2025)
    except DataError as exc:  # the data store is optional for a report
        return T.against_ice_unavailable(str(exc))
    main = st.main
    sources = st.rs.raw(main).get("arrests", {}).get("sources", {})
    kinds = {n: s["kind"] for n, s in sources.items()}

    def series(label: str) -> tuple[pd.DataFrame, dict[str, str]]:
        tables = {}
        for t in ("daily", "daily_arrests", "daily_streams"):
            try:
                tables[t] = st.rs.daily(label, t)
            except FileNotFoundError:  # a run without arrests or streams has no such table
                continue
        return model_daily(tables, kinds)

    model, missing = series(main)
    central, _ = series(noise_only)
    try:
        comp = compare(
            model,
            st.start.date(),
            observed,
            fiscal_year=2025,
            central=central,
            central_kind="central run (every [uncertainty] input at the file's value), mean "
            "of replicates",
            missing=missing,
        )
    except ValueError as exc:
        return T.against_ice_unavailable(str(exc))
    data_file = f"runs/{main}/daily*.parquet, runs/{noise_only}/daily*.parquet"
    model = st.runs_source.removeprefix("Model: ")
    src = footer(comp, data_file, f"scenarios/library/{main}.toml", model)
    png = figure(comp, st.page.fig_path("against_ice.png"), src)
    rows = [
        [
            r.series,
            r.month,
            r.days,
            f"{r.ice:,.0f}",
            f"{r.central:,.0f}",
            f"{r.median:,.0f} [{r.p10:,.0f}, {r.p90:,.0f}]",
            f"{r.error_central_pct:+.0f} %",
            f"{r.error_median_pct:+.0f} %",
        ]
        for r in comp.table.itertuples()
    ]
    errors = [
        [r.series, r.months, f"{r.mape_central_pct:.0f} %", f"{r.mape_median_pct:.0f} %"]
        for r in comp.mape.itertuples()
    ]
    return T.against_ice(
        st.figure("against_ice.png", png),
        comp.describe(),
        rows,
        errors,
        where_it_misses(comp),
        [f"{s}: {why}" for s, why in comp.missing.items()],
        src,
    )
