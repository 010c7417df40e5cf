"""Published per-stage cost analyses reproduced as special cases (unlimited capacity, their
unit costs): within 2 % of their totals (scenarios/published/, docs/costs.md)."""

from __future__ import annotations

import pytest

import enforcesim
from builders import SCENARIOS

PUBLISHED = SCENARIOS / "published"
TOL = 0.02


def costs_of(name):
    res = enforcesim.run(PUBLISHED / f"{name}.toml", replicates=1, workers=1)
    return res.summary_dict()["costs"]


def mean(block):
    return block["mean"]


def test_aic_2024_88_billion_a_year_for_a_million_removals():
    c = costs_of("aic-2024")
    assert mean(c["metrics"]["cost_all_in_total"]) == pytest.approx(88e9, rel=TOL)
    assert mean(c["metrics"]["cost_all_in_per_removal"]) == pytest.approx(88_000, rel=TOL)
    assert mean(c["volumes"]["removals"]) == pytest.approx(1e6, rel=TOL)
    for stage, billions in [
        ("arrest", 7.0),
        ("detention", 66.0),
        ("legal_processing", 12.6),
        ("removal_transport", 2.1),
    ]:
        assert mean(c["by_component"][stage]["total"]) == pytest.approx(billions * 1e9, rel=TOL)


def test_pwbm_2025_70236_per_removal():
    c = costs_of("pwbm-2025")
    assert mean(c["metrics"]["cost_all_in_per_removal"]) == pytest.approx(70_236, rel=TOL)
    assert mean(c["metrics"]["cost_all_in_total"]) == pytest.approx(70_236 * 1e6, rel=TOL)


def test_cap_2010_23482_per_removal_and_200_billion_over_five_years():
    c = costs_of("cap-2010")
    assert mean(c["metrics"]["cost_all_in_per_removal"]) == pytest.approx(23_482, rel=TOL)
    assert 5 * mean(c["metrics"]["cost_all_in_total"]) == pytest.approx(200e9, rel=TOL)
