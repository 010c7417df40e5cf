"""Figures of the study reports (matplotlib, Agg backend), in the Okabe-Ito colour-blind-safe
palette. Every axis is labelled with its unit; every figure carries its source line."""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

# Okabe & Ito (2008), "Color Universal Design"; black first for observed data.
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
OBSERVED = "#000000"
SEQUENTIAL = "cividis"  # perceptually uniform and readable with colour-vision deficiency

plt.rcParams.update(
    {
        "figure.dpi": 100,
        "savefig.dpi": 120,
        "font.size": 10,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
    }
)


def thousands(ax, axis: str = "y") -> None:
    def f(v: float, _pos: int) -> str:
        a = abs(v)
        if a >= 1e9:
            return f"{v / 1e9:g} bn"
        if a >= 1e6:
            return f"{v / 1e6:g} m"
        return f"{v:,.0f}" if a >= 10 or v == 0 else f"{v:g}"

    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(FuncFormatter(f))


def save(fig, path: Path, source: str) -> bytes:
    """Add the source line, write the PNG and return its bytes."""
    # Below the axes: bbox_inches="tight" grows the image to hold it.
    fig.text(0.01, -0.01, source, fontsize=7.5, color="#444444", ha="left", va="top")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", pad_inches=0.15)
    plt.close(fig)
    data = buf.getvalue()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data


def quantiles_by_day(daily: pd.DataFrame, column: str, rolling: int = 1) -> pd.DataFrame:
    """Per day: the 2.5, 25, 50, 75 and 97.5 % quantiles of a column across replicates
    (each replicate first smoothed by a trailing `rolling`-day mean)."""
    wide = daily.pivot(index="day", columns="replicate", values=column).astype(float)
    if rolling > 1:
        wide = wide.rolling(rolling, min_periods=rolling).mean()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # days before the first full window
        q = np.nanquantile(wide.to_numpy(), [0.025, 0.25, 0.5, 0.75, 0.975], axis=1)
    return pd.DataFrame(q.T, index=wide.index, columns=["q025", "q25", "q50", "q75", "q975"])


def x_values(days: pd.Index, start: pd.Timestamp | None):
    if start is None:
        return np.asarray(days, dtype=float)
    return start + pd.to_timedelta(np.asarray(days), unit="D")


def date_axis(ax, start: pd.Timestamp | None) -> None:
    if start is not None:
        locator = mdates.AutoDateLocator(maxticks=8)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def smoothing_window(daily: pd.DataFrame) -> int:
    """7 days, or the least multiple of the departure interval from 7 up when departures
    are more than a day apart (a 7-day mean of flights every 2 days would saw-tooth)."""
    rep = daily[daily["replicate"] == daily["replicate"].min()]
    days = rep.loc[rep["removals"] > 0, "day"].to_numpy()
    gaps = np.diff(days)
    if gaps.size >= 3 and gaps.min() == gaps.max() and gaps[0] > 1:
        g = int(gaps[0])
        return g * -(-7 // g)
    return 7


def x_label(start: pd.Timestamp | None) -> str:
    return "Date (end of day)" if start is not None else "Day of the reported horizon (days)"


def band(
    ax,
    x,
    q: pd.DataFrame,
    colour: str,
    label: str,
    inner: bool = True,
    linestyle: Any = "-",
    linewidth: float = 1.6,
) -> None:
    ax.fill_between(x, q["q025"], q["q975"], color=colour, alpha=0.18, linewidth=0)
    if inner:
        ax.fill_between(x, q["q25"], q["q75"], color=colour, alpha=0.32, linewidth=0)
    ax.plot(x, q["q50"], color=colour, linewidth=linewidth, linestyle=linestyle, label=label)


def detained_vs_beds(
    series: Sequence[tuple[str, pd.DataFrame]],
    start: pd.Timestamp | None,
    path: Path,
    source: str,
    title: str,
) -> bytes:
    """Median detained with 50 % and 95 % bands across replicates; beds as a dashed step."""
    fig, ax = plt.subplots(figsize=(9, 4.6), constrained_layout=True)
    for i, (label, daily) in enumerate(series):
        colour = OKABE_ITO[i % len(OKABE_ITO)]
        q = quantiles_by_day(daily, "detained")
        x = x_values(q.index, start)
        band(
            ax,
            x,
            q,
            colour,
            f"{label}: detained (median)" if len(series) > 1 else "detained, median of replicates",
        )
        by_day = daily.groupby("day")["beds"]
        beds = by_day.median()
        if (daily["beds"] >= 0).all():
            what = (
                "beds (median of the replicates' draws)" if (by_day.nunique() > 1).any() else "beds"
            )
            ax.step(
                x,
                beds.to_numpy(),
                where="post",
                color=colour,
                linestyle="--",
                linewidth=1.2,
                label=f"{label}: {what}" if len(series) > 1 else what,
            )
    ax.set_xlabel(x_label(start))
    date_axis(ax, start)
    ax.set_ylabel("People in detention (persons, end of day)")
    ax.set_ylim(bottom=0)
    thousands(ax)
    ax.set_title(title, loc="left", fontsize=11)
    _band_legend(ax)
    return save(fig, path, source)


def _band_legend(ax) -> None:
    from matplotlib.patches import Patch

    handles, labels = ax.get_legend_handles_labels()
    handles += [Patch(color="#777777", alpha=0.45), Patch(color="#777777", alpha=0.18)]
    labels += ["middle 50 % of replicates", "middle 95 % of replicates"]
    ax.legend(handles, labels, fontsize=8, loc="best", frameon=False)


def flows(
    series: Sequence[tuple[str, pd.DataFrame]],
    start: pd.Timestamp | None,
    path: Path,
    source: str,
    title: str,
    window: int = 7,
) -> bytes:
    """Removals and releases (and turned away when any), trailing `window`-day averages of
    each replicate, then quantiles across replicates."""
    cols = [
        ("removals", "Removals"),
        ("releases", "Releases at the end of stay"),
        ("turned_away", "Turned away (no free bed)"),
    ]
    cols = [
        c
        for c in cols
        if c[0] != "turned_away" or any(d["turned_away"].sum() > 0 for _, d in series)
    ]
    fig, axes = plt.subplots(
        1, len(cols), figsize=(4.4 * len(cols), 4.2), sharey=False, constrained_layout=True
    )
    for ax, (col, name) in zip(np.atleast_1d(axes), cols, strict=True):
        for i, (label, daily) in enumerate(series):
            q = quantiles_by_day(daily, col, rolling=window)
            band(ax, x_values(q.index, start), q, OKABE_ITO[i % len(OKABE_ITO)], label)
        ax.set_title(name, loc="left", fontsize=10)
        ax.set_xlabel(x_label(start))
        ax.set_ylabel(f"People per day (persons/day, {window}-day average)")
        ax.set_ylim(bottom=0)
        thousands(ax)
        date_axis(ax, start)
    np.atleast_1d(axes)[0].legend(fontsize=8, frameon=False, loc="best")
    fig.suptitle(title, x=0.01, ha="left", fontsize=11)
    return save(fig, path, source)


def observed_vs_model(
    observed: pd.DataFrame,
    models: Sequence[tuple[str, pd.DataFrame]],
    start: pd.Timestamp,
    path: Path,
    source: str,
) -> bytes:
    """ICE's monthly ADP and book-ins per day beside the model's monthly means."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
    for ax, (obs_col, mod_col, ylabel) in zip(
        axes,
        [
            ("adp", "detained", "People in detention (persons; ICE: ADP)"),
            ("book_ins_per_day", "book_ins", "Book-ins per day (persons/day)"),
        ],
        strict=True,
    ):
        ax.plot(
            observed["month"],
            observed[obs_col],
            color=OBSERVED,
            marker="o",
            markersize=2.5,
            linewidth=1.2,
            label="ICE, published (monthly)",
        )
        for i, (label, daily) in enumerate(models):
            d = daily.assign(
                month=(start + pd.to_timedelta(daily["day"], unit="D"))
                .dt.to_period("M")
                .dt.to_timestamp()
            )
            per_rep = d.groupby(["month", "replicate"])[mod_col].mean().unstack()
            q = np.nanquantile(per_rep.to_numpy(dtype=float), [0.025, 0.5, 0.975], axis=1)
            colour = OKABE_ITO[i % len(OKABE_ITO)]
            ax.fill_between(per_rep.index, q[0], q[2], color=colour, alpha=0.2, linewidth=0)
            ax.plot(
                per_rep.index,
                q[1],
                color=colour,
                linewidth=1.6,
                label=f"model: {label} (monthly mean, median and 95 % of replicates)",
            )
        ax.axvline(start, color="#777777", linewidth=0.8, linestyle=":")
        ax.set_xlabel("Month")
        ax.set_ylabel(ylabel)
        ax.set_ylim(bottom=0)
        thousands(ax)
    axes[0].legend(fontsize=7.5, frameon=False, loc="lower left")
    fig.suptitle(
        "ICE's published series (FY2019-FY2024) and the model from day 0 "
        f"({start.date()}, dotted line)",
        x=0.01,
        ha="left",
        fontsize=11,
    )
    return save(fig, path, source)


def differences(diffs: pd.DataFrame, path: Path, source: str) -> bytes:
    """Paired differences from the baseline, in % of the baseline mean."""
    d = diffs.dropna(subset=["diff_pct"])
    d = d[d["diff_pct"].abs() < 1e6]
    scen = list(dict.fromkeys(d["scenario"]))
    metrics = list(dict.fromkeys(d["metric"]))
    fig, ax = plt.subplots(
        figsize=(9, 0.45 * len(metrics) * max(1, len(scen)) + 1.6), constrained_layout=True
    )
    height = 0.8 / max(1, len(scen))
    for i, s in enumerate(scen):
        sd = d[d["scenario"] == s].set_index("metric").reindex(metrics)
        base = sd["diff_mean"] / sd["diff_pct"] * 100
        y = np.arange(len(metrics)) + (i - (len(scen) - 1) / 2) * height
        colour = OKABE_ITO[i % len(OKABE_ITO)]
        lo = sd["diff_lo"] / base * 100
        hi = sd["diff_hi"] / base * 100
        cilo = sd["diff_ci_lo"] / base * 100
        cihi = sd["diff_ci_hi"] / base * 100
        ax.hlines(y, np.minimum(lo, hi), np.maximum(lo, hi), color=colour, linewidth=1, alpha=0.6)
        ax.hlines(y, np.minimum(cilo, cihi), np.maximum(cilo, cihi), color=colour, linewidth=4)
        ax.plot(sd["diff_pct"], y, "o", color=colour, markersize=5, label=s)
    ax.axvline(0, color="#444444", linewidth=0.8)
    ax.set_yticks(np.arange(len(metrics)), metrics)
    ax.invert_yaxis()
    ax.set_xlabel("Difference from the baseline (% of the baseline's mean)")
    ax.set_title(
        "Paired differences (common random numbers): dot = mean, thick = 95 % CI "
        "of the mean,\nthin = 95 % of replicate differences",
        loc="left",
        fontsize=10,
    )
    ax.legend(fontsize=8, frameon=False, loc="best")
    return save(fig, path, source)


def grid_map(
    table: pd.DataFrame,
    x: str,
    y: str | None,
    column: str,
    path: Path,
    source: str,
    title: str,
    label: str,
    vmin: float | None = None,
    vmax: float | None = None,
    percent: bool = False,
) -> bytes:
    """A heatmap over two varied values (or a line over one), cells annotated."""
    if y is None:
        fig, ax = plt.subplots(figsize=(7.5, 4.2), constrained_layout=True)
        t = table.sort_values(x)
        ax.plot(t[x], t[column], "o-", color=OKABE_ITO[0])
        lo, hi = column.replace("_mean", "_lo"), column.replace("_mean", "_hi")
        if column.endswith("_mean") and lo in t and hi in t:
            ax.fill_between(
                t[x],
                t[lo].astype(float),
                t[hi].astype(float),
                color=OKABE_ITO[0],
                alpha=0.2,
                linewidth=0,
                label="95 % of replicates",
            )
            ax.legend(fontsize=8, frameon=False)
        ax.set_xlabel(path_label(x))
        ax.set_ylabel(label)
        if vmin is not None:
            ax.set_ylim(vmin, vmax)
        thousands(ax)
        thousands(ax, "x")
    else:
        wide = table.pivot_table(index=y, columns=x, values=column, aggfunc="first")
        fig, ax = plt.subplots(
            figsize=(1.0 * wide.shape[1] + 3.5, 0.5 * wide.shape[0] + 2.4), constrained_layout=True
        )
        im = ax.imshow(
            wide.to_numpy(dtype=float),
            origin="lower",
            aspect="auto",
            cmap=SEQUENTIAL,
            vmin=vmin,
            vmax=vmax,
        )
        ax.set_xticks(
            range(wide.shape[1]), [f"{v:,.6g}" for v in wide.columns], rotation=45, ha="right"
        )
        ax.set_yticks(range(wide.shape[0]), [f"{v:,.6g}" for v in wide.index])
        ax.set_xlabel(path_label(x))
        ax.set_ylabel(path_label(y))
        ax.grid(False)
        norm = im.norm
        for (r, c), v in np.ndenumerate(wide.to_numpy(dtype=float)):
            if np.isnan(v):
                continue
            text = f"{v:.0%}" if percent else _short(v)
            light = norm(v) < 0.55
            ax.text(
                c,
                r,
                text,
                ha="center",
                va="center",
                fontsize=7.5,
                color="white" if light else "black",
            )
        fig.colorbar(im, ax=ax, label=label)
    ax.set_title(title, loc="left", fontsize=10)
    return save(fig, path, source)


_PATH_UNITS = {
    "beds": "beds",
    "rate_per_day": "persons/day",
    "bed_day": "USD/bed-day",
    "per_book_in": "USD/person",
    "per_departure": "USD/departure",
    "departures_per_day": "departures/day",
    "seats_per_departure": "seats",
    "mean": "days",
    "sd": "days",
    "removal_share": "share",
    "initial_detained": "persons",
    "headcount": "officers",
}


def path_label(path: str) -> str:
    """A varied value's dotted path with its unit, for an axis."""
    u = _PATH_UNITS.get(path.rsplit(".", 1)[-1])
    return f"{path} ({u})" if u else path


def _short(v: float) -> str:
    a = abs(v)
    if a >= 1e9:
        return f"{v / 1e9:.2f}bn"
    if a >= 1e6:
        return f"{v / 1e6:.1f}m"
    if a >= 1e4:
        return f"{v / 1e3:.0f}k"
    return f"{v:,.0f}" if a >= 10 else f"{v:.2g}"


def sobol_bars(
    indices: pd.DataFrame,
    path: Path,
    source: str,
    n: int,
    runs: int,
    floors: dict[str, float | None] | None = None,
) -> bytes:
    """S1 and ST per input, one panel per metric; a dashed line at each metric's noise floor
    where there is one (an index left of it cannot be told from process noise)."""
    metrics = list(dict.fromkeys(indices["metric"]))
    inputs = list(dict.fromkeys(indices["input"]))
    fig, axes = plt.subplots(
        1,
        len(metrics),
        figsize=(5.2 * len(metrics), 0.55 * len(inputs) + 2.0),
        sharey=True,
        constrained_layout=True,
        squeeze=False,
    )
    for ax, m in zip(axes[0], metrics, strict=True):
        d = indices[indices["metric"] == m].set_index("input").reindex(inputs)
        y = np.arange(len(inputs))
        for k, (col, name, colour) in enumerate(
            [("S1", "first-order S1", OKABE_ITO[0]), ("ST", "total ST", OKABE_ITO[1])]
        ):
            ax.barh(
                y + (k - 0.5) * 0.38,
                d[col],
                height=0.36,
                color=colour,
                label=name,
                xerr=d[f"{col}_conf"],
                error_kw={"elinewidth": 1, "capsize": 2, "ecolor": "#333333"},
            )
        ax.set_yticks(y, inputs)
        ax.invert_yaxis()
        ax.axvline(0, color="#444444", linewidth=0.8)
        floor = (floors or {}).get(m)
        if floor is not None:
            ax.axvline(floor, color="#444444", linewidth=1.0, linestyle="--", label="noise floor")
        ax.set_xlabel("Sobol index (share of output variance, dimensionless)")
        ax.set_title(m, loc="left", fontsize=10)
    axes[0][0].legend(fontsize=8, frameon=False, loc="lower right")
    fig.suptitle(
        f"Sobol indices with 95 % bootstrap intervals (N = {n}, {runs} runs)",
        x=0.01,
        ha="left",
        fontsize=11,
    )
    return save(fig, path, source)
