"""Where `enforcesim report` writes, under the output-folder policy (enforcesim.outdir).

Into the folder reported on (the default), the report adds report.html and figures/ and
replaces only earlier ones that enforcesim wrote. Into another --out folder, it is a result
folder of its own: new, empty or an earlier report, replaced as a whole."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa

from ..errors import StudyError
from ..outdir import adding, replacing
from ..outdir import check as check_out
from .render import render

REPORT_FILES = ("report.html", "figures")


def write_report(
    folder: str | Path,
    out: str | Path | None = None,
    *,
    scenario: str | Path | None = None,
    start: str | None = None,
) -> Path:
    """Render the report of `folder` into `out` (default: folder); return report.html's path."""
    folder = Path(folder)
    if not folder.is_dir():
        render(folder)  # raises the error that says what a report needs
    into_folder = out is None or os.path.realpath(out) == os.path.realpath(folder)
    if into_folder:
        with adding(folder, "report", REPORT_FILES) as tmp:
            _render(folder, tmp, scenario, start)
        return folder / "report.html"
    target = Path(out)  # type: ignore[arg-type]
    inputs = [folder] + ([Path(scenario)] if scenario else [])
    check_out(target, "report", inputs=inputs)
    with replacing(target, "report", inputs=inputs) as tmp:
        _render(folder, tmp, scenario, start)
    return target / "report.html"


def _render(folder: Path, out: Path, scenario: str | Path | None, start: str | None) -> None:
    try:
        render(folder, out, scenario=scenario, start=start)
    except (ValueError, KeyError, TypeError, pa.ArrowException) as exc:
        # A results file that was damaged or edited after the command that wrote it.
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise StudyError(
            [
                f"{folder}: cannot read its results ({type(exc).__name__}: {first}); "
                "run the command that wrote them again"
            ]
        ) from None
