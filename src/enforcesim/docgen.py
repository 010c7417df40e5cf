"""Generate docs/scenario-reference.md from the schema (the stages' section models, stage by
stage) and the metric tables.

    .venv/bin/python -m enforcesim.docgen          # rewrite the file
    .venv/bin/python -m enforcesim.docgen --check  # exit 1 if the file is stale

The schema is defined once; this page is derived from it, and a test fails when it is stale.
"""

from __future__ import annotations

import datetime
import inspect
import sys
import types
import typing
from pathlib import Path
from typing import Any, Literal

import annotated_types as at
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from .constraints import CONSTRAINTS
from .costs import COST_METRICS
from .results import (
    ARREST_CLASS_METRICS,
    ARREST_DAILY_COLUMNS,
    ARREST_METRICS,
    CASE_DAILY_COLUMNS,
    CASE_METRICS,
    DAILY_COLUMNS,
    EXTRA_DAILY_COLUMNS,
    METRICS,
    MODE_METRICS,
    OFFICER_DAILY_COLUMNS,
    PATHWAY_METRICS,
    V1_PATHWAYS,
)
from .scenario import (
    CONTRACT_VERSION,
    UNCERTAIN_VALUES,
    LognormalDraw,
    NormalDraw,
    Scenario,
    TriangularDraw,
    UniformDraw,
)
from .schema.shapes import (
    DictShape,
    ListShape,
    ModelShape,
    TaggedUnion,
    field_shape,
    shape_of,
)
from .stages import STAGES

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "scenario-reference.md"


def _type_name(annotation: Any) -> str:
    if isinstance(shape_of(annotation), TaggedUnion):
        return "table"
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type_name(args[0])
    if origin is Literal:
        return " \\| ".join(f'`"{a}"`' for a in args)
    if origin in (typing.Union, types.UnionType):
        names = [_type_name(a) for a in args if a is not type(None)]
        return " \\| ".join(names)
    if origin is list:
        return f"array of {_type_name(args[0])}"
    if origin is dict:
        return "table"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "table"
    return {
        int: "integer",
        float: "number",
        str: "string",
        bool: "boolean",
        datetime.date: "date",
    }.get(annotation, str(annotation))


def _range(field: FieldInfo) -> str:
    parts = []
    for m in _constraints(field):
        if isinstance(m, at.Ge):
            parts.append(f">= {m.ge}")
        elif isinstance(m, at.Gt):
            parts.append(f"> {m.gt}")
        elif isinstance(m, at.Le):
            parts.append(f"<= {m.le}")
        elif isinstance(m, at.Lt):
            parts.append(f"< {m.lt}")
        elif isinstance(m, at.MinLen):
            parts.append("non-empty")
    return ", ".join(parts)


def _constraints(field: FieldInfo) -> list[Any]:
    found = list(field.metadata)
    for arg in typing.get_args(field.annotation):
        if typing.get_origin(arg) is typing.Annotated:
            for meta in typing.get_args(arg)[1:]:
                found.extend(getattr(meta, "metadata", [meta]))
    return found


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "required"
    if field.default_factory is not None:
        value = field.default_factory()  # type: ignore[call-arg]
        return "empty" if not isinstance(value, BaseModel) else "defaults below"
    if field.default is None or field.default is PydanticUndefined:
        return "optional"
    return f"`{field.default}`"


Table = ModelShape | TaggedUnion


def _fields(table: Table) -> dict[str, FieldInfo]:
    return table.model.model_fields if isinstance(table, ModelShape) else table.fields()


def _doc(table: Table) -> str:
    if isinstance(table, ModelShape):
        return inspect.cleandoc(table.model.__doc__ or "")
    return table.doc()


def _union_default(union: TaggedUnion, name: str, field: FieldInfo) -> str:
    """A key of some branches only: for which tags it is required or allowed."""
    having = union.tags_with(name)
    required = [t for t in having if union.branches[t].model_fields[name].is_required()]
    if len(having) == len(union.branches):
        return _default(field) if len(required) in (0, len(having)) else "optional"
    tags = ", ".join(f'"{t}"' for t in having)
    word = "required" if required == having else _default(field)
    return f"{word} (`{union.discriminator}` = {tags} only)"


def _table(table: Table, prefix: str) -> list[str]:
    rows = ["| key | type | default | allowed | unit | meaning |", "|---|---|---|---|---|---|"]
    for name, field in _fields(table).items():
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        meaning = (field.description or "").replace("|", "\\|")
        if extra.get("source"):
            meaning += f" Source: {extra['source']}."
        type_name, default = _type_name(field.annotation), _default(field)
        if isinstance(table, TaggedUnion):
            if name == table.discriminator:
                type_name = " \\| ".join(f'`"{t}"`' for t in table.tags())
            else:
                default = _union_default(table, name, field)
        rows.append(
            f"| `{prefix}{name}` | {type_name} | {default} | "
            f"{_range(field)} | {extra.get('unit', '')} | {meaning} |"
        )
    return rows


def _nested(table: Table) -> list[tuple[str, Table]]:
    """Sub-tables of a section: `name` for a table, `name[]` for an array of tables,
    `name.NAME` for named tables."""
    out: dict[str, Table] = {}
    for name, field in _fields(table).items():
        shape = field_shape(field)
        key = name
        if isinstance(shape, ListShape):
            shape, key = shape_of(shape.item), f"{name}[]"
        elif isinstance(shape, DictShape):
            shape, key = shape_of(shape.value), f"{name}.NAME"
        if isinstance(shape, ModelShape | TaggedUnion):
            out.setdefault(key, shape)
    return list(out.items())


def _sub_tables(table: Table, prefix: str) -> list[str]:
    """The tables of a section's sub-tables, depth first (`arrests.sources.pool`)."""
    lines: list[str] = []
    for name, sub in _nested(table):
        path = f"{prefix}.{name}"
        lines += ["", f"### `{path}`", ""]
        doc = _doc(sub)
        if doc:
            lines += [doc, ""]
        lines += _table(sub, f"{path}.")
        lines += _sub_tables(sub, path)
    return lines


def _section_keys() -> list[str]:
    """The file's sections in pipeline order: the run, each stage's, then the others."""
    staged = [key for stage in STAGES for key in stage.sections]
    others = [k for k in Scenario.model_fields if k not in ("scenario", *staged)]
    return ["scenario", *staged, *others]


def _pathway_shares(field: FieldInfo) -> list[str]:
    return [
        "## `[pathway_shares]` (required with `[pathways]`)",
        "",
        (field.description or "").strip(),
        "",
        "Each entry is a table `[pathway_shares.KEY]` of `pathway = share` (each share from 0 "
        "to 1, summing to 1; a pathway not named has share 0). A book-in of class `a.b` takes "
        "the entry `a.b`, else `a`, else `default`. Every class must find an entry.",
        "",
        "```toml",
        "[pathway_shares.default]",
        "expedited = 0.3",
        "court_removal = 0.5",
        "bond = 0.2",
        "```",
        "",
    ]


def _metric_table(metrics: dict[str, tuple[str, str]]) -> list[str]:
    rows = ["| metric | unit | meaning |", "|---|---|---|"]
    rows += [f"| `{name}` | {unit} | {meaning} |" for name, (unit, meaning) in metrics.items()]
    return rows


def render() -> str:
    lines = [
        "# Scenario reference",
        "",
        "<!-- Generated by `python -m enforcesim.docgen` from the scenario schema "
        "(src/enforcesim/stages, src/enforcesim/scenario) and src/enforcesim/results.py. "
        "Do not edit by hand: a test fails when it is stale. -->",
        "",
        f"Scenario files are TOML (contract version {CONTRACT_VERSION}, "
        "`../shared/spec/scenario-contract.md`). Units: days, persons, U.S. dollars. Day d is "
        "the interval [d, d+1). Unknown sections or keys, NaN and infinite numbers, and values "
        "outside the ranges below are errors: the run stops with exit code 2 and one message "
        "per problem naming the file, the dotted key, the value and what is allowed.",
        "",
    ]
    for section in _section_keys():
        field = Scenario.model_fields[section]
        if section == "uncertainty":
            continue
        if section == "pathway_shares":
            lines += _pathway_shares(field)
            continue
        shape = field_shape(field)
        if isinstance(shape, DictShape):  # named tables [section.NAME]
            shape, section = shape_of(shape.value), f"{section}.NAME"
        assert isinstance(shape, ModelShape | TaggedUnion), section
        required = "required" if field.is_required() else "optional"
        lines += [f"## `[{section}]` ({required})", "", _doc(shape), ""]
        if field.description:
            lines += [field.description, ""]
        lines += _table(shape, f"{section}.")
        lines += _sub_tables(shape, section)
        lines.append("")

    lines += [
        "## `[uncertainty]` (optional)",
        "",
        "Parameter uncertainty: each key is the dotted path of a numeric value (in quotes; "
        'schedule entries by index, e.g. `"book_ins.schedule.0.rate_per_day"`), drawn once '
        "per replicate from its own random stream. Draws are truncated to the value's allowed "
        "range; integer values are rounded. The value must be set in the scenario (or have a "
        "default).",
        "",
        "| dist | keys |",
        "|---|---|",
    ]
    for model in (UniformDraw, TriangularDraw, NormalDraw, LognormalDraw):
        dist = typing.get_args(model.model_fields["dist"].annotation)[0]
        keys = ", ".join(f"`{k}`" for k in model.model_fields if k != "dist")
        lines.append(f"| `{dist}` | {keys} |")
    lines += [
        "",
        "Values that may vary, with their allowed range:",
        "",
        "| path | range | integer |",
        "|---|---|---|",
    ]
    for path, (low, high, low_open, integer) in UNCERTAIN_VALUES.items():
        rng = f"{'(' if low_open else '['}{low:g}, {high:g}]"
        lines.append(f"| `{path}` | {rng} | {'yes' if integer else 'no'} |")

    lines += [
        "",
        "## Results",
        "",
        "`DIR/summary.json` holds, for each metric, `mean`, `lo` and `hi`: the mean and "
        "the 2.5th and 97.5th percentiles over replicates (null where a ratio's "
        "denominator is zero in every replicate). Every metric covers the reported "
        "horizon only.",
        "",
    ]
    lines += _metric_table(METRICS)
    lines += [
        "",
        "`DIR/daily.parquet` columns: "
        + ", ".join(f"`{c}`" for c in DAILY_COLUMNS)
        + ". Flows are counts during the day; `detained` and `waiting_for_bed` are the "
        "state at the end of the day; `beds` is -1 when unlimited. After them "
        "(extensions of the contract):",
        "",
        "| column | unit | meaning |",
        "|---|---|---|",
    ]
    for name, (unit, meaning) in EXTRA_DAILY_COLUMNS.items():
        lines.append(f"| `{name}` | {unit} | {meaning} |")
    for name, c in CONSTRAINTS.items():
        lines.append(f"| `binding_{name}` | true/false | {c.meaning} |")
    lines += [
        "",
        "`summary.json` also holds (docs/costs.md):",
        "",
        "- `costs`: the all-in metrics ("
        + ", ".join(f"`{m}`" for m in COST_METRICS)
        + "), `by_component` (total and per removal), `by_year` (fiscal years with "
        "`scenario.start_date`, else 365-day years) and `volumes`, each with mean, lo "
        "and hi over replicates;",
        "- `budgets` (with `[budget.NAME]`): per appropriation `spent_in_horizon`, "
        "`probability_runs_out`, `runs_out_day` (and `runs_out_date`), "
        "`sustainable_beds`, `sustainable_removals_per_day`;",
        "- `bottlenecks`: on every run `binding_share` (per constraint that applies, the "
        "share of reported days it binds) and, with `[arrests]`, `foregone_per_day` "
        "(attempted arrests foregone per day by cause); with `[bottlenecks]` or "
        "`--bottlenecks` also per target the shortfall from constraints split by Shapley "
        "values.",
        "",
    ]
    lines += [
        "### With `[arrests]`",
        "",
        "These metrics are added after the ones above (a scenario without [arrests] does "
        "not have them; see docs/arrests.md):",
        "",
    ]
    lines += _metric_table(ARREST_METRICS)
    lines += [
        "",
        "`summary.json` gains an `arrests` block: `by_source`, `by_criminality` and "
        "`by_class` (`SOURCE.CRIMINALITY`), each with "
        + ", ".join(f"`{m}`" for m in ARREST_CLASS_METRICS)
        + " (arrests/day; mean, lo, hi), and a `streams` block per class as for named "
        "book-in streams. `DIR/daily_arrests.parquet` columns: "
        + ", ".join(f"`{c}`" for c in ARREST_DAILY_COLUMNS)
        + "; `DIR/daily_officers.parquet` columns: "
        + ", ".join(f"`{c}`" for c in OFFICER_DAILY_COLUMNS)
        + " (hours per day: `hours_available` = officers x productive hours; the other "
        "three are the ledger by activity).",
        "",
    ]
    lines += [
        "### Case and transport side",
        "",
        "Only when the scenario has `[pathways]`, `[courts]`, `[travel_documents]`, "
        "`[transport.modes]`, `[transport.intake]` or `[transport.transfers]` (see "
        "`cases-and-transport.md`). Then `removals_per_day` counts only exits whose "
        "pathway has `counts_as_removal = true`, and `wait_for_transport_days` runs from "
        "the travel document being ready. These metrics are added to `metrics`:",
        "",
    ]
    lines += _metric_table(CASE_METRICS)
    lines += [
        "",
        "`summary.json` block `pathways`, per pathway (and "
        + " and ".join(f"`{p}`" for p in V1_PATHWAYS)
        + ": people decided by "
        "`detention.removal_share`, the initial population and every book-in without "
        "`[pathways]`):",
        "",
    ]
    lines += _metric_table(PATHWAY_METRICS)
    lines += [
        "",
        "`summary.json` block `modes`, per removal mode (the contract's departures are the "
        "mode `default`):",
        "",
    ]
    lines += _metric_table(MODE_METRICS)
    lines += [
        "",
        "`DIR/daily_cases.parquet` columns: "
        + ", ".join(f"`{c}`" for c in CASE_DAILY_COLUMNS)
        + ". Flows are counts during "
        "the day, `court_queue`, `in_court`, `waiting_for_documents` and `judges` the "
        "state at the end of the day, `officer_hours_*` the hours charged that day; "
        "`court_days`, `docket_days` and `document_wait_days` are time integrals over "
        "the day (case-days before a judge, on the docket, person-days waiting for a "
        "document), `atd_days` the participant-days committed by the day's diversions, "
        "`escorted_trips_*` trips (a share 1 / persons_per_trip of a trip per person).",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    text = render()
    if "--check" in argv:
        current = DOC_PATH.read_text() if DOC_PATH.exists() else ""
        if current != text:
            print(f"{DOC_PATH} is stale: run python -m enforcesim.docgen", file=sys.stderr)
            return 1
        return 0
    DOC_PATH.parent.mkdir(parents=True, exist_ok=True)
    DOC_PATH.write_text(text)
    print(f"wrote {DOC_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
