"""Rewrite the regression baseline and say what changed.

    .venv/bin/python scripts/update_baseline.py          # show what would change
    .venv/bin/python scripts/update_baseline.py --write  # and write it

Run it only when a change to the numbers is intended, and say why in the commit message.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from baseline_common import EXPECTED, SCENARIOS, baseline_record  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="write the new baseline")
    args = parser.parse_args()
    changed = 0
    for path in sorted(SCENARIOS.glob("*.toml")):
        new = baseline_record(path)
        target = EXPECTED / f"{path.stem}.json"
        old = json.loads(target.read_text()) if target.exists() else None
        if old == new:
            print(f"{path.name}: unchanged")
            continue
        changed += 1
        print(f"{path.name}: CHANGED")
        for name, values in new["metrics"].items():
            before = (old or {}).get("metrics", {}).get(name)
            if before != values:
                print(f"  {name}: {before} -> {values}")
        for key in sorted(set(new) | set(old or {})):
            if key != "metrics" and (old or {}).get(key) != new.get(key):
                print(f"  {key}: {(old or {}).get(key)} -> {new.get(key)}")
        if args.write:
            target.write_text(json.dumps(new, indent=2, sort_keys=True) + "\n")
    print(f"{changed} baseline file(s) {'written' if args.write else 'would change'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
