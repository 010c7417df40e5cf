"""What a printed headline number covers, in words: the interval's percentiles and kind, the
central run beside it, one-sided parameter ranges, too few replicates for an interval, a
quick plan, and the bottleneck split part by part.

Everything here reads a summary.json dict, so `run`, `show`, `compare` and the flagship
study print the same words from a fresh run or from a result folder.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ..bottlenecks import alone, gap_to_target
from ..central import MIN_REPLICATES, few_replicates_note, number

QUICK_LABEL = "quick check, not for citation"
SHAPLEY_DOC = 'docs/costs.md, "Shapley credit and interactions"'

Fmt = Callable[[float | None], str]


def has_uncertainty(summary: dict[str, Any]) -> bool:
    return bool(summary.get("interval", {}).get("parameters")) or "central" in summary


def coverage(summary: dict[str, Any]) -> str:
    """What one run's intervals cover: percentiles, replicates and kind."""
    n = summary["replicates"]
    kind = summary.get("interval", {}).get("kind", "")
    return f"2.5th-97.5th percentiles over {n} replicate{'s' if n != 1 else ''}; {kind}"


def one_sided(summary: dict[str, Any]) -> list[str]:
    """The parameters whose file value is at or beyond an end of their range."""
    params = summary.get("interval", {}).get("parameters", {})
    return [p for p, v in params.items() if v.get("one_sided")]


def one_sided_line(summary: dict[str, Any]) -> str | None:
    params = summary.get("interval", {}).get("parameters", {})
    names = one_sided(summary)
    if not names:
        return None
    each = "; ".join(
        f"{p} {number(params[p]['file_value'])} (range {number(params[p]['range'][0])}-"
        f"{number(params[p]['range'][1])}, {params[p]['one_sided']} end)"
        for p in names
    )
    return (
        f"One-sided ranges: the file's value is at an end of the [uncertainty] range of {each}. "
        "Draws move these parameters one way only, so the interval can lie to one side of "
        "the central run."
    )


def few_replicates(summary: dict[str, Any]) -> str | None:
    n = summary["replicates"]
    return few_replicates_note(n) if n < MIN_REPLICATES else None


def interval_notes(summary: dict[str, Any], central_column: bool = True) -> list[str]:
    """The lines printed under a run's table: what the intervals cover, the central run, the
    one-sided ranges and the few-replicates note."""
    lines = [f"Intervals: {coverage(summary)}."]
    if "central" in summary:
        where = " (column 'central')" if central_column else ""
        lines.append(
            f"Central run{where}: the same seed and replicates with every [uncertainty] "
            "parameter at the value the scenario file gives (process noise only)."
        )
    line = one_sided_line(summary)
    if line:
        lines.append(line)
    note = few_replicates(summary)
    if note:
        lines.append(f"Note: {note}.")
    return lines


def central_value(summary: dict[str, Any], metric: str, block: str = "metrics") -> float | None:
    return summary.get("central", {}).get(block, {}).get(metric)


def beside_central(summary: dict[str, Any], metric: str, fmt: Fmt, block: str = "metrics") -> str:
    """The central run's value to print after a mean, or nothing without a central run."""
    v = central_value(summary, metric, block)
    return "" if v is None else f" (central run {fmt(v)})"


def band(
    mean: float | None,
    lo: float | None,
    hi: float | None,
    fmt: Fmt,
    central: float | None = None,
    sep: str = "-",
) -> str:
    """mean [lo-hi], and the central run's value beside it when there is one."""
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "-"
    text = f"{fmt(mean)} [{fmt(lo)}{sep}{fmt(hi)}]"
    if central is not None and not (isinstance(central, float) and math.isnan(central)):
        text += f" (central run {fmt(central)})"
    return text


def quick(line: str, is_quick: bool) -> str:
    return f"[{QUICK_LABEL}] {line}" if is_quick else line


# --- bottlenecks -------------------------------------------------------------------------------


def bottleneck_lines(block: dict[str, Any], fmt: Fmt, unit: str = "") -> list[str]:
    """One line per target: the gap to the target as the sum of its parts (each constraint's
    Shapley value and what lies beyond every constraint), with what relaxing each constraint
    alone changes; then one line pointing to why those can differ."""
    lines = []
    for name, entry in block.get("targets", {}).items():
        solo = alone(entry)
        gap = gap_to_target(entry)
        if gap is not None:
            parts = gap["parts"]
            beyond = parts["beyond_constraints"]
            split = " + ".join(
                f"{c} {fmt(v)}{unit}" for c, v in parts.items() if c != "beyond_constraints"
            )
            head = (
                f"bottlenecks of {name}: target {fmt(entry['target'])} - achieved "
                f"{fmt(entry['achieved']['mean'])} = {fmt(gap['total'])}{unit} = {split} "
                f"(Shapley) + beyond every constraint {fmt(beyond)}{unit}"
                + (" (relaxing every constraint overshoots the target)" if beyond < 0 else "")
            )
        else:
            short = entry["shortfall_from_constraints"]["mean"]
            split = " + ".join(f"{c} {fmt(v['mean'])}{unit}" for c, v in entry["shapley"].items())
            head = f"bottlenecks of {name}: shortfall {fmt(short)}{unit} = {split} (Shapley)"
        if solo:
            head += "; relaxing one alone: " + ", ".join(
                f"{c} {'+' if v >= 0 else ''}{fmt(v)}" for c, v in solo.items()
            )
        lines.append(head)
    if lines:
        lines.append(
            "A constraint that changes little when relaxed alone can earn Shapley credit "
            f"through its interaction with others (one may matter only once another is relaxed): "
            f"{SHAPLEY_DOC}."
        )
    return lines


def compare_notes(labels: list[str], summaries: list[dict[str, Any]]) -> list[str]:
    """The lines printed under a comparison's table (the scenarios share seed and
    replicates)."""
    n = summaries[0]["replicates"]
    kinds = "; ".join(sorted({s.get("interval", {}).get("kind", "") for s in summaries}))
    lines = [
        f"Intervals [2.5 %, 97.5 %]: 2.5th-97.5th percentiles over {n} "
        f"replicate{'s' if n != 1 else ''}; {kinds}."
    ]
    if any("central" in s for s in summaries):
        lines.append(
            "Central run (under the interval, for scenarios with [uncertainty]): the same seed and "
            "replicates with every [uncertainty] parameter at the value the scenario file "
            "gives (process noise only)."
        )
    by_line: dict[str, list[str]] = {}
    for label, s in zip(labels, summaries, strict=True):
        line = one_sided_line(s)
        if line:
            by_line.setdefault(line, []).append(label)
    lines += [f"{', '.join(labs)}: {line}" for line, labs in by_line.items()]
    note = few_replicates(summaries[0])
    if note:
        lines.append(f"Note: {note}.")
    return lines
