"""Documentation derived from the code stays in step with it."""

from __future__ import annotations

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


def _blocks(text: str, lang: str) -> list[str]:
    import re

    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.S)


def test_readme_first_scenario_is_the_shipped_example():
    """The README walks through scenarios/example.toml line by line: same values."""
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    (block,) = _blocks((root / "README.md").read_text(), "toml")
    shipped = tomllib.loads((root / "scenarios" / "example.toml").read_text())
    assert tomllib.loads(block) == shipped


def test_readme_python_example_runs(tmp_path, monkeypatch):
    """The README's Python example runs as written (from a folder that has the scenarios)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    (code,) = _blocks((root / "README.md").read_text(), "python")
    (tmp_path / "scenarios").symlink_to(root / "scenarios")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    results = namespace["results"]
    assert len(results.replicate_metrics()) == 5
    assert (tmp_path / "out" / "example" / "summary.json").exists()
