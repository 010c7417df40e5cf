"""What the stages declare they report (stages/outputs.py) is what a run reports: every
metric computed under its declared name, every daily column with its declared unit, and the
cheap `bottlenecks` block on every run."""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest

import enforcesim
from builders import ROOT, read_toml
from enforcesim.stages import STAGES, daily_groups, metric_definitions

BASELINE = ROOT / "tests" / "baseline" / "scenarios"


@pytest.fixture(scope="module")
def arrests_and_cases():
    """A run with every part: streams (arrest classes), the arrest side and the case side."""
    raw = read_toml(BASELINE / "arrest-driven.toml")
    raw["scenario"]["replicates"] = 2
    raw["transport"]["intake"] = {}  # escorts: a case-side mechanism
    return enforcesim.run(raw, workers=1)


def test_each_metric_set_computes_exactly_the_metrics_it_declares(arrests_and_cases):
    out = arrests_and_cases.replicates[0]
    assert out.scenario.arrests is not None and out.scenario.has_case_side()
    for stage in STAGES:
        for m in stage.module.OUTPUTS.metric_sets:
            assert list(m.compute(out)) == list(m.metrics), (stage.name, m.part)


def test_a_metric_reported_twice_is_declared_the_same_way_both_times():
    seen: dict[str, tuple[str, str]] = {}
    for part in ("contract", "arrests", "cases"):
        for name, definition in metric_definitions(part=part).items():
            assert seen.setdefault(name, definition) == definition, name


def test_daily_parquet_units_are_the_ones_the_stages_declare(arrests_and_cases, tmp_path):
    out = arrests_and_cases.write(tmp_path / "o")
    declared = {
        (table, name): unit
        for table, groups in daily_groups().items()
        for g in groups
        for name, (unit, _) in g.columns.items()
    }
    checked = 0
    for path in sorted(out.glob("*.parquet")):
        for f in pq.read_schema(path):
            unit = f.metadata[b"unit"].decode()
            if (path.stem, f.name) in declared:
                assert unit == declared[path.stem, f.name], (path.stem, f.name)
                checked += 1
            else:  # keys, labels, the all-in cost and the binding flags
                assert unit, (path.stem, f.name)
    assert checked == len(declared)  # every declared column was written


def test_every_run_reports_binding_shares_and_arrests_foregone(arrests_and_cases):
    res = arrests_and_cases
    block = res.summary_dict()["bottlenecks"]
    assert set(block) == {"binding_share", "foregone_per_day"}  # no attribution asked for
    daily = res.daily()
    for name, share in block["binding_share"].items():
        per_rep = daily.groupby("replicate")[f"binding_{name}"].mean().to_numpy()
        assert share["mean"] == pytest.approx(per_rep.mean(), rel=1e-12), name
    metrics = res.replicate_metrics()
    for cause, v in block["foregone_per_day"].items():
        expected = metrics[f"arrests_foregone_{cause}_per_day"].to_numpy()
        assert v["mean"] == pytest.approx(np.mean(expected), rel=1e-12), cause
    assert block["foregone_per_day"]["officers"]["mean"] > 0  # officers bind in this scenario
