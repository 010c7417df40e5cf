"""Self-contained HTML reports (figures embedded as base64 PNG, no external assets) of a
result folder (`enforcesim run`), or of a study folder written by compare, sweep or
sensitivity. The PNG figures are also written to `figures/` beside the report."""

from __future__ import annotations

import base64
import html
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .. import __version__
from ..files import write_atomic
from . import figures as F
from .common import StudyError, fmt, meaning, sha256_bytes, unit

ICE_SOURCE = (
    "ICE detention statistics workbooks FY2019-FY2024 (public domain; enforcesim "
    "data store, tables fiscal_years and monthly)"
)

INTERVALS_PROCESS = (
    "The intervals show <b>process noise only</b>: the scenario has no [uncertainty] section, "
    "so every replicate uses the same parameter values and differs only by chance (who "
    "arrives when, how long each stay lasts). They do not say how uncertain the inputs are; a "
    "real forecast is less certain than these intervals suggest."
)
INTERVALS_PARAMETER = (
    "The intervals show <b>process noise and parameter uncertainty</b>: each replicate draws "
    "its own values of the inputs listed under [uncertainty] (see the assumptions) and then "
    "runs with chance events of its own. They do not cover uncertainty about the model's "
    "structure or about inputs held fixed."
)
INTERVALS_COMMON = (
    "Numbers are the mean over replicates with the 2.5th-97.5th percentile range over "
    "replicates (where 95 % of replicates fall). Shaded bands in time plots: the darker band "
    "holds the middle 50 % of replicates, the lighter one the middle 95 %, the line is the "
    "median. With few replicates the percentile range is rough."
)


def interval_text(kind: str) -> str:
    body = INTERVALS_PARAMETER if "parameter" in kind else INTERVALS_PROCESS
    return f"<p>{body}</p><p>{INTERVALS_COMMON}</p>"


@dataclass
class Page:
    title: str
    folder: Path
    out: Path
    sections: list[tuple[str, str]] = field(default_factory=list)
    figures: list[Path] = field(default_factory=list)

    def section(self, title: str, body: str) -> None:
        self.sections.append((title, body))

    def figure(self, name: str, data: bytes, caption: str) -> str:
        self.figures.append(self.out / "figures" / name)
        b64 = base64.b64encode(data).decode()
        return (
            f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{b64}">'
            f"<figcaption>{caption}</figcaption></figure>"
        )

    def fig_path(self, name: str) -> Path:
        return self.out / "figures" / name

    def render(self) -> str:
        toc = "".join(
            f'<li><a href="#s{i}">{html.escape(t)}</a></li>'
            for i, (t, _) in enumerate(self.sections)
        )
        body = "".join(
            f'<section id="s{i}"><h2>{html.escape(t)}</h2>{b}</section>'
            for i, (t, b) in enumerate(self.sections)
        )
        return _TEMPLATE.format(
            title=html.escape(self.title), toc=toc, body=body, version=__version__
        )


_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 1100px;
       margin: 2em auto; padding: 0 1em; color: #1a1a1a; line-height: 1.45; }}
h1 {{ font-size: 1.6em; }} h2 {{ border-bottom: 1px solid #ccc; margin-top: 2em; }}
table {{ border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; }}
th, td {{ border: 1px solid #ddd; padding: 0.25em 0.6em; vertical-align: top; }}
th {{ background: #f3f3f3; text-align: left; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }}
figure {{ margin: 1em 0; }} img {{ max-width: 100%; }}
figcaption {{ font-size: 0.85em; color: #444; }}
pre {{ background: #f7f7f7; padding: 0.8em; overflow-x: auto; font-size: 0.82em; }}
.note {{ color: #555; font-size: 0.9em; }}
</style></head>
<body>
<h1>{title}</h1>
<p class="note">enforcesim {version}: aggregate public statistics only; a capacity and cost
analysis, not an operations tool.</p>
<nav><ol>{toc}</ol></nav>
{body}
</body></html>
"""


def _table(headers: list[str], rows: list[list[Any]], numeric: set[int] | None = None) -> str:
    numeric = numeric or set()
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    out = []
    for r in rows:
        cells = "".join(
            f'<td class="num">{html.escape(str(c))}</td>'
            if j in numeric
            else f"<td>{html.escape(str(c))}</td>"
            for j, c in enumerate(r)
        )
        out.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(out)}</tbody></table>"


def _iv(iv: dict[str, Any] | None, metric: str) -> str:
    if not iv or iv.get("mean") is None:
        return "-"
    return f"{fmt(iv['mean'], metric)} [{fmt(iv['lo'], metric)}, {fmt(iv['hi'], metric)}]"


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


def assumptions(text: str) -> list[tuple[str, str, str]]:
    """(key, value, comment) for each value of a scenario file, with its comments; the
    header comment comes first under the key '(file header)'."""
    rows: list[list[str]] = []
    header: list[str] = []
    section = ""
    seen_value = False
    for line in text.splitlines():
        s = line.strip()
        if not s:
            continue
        if s.startswith("#"):
            c = s.lstrip("#").strip()
            if not seen_value:
                header.append(c)
            elif rows and line.startswith((" ", "\t")):
                rows[-1][2] += " " + c
            else:
                rows.append([f"[{section}]", "", c])
            continue
        seen_value = True
        code, _, comment = _split_comment(s)
        if code.startswith("[") and "=" not in code:
            section = code.strip("[]").strip()
            if comment:
                rows.append([f"[{section}]", "", comment])
            continue
        if "=" in code and not code.startswith(("{", "]")):
            key, _, value = code.partition("=")
            rows.append(
                [f"{section}.{key.strip()}" if section else key.strip(), value.strip(), comment]
            )
        elif rows:
            rows[-1][1] += " " + code
            if comment:
                rows[-1][2] += (" " if rows[-1][2] else "") + comment
    out = [("(file header)", "", " ".join(header))] if header else []
    return out + [(k, v, c) for k, v, c in rows]


def _split_comment(line: str) -> tuple[str, str, str]:
    in_str = False
    for i, ch in enumerate(line):
        if ch == '"':
            in_str = not in_str
        elif ch == "#" and not in_str:
            return line[:i].strip(), "#", line[i + 1 :].strip()
    return line, "", ""


def assumptions_html(text: str | None, origin: str) -> str:
    if text is None:
        return (
            f"<p>The scenario file was not found ({html.escape(origin)}); pass it with "
            "<code>--scenario</code> to list its values and sources here.</p>"
        )
    rows = [[k, v, c] for k, v, c in assumptions(text)]
    return (
        f"<p>Every value of the scenario file <code>{html.escape(origin)}</code> with the "
        "comment that dates and sources it (VERIFY marks a secondary source; ASSUMPTION "
        "marks a value that is not a published figure).</p>"
        + _table(["key", "value", "comment (source)"], rows)
        + f"<details><summary>The scenario file as written</summary><pre>"
        f"{html.escape(text)}</pre></details>"
    )


# --- ICE's published statistics --------------------------------------------------------------


def _ice_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    from .. import data

    fy = data.table("fiscal_years")
    monthly = data.table("monthly")
    monthly = monthly.assign(month=pd.to_datetime(monthly["month"]))
    days = monthly["month"].dt.days_in_month
    monthly = monthly.assign(book_ins_per_day=monthly["book_ins"] / days)
    return fy, monthly


def ice_section(
    page: Page, models: list[tuple[str, pd.DataFrame, dict[str, Any], pd.Timestamp | None]]
) -> str:
    """FY table of ICE's statistics beside each model's metrics, and a plot of the monthly
    series beside the model for scenarios anchored to a calendar date."""
    try:
        fy, monthly = _ice_tables()
    except Exception as exc:  # the data store is optional for a report
        return f"<p>ICE's published statistics are not available here: {html.escape(str(exc))}</p>"
    rows = []
    for r in fy.itertuples():
        start = pd.Timestamp(f"{r.fiscal_year - 1}-10-01")
        ndays = (pd.Timestamp(r.data_through) - start).days + 1
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
                _iv(m.get("detained"), "detained"),
                _iv(m.get("length_of_stay_days"), "length_of_stay_days"),
                _iv(m.get("book_ins_per_day"), "book_ins_per_day"),
                _iv(m.get("removals_per_day"), "removals_per_day"),
            ]
        )
    out = (
        "<p>ICE's published yearly figures and the model's metrics over its horizon. ICE's "
        "ADP is the midnight count's average; ALOS is over people booked out; removals "
        "include returns and people never detained, so the model's removals (from "
        "detention only) are not the same quantity.</p>"
        + _table(
            [
                "series",
                "ADP / detained (persons)",
                "ALOS / stay (days)",
                "book-ins (persons/day)",
                "removals (persons/day)",
            ],
            rows,
            numeric={1, 2, 3, 4},
        )
        + f'<p class="note">Source: {ICE_SOURCE}; model rows: mean [2.5 %, 97.5 %] over '
        "replicates.</p>"
    )
    anchored = [(label, daily, start) for label, daily, _s, start in models if start is not None]
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
        out += page.figure(
            name,
            data,
            (
                "ICE's monthly average daily population and book-ins per day (black) through "
                f"September 2024, and the model from day 0 = {start.date()} (colour: median of "
                "the replicates' monthly means, band: 95 % of replicates). Sources: "
                f"{ICE_SOURCE}; enforcesim model."
            ),
        )
    else:
        out += (
            "<p>The scenario does not state the calendar date of its day 0 (a comment "
            "'Day 0 = YYYY-MM-DD', as calibrated scenarios have, or "
            "<code>--start-date</code>), so the monthly series are not drawn beside the "
            "model.</p>"
        )
    return out


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


def _metrics_table(summary: dict[str, Any]) -> str:
    rows = [
        [m, fmt(iv["mean"], m), fmt(iv["lo"], m), fmt(iv["hi"], m), unit(m), meaning(m)]
        for m, iv in summary["metrics"].items()
    ]
    return _table(["metric", "mean", "2.5 %", "97.5 %", "unit", "meaning"], rows, numeric={1, 2, 3})


def _targets_table(rows_by: list[tuple[str, dict[str, Any]]]) -> str:
    rows = []
    for label, summary in rows_by:
        for name, t in summary.get("targets", {}).items():
            rows.append(
                [
                    label,
                    name,
                    fmt(t["target"], name),
                    fmt(t["achieved"], name),
                    f"{t['probability_met']:.0%}",
                    unit(name),
                ]
            )
    if not rows:
        return "<p>The scenario sets no [targets].</p>"
    return (
        "<p>Probability met: the share of replicates whose value over the horizon is at "
        "least the target.</p>"
        + _table(
            ["scenario", "target", "value", "achieved (mean)", "probability met", "unit"],
            rows,
            numeric={2, 3, 4},
        )
    )


def _provenance(summary: dict[str, Any]) -> str:
    prov = summary.get("provenance", {})
    rows = [[k, v] for k, v in prov.items()]
    return _table(["key", "value"], rows)


def _model_source(summary: dict[str, Any]) -> str:
    return (
        f"Model: enforcesim {summary.get('version', '')}, scenario "
        f"'{summary['scenario']}', {summary['replicates']} replicates, seed "
        f"{summary['seed']}; intervals: {summary.get('interval', {}).get('kind', '')}."
    )


def render_run(folder: Path, out: Path, scenario: Path | None, start: str | None) -> Path:
    run = load_run(folder, scenario, start)
    s = run.summary
    page = Page(f"enforcesim report: {s['scenario']}", folder, out)
    kind = s.get("interval", {}).get("kind", "")
    days = int(run.daily["day"].max()) + 1 if len(run.daily) else 0
    page.section(
        "Summary",
        (
            f"<p>Scenario <b>{html.escape(s['scenario'])}</b> ({html.escape(run.origin)}): "
            f"{days:,} reported days"
            + (f" from {run.start.date()}" if run.start is not None else "")
            + f", {s['replicates']} replicates, seed {s['seed']}. Intervals: "
            f"{html.escape(kind)}.</p>"
        ),
    )
    page.section(
        "Key metrics",
        _metrics_table(s)
        + (
            "<p class='note'>Mean over replicates and the 2.5-97.5 % range over replicates; '-' "
            "where a ratio has no denominator (e.g. occupancy with unlimited beds).</p>"
        ),
    )
    page.section("Targets", _targets_table([(s["scenario"], s)]))
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
        page.figure(
            "detained_vs_beds.png",
            data,
            "People in detention at the end of each day (line: median of replicates; bands: "
            "middle 50 % and 95 % of replicates) and the bed count (dashed; not drawn when beds "
            f"are unlimited). {html.escape(src)}",
        ),
    )
    page.section(
        "Removals and releases over time",
        _flows(page, series, run.start, src, "Removals and releases"),
    )
    page.section(
        "ICE's published statistics", ice_section(page, [(s["scenario"], run.daily, s, run.start)])
    )
    params = s.get("parameters", {})
    body = assumptions_html(run.text, run.origin)
    if params:
        body += "<h3>Values drawn under [uncertainty]</h3>" + _table(
            ["value", "mean of draws", "2.5 %", "97.5 %"],
            [[p, fmt(iv["mean"]), fmt(iv["lo"]), fmt(iv["hi"])] for p, iv in params.items()],
            numeric={1, 2, 3},
        )
    page.section("Assumptions and sources", body)
    page.section("How to read the intervals", interval_text(kind))
    page.section("Provenance", _provenance(s))
    return _write(page)


def _flows(
    page: Page,
    series: list[tuple[str, pd.DataFrame]],
    start: pd.Timestamp | None,
    src: str,
    title: str,
) -> str:
    window = max(F.smoothing_window(d) for _, d in series)
    data = F.flows(series, start, page.fig_path("removals_releases.png"), src, title, window)
    why = (
        " (a multiple of the interval between departures, so that the average does not saw-tooth)"
        if window != 7
        else ""
    )
    return page.figure(
        "removals_releases.png",
        data,
        (
            f"People removed and released per day (and turned away, when any): {window}-day "
            f"trailing averages of each replicate{why}; line: median of replicates; bands: middle "
            f"50 % and 95 % of replicates. The first {window - 1} days have no average. "
            f"{html.escape(src)}"
        ),
    )


def _write(page: Page) -> Path:
    path = page.out / "report.html"
    write_atomic(path, page.render())
    return path


# --- compare -----------------------------------------------------------------------------------


def render_compare(folder: Path, out: Path, start: str | None) -> Path:
    from .compare import read_comparison

    c = read_comparison(folder)
    man, table, diffs = c["manifest"], c["table"], c["differences"]
    labels = [s["label"] for s in man["scenarios"]]
    runs = {s["label"]: load_run(folder / s["run"], None, start) for s in man["scenarios"]}
    page = Page("enforcesim comparison: " + " vs ".join(labels), folder, out)
    rows = [
        [s["label"], s["name"], s["source"], s["scenario_sha256"][:12]] for s in man["scenarios"]
    ]
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in man.get("notes", []))
    page.section(
        "Scenarios compared",
        (
            f"<p>{len(labels)} scenarios, each with seed {man['seed']} and {man['replicates']} "
            f"replicates; the baseline is <b>{html.escape(man['baseline'])}</b>. Replicate i of "
            "every scenario uses the same random streams (common random numbers), so differences "
            "are taken replicate by replicate.</p>"
            + _table(["label", "name", "file", "SHA-256 (start)"], rows)
            + (f"<ul>{notes}</ul>" if notes else "")
        ),
    )
    wide = []
    for m in dict.fromkeys(table["metric"]):
        cells = []
        for lab in labels:
            r = table[(table["metric"] == m) & (table["scenario"] == lab)].iloc[0]
            cells.append(_iv(_row_iv(r), m))
        wide.append([m, *cells, unit(m)])
    page.section(
        "Key metrics",
        _table(["metric", *labels, "unit"], wide, numeric=set(range(1, len(labels) + 1)))
        + "<p class='note'>mean [2.5 %, 97.5 %] over replicates.</p>",
    )
    if len(labels) > 1:
        rows = []
        for r in diffs.itertuples():
            rows.append(
                [
                    r.metric,
                    r.scenario,
                    fmt(_nan(r.diff_mean), r.metric),
                    f"[{fmt(_nan(r.diff_ci_lo), r.metric)}, {fmt(_nan(r.diff_ci_hi), r.metric)}]",
                    f"[{fmt(_nan(r.diff_lo), r.metric)}, {fmt(_nan(r.diff_hi), r.metric)}]",
                    "-" if _nan(r.diff_pct) is None else f"{r.diff_pct:+.1f} %",
                    r.pairs,
                    unit(r.metric),
                ]
            )
        src = (
            f"Model: enforcesim {man['version']}, {man['replicates']} replicates per "
            f"scenario, seed {man['seed']} (common random numbers)."
        )
        data = F.differences(diffs, page.fig_path("differences.png"), src)
        page.section(
            "Differences from the baseline",
            (
                "<p>Scenario minus baseline, replicate by replicate. <i>95 % CI</i>: the "
                "confidence interval of the mean difference (Student t over the pairs): how "
                "precisely these replicates pin the average effect down. <i>replicate range</i>: "
                "2.5-97.5 % of the replicate differences: how much the effect varies between "
                "replicates.</p>"
                + _table(
                    [
                        "metric",
                        "scenario",
                        "difference (mean)",
                        "95 % CI of the mean",
                        "replicate range",
                        "% of baseline",
                        "pairs",
                        "unit",
                    ],
                    rows,
                    numeric={2, 3, 4, 5, 6},
                )
                + page.figure(
                    "differences.png",
                    data,
                    "Paired differences from the baseline in % of the baseline mean "
                    f"(metrics with a non-zero baseline). {html.escape(src)}",
                )
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
        page.figure(
            "detained_vs_beds.png",
            data,
            "People in detention at the end of each day by scenario (line: median of "
            "replicates; bands: middle 50 % and 95 %) and each scenario's beds (dashed; not drawn "
            f"when unlimited). {html.escape(src)}",
        ),
    )
    page.section(
        "Removals and releases over time",
        _flows(page, series, same_start, src, "Removals and releases, by scenario"),
    )
    page.section("Targets", _targets_table([(lab, runs[lab].summary) for lab in labels]))
    page.section(
        "ICE's published statistics",
        ice_section(
            page, [(lab, runs[lab].daily, runs[lab].summary, runs[lab].start) for lab in labels]
        ),
    )
    page.section(
        "Assumptions and sources",
        "".join(
            f"<h3>{html.escape(lab)}</h3>" + assumptions_html(runs[lab].text, runs[lab].origin)
            for lab in labels
        ),
    )
    kinds = {runs[lab].summary["interval"]["kind"] for lab in labels}
    page.section(
        "How to read the intervals",
        "".join(f"<h3>{html.escape(k)}</h3>{interval_text(k)}" for k in sorted(kinds)),
    )
    page.section(
        "Provenance",
        _table(["key", "value"], [[k, json.dumps(v)] for k, v in man.items() if k != "scenarios"])
        + _provenance(runs[labels[0]].summary),
    )
    return _write(page)


def _nan(v: Any) -> float | None:
    return None if v is None or pd.isna(v) else float(v)


def _row_iv(r: pd.Series) -> dict[str, Any]:
    return {"mean": _nan(r["mean"]), "lo": _nan(r["lo"]), "hi": _nan(r["hi"])}


# --- sweep -------------------------------------------------------------------------------------

COST_METRICS = ("cost_per_removal", "cost_total")


def render_sweep(folder: Path, out: Path) -> Path:
    from .sweep import read_sweep

    sw = read_sweep(folder)
    man, table = sw["manifest"], sw["table"]
    axes = [g["path"] for g in man["grid"]]
    total = 1
    for g in man["grid"]:
        total *= len(g["values"])
    page = Page(f"enforcesim sweep: {man['scenario']}", folder, out)
    page.section(
        "Grid",
        (
            f"<p>Scenario <b>{html.escape(man['scenario'])}</b> ({html.escape(man['source'])}), "
            f"{len(table)} of {total} grid points finished, {man['replicates']} replicates per "
            f"point, seed {man['seed']} at every point (common random numbers across the grid)."
            "</p>"
            + _table(
                ["varied value", "grid"],
                [[g["path"], ", ".join(f"{v:,}" for v in g["values"])] for g in man["grid"]],
            )
        ),
    )
    if table.empty:
        page.section("Feasibility map", "<p>No grid point has finished yet.</p>")
        return _write(page)
    x, y = axes[0], axes[1] if len(axes) > 1 else None
    shown = table
    extra = ""
    if len(axes) > 2:
        fixed = {a: table[a].iloc[0] for a in axes[2:]}
        for a, v in fixed.items():
            shown = shown[shown[a] == v]
        extra = (
            "<p>Maps are drawn over the first two varied values, at "
            + ", ".join(f"{a} = {v:,}" for a, v in fixed.items())
            + "; the table below has every point.</p>"
        )
    kind = _sweep_kind(folder)
    src = (
        f"Model: enforcesim {man['version']}, {man['replicates']} replicates per point, "
        f"seed {man['seed']}; intervals: {kind}."
    )
    body = extra
    if not man["targets"]:
        body += (
            "<p>The scenario sets no [targets] and none were given with --target, so "
            "there is nothing to map.</p>"
        )
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
        body += page.figure(
            name,
            data,
            (
                f"Share of replicates in which {t} over the horizon is at least {target:,g} "
                f"{unit(t)}, at each grid point. Under {html.escape(kind)}. {html.escape(src)}"
            ),
        )
    page.section("Feasibility map", body)
    body = extra
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
        body += page.figure(
            name,
            data,
            (
                f"{meaning(m)} ({unit(m)}), mean over replicates at each grid point; intervals "
                f"are in the table below. {html.escape(src)}"
            ),
        )
    page.section("Cost surfaces", body or "<p>No cost metric in the results.</p>")
    keys = ["detained", "occupancy", "removals_per_day", "turned_away_per_day", "cost_per_removal"]
    keys = [k for k in keys if f"{k}_mean" in table]
    rows = []
    for r in table.sort_values("point").to_dict("records"):
        rows.append(
            [
                *(f"{r[a]:,}" for a in axes),
                *(
                    _iv(
                        {
                            "mean": _nan(r[f"{k}_mean"]),
                            "lo": _nan(r[f"{k}_lo"]),
                            "hi": _nan(r[f"{k}_hi"]),
                        },
                        k,
                    )
                    for k in keys
                ),
                *(f"{r[f'p_{t}']:.0%}" for t in man["targets"] if f"p_{t}" in r),
            ]
        )
    page.section(
        "Results by grid point",
        _table(
            [*axes, *(f"{k} ({unit(k)})" for k in keys), *(f"P({t} met)" for t in man["targets"])],
            rows,
            numeric=set(range(len(axes) + len(keys) + len(man["targets"]))),
        )
        + "<p class='note'>mean [2.5 %, 97.5 %] over replicates; every metric is in grid.csv."
        "</p>",
    )
    text = (folder / "scenario.toml").read_text() if (folder / "scenario.toml").exists() else None
    page.section(
        "Assumptions and sources",
        assumptions_html(text, man["source"])
        + (
            "<p>At each grid point the varied values replace the file's; an [uncertainty] entry "
            "on a varied value is dropped there.</p>"
        ),
    )
    page.section("How to read the intervals", interval_text(kind))
    page.section(
        "Provenance", _table(["key", "value"], [[k, json.dumps(v)] for k, v in man.items()])
    )
    return _write(page)


def _sweep_kind(folder: Path) -> str:
    for p in sorted((folder / "points").glob("*.json"))[:1]:
        if json.loads(p.read_text()).get("parameters"):
            return "process noise and parameter uncertainty"
    return "process noise only"


# --- sensitivity -------------------------------------------------------------------------------


def render_sensitivity(folder: Path, out: Path) -> Path:
    man = json.loads((folder / "manifest.json").read_text())
    indices = pd.read_csv(folder / "indices.csv")
    page = Page(f"enforcesim sensitivity: {man['scenario']}", folder, out)
    rows = [
        [p, d["dist"], ", ".join(f"{k} = {v:,}" for k, v in d.items() if k != "dist")]
        for p, d in man["inputs"].items()
    ]
    page.section(
        "Inputs",
        (
            f"<p>The {len(rows)} entries of the scenario's [uncertainty] section, with their "
            "distributions (truncated to each value's allowed range, as the engine draws them).</p>"
            + _table(["input", "distribution", "parameters"], rows)
        ),
    )
    src = (
        f"Model: enforcesim {man['version']}, scenario '{man['scenario']}'; SALib Sobol "
        f"analysis, N = {man['n']}, {man['runs']} runs of {man['replicates']} replicate(s), "
        f"seed {man['seed']}, {man['bootstrap_resamples']} bootstrap resamples."
    )
    page.section("Sobol indices", sobol_html(page, indices, man, src))
    page.section(
        "Method",
        (
            f"<p>{html.escape(man['method'])}. Base sample size N = {man['n']}, so "
            f"{man['runs']} runs (N x (inputs + 2)); each run fixes the inputs to one sample row, "
            f"averages {man['replicates']} replicate(s) and uses seed {man['seed']} in every run, "
            "so chance is held fixed and the output's variance comes from the inputs. Confidence "
            f"intervals: {man['bootstrap_resamples']} bootstrap resamples, 95 %. Indices from a "
            "small N are rough (their intervals say how rough); S1 can come out slightly "
            "negative by sampling error. Use a larger --n (256 or more) for published numbers.</p>"
        ),
    )
    text = (folder / "scenario.toml").read_text() if (folder / "scenario.toml").exists() else None
    page.section("Assumptions and sources", assumptions_html(text, man["source"]))
    page.section(
        "Provenance",
        _table(["key", "value"], [[k, json.dumps(v)] for k, v in man.items() if k != "inputs"]),
    )
    return _write(page)


# --- entry point -------------------------------------------------------------------------------


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
            from .flagship_report import render_flagship

            return render_flagship(folder, target)
        raise StudyError(
            [f"{manifest}: unknown tool {tool!r} (compare, sweep, sensitivity, flagship)"]
        )
    return render_run(folder, target, Path(scenario) if scenario else None, start)


def sobol_html(
    page: Page,
    indices: pd.DataFrame,
    manifest: dict[str, Any],
    source: str,
    output_label: str = "metric",
    digits: int = 3,
) -> str:
    """The Sobol figure, its table and the analysis's notes (for `report` of a sensitivity
    folder and for the flagship report)."""
    body = ""
    if not indices.empty:
        data = F.sobol_bars(
            indices, page.fig_path("sobol.png"), source, manifest["n"], manifest["runs"]
        )
        body += page.figure(
            "sobol.png",
            data,
            (
                "First-order (S1: the share of the output's variance due to the input alone) and "
                "total (ST: including its interactions) Sobol indices, with 95 % bootstrap "
                f"confidence intervals. {html.escape(source)}"
            ),
        )
        body += _table(
            [output_label, "input", "S1", "S1 95 % CI ±", "ST", "ST 95 % CI ±"],
            [
                [r.metric, r.input]
                + [f"{v:.{digits}f}" for v in (r.S1, r.S1_conf, r.ST, r.ST_conf)]
                for r in indices.itertuples()
            ],
            numeric={2, 3, 4, 5},
        )
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in manifest.get("notes", []))
    return body + (f"<ul>{notes}</ul>" if notes else "")
