"""Bad case-side input: every problem names the file, the dotted key, the value and what is
allowed, like the rest of the scenario (see test_errors.py)."""

from __future__ import annotations

import copy

import pytest

from enforcesim import ScenarioError, parse_scenario

FIXED1 = {"dist": "fixed", "mean": 1.0}
GOOD = {
    "scenario": {"name": "e", "days": 10},
    "book_ins": {"rate_per_day": 1.0},
    "detention": {"beds": 10, "when_full": "wait", "length_of_stay": FIXED1},
    "pathways": {
        "er": {"stay": FIXED1, "outcome": "removal"},
        "court": {"court": True, "outcome": "removal"},
        "atd": {"diversion": True},
    },
    "pathway_shares": {"default": {"er": 0.5, "court": 0.3, "atd": 0.2}},
    "courts": {"judges": 5},
    "travel_documents": {
        "groups": {"mx": {"share": 0.5}, "other": {"share": 0.5, "delay": FIXED1}}
    },
    "transport": {
        "modes": {
            "bus": {"departures_per_day": 1.0, "seats_per_departure": 40, "groups": ["mx"]},
            "charter": {"departures_per_day": 1.0, "seats_per_departure": 135},
        }
    },
}


def test_the_good_scenario_parses_and_round_trips():
    sc = parse_scenario(GOOD)
    assert sc.has_case_side()
    assert [name for name, _ in sc.transport.mode_list()] == ["bus", "charter"]
    # `run --seed` re-validates the dumped model, with None for every absent key
    assert parse_scenario(sc.model_dump()) == sc
    assert parse_scenario(sc.model_dump(exclude_none=True)) == sc


def _pop(path):
    def change(s):
        node = s
        for part in path[:-1]:
            node = node[part]
        del node[path[-1]]

    return change


def _set(path, value):
    def change(s):
        node = s
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value

    return change


CASES = [
    (
        _set(("pathway_shares", "default", "er"), 0.6),
        "pathway_shares.default",
        "must sum to 1 (they sum to 1.1)",
    ),
    (
        _set(("pathway_shares", "default", "ee"), 0.0),
        "pathway_shares.default.ee",
        "not a pathway; valid: er, court, atd",
    ),
    (
        _set(("pathway_shares", "ice"), {"er": 1.0}),
        "pathway_shares.ice",
        "not a book-in class; valid: default, all",
    ),
    (_pop(("pathway_shares",)), "pathway_shares", "required section"),
    (_pop(("pathways", "er", "stay")), "pathways.er.stay", "required key is missing"),
    (_pop(("pathways", "er", "outcome")), "pathways.er.outcome", "required key is missing"),
    (
        _set(("pathways", "er", "outcome"), "deported"),
        "pathways.er.outcome",
        'one of "removal", "release", "voluntary_departure"',
    ),
    (
        _set(("pathways", "atd", "stay"), FIXED1),
        "pathways.atd.stay",
        "not allowed with diversion = true",
    ),
    (_set(("pathways", "er", "outcome"), "release"), None, None),
    (_set(("pathways", "er", "counts_as_removal"), True), None, None),
    (_pop(("courts",)), "courts", "required section [courts] is missing"),
    (
        _set(("courts", "detained_docket_share"), 0.0),
        "courts.detained_docket_share",
        "must be a number > 0 and <= 1",
    ),
    (
        _set(("courts", "judges_schedule"), [{"day": 12, "judges": 3}]),
        "courts.judges_schedule[0].day",
        "must be a day from 0 to 9",
    ),
    (
        _set(("travel_documents", "groups", "mx", "share"), 0.7),
        "travel_documents.groups",
        "must sum to 1 (they sum to 1.2)",
    ),
    (
        _set(("transport", "modes", "bus", "groups"), ["mexico"]),
        "transport.modes.bus.groups[0]",
        "must name a [travel_documents.groups.NAME] table",
    ),
    (
        _pop(("transport", "modes", "charter", "departures_per_day")),
        "transport.modes.charter.departures_per_day",
        "required key is missing",
    ),
    (
        _set(("transport", "departures_per_day"), 3.0),
        "transport.departures_per_day",
        "not allowed with [transport.modes]",
    ),
    (
        _set(("transport", "modes", "charter", "groups"), []),
        "transport.modes",
        "groups other have no mode",
    ),
    (
        _set(("transport", "modes", "van"), {"departures_per_day": 1.0, "seats_per_departure": 9}),
        "transport.modes.van.groups",
        "only one mode may be the default",
    ),
    (
        _set(("transport", "modes", "bus", "seets_per_departure"), 1),
        "transport.modes.bus.seets_per_departure",
        "unknown key",
    ),
]


@pytest.mark.parametrize("change, key, words", CASES)
def test_case_side_errors_name_the_key(change, key, words):
    sc = copy.deepcopy(GOOD)
    change(sc)
    if key is None:  # a valid variation
        assert parse_scenario(sc).has_case_side()
        return
    with pytest.raises(ScenarioError) as err:
        parse_scenario(sc, "s.toml")
    lines = [str(p) for p in err.value.problems]
    assert any(line.startswith(f"s.toml: {key}") and words in line for line in lines), lines


def test_release_cannot_count_as_a_removal():
    sc = copy.deepcopy(GOOD)
    sc["pathways"]["er"].update(outcome="release", counts_as_removal=True)
    with pytest.raises(ScenarioError) as err:
        parse_scenario(sc, "s.toml")
    assert any(
        "pathways.er.counts_as_removal" in str(p) and "never a removal" in str(p)
        for p in err.value.problems
    )


def test_courts_without_a_court_pathway_and_v1_transport_half_given():
    sc = copy.deepcopy(GOOD)
    sc["pathways"]["court"] = {"stay": FIXED1, "outcome": "release"}
    sc["transport"] = {"departures_per_day": 2.0}
    with pytest.raises(ScenarioError) as err:
        parse_scenario(sc, "s.toml")
    lines = [str(p) for p in err.value.problems]
    assert any(line.startswith("s.toml: courts") and "court = true" in line for line in lines)
    assert any(
        line.startswith("s.toml: transport.seats_per_departure")
        and "required key is missing" in line
        for line in lines
    ), lines


def test_uncertainty_on_case_side_values():
    sc = copy.deepcopy(GOOD)
    sc["uncertainty"] = {
        "courts.judges": {"dist": "uniform", "low": 3.0, "high": 8.0},
        "pathways.er.stay.mean": {"dist": "uniform", "low": 1.0, "high": 2.0},
        "transport.modes.charter.seats_per_departure": {
            "dist": "uniform",
            "low": 100.0,
            "high": 150.0,
        },
    }
    parse_scenario(sc)
    sc["uncertainty"]["pathways.xx.stay.mean"] = {"dist": "uniform", "low": 1.0, "high": 2.0}
    with pytest.raises(ScenarioError) as err:
        parse_scenario(sc, "s.toml")
    assert any("pathways.xx.stay.mean is not set" in str(p) for p in err.value.problems)
