"""Scenario files through tomlkit (enforcesim.tomlfile): what is written reads back the same,
comments survive an edit, and each value is read back with its comment."""

from __future__ import annotations

import tomllib
from datetime import date

import pytest

from builders import ROOT, SCENARIOS
from enforcesim import tomlfile
from enforcesim.scenario import parse_scenario

FILES = sorted(SCENARIOS.rglob("*.toml")) + sorted((ROOT / "tests" / "baseline").rglob("*.toml"))


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_writing_then_reading_gives_the_same_dict(path):
    raw = tomllib.loads(path.read_text())
    text = tomlfile.dumps(raw)
    assert tomllib.loads(text) == raw
    parse_scenario(tomllib.loads(text), str(path))


def test_the_layout_is_a_scenario_file_with_comments_and_a_header():
    d = {
        "scenario": {"name": "t", "days": 10, "start_date": date(2024, 10, 1)},
        "detention": {
            "beds": 100,
            "length_of_stay": {"dist": "gamma", "mean": 30.0, "sd": 20.0},
            "beds_schedule": [{"day": 2, "beds": 120}, {"day": 5, "beds": 90}],
        },
        "book_ins": {"streams": {"ice": {"rate_per_day": 4.0}}},
        "uncertainty": {"detention.beds": {"dist": "uniform", "low": 90.0, "high": 110.0}},
    }
    text = tomlfile.dumps(
        d, header="# A header\n# on two lines", comments={"detention.beds": "funded (source)"}
    )
    assert tomllib.loads(text) == d
    lines = text.splitlines()
    assert lines[:2] == ["# A header", "# on two lines"]
    assert "[book_ins.streams.ice]" in lines and "[book_ins]" not in lines
    assert any(line.startswith("length_of_stay = {") for line in lines)  # inline
    assert any(line.startswith('"detention.beds" = {') for line in lines)
    assert next(line for line in lines if line.startswith("beds =")).endswith("# funded (source)")
    assert "beds_schedule = [" in lines  # one step a line
    assert ("detention.beds", "100", "funded (source)") in tomlfile.value_comments(text)


def test_comments_survive_an_edit():
    text = (SCENARIOS / "library" / "more-officers.toml").read_text()
    doc = tomlfile.parse(text)
    doc["officers"]["headcount"] = 7000
    del doc["officers"]["hires"][3]
    edited = tomlfile.dumps(doc)
    raw = tomllib.loads(edited)
    assert raw["officers"]["headcount"] == 7000 and len(raw["officers"]["hires"]) == 3
    rows = dict((k, c) for k, _v, c in tomlfile.value_comments(edited))
    before = dict((k, c) for k, _v, c in tomlfile.value_comments(text))
    assert rows["officers.headcount"] == before["officers.headcount"]
    assert "National" in rows["officers.headcount"]
    assert rows["(file header)"] == before["(file header)"]
    assert edited.count("\n#") == text.count("\n#")  # no comment line lost


def test_each_value_is_read_back_with_its_comment():
    text = (
        '# Header line one\n# and two.\n\n[scenario]\nname = "x"  # the name\n'
        "days = 5\n                 # continued comment of days\n"
        "# a note on its own line\n\n[detention]  # the section\n"
        'beds = "unlimited"  # a # inside a comment\n'
        "beds_schedule = [\n  { day = 1, beds = 3 },  # first\n  { day = 2, beds = 4 },\n]\n"
    )
    assert tomlfile.value_comments(text) == [
        ("(file header)", "", "Header line one and two."),
        ("scenario.name", '"x"', "the name"),
        ("scenario.days", "5", "continued comment of days"),
        ("[scenario]", "", "a note on its own line"),
        ("[detention]", "", "the section"),
        ("detention.beds", '"unlimited"', "a # inside a comment"),
        ("detention.beds_schedule", "[ { day = 1, beds = 3 }, { day = 2, beds = 4 } ]", "first"),
    ]
