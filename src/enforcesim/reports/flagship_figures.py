"""Figures of the flagship report. Same conventions as figures.py: Okabe-Ito colours (one
per scenario, the same in every figure), black for ICE's published data, every axis labelled
with its unit, the source line under each figure, bands = middle 50 % and 95 % of
replicates around the median."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from . import figures as F

GOAL = "#444444"


def wrap(source: str, width: int = 170) -> str:
    """A source line broken to the width of a figure (one long line would widen the PNG)."""
    return textwrap.fill(source, width)


def _below(ax, handles: list, labels: list, ncol: int = 3) -> None:
    """The legend under the axes, where it cannot hide a line."""
    ax.legend(
        handles,
        labels,
        fontsize=7.5,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.14),
        ncol=ncol,
        frameon=False,
    )


def _bands_legend(ax, loc: str = "below", extra: Sequence[tuple] = (), ncol: int = 3) -> None:
    handles, labels = ax.get_legend_handles_labels()
    for h, lab in extra:
        handles.append(h)
        labels.append(lab)
    handles += [Patch(color="#777777", alpha=0.45), Patch(color="#777777", alpha=0.18)]
    labels += ["middle 50 % of replicates", "middle 95 % of replicates"]
    if loc == "below":
        _below(ax, handles, labels, ncol)
    else:
        ax.legend(
            handles, labels, fontsize=7.5, loc=loc, frameon=True, framealpha=0.9, edgecolor="none"
        )


def _smoothed_quantiles(daily: pd.DataFrame, column: str, window: int) -> pd.DataFrame:
    return F.quantiles_by_day(daily, column, rolling=window)


def time_bands(
    series: Sequence[tuple[str, str, pd.DataFrame]],
    column: str,
    start: pd.Timestamp,
    path: Path,
    source: str,
    title: str,
    ylabel: str,
    goal: tuple[float, str] | None = None,
    window: int = 7,
    observed: tuple[float, str] | None = None,
) -> bytes:
    """One panel: each scenario's `column` per day (trailing `window`-day mean of each
    replicate; median and bands across replicates), a goal line and an observed level."""
    fig, ax = plt.subplots(figsize=(9.5, 4.8), constrained_layout=True)
    # Scenarios can coincide for a while (a hiring ramp starts late): wide solid lines first,
    # then thinner dash patterns, so that a median drawn over another stays visible.
    styles = ["-", (0, (6, 2)), (0, (3, 1, 1, 1)), (0, (1, 1))]
    for i, (label, colour, daily) in enumerate(series):
        q = _smoothed_quantiles(daily, column, window)
        F.band(
            ax,
            F.x_values(q.index, start),
            q,
            colour,
            label,
            linestyle=styles[i % len(styles)],
            linewidth=max(2.6 - 0.5 * i, 1.1),
        )
    extra = []
    if goal is not None:
        ax.axhline(goal[0], color=GOAL, linestyle="--", linewidth=1.2)
        extra.append((Line2D([], [], color=GOAL, linestyle="--"), goal[1]))
    if observed is not None:
        ax.axhline(observed[0], color=F.OBSERVED, linestyle=":", linewidth=1.2)
        extra.append((Line2D([], [], color=F.OBSERVED, linestyle=":"), observed[1]))
    ax.set_xlabel(F.x_label(start))
    F.date_axis(ax, start)
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)
    F.thousands(ax)
    ax.set_title(title, loc="left", fontsize=11)
    _bands_legend(ax, "below", extra)
    return F.save(fig, path, wrap(source))


def removals_releases(
    series: Sequence[tuple[str, str, pd.DataFrame]],
    start: pd.Timestamp,
    path: Path,
    source: str,
    goal: float,
    window: int,
) -> bytes:
    fig, axes = plt.subplots(1, 2, figsize=(11.5, 4.6), constrained_layout=True)
    for ax, (col, name) in zip(
        axes,
        [("removals", "Removals (from detention)"), ("releases", "Releases at the end of stay")],
        strict=True,
    ):
        for label, colour, daily in series:
            q = _smoothed_quantiles(daily, col, window)
            F.band(ax, F.x_values(q.index, start), q, colour, label)
        extra = []
        if col == "removals":
            ax.axhline(goal, color=GOAL, linestyle="--", linewidth=1.2)
            extra.append(
                (
                    Line2D([], [], color=GOAL, linestyle="--"),
                    f"goal: {goal:,.0f}/day = 1,000,000 a year",
                )
            )
        ax.set_title(name, loc="left", fontsize=10)
        ax.set_xlabel(F.x_label(start))
        F.date_axis(ax, start)
        ax.set_ylabel(f"People per day (persons/day, {window}-day average)")
        ax.set_ylim(bottom=0)
        F.thousands(ax)
        if col == "removals":
            _bands_legend(ax, "below", extra, ncol=2)
        else:
            _bands_legend(ax, "below", ncol=2)
    return F.save(fig, path, wrap(source))


def binding_over_time(
    arrests: pd.DataFrame,
    daily: pd.DataFrame,
    start: pd.Timestamp,
    path: Path,
    source: str,
    window: int = 7,
) -> bytes:
    """Top: ICE arrest attempts per day split into made and foregone by cause (officers,
    beds, pool), median over replicates of 7-day means, stacked. Bottom: share of
    replicates in which beds / seats bind on each day (7-day mean)."""
    fig, (top, bottom) = plt.subplots(
        2,
        1,
        figsize=(11.5, 6.6),
        sharex=True,
        gridspec_kw={"height_ratios": [2.2, 1]},
        constrained_layout=True,
    )
    parts = [
        ("made", "made", F.OKABE_ITO[2]),
        ("foregone_officers", "foregone: no officer-hours left", F.OKABE_ITO[3]),
        ("foregone_beds", "foregone: no free bed", F.OKABE_ITO[0]),
        ("foregone_pool", "foregone: pool of eligible people empty", F.OKABE_ITO[4]),
    ]
    per_day = arrests.groupby(["replicate", "day"])[[p[0] for p in parts]].sum().reset_index()
    stacks = []
    for col, _name, _c in parts:
        q = _smoothed_quantiles(per_day, col, window)["q50"]
        stacks.append(q.to_numpy())
    x = F.x_values(q.index, start)
    top.stackplot(
        x,
        *stacks,
        colors=[p[2] for p in parts],
        labels=[p[1] for p in parts],
        alpha=0.85,
        linewidth=0,
    )
    top.set_ylabel(f"ICE arrests attempted\n(arrests/day, {window}-day average)")
    top.set_ylim(bottom=0)
    F.thousands(top)
    top.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    top.set_title(
        "Attempted ICE arrests: made, or foregone and why (median of replicates)",
        loc="left",
        fontsize=10,
    )
    for col, name, colour in [
        ("binding_beds", "beds full at some time in the day", F.OKABE_ITO[0]),
        ("binding_seats", "a departure left full with people waiting", F.OKABE_ITO[1]),
        ("binding_officers", "officer-hours used up (attempts foregone)", F.OKABE_ITO[3]),
        ("binding_pool", "a pool empty (attempts foregone)", F.OKABE_ITO[4]),
    ]:
        if col not in daily:
            continue
        share = (
            daily.pivot(index="day", columns="replicate", values=col)
            .astype(float)
            .mean(axis=1)
            .rolling(window, min_periods=1)
            .mean()
        )
        bottom.plot(
            F.x_values(share.index, start),
            share.to_numpy(),
            color=colour,
            linewidth=1.6,
            label=name,
        )
    bottom.set_ylim(-0.02, 1.02)
    bottom.set_ylabel("Share of replicates\nbinding (7-day mean)")
    bottom.set_xlabel(F.x_label(start))
    F.date_axis(bottom, start)
    bottom.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    bottom.set_title("How often each constraint binds", loc="left", fontsize=10)
    return F.save(fig, path, wrap(source))


COMPONENT_NAMES = {
    "beds": "beds (per-diem)",
    "overhead": "detention overhead",
    "officer_hours": "officer time",
    "departures": "removal transport",
}


def cost_breakdown(rows: pd.DataFrame, path: Path, source: str) -> bytes:
    """Stacked bars of the all-in cost per removal by component (mean over replicates),
    one bar per scenario, with the 95 % replicate range of the total."""
    comps = [c for c in rows.columns if c not in ("scenario", "total", "lo", "hi")]
    fig, ax = plt.subplots(figsize=(9.5, 0.55 * len(rows) + 2.0), constrained_layout=True)
    y = np.arange(len(rows))
    left = np.zeros(len(rows))
    for i, c in enumerate(comps):
        v = rows[c].to_numpy(dtype=float)
        ax.barh(
            y,
            v,
            left=left,
            color=F.OKABE_ITO[i % len(F.OKABE_ITO)],
            height=0.6,
            label=COMPONENT_NAMES.get(c, c),
        )
        left += v
    ax.errorbar(
        rows["total"],
        y,
        xerr=[rows["total"] - rows["lo"], rows["hi"] - rows["total"]],
        fmt="none",
        ecolor="#000000",
        elinewidth=1.1,
        capsize=3,
        label="total: 95 % of replicates",
    )
    ax.set_yticks(y, rows["scenario"])
    ax.invert_yaxis()
    ax.set_xlabel("All-in cost per removal (USD per person removed)")
    F.thousands(ax, "x")
    handles, labels = ax.get_legend_handles_labels()
    _below(ax, handles, labels, ncol=3)
    ax.set_title("Cost per removal by component (mean over replicates)", loc="left", fontsize=11)
    return F.save(fig, path, wrap(source))


def intervals_explained(
    noise: pd.DataFrame,
    full: pd.DataFrame,
    column: str,
    start: pd.Timestamp,
    path: Path,
    source: str,
    ylabel: str,
    window: int = 7,
) -> bytes:
    """Left: the central run (process noise only); right: the full run, with the central
    run's median dashed over it. Each panel has its own y scale: the two spreads differ by
    an order of magnitude, and a shared scale would flatten one of them (or, fixed by the
    first panel, leave the second empty)."""
    fig, axes = plt.subplots(1, 2, figsize=(11.5, 4.4), sharey=False, constrained_layout=True)
    central = _smoothed_quantiles(noise, column, window)
    for ax, (daily, title, colour) in zip(
        axes,
        [
            (noise, "Process noise only (the central run: file's values)", F.OKABE_ITO[5]),
            (full, "Process noise + parameter uncertainty ([uncertainty] drawn)", F.OKABE_ITO[0]),
        ],
        strict=True,
    ):
        q = _smoothed_quantiles(daily, column, window)
        F.band(ax, F.x_values(q.index, start), q, colour, "median of replicates")
        ax.set_title(title, loc="left", fontsize=10)
        ax.set_xlabel(F.x_label(start))
        F.date_axis(ax, start)
        F.thousands(ax)
    axes[1].plot(
        F.x_values(central.index, start),
        central["q50"],
        color=F.OKABE_ITO[5],
        linestyle="--",
        linewidth=1.4,
        label="central run (median)",
    )
    for ax in axes:
        ax.relim()
        ax.autoscale(axis="y")
        ax.set_ylim(bottom=0)
        ax.set_ylabel(ylabel)
        _bands_legend(ax, "below", ncol=2)
    return F.save(fig, path, wrap(source))


def history(
    fy: pd.DataFrame,
    monthly: pd.DataFrame,
    arrests_fy: dict[int, float],
    model: dict[str, pd.DataFrame],
    start: pd.Timestamp,
    goals: dict[str, float],
    path: Path,
    source: str,
) -> bytes:
    """Left: flows per day - ICE's monthly book-ins, yearly removals and arrests (black),
    the model's monthly ICE arrests and removals (colour, median and 95 %), the goals
    (dashed). Right: ICE's monthly ADP and the model's detained against the bed goals."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8), constrained_layout=True)
    left.plot(
        monthly["month"],
        monthly["book_ins_per_day"],
        color=F.OBSERVED,
        linewidth=1.0,
        label="ICE book-ins per day (monthly)",
    )
    mid = pd.to_datetime(fy["fiscal_year"].astype(str) + "-04-01")
    days = (
        pd.to_datetime(fy["data_through"])
        - pd.to_datetime((fy["fiscal_year"] - 1).astype(str) + "-10-01")
    ).dt.days + 1
    left.plot(
        mid,
        fy["removals"] / days,
        "s",
        color=F.OBSERVED,
        markersize=5,
        label="ICE removals per day (fiscal year)",
    )
    ay = sorted(arrests_fy)
    left.plot(
        pd.to_datetime([f"{y}-04-01" for y in ay]),
        [arrests_fy[y] / (366 if y % 4 == 0 else 365) for y in ay],
        "^",
        color=F.OBSERVED,
        markerfacecolor="white",
        markersize=6,
        label="ICE administrative arrests per day (fiscal year)",
    )
    for col, colour, name in [
        ("ice_arrests", F.OKABE_ITO[0], "model: ICE arrests per day"),
        ("removals", F.OKABE_ITO[1], "model: removals per day"),
    ]:
        d = model.get(col)
        if d is None:
            continue
        q = _monthly(d, col, start)
        left.fill_between(q.index, q["lo"], q["hi"], color=colour, alpha=0.25, linewidth=0)
        left.plot(q.index, q["mid"], color=colour, linewidth=1.6, label=name)
    left.axhline(
        goals["arrests"],
        color=F.OKABE_ITO[0],
        linestyle="--",
        linewidth=1.1,
        label="goal: 3,000 ICE arrests/day (May 2025)",
    )
    left.axhline(
        goals["removals"],
        color=F.OKABE_ITO[1],
        linestyle="--",
        linewidth=1.1,
        label="goal: 2,740 removals/day (1M a year)",
    )
    left.set_ylabel("People per day (persons/day)")
    left.set_title("Arrests, book-ins and removals", loc="left", fontsize=10)
    right.plot(
        monthly["month"],
        monthly["adp"],
        color=F.OBSERVED,
        linewidth=1.2,
        label="ICE average daily population (monthly)",
    )
    d = model.get("detained")
    if d is not None:
        q = _monthly(d, "detained", start)
        right.fill_between(q.index, q["lo"], q["hi"], color=F.OKABE_ITO[2], alpha=0.25, linewidth=0)
        right.plot(
            q.index,
            q["mid"],
            color=F.OKABE_ITO[2],
            linewidth=1.6,
            label="model: detained (monthly mean)",
        )
    for beds, style in [(41_500, ":"), (50_000, "-."), (100_000, "--")]:
        right.axhline(
            beds,
            color=GOAL,
            linestyle=style,
            linewidth=1.0,
            label=f"{beds:,} beds"
            + (" (funded before the 2025 law)" if beds == 41_500 else " (goal)"),
        )
    right.set_ylabel("People in detention (persons)")
    right.set_title("Detained population and bed goals", loc="left", fontsize=10)
    for ax in (left, right):
        ax.axvline(start, color="#777777", linewidth=0.8, linestyle=":")
        ax.set_xlabel("Date (fiscal-year points drawn at mid-year)")
        ax.set_ylim(bottom=0)
        F.thousands(ax)
        handles, labels = ax.get_legend_handles_labels()
        _below(ax, handles, labels, ncol=2)
    return F.save(fig, path, wrap(source, 190))


def _monthly(daily: pd.DataFrame, column: str, start: pd.Timestamp) -> pd.DataFrame:
    d = daily.assign(
        month=(start + pd.to_timedelta(daily["day"], unit="D")).dt.to_period("M").dt.to_timestamp()
    )
    per_rep = d.groupby(["month", "replicate"])[column].mean().unstack()
    q = np.nanquantile(per_rep.to_numpy(dtype=float), [0.025, 0.5, 0.975], axis=1)
    return pd.DataFrame({"lo": q[0], "mid": q[1], "hi": q[2]}, index=per_rep.index)


def published(table: pd.DataFrame, path: Path, source: str) -> bytes:
    """Removals a year and cost per removal of the published analyses, as published and
    under capacity limits."""
    caps = list(dict.fromkeys(table["capacity"]))
    names = list(dict.fromkeys(table["analysis"]))
    fig, axes = plt.subplots(
        1, 2, figsize=(12, 0.5 * len(caps) * len(names) + 2.2), constrained_layout=True
    )
    h = 0.8 / len(names)
    y = np.arange(len(caps))
    for ax, col, xlabel in [
        (axes[0], "removals_per_year", "Removals a year (persons/year)"),
        (axes[1], "cost_per_removal", "Cost per removal (USD per person removed)"),
    ]:
        for i, n in enumerate(names):
            t = table[table["analysis"] == n].set_index("capacity").reindex(caps)
            ax.barh(
                y + (i - (len(names) - 1) / 2) * h,
                t[col],
                height=h * 0.95,
                color=F.OKABE_ITO[i],
                label=n,
            )
        ax.set_yticks(y, caps)
        ax.invert_yaxis()
        ax.set_xlabel(xlabel)
        F.thousands(ax, "x")
    axes[1].set_yticklabels([])
    axes[0].axvline(1_000_000, color=GOAL, linestyle="--", linewidth=1.0)
    handles, labels = axes[0].get_legend_handles_labels()
    handles.append(Line2D([], [], color=GOAL, linestyle="--"))
    labels.append("1,000,000 a year")
    _below(axes[0], handles, labels, ncol=3)
    axes[0].set_title("Removals the same flows achieve", loc="left", fontsize=10)
    axes[1].set_title("What each removal then costs", loc="left", fontsize=10)
    return F.save(fig, path, wrap(source))
