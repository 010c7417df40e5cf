"""The pieces of a self-contained HTML report: a page of sections, figures embedded as
base64 PNG, tables, and the Jinja2 templates that write them. Every value a template prints
is escaped once, by Jinja2's autoescape; nothing here escapes by hand."""

from __future__ import annotations

import base64
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from .. import __version__
from ..files import write_atomic


@functools.cache
def environment() -> Environment:
    """Templates from the package (templates/*.j2); .html.j2 ones autoescaped."""
    return Environment(
        loader=PackageLoader("enforcesim.reports", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def macros(template: str) -> Any:
    """A template's macros, callable from Python: each returns escaped HTML (Markup)."""
    return environment().get_template(template).module


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


@dataclass(frozen=True)
class Table:
    headers: Sequence[str]
    rows: Sequence[Sequence[Any]]
    numeric: frozenset[int] = frozenset()  # columns right-aligned as numbers


def table(
    headers: Sequence[str], rows: Iterable[Sequence[Any]], numeric: Iterable[int] = ()
) -> Table:
    return Table(list(headers), [list(r) for r in rows], frozenset(numeric))


@dataclass(frozen=True)
class Figure:
    name: str
    png_base64: str


@dataclass
class Page:
    """A report being built: its sections in order and the figures written beside it."""

    title: str
    out: Path
    sections: list[tuple[str, Markup]] = field(default_factory=list)
    figures: list[Path] = field(default_factory=list)

    def section(self, title: str, body: Markup) -> None:
        self.sections.append((title, body))

    def fig_path(self, name: str) -> Path:
        return self.out / "figures" / name

    def figure(self, name: str, data: bytes) -> Figure:
        """The PNG `data` (already written to fig_path(name)) for embedding."""
        self.figures.append(self.fig_path(name))
        return Figure(name, base64.b64encode(data).decode())

    def render(self) -> str:
        return render("page.html.j2", title=self.title, sections=self.sections, version=__version__)

    def write(self) -> Path:
        path = self.out / "report.html"
        write_atomic(path, self.render())
        return path
