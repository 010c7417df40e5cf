"""Regression baseline: fixed scenarios whose summaries are stored in tests/baseline/expected
and diffed exactly. A change in any number fails here; if it is intended, regenerate with
`scripts/update_baseline.py --write`, which prints what changed, and say why in the commit."""

from __future__ import annotations

import json

import pytest

from baseline_common import EXPECTED, SCENARIOS, baseline_record

CASES = sorted(SCENARIOS.glob("*.toml"))


def test_baseline_has_cases():
    assert len(CASES) >= 6
    assert {p.stem for p in CASES} == {p.stem for p in EXPECTED.glob("*.json")}


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_summary_matches_the_baseline_exactly(path):
    expected = json.loads((EXPECTED / f"{path.stem}.json").read_text())
    got = json.loads(json.dumps(baseline_record(path)))
    assert got == expected, (
        f"{path.name}: numbers changed; if intended run scripts/update_baseline.py --write"
    )
