"""Documentation derived from the code stays in step with it."""

from __future__ import annotations

from enforcesim import docgen


def test_scenario_reference_is_not_stale():
    current = docgen.DOC_PATH.read_text()
    assert current == docgen.render(), (
        "docs/scenario-reference.md is stale: run `.venv/bin/python -m enforcesim.docgen`")


def test_reference_names_every_key_of_the_schema():
    text = docgen.render()
    for key in ["scenario.days", "book_ins.schedule[].rate_per_day",
                "detention.beds_schedule[].beds", "detention.length_of_stay.sd",
                "transport.seats_per_departure", "costs.bed_day",
                "targets.removals_per_day", "cost_per_removal", "waiting_for_bed"]:
        assert f"`{key}`" in text, key
