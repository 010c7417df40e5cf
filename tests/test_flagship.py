"""The flagship study (issue 8, docs/flagship.md): the library's arrest-side scenarios, the
study end to end in its reduced plan (interrupted and resumed), the report's sections, the
command line and the documentation's example."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import numpy as np
import pytest

from builders import DOCS, ROOT, code_blocks, invoke_study, read_toml
from enforcesim.reports.flagship_results import headlines, read_flagship
from enforcesim.reports.flagship_words import period_words, realised_share
from enforcesim.reports.headline import QUICK_LABEL
from enforcesim.scenario import parse_scenario
from enforcesim.studies.flagship import (
    BASELINE,
    COMPARED,
    CONTEXT,
    LIBRARY,
    MAIN,
    QUICK,
    derived_file,
    read_input,
    run_flagship,
    shorten,
)
from enforcesim.study import StudyError

ARREST_SIDE = [LIBRARY / f"{name}.toml" for name in COMPARED]

SECTIONS = (
    "Headline answers",
    "The question and the scenarios",
    "The model against what happened",
    "Arrests against the goal",
    "Detained population and beds",
    "Removals and releases",
    "Which constraint binds",
    "Costs and cost per removal",
    "Feasibility map",
    "Sensitivity: what drives the answers",
    "Sensitivity: the published analysis",
    "ICE&#39;s published series and the goals",
    "Published static estimates and capacity",
    "All scenarios: key metrics and differences",
    "How to read the intervals",
    "Assumptions and sources",
    "Method, run sizes and provenance",
)
FIGURES = {
    "against_ice.png",
    "arrests_vs_goal.png",
    "detained_vs_beds.png",
    "removals_releases.png",
    "binding.png",
    "costs.png",
    "feasibility_ice_arrests_per_day.png",
    "feasibility_removals_per_day.png",
    "sweep_arrests.png",
    "cost_surface.png",
    "sobol.png",
    "sobol_published.png",
    "ice_history.png",
    "published.png",
    "intervals.png",
}


# --- the library ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ARREST_SIDE, ids=[p.stem for p in ARREST_SIDE])
def test_goal_scenarios_are_arrest_driven_with_the_goals_and_the_law(path):
    raw = read_toml(path)
    sc = parse_scenario(raw, str(path))
    assert sc.arrests is not None and sc.book_ins is None
    assert str(sc.scenario.start_date) == "2024-10-01" and sc.scenario.warmup_days == 0
    assert sc.scenario.days == 1095 and sc.scenario.seed == 0
    assert sc.targets.ice_arrests_per_day == 3000 and sc.targets.removals_per_day == 2740
    assert sc.budget["detention_2025_law"].amount_usd == 45e9
    assert any(k.endswith("officer_hours_per_arrest") for k in sc.uncertainty)
    text = path.read_text()
    assert "Day 0 = 1 Oct 2024" in text and "VERIFY" in text and "ASSUMPTION" in text


def fy2025_part(name: str, differs: tuple[str, ...] = ()) -> dict:
    """A library file cut to FY2025 (steps from day 365 on dropped, as the study cuts a
    horizon; a schedule left empty removed), without its name and the dotted keys (and their
    [uncertainty]) in `differs`."""
    d = shorten(read_toml(LIBRARY / f"{name}.toml"), 365)
    d["scenario"].pop("name")
    for section in d.values():
        for key in [k for k, v in section.items() if v == []]:
            del section[key]
    for path in differs:
        *parents, leaf = path.split(".")
        node = d
        for part in parents:
            node = node.get(part, {})
        node.pop(leaf, None)
        for key in [k for k in d.get("uncertainty", {}) if k == path or k.startswith(path + ".")]:
            del d["uncertainty"][key]
    return d


# Each goal scenario and its base: what may differ before 1 Oct 2025 (day 365), and why.
SAME_FY2025 = [
    ("goal-3000-no-buildout", MAIN, ()),  # only the build-out, from day 365
    ("more-officers", MAIN, ("officers.hires", "officers.training_lag_days")),  # hires >= 365
    ("expedited-removal-wide", "goal-3000-no-buildout", ()),  # steps on day 365
    ("more-flights", MAIN, ("transport.departures_per_day",)),  # [transport] has no schedule
    (  # `priority` has no date; its yield-curve range goes with it
        "priority-criminal-first",
        "goal-3000-no-buildout",
        ("arrests.priority", "arrests.sources.at_large.pool.yield_exponent"),
    ),
]


@pytest.mark.parametrize("name, base, differs", SAME_FY2025, ids=[s[0] for s in SAME_FY2025])
def test_every_goal_scenario_shares_the_main_scenarios_fy2025(name, base, differs):
    # the restated library: every policy change is a step on 1 Oct 2025, so FY2025 (ICE's
    # record) is the same run; the exceptions are the keys that have no date
    assert fy2025_part(name, differs) == fy2025_part(base, differs)


def test_the_baseline_is_the_main_scenario_without_the_build_out():
    base, main = read_toml(LIBRARY / f"{BASELINE}.toml"), read_toml(LIBRARY / f"{MAIN}.toml")
    assert "beds_schedule" not in base["detention"]
    assert min(s["day"] for s in main["detention"]["beds_schedule"]) == 365
    assert base["detention"]["beds"] == main["detention"]["beds"] == 62913
    main["detention"].pop("beds_schedule")
    base["scenario"].pop("name"), main["scenario"].pop("name")
    assert base == main


def test_future_policies_start_on_1_october_2025():
    officers = read_toml(LIBRARY / "more-officers.toml")["officers"]
    assert [h["day"] for h in officers["hires"]] == [365, 547, 730, 912]
    er = read_toml(LIBRARY / "expedited-removal-wide.toml")
    det, cbp = er["detention"], er["arrests"]["sources"]["cbp"]
    for steps in (det["length_of_stay_schedule"], cbp["length_of_stay_schedule"]):
        assert steps[-1]["day"] == 365 and steps[-1]["length_of_stay"]["mean"] == 20.0
    assert det["removal_share_schedule"][-1] == {"day": 365, "removal_share": 0.93}


def test_criminal_first_differs_from_the_baseline_only_in_the_priority():
    base, cf = (
        read_toml(LIBRARY / f"{BASELINE}.toml"),
        read_toml(LIBRARY / "priority-criminal-first.toml"),
    )
    assert base["arrests"]["priority"] == "anyone"
    assert cf["arrests"]["priority"] == "criminal_first"
    for d in (base, cf):
        d["scenario"].pop("name")
        d["arrests"].pop("priority")
        d["arrests"]["sources"]["at_large"]["pool"].pop("yield_exponent", None)
        d["uncertainty"].pop("arrests.sources.at_large.pool.yield_exponent", None)
    assert base == cf


def test_more_officers_hires_the_10000_with_a_training_lag():
    sc = parse_scenario(read_toml(LIBRARY / "more-officers.toml"), "more-officers")
    assert sum(h.officers for h in sc.officers.hires) == 10_000
    assert sc.officers.training_lag_days > 0


# --- helpers -------------------------------------------------------------------------------------


def test_shorten_drops_steps_beyond_the_horizon_and_their_uncertainty():
    raw = read_toml(LIBRARY / "more-officers.toml")
    raw["uncertainty"]["officers.hires.3.officers"] = {"dist": "uniform", "low": 1.0, "high": 2.0}
    d = shorten(raw, 600, warmup_days=30, replicates=3)
    assert [h["day"] for h in d["officers"]["hires"]] == [365, 547]
    assert [s["day"] for s in d["detention"]["beds_schedule"]] == [365, 457, 547]
    assert "officers.hires.3.officers" not in d["uncertainty"]
    assert d["scenario"]["days"] == 600 and d["scenario"]["replicates"] == 3
    assert "warmup_days" not in d["scenario"]  # a shorter warm-up only cuts one that is there
    assert raw["scenario"]["days"] == 1095  # the original is untouched
    parse_scenario(shorten(read_toml(LIBRARY / "more-officers.toml"), 60, 20), "short")


def test_shorten_drops_arrest_events_that_take_effect_after_the_horizon():
    # the loader refuses an event that takes effect after the last day (the quick plan's 60
    # days end before the January 2025 quotas); events need not be in date order
    raw = read_toml(LIBRARY / f"{MAIN}.toml")
    dates = [str(e["date"]) for e in raw["arrests"]["events"]]
    assert dates == ["2025-01-21", "2025-05-28", "2025-01-21"]
    d = shorten(raw, 200)  # day 112 kept, day 239 dropped; `until` may lie beyond it
    assert d["arrests"]["events"] == [raw["arrests"]["events"][i] for i in (0, 2)]
    parse_scenario(d, "short")
    assert shorten(raw, 60)["arrests"]["events"] == []
    parse_scenario(shorten(raw, 60), "short")


def test_shorten_cuts_every_schedule_whatever_its_name():
    # judges_schedule (courts) was once left out, and a step beyond the horizon is invalid
    raw = read_toml(ROOT / "tests" / "baseline" / "scenarios" / "case-side.toml")
    assert raw["courts"]["judges_schedule"] == [{"day": 60, "judges": 50}]
    raw["uncertainty"]["courts.judges_schedule.0.judges"] = {
        "dist": "uniform",
        "low": 40.0,
        "high": 60.0,
    }
    d = shorten(raw, 30, warmup_days=10)
    assert d["courts"]["judges_schedule"] == []
    assert "courts.judges_schedule.0.judges" not in d["uncertainty"]
    parse_scenario(d, "short")
    # every list of day-stamped steps, under any name, at any depth
    nested = {"scenario": {"days": 9}, "a": {"b": {"new_schedule": [{"day": 3}, {"day": 9}]}}}
    d = shorten(nested, 5)
    assert d["a"]["b"]["new_schedule"] == [{"day": 3}]


def test_a_derived_file_keeps_the_library_comments_and_cuts_the_horizon():
    inp = read_input(LIBRARY / "more-officers.toml")
    text = derived_file(inp, 400, 20)
    short = tomllib.loads(text)
    assert short == shorten(inp.raw, 400, 20)
    assert [h["day"] for h in short["officers"]["hires"]] == [365]
    assert "# 1 Oct 2025 (ASSUMPTION)" in text  # the kept step's source
    assert "1 Apr 2026 (ASSUMPTION)" not in text  # the dropped step's went with it
    assert "ICE 2024-25 (ICE ATD page)" in text
    assert text.startswith("# Derived by `enforcesim study flagship`")


# --- the study end to end ------------------------------------------------------------------------


class Interrupted(Exception):
    pass


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    """The documentation's example (the reduced plan), run in a fresh folder, after an
    interrupted first attempt in the same folder."""
    cwd = tmp_path_factory.mktemp("flagship")
    out = cwd / "out" / "flagship-quick"

    def stop_after_three(name: str, done: int, total: int) -> None:
        if done == 3:
            raise Interrupted

    with pytest.raises(Interrupted):
        run_flagship(out, plan=QUICK, workers=2, on_stage=stop_after_three)
    assert not (out / "report.html").exists()
    block = code_blocks((DOCS / "flagship.md").read_text(), "python")[0]
    import os

    old = Path.cwd()
    os.chdir(cwd)
    try:
        exec(compile(block, "docs/flagship.md", "exec"), {})
    finally:
        os.chdir(old)
    return out


def test_the_study_resumes_and_its_report_has_every_section(study):
    html = (study / "report.html").read_text()
    for heading in SECTIONS:
        assert f">{heading}</h2>" in html, heading
    assert {p.name for p in (study / "figures").iterdir()} == FIGURES
    assert html.count('src="data:image/png;base64,') == len(FIGURES)
    assert "http://" not in html and "https://" not in html
    assert "process noise only" in html.lower()
    assert "The New Republic, 2025" in html  # the assumptions carry their sources
    rs = read_flagship(study)
    bn = rs.summaries["goal-3000-buildout-100k-bottlenecks"]["bottlenecks"]
    assert {"beds", "seats", "officers"} <= set(bn["constraints"])
    assert set(bn["targets"]) == {"ice_arrests_per_day", "removals_per_day"}
    assert set(rs.summaries) == {
        *COMPARED,
        *CONTEXT,
        "goal-3000-buildout-100k-process-noise-only",
        "goal-3000-buildout-100k-bottlenecks",
    }


def test_a_finished_study_reruns_nothing_and_prints_the_answers(study):
    r = invoke_study("study", "flagship", "--quick", "--out", str(study), "--workers", "2")
    assert r.exit_code == 0, r.output
    assert "0 stages run now, 13 reused" in r.output
    assert "3,000 ICE arrests a day" in r.output and "Cost per removal" in r.output
    assert "The $45B for detention" in r.output
    numbered = [line for line in r.output.splitlines() if re.match(r"\d+\. ", line)]
    assert numbered and all(f"[{QUICK_LABEL}]" in line for line in numbered)
    assert f"reused) - {QUICK_LABEL}" in r.output
    r = invoke_study("report", str(study), "--out", str(study.parent / "again"))
    assert r.exit_code == 0, r.output
    again = (study.parent / "again" / "report.html").read_text()
    for heading in SECTIONS:
        assert f">{heading}</h2>" in again, heading


def test_a_folder_with_another_plan_is_refused(study):
    with pytest.raises(StudyError, match="holds another flagship study \\(the plan differ"):
        run_flagship(study, plan=QUICK.__class__(**{**QUICK.__dict__, "replicates": 3}))
    r = invoke_study("study", "flagship", "--out", str(study))
    assert r.exit_code == 2 and "use a new --out folder" in r.output


def test_quick_headlines_say_so_and_carry_the_central_run_and_the_coverage(study):
    lines = headlines(study)
    assert all(line.startswith(f"[{QUICK_LABEL}] ") for line in lines)
    assert "process noise and parameter uncertainty" in lines[0] and "central run" in lines[0]
    central = read_flagship(study).summaries[MAIN]["central"]["metrics"]
    arrests = next(line for line in lines if "3,000 ICE arrests a day" in line)
    assert f"(central run {central['ice_arrests_per_day']:,.0f})" in arrests
    removals = next(line for line in lines if line.split("] ", 1)[1].startswith("Removals:"))
    assert f"(central run {central['removals_per_day']:,.0f})" in removals
    # the bed-day rate is drawn from the file's $152 (ICE) up to $180
    sided = next(line for line in lines if "One-sided ranges" in line)
    assert "costs.bed_day (152, range 152-180)" in sided
    assert any("not a meaningful interval" in line for line in lines)  # 2 replicates
    split = next(line for line in lines if "Bottleneck split" in line)
    assert "beyond every constraint" in split and "relaxing one alone" in split
    # the means' period is the horizon the run had (the quick plan cuts the file's)
    rs = read_flagship(study)
    run = rs.raw(MAIN)
    run["scenario"]["days"] = int(rs.daily(MAIN)["day"].max()) + 1
    assert period_words(run) in lines[0] and period_words(run) in arrests
    arrests_gap = rs.summaries[f"{MAIN}-bottlenecks"]["bottlenecks"]["targets"]
    if arrests_gap["ice_arrests_per_day"]["beyond_constraints"] > 0:
        assert "the model attributes to no constraint" in split
        # the quick plan's horizon ends before the quotas: no fitted share is at work
        assert ("theta_q = " in split) == (realised_share(rs.as_run(MAIN)) is not None)


def test_the_quick_report_says_so_on_its_first_screen(study):
    html = (study / "report.html").read_text()
    title = html[html.index("<h1>") : html.index("</h1>")]
    assert QUICK_LABEL.upper() in title
    first = html[html.index('<section id="s0">') :]
    assert first.index(QUICK_LABEL.capitalize()) < first.index("<ol>")


def test_the_intervals_figure_has_two_scales_and_says_what_each_panel_is(
    study, tmp_path, monkeypatch
):
    from enforcesim.reports import figures
    from enforcesim.reports.flagship import render_flagship

    seen = {}
    save = figures.save

    def spy(fig, path, source):
        seen[path.name] = (list(fig.axes), source)
        return save(fig, path, source)

    monkeypatch.setattr(figures, "save", spy)
    render_flagship(study, tmp_path / "again")
    axes, source = seen["intervals.png"]
    left, right = axes
    assert not left.get_shared_y_axes().joined(left, right)
    assert left.get_ylim() != right.get_ylim()
    for ax in axes:  # every line drawn lies inside its panel
        top = max(float(np.nanmax(line.get_ydata())) for line in ax.get_lines())
        assert top <= ax.get_ylim()[1]
    assert "Left: process noise only" in source and "Right: process noise and parameter" in source
    assert "intervals: process noise and parameter uncertainty" not in source


def test_set_changes_every_library_scenario_keeps_comments_and_is_recorded(tmp_path):
    from enforcesim.studies.flagship import read_input, with_overrides

    inp = read_input(LIBRARY / f"{MAIN}.toml")
    changed = with_overrides(inp, {"officers.headcount": 9000, "costs.bed_day": 170.0})
    assert changed.raw["officers"]["headcount"] == 9000
    assert tomllib.loads(changed.text)["officers"]["headcount"] == 9000
    assert "costs.bed_day" not in changed.raw.get("uncertainty", {})
    assert "costs.bed_day" not in tomllib.loads(changed.text).get("uncertainty", {})
    assert "# " in changed.text and changed.text.count("#") >= inp.text.count("#") - 2
    assert inp.raw["officers"]["headcount"] != 9000  # the library file itself is untouched
    f = str(tmp_path / "f")
    r = invoke_study("study", "flagship", "--quick", "--out", f, "--set", "costs.bed_day=170")
    assert r.exit_code == 0, r.output
    manifest = json.loads((tmp_path / "f" / "manifest.json").read_text())
    assert manifest["overrides"] == {"costs.bed_day": 170}
    run = json.loads((tmp_path / "f" / "runs" / MAIN / "summary.json").read_text())
    assert "costs.bed_day" not in run["parameters"]  # set, so no longer drawn
    g = str(tmp_path / "g")
    bad = invoke_study("study", "flagship", "--quick", "--out", g, "--set", "costs.bed_day=-1")
    assert bad.exit_code == 2 and "--set costs.bed_day" in bad.output
