"""Reading a scenario file: bytes, UTF-8, TOML, each failure as one Problem with a hint."""

from __future__ import annotations

import hashlib
import re
import tomllib
from pathlib import Path
from typing import Any

from ..errors import NO_VALUE, Problem, ScenarioError


def read_toml(path: Path) -> tuple[dict[str, Any], bytes]:
    file = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError([Problem(file, "", NO_VALUE, "file not found")]) from None
    except OSError as exc:
        raise ScenarioError([Problem(file, "", NO_VALUE, f"cannot read: {exc.strerror}")]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError([Problem(file, "", NO_VALUE, "not UTF-8 text")]) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([Problem(file, "", NO_VALUE, toml_message(str(exc), text))]) from None
    return raw, data


TOML_HINTS = {
    "Cannot overwrite a value": "a key or table is given twice",
    "Cannot declare": "a table is given twice",
    "Illegal character '\\n'": "a string without its closing quote?",
    "Invalid value": "strings need quotes; numbers, true and false do not",
}


def toml_message(error: str, text: str) -> str:
    """'not valid TOML at line 4 (`name = "x`): Illegal character ... (hint)'."""
    m = re.search(r"\(at line (\d+), column \d+\)", error)
    if not m:
        return f"not valid TOML: {error}"
    lineno = int(m.group(1))
    lines = text.splitlines()
    where = f"line {lineno}"
    if 1 <= lineno <= len(lines) and lines[lineno - 1].strip():
        shown = lines[lineno - 1].strip()
        where += f" ({shown if len(shown) <= 60 else shown[:57] + '...'})"
    what = error[: m.start()].strip()
    hint = next((h for k, h in TOML_HINTS.items() if what.startswith(k)), "")
    return f"not valid TOML at {where}: {what}" + (f" ({hint})" if hint else "")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
