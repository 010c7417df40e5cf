"""What the study tools share: loading a scenario with its text and hashes, metric units and
number formatting."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..results import METRICS
from ..scenario import Scenario, read_toml, sha256_bytes


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario with the file it came from."""

    path: Path
    text: str
    raw: dict[str, Any]
    scenario: Scenario
    file_sha256: str  # of the file's bytes, as in summary.json's scenario_sha256
    content_sha256: str  # of its values only: comments and layout do not change it
    overrides: dict[str, Any] = field(default_factory=dict)  # --set, applied to raw

    @property
    def name(self) -> str:
        return self.scenario.scenario.name


def load(path: str | Path, overrides: Mapping[str, Any] | None = None) -> LoadedScenario:
    """Read and validate a scenario file with any `--set` overrides applied to its values
    (raises ScenarioError); `raw` and `content_sha256` are of the values with them."""
    from ..scenario.overrides import apply, describe, parse_with_overrides

    p = Path(path)
    raw, data = read_toml(p)
    sc = parse_with_overrides(raw, overrides, str(p))
    if overrides:
        raw = apply(raw, overrides, str(p))
    text = data.decode("utf-8")
    return LoadedScenario(
        p, text, raw, sc, sha256_bytes(data), content_hash(raw), describe(overrides)
    )


def content_hash(raw: dict[str, Any]) -> str:
    text = json.dumps(raw, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def unit(metric: str) -> str:
    return METRICS.get(metric, ("", ""))[0]


def meaning(metric: str) -> str:
    return METRICS.get(metric, ("", ""))[1]


def fmt(v: float | None, metric: str = "") -> str:
    """A number for people: thousands separated, millions and billions spelt out."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    u = unit(metric)
    if u == "share":
        return f"{v:.3f}"
    a = abs(v)
    if a >= 1e9:
        return f"{v / 1e9:,.2f} bn"
    if a >= 1e6:
        return f"{v / 1e6:,.2f} m"
    if a >= 100:
        return f"{v:,.0f}"
    if a >= 1:
        return f"{v:,.1f}"
    return f"{v:.3g}"


def quantile_interval(values: np.ndarray) -> dict[str, float | None]:
    """Mean and 2.5/97.5 percentiles over the non-null values (the contract's interval)."""
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    if v.size == 0:
        return {"mean": None, "lo": None, "hi": None}
    lo, hi = np.quantile(v, [0.025, 0.975])
    return {"mean": float(v.mean()), "lo": float(lo), "hi": float(hi)}
