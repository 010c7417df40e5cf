"""The scenarios the page starts from, and the levers it changes.

A scenario comes from the library (`scenarios/library/NAME.toml`, NAME its file stem) or is
uploaded as TOML text and then referred to by its SHA-256. A lever is one thing a reader
changes on the page (the arrest goal, beds, flights, ...); it maps to one or more dotted
override paths of the scenario (as `--set`), so a changed lever is validated by the same
schema as the file, and a problem names the path and what is allowed. Which levers a
scenario has depends on its sections: the arrest goal only where arrests drive it, and so
on. Nothing here reads a path that comes from a request: library names are matched against
the files listed in the library folder.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..data.paths import project_root
from ..errors import NO_VALUE, Problem, ScenarioError

NAME_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
SHA_RE = re.compile(r"[0-9a-f]{64}")
ICE_KINDS = ("at_large", "custodial", "task_force")  # cbp_transfer is not an ICE arrest


def default_library() -> Path | None:
    root = project_root()
    return None if root is None else root / "scenarios" / "library"


@dataclass(frozen=True)
class Source:
    """A scenario as the web app received it: its text, parsed document and where from."""

    text: str
    raw: dict[str, Any]
    label: str  # "library:NAME" or "upload:SHA"
    library: str | None = None
    upload: str | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def parse_text(text: str, label: str, **where: str | None) -> Source:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(
            [Problem(label, "scenario_toml", NO_VALUE, f"not TOML: {exc}")]
        ) from None
    return Source(text, raw, label, **where)


class Library:
    """The library folder's scenarios, read once at start (a server does not follow edits)."""

    def __init__(self, folder: Path | None):
        self.folder = folder
        self._items: dict[str, Source] = {}
        if folder is not None and folder.is_dir():
            for path in sorted(folder.glob("*.toml")):
                if NAME_RE.fullmatch(path.stem):
                    text = path.read_text(encoding="utf-8")
                    self._items[path.stem] = parse_text(
                        text, f"library:{path.stem}", library=path.stem
                    )

    def names(self) -> list[str]:
        return list(self._items)

    def get(self, name: str) -> Source | None:
        return self._items.get(name)

    def listing(self) -> list[dict[str, str]]:
        return [{"name": n, "title": title(s.text) or n} for n, s in self._items.items()]


def header(text: str) -> str:
    """The first paragraph of the file's leading comment, as one line."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        body = line.lstrip("#").strip()
        if not body or (lines and body.startswith("Day 0")):
            break
        lines.append(body)
    return " ".join(lines).removeprefix("Library:").strip()


def title(text: str) -> str:
    """The first sentence of the header, capitalised."""
    head = header(text)
    m = re.search(r"\.(\s|$)", head)
    first = head[: m.start()] if m else head
    first = first.split(" - ")[0]  # "More flights - the goal and ...": the name part
    return first[:1].upper() + first[1:]


# --- levers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lever:
    id: str
    label: str
    group: str
    kind: str  # number | choice | steps | shares
    value: Any
    unit: str = ""
    paths: list[str] = field(default_factory=list)
    choices: list[str] = field(default_factory=list)
    step_field: str = ""  # steps: the name of the value of each step (beds, officers)
    min: float | None = None
    max: float | None = None
    step: float | None = None
    help: str = ""
    scale: float | None = None  # goal: attempts per arrest of the goal, as the file has it


def _get(raw: Mapping[str, Any], path: str) -> Any:
    node: Any = raw
    for part in path.split("."):
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def _ice_sources(raw: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    sources = _get(raw, "arrests.sources") or {}
    return {
        name: s for name, s in sources.items() if isinstance(s, dict) and s.get("kind") in ICE_KINDS
    }


def _goal_rate_path(name: str, src: Mapping[str, Any]) -> str:
    """A source's attempts under the goal: its first scheduled rate, else its base rate."""
    sched = src.get("schedule")
    if isinstance(sched, list) and sched and isinstance(sched[0], dict):
        return f"arrests.sources.{name}.schedule.0.rate_per_day"
    return f"arrests.sources.{name}.rate_per_day"


def _event_levers(raw: Mapping[str, Any], events: list[Any], goal: float | None) -> list[Lever]:
    """Arrests driven by dated events: the target is only what results are measured against
    (attempts follow the events), and each fitted scalar the events name is a lever: how
    much of each event's size is realised (the FY2025 fit and its interval in the help)."""
    out: list[Lever] = []
    if goal:
        out.append(
            Lever("goal", "ICE arrest goal (the target)", "Arrests", "number", goal,
                  "arrests/day", ["targets.ice_arrests_per_day"], min=0, step=100,
                  help="what results are measured against; attempts follow the dated events "
                  "x the fitted scalars below")
        )  # fmt: skip
    named = [e.get("scalar") for e in events if isinstance(e, dict) and e.get("scalar")]
    for name in dict.fromkeys(named):
        fit = _get(raw, f"fitted.{name}")
        value = _num(fit.get("value")) if isinstance(fit, Mapping) else None
        if value is None:
            continue
        what = [str(e.get("what", "")) for e in events if e.get("scalar") == name]
        out.append(
            Lever(
                f"fitted.{name}",
                f"Fitted {name}: {fit.get('unit', '')}",
                "Arrests",
                "number",
                value,
                "",
                [f"fitted.{name}.value"],
                min=0,
                step=0.01,
                help=f"fitted {value:g} ({_num(fit.get('low'))}-{_num(fit.get('high'))}, 95 %) "
                f"on {fit.get('identified_by', 'data')}; scales: "
                + "; ".join(what)
                + "; setting it fixes it (no draw)",
            )
        )
    return out


def _num(x: Any) -> float | None:
    return float(x) if isinstance(x, int | float) and not isinstance(x, bool) else None


def _steps(raw: Mapping[str, Any], path: str, value: str) -> list[list[float]]:
    items = _get(raw, path) or []
    return [[it.get("day"), it.get(value)] for it in items if isinstance(it, dict)]


def levers(raw: Mapping[str, Any]) -> list[Lever]:
    """The levers of a scenario, with the values its file gives."""
    out: list[Lever] = []
    ice = _ice_sources(raw)
    goal = _num(_get(raw, "targets.ice_arrests_per_day"))
    rates = {n: _num(_get(raw, _goal_rate_path(n, s))) for n, s in ice.items()}
    total = sum(r for r in rates.values() if r)
    events = _get(raw, "arrests.events")
    if ice and isinstance(events, list) and events:
        out += _event_levers(raw, events, goal)
    elif ice and goal and total > 0:
        out.append(
            Lever(
                "goal", "ICE arrest goal", "Arrests", "number", goal, "arrests/day",
                ["targets.ice_arrests_per_day", *(_goal_rate_path(n, s) for n, s in ice.items())],
                min=0, step=100, scale=total / goal,
                help=f"the target; attempts run at {total / goal:.0%} of it, split by the mix",
            )
        )  # fmt: skip
        out.append(
            Lever(
                "mix", "Arrest mix (share of attempts)", "Arrests", "shares",
                {n: round((rates[n] or 0.0) / total, 4) for n in ice},
                paths=[_goal_rate_path(n, s) for n, s in ice.items()], min=0, max=1, step=0.05,
            )
        )  # fmt: skip
    for name, src in ice.items():
        hours = _num(src.get("officer_hours_per_arrest"))
        if hours is not None:
            path = f"arrests.sources.{name}.officer_hours_per_arrest"
            out.append(
                Lever(f"hours.{name}", f"Officer-hours per arrest ({name.replace('_', ' ')})",
                      "Arrests", "number", hours, "hours", [path], min=0, step=1,
                      help="the weakest input (docs/arrests.md); setting it fixes it (no draw)")
            )  # fmt: skip
    if _get(raw, "arrests.when_full") is not None:
        out.append(
            Lever("arrest_when_full", "When every bed is taken", "Arrests", "choice",
                  _get(raw, "arrests.when_full"), paths=["arrests.when_full"],
                  choices=["throttle", "divert"],
                  help="throttle: the arrest is not made; divert: made, not booked in")
        )  # fmt: skip
    if _get(raw, "book_ins") is not None:
        path = "book_ins.schedule.0.rate_per_day"
        if _get(raw, path) is None:
            path = "book_ins.rate_per_day"
        out.append(
            Lever("book_ins", "Book-ins", "Arrests", "number", _num(_get(raw, path)),
                  "people/day", [path], min=0, step=50)
        )  # fmt: skip
    beds = _get(raw, "detention.beds")
    out.append(
        Lever("beds", "Detention beds", "Detention", "number",
              None if beds == "unlimited" else _num(beds), "beds", ["detention.beds"],
              min=0, step=1000, help="empty: unlimited")
    )  # fmt: skip
    out.append(
        Lever("buildout", "Bed build-out (from day, beds)", "Detention", "steps",
              _steps(raw, "detention.beds_schedule", "beds"), "beds",
              ["detention.beds_schedule"], step_field="beds")
    )  # fmt: skip
    if _get(raw, "arrests") is None:
        out.append(
            Lever("detention_when_full", "When every bed is taken", "Detention", "choice",
                  _get(raw, "detention.when_full") or "release", paths=["detention.when_full"],
                  choices=["release", "wait"],
                  help="release: turned away; wait: queue for a bed")
        )  # fmt: skip
    out.append(
        Lever("removal_share", "Share of decided cases ordered removed", "Release and removal",
              "number", _num(_get(raw, "detention.removal_share")), "share",
              ["detention.removal_share"], min=0, max=1, step=0.01,
              help="the rest are released")
    )  # fmt: skip
    if _get(raw, "detention.length_of_stay.mean") is not None:
        out.append(
            Lever("stay_mean", "Mean stay until the case is decided", "Release and removal",
                  "number", _num(_get(raw, "detention.length_of_stay.mean")), "days",
                  ["detention.length_of_stay.mean"], min=0, step=1,
                  help="expedited removal (no hearing) shortens it")
        )  # fmt: skip
    if _get(raw, "officers") is not None:
        out.append(
            Lever("officers", "ICE officers", "Officers", "number",
                  _num(_get(raw, "officers.headcount")), "officers", ["officers.headcount"],
                  min=0, step=500)
        )  # fmt: skip
        out.append(
            Lever("hires", "Hiring (from day, new officers)", "Officers", "steps",
                  _steps(raw, "officers.hires", "officers"), "officers", ["officers.hires"],
                  step_field="officers")
        )  # fmt: skip
    if _get(raw, "transport.departures_per_day") is not None:
        out.append(
            Lever("flights", "Removal flights", "Removal flights", "number",
                  _num(_get(raw, "transport.departures_per_day")), "departures/day",
                  ["transport.departures_per_day"], min=0, step=0.5)
        )  # fmt: skip
        out.append(
            Lever("seats", "Seats per flight", "Removal flights", "number",
                  _num(_get(raw, "transport.seats_per_departure")), "seats",
                  ["transport.seats_per_departure"], min=1, step=5)
        )  # fmt: skip
    out.append(
        Lever("bed_day", "Cost of a bed-day", "Costs", "number",
              _num(_get(raw, "costs.bed_day")), "USD", ["costs.bed_day"], min=0, step=1)
    )  # fmt: skip
    return out


def describe(source: Source) -> dict[str, Any]:
    """What the page needs to show a scenario and its levers."""
    sc = source.raw.get("scenario", {}) if isinstance(source.raw.get("scenario"), dict) else {}
    start = sc.get("start_date")
    return {
        "name": source.library,
        "upload": source.upload,
        "title": title(source.text) or sc.get("name", ""),
        "description": header(source.text),
        "days": sc.get("days"),
        "warmup_days": sc.get("warmup_days", 0),
        "start_date": start.isoformat() if hasattr(start, "isoformat") else None,
        "seed": sc.get("seed"),
        "replicates": sc.get("replicates"),
        "levers": [asdict(lever) for lever in levers(source.raw)],
    }


def overrides_for(source: Source, values: Mapping[str, Any]) -> dict[str, Any]:
    """The dotted-path overrides that set each lever to its value; raises ScenarioError for
    an unknown lever or a value of the wrong shape (the schema checks the rest)."""
    known = {lever.id: lever for lever in levers(source.raw)}
    out: dict[str, Any] = {}
    problems: list[Problem] = []

    def bad(lever_id: str, value: Any, message: str) -> None:
        problems.append(Problem(source.label, f"levers.{lever_id}", value, message))

    # The mix is applied with the goal, so read both first.
    goal_lever, mix_lever = known.get("goal"), known.get("mix")
    goal = values.get("goal", goal_lever.value if goal_lever else None)
    mix = values.get("mix", mix_lever.value if mix_lever else None)
    for lever_id, value in values.items():
        lever = known.get(lever_id)
        if lever is None:
            allowed = ", ".join(known) or "none"
            bad(lever_id, value, f"no such lever for this scenario; allowed: {allowed}")
            continue
        if lever.kind == "number":
            if value is None and lever_id == "beds":
                out["detention.beds"] = "unlimited"
            elif _num(value) is None:
                bad(lever_id, value, "must be a number")
            elif lever_id != "goal" or mix_lever is None:
                out[lever.paths[0]] = value
                if lever_id.startswith("fitted."):  # the value chosen lies in its interval
                    fit = _get(source.raw, lever_id) or {}
                    low, high = _num(fit.get("low")), _num(fit.get("high"))
                    if low is not None and value < low:
                        out[f"{lever_id}.low"] = value
                    if high is not None and value > high:
                        out[f"{lever_id}.high"] = value
        elif lever.kind == "choice":
            if value not in lever.choices:
                bad(lever_id, value, f"must be one of {', '.join(lever.choices)}")
            else:
                out[lever.paths[0]] = value
        elif lever.kind == "steps":
            steps = _step_list(value)
            if steps is None:
                bad(lever_id, value, "must be a list of [day, number] pairs")
            else:
                out[lever.paths[0]] = [
                    {"day": int(d), lever.step_field: _whole(n)} for d, n in sorted(steps)
                ]
    if goal_lever is not None and mix_lever is not None and ("goal" in values or "mix" in values):
        shares = _shares(mix, list(goal_lever.paths[1:]), known)
        if _num(goal) is None or _num(goal) < 0:  # type: ignore[operator]
            bad("goal", goal, "must be a number of arrests per day >= 0")
        elif shares is None:
            bad("mix", mix, f"must map {', '.join(mix_lever.value)} to shares >= 0, not all 0")
        else:
            ratio = goal_lever.scale or 1.0
            out["targets.ice_arrests_per_day"] = float(goal)
            for path, share in shares.items():
                out[path] = round(float(goal) * ratio * share, 6)
    if problems:
        raise ScenarioError(problems)
    return out


def _shares(mix: Any, paths: list[str], known: Mapping[str, Lever]) -> dict[str, float] | None:
    names = list(known["mix"].value)
    if not isinstance(mix, Mapping) or set(mix) - set(names):
        return None
    vals = {n: _num(mix.get(n, 0.0)) for n in names}
    if any(v is None or v < 0 for v in vals.values()):
        return None
    total = sum(vals.values())  # type: ignore[arg-type]
    if not total > 0:
        return None
    return {p: vals[n] / total for n, p in zip(names, paths, strict=True)}  # type: ignore[operator]


def _step_list(value: Any) -> list[tuple[float, float]] | None:
    if not isinstance(value, list):
        return None
    out = []
    for item in value:
        if not (isinstance(item, list) and len(item) == 2):
            return None
        day, n = _num(item[0]), _num(item[1])
        if day is None or n is None or day != int(day) or abs(day) > 1e6:
            return None
        out.append((day, n))
    return out


def _whole(n: float) -> int | float:
    return int(n) if float(n).is_integer() and abs(n) < 1e15 else n
