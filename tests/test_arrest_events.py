"""Dated arrest events and fitted scalars: the loader's expansion of `[[arrests.events]]` into
schedule steps (rate = rate_per_day + scalar x size x split, ramps pro rata by month), the
checks on events and `[fitted]`, draws of a scalar, and a run whose book-ins follow them."""

from __future__ import annotations

import copy
import json
from datetime import date

import numpy as np
import pytest

from builders import (
    CONVICTED_ONLY,
    DOCS,
    OFFICERS_5000_HOURS,
    arrest_scenario,
    code_blocks,
    run_exe,
)
from enforcesim import ScenarioError, parse_scenario
from enforcesim.scenario.fitted import MAX_FITTED, describe, event_provenance, fitted_table
from enforcesim.scenario.uncertainty import apply_draws, draw_parameters
from enforcesim.stages.arrest_events import expanded_schedules
from enforcesim.stages.arrests import source_rates_by_day

START = date(2024, 10, 1)  # day 0
THETA_Q = {
    "value": 0.343,
    "low": 0.28,
    "high": 0.39,
    "unit": "arrests/day per arrest/day of quota gap",
    "identified_by": "ICE initial book-ins, arresting agency ICE, monthly Jan-May 2025",
    "fitted_on": "2024-10-01..2025-05-31",
}
THETA_G = THETA_Q | {"value": 0.095, "low": 0.0, "high": 0.325, "unit": "per agreement"}
QUOTA = {
    "date": date(2025, 1, 21),  # day 112
    "what": "arrest quotas of 1,200-1,500 ICE arrests/day",
    "source": "press (VERIFY)",
    "size": 1040.0,
    "scalar": "theta_q",
    "split": {"jails": 0.61, "at_large": 0.29, "task_force": 0.10},
}
AGREEMENTS = {
    "date": date(2025, 1, 21),
    "until": date(2025, 9, 30),  # day 364
    "what": "287(g) agreements signed in 2025",
    "source": "ICE 287(g) page via press (VERIFY)",
    "size": 1100.0,
    "unit": "agreements",
    "scalar": "theta_g",
    "split": {"task_force": 1.0},
}


def three_sources(events, fitted=None, days=365, warmup=30, start=START, **sections):
    sc = arrest_scenario(
        {"kind": "custodial", "rate_per_day": 100.0},
        OFFICERS_5000_HOURS,
        days=days,
        warmup=warmup,
        **sections,
    )
    sc["arrests"]["sources"] = {
        "jails": {"kind": "custodial", "rate_per_day": 100.0},
        "at_large": {"kind": "at_large", "rate_per_day": 50.0},
        "task_force": {"kind": "task_force", "rate_per_day": 10.0},
    }
    sc["arrests"]["events"] = events
    if start is not None:
        sc["scenario"]["start_date"] = start
    sc["fitted"] = {"theta_q": THETA_Q, "theta_g": THETA_G} if fitted is None else fitted
    return copy.deepcopy(sc)  # the cases below change their copy, never these constants


def problems(data) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data, "events.toml")
    return [str(p) for p in info.value.problems]


# --- expansion arithmetic ----------------------------------------------------------------


def test_a_step_adds_scalar_times_size_times_share_from_its_date():
    sc = parse_scenario(three_sources([QUOTA]))
    out = expanded_schedules(sc)
    for name, base in (("jails", 100.0), ("at_large", 50.0), ("task_force", 10.0)):
        (step,) = out[name].schedule
        assert out[name].rate_per_day == base
        assert step.day == (date(2025, 1, 21) - START).days == 112
        assert step.rate_per_day == pytest.approx(base + 0.343 * 1040.0 * QUOTA["split"][name])
    # the engine's rates: warm-up (30 days) and days before 112 at the base, then the step
    rates = source_rates_by_day(sc)
    assert rates[: 30 + 112, 0].tolist() == [100.0] * (30 + 112)
    assert rates[30 + 112 :, 0] == pytest.approx(100.0 + 0.343 * 1040.0 * 0.61)


def test_a_ramp_steps_on_each_month_start_pro_rata_and_is_full_at_until():
    sc = parse_scenario(three_sources([AGREEMENTS]))
    (tf,) = [s for n, s in expanded_schedules(sc).items() if n == "task_force"]
    total = 0.095 * 1100.0
    first, last = 112, 364  # 21 Jan and 30 Sep 2025
    month_starts = [(date(2025, m, 1) - START).days for m in range(2, 10)]
    assert [s.day for s in tf.schedule] == [*month_starts, last]
    expected = [10.0 + total * (d - first) / (last - first) for d in month_starts] + [10.0 + total]
    assert [s.rate_per_day for s in tf.schedule] == pytest.approx(expected)


def test_events_before_day_0_apply_from_the_start_and_ramps_stop_at_the_horizon():
    early = QUOTA | {"date": date(2024, 6, 1)}  # before warm-up began
    sc = parse_scenario(three_sources([early, AGREEMENTS], days=200))
    out = expanded_schedules(sc)
    assert out["jails"].rate_per_day == pytest.approx(100.0 + 0.343 * 1040.0 * 0.61)
    assert out["jails"].schedule == []
    assert source_rates_by_day(sc)[0, 0] == pytest.approx(out["jails"].rate_per_day)
    assert max(s.day for s in out["task_force"].schedule) < 200


def test_day_numbers_without_start_date_and_a_ramp_every_30_days():
    ramp = {k: v for k, v in AGREEMENTS.items() if k not in ("date", "until")}
    ramp |= {"day": 10, "until": 100}
    sc = parse_scenario(three_sources([ramp], start=None, warmup=0))
    (tf,) = [expanded_schedules(sc)["task_force"]]
    assert [s.day for s in tf.schedule] == [30, 60, 90, 100]
    total = 0.095 * 1100.0
    assert tf.schedule[0].rate_per_day == pytest.approx(10.0 + total * 20 / 90)
    assert tf.schedule[-1].rate_per_day == pytest.approx(10.0 + total)


def test_an_event_without_scalar_is_taken_at_its_size():
    plain = {k: v for k, v in QUOTA.items() if k != "scalar"} | {"split": {"jails": 1.0}}
    sc = parse_scenario(three_sources([plain], fitted={}))
    assert expanded_schedules(sc)["jails"].schedule[0].rate_per_day == 1140.0
    assert "at_large" not in expanded_schedules(sc)


# --- what the loader refuses -------------------------------------------------------------


def test_more_than_six_fitted_scalars_are_refused():
    fitted = {"theta_q": THETA_Q} | {f"theta_{i}": THETA_Q for i in range(MAX_FITTED)}
    (line,) = problems(three_sources([QUOTA], fitted=fitted))
    assert line.startswith("events.toml: fitted:")
    assert "at most 6 fitted scalars" in line and "curve fitting" in line
    # six are allowed
    parse_scenario(three_sources([QUOTA], fitted=dict(list(fitted.items())[:MAX_FITTED])))


def _bad(change):
    data = three_sources([QUOTA, AGREEMENTS])
    change(data)
    return data


BAD = {
    "unknown_scalar": (
        lambda d: d["arrests"]["events"][0].update(scalar="theta_x"),
        "arrests.events[0].scalar",
        "must name a [fitted.NAME] scalar; valid: theta_q, theta_g",
    ),
    "unknown_source": (
        lambda d: d["arrests"]["events"][1].update(split={"jail": 1.0}),
        "arrests.events[1].split.jail",
        "not an arrest source; valid: jails, at_large, task_force",
    ),
    "split_not_one": (
        lambda d: d["arrests"]["events"][0]["split"].update(jails=0.5),
        "arrests.events[0].split",
        "shares must sum to 1, not 0.89",
    ),
    "date_without_start_date": (
        lambda d: d["scenario"].pop("start_date"),
        "arrests.events[0].date",
        "a date needs scenario.start_date",
    ),
    "schedule_and_events": (
        lambda d: d["arrests"]["sources"]["jails"].update(
            schedule=[{"day": 5, "rate_per_day": 1.0}]
        ),
        "arrests.sources.jails.schedule",
        "an events-driven source is driven only by events",
    ),
    "value_outside_interval": (
        lambda d: d["fitted"]["theta_q"].update(value=0.5),
        "fitted.theta_q.value",
        "must lie in its 95 % interval low = 0.28 to high = 0.39",
    ),
    "size_needs_a_scalar": (
        lambda d: d["arrests"]["events"][1].pop("scalar"),
        "arrests.events[1].unit",
        "an event without a scalar is taken as arrests/day",
    ),
    "after_the_horizon": (
        lambda d: d["arrests"]["events"][0].update(date=date(2025, 10, 1)),
        "arrests.events[0].date",
        "takes effect on day 365, after the horizon",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_event_or_scalar_is_refused_naming_the_key(case):
    change, key, words = BAD[case]
    lines = problems(_bad(change))
    assert any(line.startswith(f"events.toml: {key}") and words in line for line in lines), lines


def test_cli_refuses_with_exit_2_naming_file_and_key(tmp_path):
    import tomlkit

    path = tmp_path / "events.toml"
    path.write_bytes(tomlkit.dumps(_bad(BAD["unknown_scalar"][0])).encode())
    r = run_exe("validate", str(path))
    assert r.returncode == 2, r.stderr
    assert f"{path}: arrests.events[0].scalar" in r.stderr
    assert "Traceback" not in r.stderr


# --- fitted table, draws and provenance --------------------------------------------------


def test_fitted_table_has_estimate_interval_and_identifying_series():
    data = three_sources([QUOTA, AGREEMENTS])
    data["uncertainty"] = {"fitted.theta_q.value": {"dist": "uniform", "low": 0.28, "high": 0.39}}
    rows = fitted_table(parse_scenario(data))
    assert [r["name"] for r in rows] == ["theta_q", "theta_g"]
    assert rows[0] | {"drawn": None} == {
        "name": "theta_q",
        **THETA_Q,
        "used_by": [0],
        "drawn": None,
    }
    assert rows[0]["drawn"]["dist"] == "uniform" and rows[1]["drawn"] is None


def test_a_draw_of_a_scalar_changes_the_expanded_rates():
    data = three_sources([QUOTA])
    data["uncertainty"] = {"fitted.theta_q.value": {"dist": "uniform", "low": 0.28, "high": 0.39}}
    sc = parse_scenario(data)
    for replicate in range(3):
        drawn = draw_parameters(sc, replicate)["fitted.theta_q.value"]
        assert drawn != 0.343 and 0.28 <= drawn <= 0.39
        rates = source_rates_by_day(apply_draws(sc, {"fitted.theta_q.value": drawn}))
        assert rates[-1, 0] == pytest.approx(100.0 + drawn * 1040.0 * 0.61)


def test_validate_prints_the_fitted_table_and_the_expanded_steps(tmp_path):
    import tomlkit

    path = tmp_path / "events.toml"
    path.write_bytes(tomlkit.dumps(three_sources([QUOTA, AGREEMENTS])).encode())
    r = run_exe("validate", str(path))
    assert r.returncode == 0, r.stderr
    assert "theta_q = 0.343 (0.28-0.39, 95 %)" in r.stdout
    assert "identified by ICE initial book-ins, arresting agency ICE" in r.stdout
    assert "source jails: 100 arrests/day from the start; day 112: 317.6" in r.stdout


# --- a run follows the events ------------------------------------------------------------


def test_book_ins_follow_the_events():
    """One custodial source, every arrest booked in, officers never short: book-ins are
    Poisson at 20/day to day 49 and at 20 + 0.5 x 40 = 40/day from day 50 (one event). Over
    4 replicates x 50 days the counts are Poisson(4,000) and Poisson(8,000): each mean per
    day within 4 sd (sd 20/day / sqrt(200), 40/day / sqrt(200)); seed 5."""
    data = arrest_scenario(
        {
            "kind": "custodial",
            "rate_per_day": 20.0,
            "officer_hours_per_arrest": 1.0,
            "share_booked_in": 1.0,
            "mix": CONVICTED_ONLY,
        },
        OFFICERS_5000_HOURS,
        days=100,
        seed=5,
        replicates=4,
    )
    data["arrests"]["events"] = [
        {"day": 50, "what": "a quota", "source": "ASSUMPTION", "size": 40.0, "scalar": "k",
         "split": {"s": 1.0}}
    ]  # fmt: skip
    data["fitted"] = {"k": THETA_Q | {"value": 0.5, "low": 0.4, "high": 0.6}}
    from enforcesim.api import run

    results = run(data, workers=1)
    daily = results.daily()
    before = daily[daily.day < 50].book_ins.mean()
    after = daily[daily.day >= 50].book_ins.mean()
    assert before == pytest.approx(20.0, abs=4 * np.sqrt(20.0 / 200))
    assert after == pytest.approx(40.0, abs=4 * np.sqrt(40.0 / 200))
    provenance = json.loads(json.dumps(results.summary_dict()))["provenance"]
    assert provenance["arrest_schedules"] == {
        "s": {"rate_per_day": 20.0, "schedule": [{"day": 50, "rate_per_day": 40.0}]}
    }
    assert provenance["fitted"][0]["name"] == "k"
    assert any("day 50: 40" in line for line in describe(provenance))
    assert event_provenance(parse_scenario(arrest_scenario({"kind": "custodial",
        "rate_per_day": 1.0}, OFFICERS_5000_HOURS))) == {}  # fmt: skip


def test_the_example_in_docs_arrests_md_loads_and_expands():
    import tomllib

    (block,) = [b for b in code_blocks((DOCS / "arrests.md").read_text(), "toml")]
    doc = tomllib.loads(block)
    data = three_sources(doc["arrests"]["events"], fitted=doc["fitted"])
    data["scenario"]["start_date"] = doc["scenario"]["start_date"]
    out = expanded_schedules(parse_scenario(data))
    assert out["jails"].schedule[0].rate_per_day == pytest.approx(100.0 + 0.343 * 1040 * 0.61)
    assert out["task_force"].schedule[-1].rate_per_day == pytest.approx(
        10.0 + 0.343 * 1040 * 0.10 + 0.095 * 1100
    )
