"""Self-contained HTML reports (figures embedded as base64 PNG, no external assets) of a
result folder (`enforcesim run`), or of a study folder written by compare, sweep, sensitivity
or the flagship study. The PNG figures are also written to `figures/` beside the report. The
words are in the templates (enforcesim/reports/templates); this module computes what they
show."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from markupsafe import Markup

from ..analyses.common import fmt, meaning, unit
from ..errors import StudyError
from . import figures as F
from .flagship import render_flagship
from .grid import render_sensitivity, render_sweep
from .html import Page, table
from .parts import (
    assumptions_table,
    flows_figure,
    ice_section,
    interval,
    load_run,
    number_or_none,
    sections,
)


def render(
    folder: str | Path,
    out: str | Path | None = None,
    *,
    scenario: str | Path | None = None,
    start: str | None = None,
) -> Path:
    """Write report.html (and figures/*.png) for a result or study folder; return its path."""
    folder = Path(folder)
    if not folder.is_dir():
        raise StudyError(
            [
                f"{folder}: not a folder (give a result folder of `run`, or a "
                "folder written by `compare`, `sweep` or `sensitivity`)"
            ]
        )
    target = Path(out) if out is not None else folder
    manifest = folder / "manifest.json"
    if manifest.exists():
        try:
            tool = json.loads(manifest.read_text()).get("tool")
        except json.JSONDecodeError as exc:
            raise StudyError([f"{manifest}: not valid JSON: {exc}"]) from None
        if tool == "compare":
            return render_compare(folder, target, start)
        if tool == "sweep":
            return render_sweep(folder, target)
        if tool == "sensitivity":
            return render_sensitivity(folder, target)
        if tool == "flagship":
            return render_flagship(folder, target)
        raise StudyError(
            [f"{manifest}: unknown tool {tool!r} (compare, sweep, sensitivity, flagship)"]
        )
    return render_run(folder, target, Path(scenario) if scenario else None, start)


def metrics_table(summary: dict[str, Any]) -> Any:
    rows = [
        [m, fmt(iv["mean"], m), fmt(iv["lo"], m), fmt(iv["hi"], m), unit(m), meaning(m)]
        for m, iv in summary["metrics"].items()
    ]
    return table(["metric", "mean", "2.5 %", "97.5 %", "unit", "meaning"], rows, numeric={1, 2, 3})


def targets_html(rows_by: list[tuple[str, dict[str, Any]]]) -> Markup:
    rows = [
        [
            label,
            name,
            fmt(t["target"], name),
            fmt(t["achieved"], name),
            f"{t['probability_met']:.0%}",
            unit(name),
        ]
        for label, summary in rows_by
        for name, t in summary.get("targets", {}).items()
    ]
    headers = ["scenario", "target", "value", "achieved (mean)", "probability met", "unit"]
    return sections().targets(table(headers, rows, numeric={2, 3, 4}))


def provenance_table(summary: dict[str, Any]) -> Any:
    return table(["key", "value"], [[k, v] for k, v in summary.get("provenance", {}).items()])


def _model_source(summary: dict[str, Any]) -> str:
    return (
        f"Model: enforcesim {summary.get('version', '')}, scenario "
        f"'{summary['scenario']}', {summary['replicates']} replicates, seed "
        f"{summary['seed']}; intervals: {summary.get('interval', {}).get('kind', '')}."
    )


def render_run(folder: Path, out: Path, scenario: Path | None, start: str | None) -> Path:
    run = load_run(folder, scenario, start)
    s = run.summary
    T = sections()
    page = Page(f"enforcesim report: {s['scenario']}", out)
    kind = s.get("interval", {}).get("kind", "")
    days = int(run.daily["day"].max()) + 1 if len(run.daily) else 0
    page.section(
        "Summary",
        T.run_summary(
            s["scenario"],
            run.origin,
            days,
            None if run.start is None else run.start.date(),
            s["replicates"],
            s["seed"],
            kind,
        ),
    )
    page.section("Key metrics", T.run_metrics(metrics_table(s)))
    page.section("Targets", targets_html([(s["scenario"], s)]))
    src = _model_source(s)
    series = [(s["scenario"], run.daily)]
    data = F.detained_vs_beds(
        series,
        run.start,
        page.fig_path("detained_vs_beds.png"),
        src,
        "People in detention and beds",
    )
    page.section(
        "Detained population and beds",
        T.detained_vs_beds(page.figure("detained_vs_beds.png", data), src),
    )
    page.section(
        "Removals and releases over time",
        flows_figure(page, series, run.start, src, "Removals and releases"),
    )
    page.section(
        "ICE's published statistics", ice_section(page, [(s["scenario"], run.daily, s, run.start)])
    )
    params = s.get("parameters", {})
    drawn = None
    if params:
        drawn = table(
            ["value", "mean of draws", "2.5 %", "97.5 %"],
            [[p, fmt(iv["mean"]), fmt(iv["lo"]), fmt(iv["hi"])] for p, iv in params.items()],
            numeric={1, 2, 3},
        )
    page.section(
        "Assumptions and sources",
        T.run_assumptions(run.origin, run.text, assumptions_table(run.text), drawn),
    )
    page.section("How to read the intervals", T.intervals(kind))
    page.section("Provenance", T.provenance([provenance_table(s)]))
    return page.write()


def render_compare(folder: Path, out: Path, start: str | None) -> Path:
    from ..analyses.compare import read_comparison

    c = read_comparison(folder)
    man, comparison, diffs = c["manifest"], c["table"], c["differences"]
    labels = [s["label"] for s in man["scenarios"]]
    runs = {s["label"]: load_run(folder / s["run"], None, start) for s in man["scenarios"]}
    T = sections()
    page = Page("enforcesim comparison: " + " vs ".join(labels), out)
    files = table(
        ["label", "name", "file", "SHA-256 (start)"],
        [[s["label"], s["name"], s["source"], s["scenario_sha256"][:12]] for s in man["scenarios"]],
    )
    page.section(
        "Scenarios compared",
        T.compare_scenarios(
            len(labels),
            man["seed"],
            man["replicates"],
            man["baseline"],
            files,
            man.get("notes", []),
        ),
    )
    wide = []
    for m in dict.fromkeys(comparison["metric"]):
        cells = []
        for lab in labels:
            r = comparison[(comparison["metric"] == m) & (comparison["scenario"] == lab)].iloc[0]
            iv = {k: number_or_none(r[k]) for k in ("mean", "lo", "hi")}
            cells.append(interval(iv, m))
        wide.append([m, *cells, unit(m)])
    page.section(
        "Key metrics",
        T.compare_metrics(
            table(["metric", *labels, "unit"], wide, numeric=range(1, len(labels) + 1))
        ),
    )
    if len(labels) > 1:
        rows = []
        for r in diffs.itertuples():
            m = r.metric
            rows.append(
                [
                    m,
                    r.scenario,
                    fmt(number_or_none(r.diff_mean), m),
                    f"[{fmt(number_or_none(r.diff_ci_lo), m)}, "
                    f"{fmt(number_or_none(r.diff_ci_hi), m)}]",
                    f"[{fmt(number_or_none(r.diff_lo), m)}, {fmt(number_or_none(r.diff_hi), m)}]",
                    "-" if number_or_none(r.diff_pct) is None else f"{r.diff_pct:+.1f} %",
                    r.pairs,
                    unit(m),
                ]
            )
        src = (
            f"Model: enforcesim {man['version']}, {man['replicates']} replicates per "
            f"scenario, seed {man['seed']} (common random numbers)."
        )
        data = F.differences(diffs, page.fig_path("differences.png"), src)
        headers = [
            "metric",
            "scenario",
            "difference (mean)",
            "95 % CI of the mean",
            "replicate range",
            "% of baseline",
            "pairs",
            "unit",
        ]
        page.section(
            "Differences from the baseline",
            T.differences(
                table(headers, rows, numeric={2, 3, 4, 5, 6}),
                page.figure("differences.png", data),
                src,
            ),
        )
    any_start = next((r.start for r in runs.values() if r.start is not None), None)
    series = [(lab, runs[lab].daily) for lab in labels]
    src = (
        f"Model: enforcesim {man['version']}, {man['replicates']} replicates per scenario, "
        f"seed {man['seed']}."
    )
    same_start = any_start if all(r.start == any_start for r in runs.values()) else None
    data = F.detained_vs_beds(
        series,
        same_start,
        page.fig_path("detained_vs_beds.png"),
        src,
        "People in detention and beds, by scenario",
    )
    page.section(
        "Detained population and beds",
        T.detained_vs_beds(page.figure("detained_vs_beds.png", data), src, by_scenario=True),
    )
    page.section(
        "Removals and releases over time",
        flows_figure(page, series, same_start, src, "Removals and releases, by scenario"),
    )
    page.section("Targets", targets_html([(lab, runs[lab].summary) for lab in labels]))
    page.section(
        "ICE's published statistics",
        ice_section(
            page, [(lab, runs[lab].daily, runs[lab].summary, runs[lab].start) for lab in labels]
        ),
    )
    page.section(
        "Assumptions and sources",
        T.assumptions_by_scenario(
            [
                (lab, runs[lab].origin, runs[lab].text, assumptions_table(runs[lab].text))
                for lab in labels
            ]
        ),
    )
    kinds = {runs[lab].summary["interval"]["kind"] for lab in labels}
    page.section("How to read the intervals", T.intervals_by_kind(sorted(kinds)))
    settings = table(
        ["key", "value"], [[k, json.dumps(v)] for k, v in man.items() if k != "scenarios"]
    )
    page.section("Provenance", T.provenance([settings, provenance_table(runs[labels[0]].summary)]))
    return page.write()
