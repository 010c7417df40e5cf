"""Documentation derived from the code stays in step with it."""

from __future__ import annotations

import json

import pyarrow.parquet as pq

from builders import ROOT, SCENARIOS, code_blocks, read_toml
from enforcesim import docgen


def test_scenario_reference_is_not_stale():
    current = docgen.DOC_PATH.read_text()
    assert current == docgen.render(), (
        "docs/scenario-reference.md is stale: run `.venv/bin/python -m enforcesim.docgen`"
    )


def test_reference_names_every_key_of_the_schema():
    text = docgen.render()
    for key in [
        "scenario.days",
        "book_ins.schedule[].rate_per_day",
        "detention.beds_schedule[].beds",
        "detention.length_of_stay.sd",
        "transport.seats_per_departure",
        "costs.bed_day",
        "targets.removals_per_day",
        "cost_per_removal",
        "waiting_for_bed",
    ]:
        assert f"`{key}`" in text, key


def test_readme_first_scenario_is_the_shipped_example():
    """The README walks through scenarios/example.toml line by line: same values."""
    import tomllib

    (block,) = code_blocks((ROOT / "README.md").read_text(), "toml")
    assert tomllib.loads(block) == read_toml(SCENARIOS / "example.toml")


def test_readme_python_example_runs(tmp_path, monkeypatch):
    """The README's Python example runs as written (from a folder that has the scenarios)."""
    (code,) = code_blocks((ROOT / "README.md").read_text(), "python")
    (tmp_path / "scenarios").symlink_to(SCENARIOS)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    results = namespace["results"]
    assert len(results.replicate_metrics()) == 5
    # what it wrote is what it computed
    written = json.loads((tmp_path / "out" / "example" / "summary.json").read_text())
    assert written == json.loads(json.dumps(results.summary_dict()))
    daily = pq.read_table(tmp_path / "out" / "example" / "daily.parquet").to_pandas()
    assert len(daily) == 5 * results.scenario.scenario.days
