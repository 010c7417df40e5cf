"""Scenario files as text, through tomlkit: writing a scenario dict as a readable file,
editing a file's values while its comments (the sources of every value) survive, and reading
each value back with the comments that date and source it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import tomlkit
from tomlkit.items import AoT, Array, Comment, Item, Table, Whitespace
from tomlkit.toml_document import TOMLDocument

# Dicts written inline rather than as [tables]: stay distributions and draws carry `dist`,
# every [uncertainty] entry is a draw, and pools and mixes are small records of one value.
INLINE_KEYS = ("pool", "mix")


def parse(text: str) -> TOMLDocument:
    """A scenario file as an editable document: a dict whose edits keep comments and layout."""
    return tomlkit.parse(text)


def dumps(
    data: Mapping[str, Any],
    *,
    header: str = "",
    comments: Mapping[str, str] | None = None,
) -> str:
    """`data` (sections of a scenario, or an edited document from `parse`) as TOML text.

    A plain dict is laid out as a scenario file: one [table] per section, inline tables for
    distributions, draws, pools and mixes, one step per line in arrays of steps. `comments`
    maps a dotted key ("detention.removal_share") to the comment put after its value;
    `header` (comment lines) comes first."""
    if isinstance(data, TOMLDocument):
        doc = data
    else:
        doc = tomlkit.document()
        for name, body in data.items():
            doc.add(name, _item(body, name, comments or {}, top=True))
    text = tomlkit.dumps(doc)
    if header:
        text = header.rstrip() + "\n\n" + text.lstrip("\n")
    return text


def _item(
    value: Any, path: str, comments: Mapping[str, str], top: bool = False, inline: bool = False
) -> Any:
    if isinstance(value, Mapping):
        if inline or (not top and not _is_table(value, path)):
            table = tomlkit.inline_table()
            table.update({k: _item(v, f"{path}.{k}", {}, inline=True) for k, v in value.items()})
            return table
        table = tomlkit.table()
        # scalars first: a value after a [sub.table] would belong to the sub-table
        order = sorted(value, key=lambda k: _is_table(value[k], f"{path}.{k}"))
        for k in order:
            table.add(k, _item(value[k], f"{path}.{k}", comments))
            note = comments.get(f"{path}.{k}")
            if note:
                table[k].comment(note)
        return table
    if isinstance(value, list | tuple):
        array = tomlkit.array()
        array.extend(_item(v, f"{path}.{i}", {}, inline=True) for i, v in enumerate(value))
        if len(value) > 1 and all(isinstance(v, Mapping) for v in value):
            array.multiline(True)
        return array
    return value


def _is_table(value: Any, path: str) -> bool:
    key = path.rsplit(".", 1)[-1]
    return (
        isinstance(value, Mapping)
        and "dist" not in value
        and not path.startswith("uncertainty.")
        and key not in INLINE_KEYS
    )


def value_comments(text: str) -> list[tuple[str, str, str]]:
    """(dotted key, value as written, comment) for each value of a scenario file, in file
    order. The comments before the first value come first, under the key '(file header)';
    a comment on its own line becomes a row of its table ('[detention]'), unless indented,
    when it continues the comment of the value above it."""
    doc = parse(text)
    header: list[str] = []
    rows: list[list[str]] = []
    at_start = True
    for key, item in doc.body:
        if at_start and isinstance(item, Comment):
            header.append(_comment_text(item))
            continue
        if isinstance(item, Whitespace):
            continue
        at_start = False
        _collect("", key, item, rows)
    out = [("(file header)", "", " ".join(header))] if header else []
    return out + [(k, v, c) for k, v, c in rows]


def _collect(section: str, key: Any, item: Item, rows: list[list[str]]) -> None:
    if isinstance(item, Whitespace):
        return
    if isinstance(item, Comment):
        note = _comment_text(item)
        if rows and item.trivia.indent:
            rows[-1][2] = (rows[-1][2] + " " + note).strip()
        else:
            rows.append([f"[{section}]", "", note])
        return
    name = key.as_string().strip()
    if isinstance(item, Table):
        path = f"{section}.{name}" if section else name
        # a super table ([a] implied by [a.b]) shares the trivia of the table that implies it
        if item.trivia.comment and not item.is_super_table():
            rows.append([f"[{path}]", "", _comment_text(item)])
        for k, sub in item.value.body:
            _collect(path, k, sub, rows)
        return
    if isinstance(item, AoT):
        for table in item.body:
            _collect(section, key, table, rows)
        return
    value, notes = _value_text(item)
    if item.trivia.comment:
        notes.insert(0, _comment_text(item))
    rows.append([f"{section}.{name}" if section else name, value, " ".join(notes)])


def _value_text(item: Item) -> tuple[str, list[str]]:
    """A value on one line, and the comments written inside it (one per step of an array
    of steps)."""
    flat = " ".join(item.as_string().split())
    if not isinstance(item, Array) or "\n" not in item.as_string():
        return flat, []
    # tomlkit has no public accessor for the comment after an array element: it is kept
    # in the array's element groups only
    notes = [_comment_text(g.comment) for g in item._value if getattr(g, "comment", None)]
    values = [" ".join(v.as_string().split()) for v in item]
    return "[ " + ", ".join(values) + " ]", notes


def _comment_text(item: Item | Comment) -> str:
    raw = item.as_string() if isinstance(item, Comment) else item.trivia.comment
    return raw.strip().lstrip("#").strip()
