"""How capacity limits change the published cost analyses (the table in docs/costs.md).

    PYTHONPATH=src python scripts/published_capacity.py

Runs scenarios/published/aic-2024.toml and pwbm-2025.toml as published (unlimited beds and
seats) and with 100,000 or 50,000 beds (arrivals wait for a bed) and with removal flights at
ICE's 2023 pace (about 150 a month of 135 seats: 5 departures a day), one replicate each
(process noise is far below the rounding), and the bottleneck split of the last case.
"""

from __future__ import annotations

from pathlib import Path

import enforcesim
from enforcesim.scenario import read_toml

ROOT = Path(__file__).resolve().parents[1]
STATIONARY = 128493  # people in beds at 2,739.726 a day x 46.9 days
SEATS = {"departures_per_day": 5.0, "seats_per_departure": 135}

VARIANTS = [
    ("as published (unlimited)", None, None),
    ("100,000 beds", 100_000, None),
    ("50,000 beds", 50_000, None),
    ("flights at 5 x 135 seats/day", None, SEATS),
    ("100,000 beds + flights", 100_000, SEATS),
]


def variant(name: str, beds: int | None, transport: dict | None) -> dict:
    raw, _ = read_toml(ROOT / "scenarios" / "published" / f"{name}.toml")
    raw["scenario"]["replicates"] = 1
    if beds is not None:
        raw["detention"]["beds"] = beds
        raw["detention"]["initial_detained"] = min(beds, STATIONARY)
    if transport is not None:
        raw["transport"] = transport
    return raw


def main() -> None:
    print("| analysis | capacity | removals/yr | beds used (mean) | total $B/yr | $ per removal |")
    print("|---|---|---|---|---|---|")
    for name in ("aic-2024", "pwbm-2025"):
        for label, beds, transport in VARIANTS:
            res = enforcesim.run(variant(name, beds, transport), workers=1)
            s = res.summary_dict()
            c = s["costs"]["metrics"]
            print(
                f"| {name} | {label} | {s['metrics']['removals_per_day']['mean'] * 365:,.0f} "
                f"| {s['metrics']['detained']['mean']:,.0f} "
                f"| {c['cost_all_in_total']['mean'] / 1e9:,.1f} "
                f"| {c['cost_all_in_per_removal']['mean']:,.0f} |"
            )
    res = enforcesim.run(variant("aic-2024", 100_000, SEATS), workers=1, bottlenecks=True)
    t = res.bottlenecks["targets"]["removals_per_day"]
    print()
    print("Bottlenecks of aic-2024 with 100,000 beds + flights (removals per day):")
    print(
        f"achieved {t['achieved']['mean']:,.0f}, all relaxed {t['all_relaxed']['mean']:,.0f}"
        ", Shapley: " + ", ".join(f"{k} {v['mean']:,.0f}" for k, v in t["shapley"].items())
    )


if __name__ == "__main__":
    main()
