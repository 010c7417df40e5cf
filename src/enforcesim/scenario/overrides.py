"""Changing scenario values without editing the file: `--set PATH=VALUE` and `overrides=`.

An override sets one value of the parsed TOML document before it is validated, so a set
value is checked exactly like the same value written in the file, and a problem with it is
reported as `FILE: --set PATH ...` (the file, and the option that gave the value).

PATH is a dotted key as in `[uncertainty]`: `detention.beds`,
`arrests.sources.at_large.rate_per_day`, `book_ins.schedule.0.rate_per_day` (a number
picks an item of an array); parts may be quoted like TOML keys
(`uncertainty."costs.bed_day".high`). VALUE is a TOML value (`80000`, `1.5`, `"wait"`,
`[1, 2]`, `{ dist = "uniform", low = 1, high = 2 }`, `true`); a bare word such as `wait`
or `unlimited` is taken as that string. Missing tables on the way are created. A set value
replaces any `[uncertainty]` entry of the same path: the value is then fixed, not drawn.
"""

from __future__ import annotations

import copy
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from ..errors import NO_VALUE, Problem, ScenarioError
from . import Scenario, parse_scenario

_BARE_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def parse_set(spec: str, file: str = "--set") -> tuple[str, Any]:
    """`PATH=VALUE` -> (PATH, VALUE); raises ScenarioError naming `file` and the option when
    it is not of that form."""
    key, value = _split(spec)
    if key is None or key_parts(key) is None:
        hint = (
            "give PATH=VALUE, e.g. --set detention.beds=80000"
            if key is None
            else f"{key.strip()!r} is not a dotted key such as detention.beds"
        )
        raise ScenarioError([Problem(file, f"--set {spec}", NO_VALUE, hint)])
    path = key.strip()
    return path, _value(value, file, path)


def parse_sets(specs: Iterable[str], file: str = "--set") -> dict[str, Any]:
    """Every `--set` of a command line, in order (a later one for the same path wins);
    raises ScenarioError with every malformed one."""
    out: dict[str, Any] = {}
    problems: list[Problem] = []
    for spec in specs:
        try:
            path, value = parse_set(spec, file)
        except ScenarioError as exc:
            problems += exc.problems
            continue
        out.pop(path, None)
        out[path] = value
    if problems:
        raise ScenarioError(problems)
    return out


def key_parts(key: str) -> list[str] | None:
    """The parts of a dotted TOML key (quoted parts may hold dots), or None if it is not one."""
    try:
        doc = tomllib.loads(f"{key.strip()} = 0")
    except tomllib.TOMLDecodeError:
        return None
    parts: list[str] = []
    node: Any = doc
    while isinstance(node, dict):
        if len(node) != 1:  # "a = 1\nb" is two keys, not one
            return None
        ((name, node),) = node.items()
        parts.append(name)
    return parts


def _split(spec: str) -> tuple[str | None, str]:
    """Split at the first '=' outside a quoted key part."""
    quote = ""
    for i, ch in enumerate(spec):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "=":
            key = spec[:i]
            return (key if key.strip() else None), spec[i + 1 :]
    return None, ""


def _value(text: str, file: str, path: str) -> Any:
    text = text.strip()
    try:
        doc = tomllib.loads(f"v = {text}")
        if list(doc) == ["v"]:
            return doc["v"]
    except tomllib.TOMLDecodeError:
        if _BARE_WORD.fullmatch(text):
            return text
        raise ScenarioError(
            [
                Problem(
                    file,
                    f"--set {path}",
                    NO_VALUE,
                    f'{text!r} is not a TOML value (numbers, true/false, "text", '
                    "[arrays] or { inline = tables })",
                )
            ]
        ) from None
    raise ScenarioError(
        [Problem(file, f"--set {path}", NO_VALUE, f"{text!r} is more than one TOML value")]
    )


def _parts(path: str, file: str) -> list[str]:
    parts = key_parts(path)
    if parts is None:
        raise ScenarioError(
            [Problem(file, f"--set {path}", NO_VALUE, "not a dotted key such as detention.beds")]
        )
    return parts


def apply(
    raw: Mapping[str, Any], overrides: Mapping[str, Any], file: str = "<scenario>"
) -> dict[str, Any]:
    """A deep copy of the parsed TOML document with each override set; raises ScenarioError
    for a path that runs through a value that is not a table or an array."""
    data = copy.deepcopy(dict(raw))
    problems: list[Problem] = []
    for path, value in overrides.items():
        parts = _parts(path, file)
        where = f"--set {path}"
        node: Any = data
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            if isinstance(node, dict):
                if last:
                    node[part] = copy.deepcopy(value)
                else:
                    node = node.setdefault(part, {})
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                if last:
                    node[int(part)] = copy.deepcopy(value)
                else:
                    node = node[int(part)]
            else:
                problems.append(_not_a_table(file, where, parts[:depth], node))
                break
        else:
            uncertainty = data.get("uncertainty")
            if isinstance(uncertainty, dict) and parts[0] != "uncertainty":
                # A set value is fixed: a draw for the same path would replace it.
                uncertainty.pop(".".join(parts), None)
    if problems:
        raise ScenarioError(problems)
    return data


def _not_a_table(file: str, where: str, parts: list[str], node: Any) -> Problem:
    at = ".".join(parts)
    if isinstance(node, list):
        allowed = f"index 0 to {len(node) - 1}" if node else "it is empty"
        return Problem(file, where, NO_VALUE, f"{at} is an array of {len(node)} item(s); {allowed}")
    return Problem(file, where, NO_VALUE, f"{at} is a value, not a table")


def parse_with_overrides(
    raw: Mapping[str, Any], overrides: Mapping[str, Any] | None, file: str = "<scenario>"
) -> Scenario:
    """Apply the overrides and validate the result as a whole (raises ScenarioError).

    A problem at, inside or on the way to an overridden path names `--set PATH` as well as
    the key; a problem elsewhere that the file alone does not have says that it arises with
    the overrides.
    """
    if not overrides:
        return parse_scenario(dict(raw), file)
    data = apply(raw, overrides, file)
    try:
        return parse_scenario(data, file)
    except ScenarioError as exc:
        problems = [_attribute(p, overrides, file) for p in exc.problems]
    try:
        parse_scenario(dict(raw), file)
        own: set[str] = set()
    except ScenarioError as exc:
        own = {str(p) for p in exc.problems}
    sets = ", ".join(f"--set {p}" for p in overrides)
    raise ScenarioError(
        [
            p
            if p.key.startswith("--set ") or str(p) in own
            else replace(p, message=f"{p.message} (with {sets})")
            for p in problems
        ]
    )


def _attribute(p: Problem, overrides: Mapping[str, Any], file: str) -> Problem:
    for path in overrides:
        dotted = ".".join(_parts(path, file))
        if p.key == dotted:
            return replace(p, key=f"--set {path}")
        if p.key.startswith(dotted + ".") or dotted.startswith(p.key + "."):
            return replace(p, key=f"--set {path}: {p.key}")
    return p


def describe(overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    """The overrides as recorded with a result (provenance): path -> value, in order."""
    return {path: copy.deepcopy(value) for path, value in (overrides or {}).items()}
