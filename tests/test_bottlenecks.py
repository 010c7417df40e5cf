"""Bottleneck attribution: exact Shapley values of small games, and a two-constraint
scenario whose answer is known in closed form.

Closed form (beds and seats both cap removals). Book-ins arrive at rate lam (Poisson), stay
exactly S days, are all ordered removed, and wait for a bed when none is free. Seats leave
at d departures a day with one seat each, so seats remove at most c = d per day; a person
ordered removed waits U(0, 1/d) for the next departure while holding the bed, so B beds
turn over at most b = B / (S + 1/(2d)) people a day. Starting with every bed taken (stays
uniform over their remainder, so beds free up evenly) and after a warm-up:

    v(none) = min(b, c)      v(beds relaxed) = min(lam, c)
    v(seats relaxed) = b     v(both relaxed) = lam

With lam = 100, B = 600, S = 10, d = 80: b = 59.96, c = 80, so v = 59.96, 80, 59.96, 100
and the Shapley values of the shortfall 100 - 59.96 = 40.04 are
    phi_beds  = ((80 - 59.96) + (100 - 59.96)) / 2 = 30.04
    phi_seats = ((59.96 - 59.96) + (100 - 80)) / 2 = 10.
Only v(both relaxed) is noisy: removals over T = 1,000 days are Poisson arrivals (sd
sqrt(lam T) / T = 0.32 a day), so each phi is within 0.16 sd of the closed form; the
tolerance of 0.75 a day is more than 4 sd.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import enforcesim
from builders import run_exe
from enforcesim.bottlenecks import alone, gap_to_target, relaxed, shapley
from enforcesim.stages.transport import UNLIMITED_SEATS

LAM, BEDS, STAY, DEPS = 100.0, 600, 10.0, 80.0
B_RATE = BEDS / (STAY + 1 / (2 * DEPS))


def two_constraint_scenario(days=1000):
    return {
        "scenario": {"name": "two-constraints", "days": days, "warmup_days": 40, "seed": 3},
        "book_ins": {"rate_per_day": LAM},
        "detention": {
            "beds": BEDS,
            "when_full": "wait",
            "initial_detained": BEDS,
            "length_of_stay": {"dist": "fixed", "mean": STAY},
        },
        "transport": {"departures_per_day": DEPS, "seats_per_departure": 1},
        "targets": {"removals_per_day": 100.0},
        "bottlenecks": {"targets": ["removals_per_day"]},
    }


def test_shapley_of_the_closed_form_game_is_exact():
    v = {
        frozenset(): 60.0,
        frozenset({"beds"}): 80.0,
        frozenset({"seats"}): 60.0,
        frozenset({"beds", "seats"}): 100.0,
    }
    phi = shapley({s: np.array(x) for s, x in v.items()}, ["beds", "seats"])
    assert float(phi["beds"]) == 30.0 and float(phi["seats"]) == 10.0


def test_shapley_axioms_on_a_three_player_game():
    names = ["a", "b", "c"]
    rng = np.random.default_rng(0)
    v = {frozenset(): np.zeros(4)}
    for s in [{"a"}, {"b"}, {"c"}, {"a", "b"}, {"a", "c"}, {"b", "c"}, {"a", "b", "c"}]:
        v[frozenset(s)] = rng.random(4)
    v[frozenset({"b", "c"})] = v[frozenset({"b"})] + v[frozenset({"c"})]  # keep it generic
    phi = shapley(v, names)
    np.testing.assert_allclose(sum(phi.values()), v[frozenset(names)])  # efficiency
    # a null player gets nothing
    null = {s: (x if "c" not in s else v[s - {"c"}]) for s, x in v.items()}
    assert np.allclose(shapley(null, names)["c"], 0.0)


def test_relaxing_changes_only_the_constraint():
    sc = enforcesim.parse_scenario(two_constraint_scenario())
    r = relaxed(sc, frozenset({"beds", "seats"}))
    assert r.detention.beds == "unlimited"
    assert r.transport.seats_per_departure == UNLIMITED_SEATS
    assert r.scenario == sc.scenario and r.book_ins == sc.book_ins


@pytest.fixture(scope="module")
def two_constraints():
    return enforcesim.run(two_constraint_scenario(), workers=1)


def test_two_constraint_shortfall_split_matches_the_closed_form(two_constraints):
    b = two_constraints.bottlenecks
    assert b["constraints"] == ["beds", "seats"] and b["runs"] == 4
    t = b["targets"]["removals_per_day"]
    sub = t["subsets"]
    assert sub["none"] == pytest.approx(min(B_RATE, DEPS), abs=0.05)
    assert sub["seats"] == pytest.approx(B_RATE, abs=0.05)
    assert sub["beds"] == pytest.approx(DEPS, abs=0.01)
    assert sub["beds+seats"] == pytest.approx(LAM, abs=1.5)
    phi_beds = ((DEPS - B_RATE) + (LAM - B_RATE)) / 2
    phi_seats = (LAM - DEPS) / 2
    assert t["shapley"]["beds"]["mean"] == pytest.approx(phi_beds, abs=0.75)
    assert t["shapley"]["seats"]["mean"] == pytest.approx(phi_seats, abs=0.75)
    # efficiency holds exactly, replicate by replicate
    total = t["shapley"]["beds"]["mean"] + t["shapley"]["seats"]["mean"]
    assert total == pytest.approx(t["shortfall_from_constraints"]["mean"], rel=1e-12)
    assert t["beyond_constraints"] == pytest.approx(0.0, abs=1.5)


def test_daily_binding_flags(two_constraints):
    d = two_constraints.daily()
    assert d["binding_beds"].all()  # every bed taken, a queue waits
    # 80 seats a day for 60 people: a departure leaves full with someone waiting only while
    # the initial residual stays end (two within 1/80 day of each other); once every bed
    # has turned over, admissions - and so the ends of stays - fall on departure instants
    assert not d.loc[d["day"] >= STAY, "binding_seats"].any()
    s = two_constraints.summary_dict()["bottlenecks"]["binding_day_share"]
    assert s["beds"]["mean"] == 1.0 and s["seats"]["mean"] <= STAY / 1000


def test_seats_bind_when_beds_are_relaxed():
    sc = enforcesim.parse_scenario(two_constraint_scenario(days=50))
    res = enforcesim.run(relaxed(sc, frozenset({"beds"})), workers=1, bottlenecks=False)
    d = res.daily()
    assert d["binding_seats"].all() and not d["binding_beds"].any()
    # without attribution the block holds only what the run itself shows: beds are
    # unlimited, so only seats apply, and they bind every day
    block = res.summary_dict()["bottlenecks"]
    assert block == {"binding_share": {"seats": {"mean": 1.0, "lo": 1.0, "hi": 1.0}}}


def test_cli_bottlenecks_option(tmp_path, write_toml):
    import json

    scen = write_toml("""
[scenario]
name = "cli-bottlenecks"
days = 20
[book_ins]
rate_per_day = 50.0
[detention]
beds = 100
when_full = "release"
length_of_stay = { dist = "fixed", mean = 5.0 }
[transport]
departures_per_day = 1.0
seats_per_departure = 10
""")
    r = run_exe("run", str(scen), "--out", str(tmp_path / "o"), "--bottlenecks")
    assert r.returncode == 0, r.stderr
    assert "bottlenecks of removals_per_day" in r.stdout
    s = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert s["bottlenecks"]["constraints"] == ["beds", "seats"]
    # the option runs the same attribution as the API (same seed, same numbers) ...
    api = enforcesim.run(scen, workers=1, bottlenecks=True).summary_dict()["bottlenecks"]
    assert s["bottlenecks"] == json.loads(json.dumps(api))
    # ... whose Shapley values add up to the shortfall the constraints cause; seats (10 a
    # day against 50 orders a day) hold removals below what beds alone would allow
    t = s["bottlenecks"]["targets"]["removals_per_day"]
    total = t["shapley"]["beds"]["mean"] + t["shapley"]["seats"]["mean"]
    assert total == pytest.approx(t["shortfall_from_constraints"]["mean"], rel=1e-12)
    assert t["subsets"]["none"] <= 10.0 < t["subsets"]["beds+seats"]


def test_the_gap_to_the_target_adds_up_part_by_part(two_constraints):
    t = two_constraints.bottlenecks["targets"]["removals_per_day"]
    gap = t["gap_to_target"]
    assert gap["total"] == pytest.approx(t["target"] - t["achieved"]["mean"], rel=1e-12)
    assert gap["parts"]["beyond_constraints"] == pytest.approx(
        t["target"] - t["all_relaxed"]["mean"], rel=1e-12
    )
    assert set(gap["parts"]) == {"beds", "seats", "beyond_constraints"}
    assert sum(gap["parts"].values()) == pytest.approx(gap["total"], rel=1e-9)


def test_beyond_every_constraint_is_signed_so_the_parts_still_add_up(two_constraints):
    # a target below what the all-relaxed run reaches: the constraints' shortfall is larger
    # than the gap, and the part beyond every constraint is negative
    t = dict(two_constraints.bottlenecks["targets"]["removals_per_day"], target=70.0)
    gap = gap_to_target(t)
    assert gap["parts"]["beyond_constraints"] == pytest.approx(70.0 - LAM, abs=1.5)
    assert sum(gap["parts"].values()) == pytest.approx(70.0 - t["achieved"]["mean"], rel=1e-9)
    assert gap_to_target(dict(t, target=None)) is None


def test_a_constraint_that_does_not_bind_alone_still_earns_credit(two_constraints):
    # relaxing seats alone changes nothing (beds bind), yet seats get (100 - 80) / 2 = 10:
    # once beds are relaxed, seats are what stops 20 removals a day
    t = two_constraints.bottlenecks["targets"]["removals_per_day"]
    solo = alone(t)
    assert solo["seats"] == pytest.approx(0.0, abs=0.05)
    assert solo["beds"] == pytest.approx(DEPS - B_RATE, abs=0.05)
    assert t["shapley"]["seats"]["mean"] == pytest.approx((LAM - DEPS) / 2, abs=0.75)


def test_the_printed_split_adds_up_to_target_minus_achieved(tmp_path):
    from typer.testing import CliRunner

    from enforcesim.cli import app
    from enforcesim.tomlfile import dumps

    d = two_constraint_scenario(days=200)
    d["targets"]["removals_per_day"] = 90.0
    scen = tmp_path / "s.toml"
    scen.write_text(dumps(d))
    r = CliRunner().invoke(app, ["run", str(scen), "--out", str(tmp_path / "o"), "--workers", "1"])
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())
    num = r"(-?[\d,]+\.\d+)"
    m = re.search(
        rf"target {num} - achieved {num} = {num} = beds {num} \+ seats {num} \(Shapley\) "
        rf"\+ beyond every constraint {num}",
        text,
    )
    assert m, text
    target, achieved, gap, beds, seats, beyond = (float(g.replace(",", "")) for g in m.groups())
    assert target == 90.0
    assert gap == pytest.approx(target - achieved, abs=0.1)
    assert beds + seats + beyond == pytest.approx(gap, abs=0.15)  # each printed to 0.05
    assert beyond < 0 and "overshoots the target" in text
    assert "relaxing one alone: beds +" in text
    assert 'docs/costs.md, "Shapley credit and interactions"' in text
