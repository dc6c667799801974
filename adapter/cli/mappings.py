"""``pleo-export-adapter mappings check``: print the mapping table and its problems."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from adapter import jsonio
from adapter.mapping.table import FieldRow, TableReport, check_tables, default_table_directory

__all__ = ["add_parser", "render_json", "render_text", "run_check"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``mappings`` and its ``check`` subcommand."""
    mappings = subparsers.add_parser(
        "mappings",
        help="inspect the field mapping tables (Export Item v3 -> legacy Expense)",
        description="Inspect the field mapping tables (Export Item v3 -> legacy Expense).",
    )
    actions = mappings.add_subparsers(dest="mappings_command", required=True, metavar="ACTION")
    check = actions.add_parser(
        "check",
        help="print the table, validate it, exit 0 when it is usable and 1 when not",
        description=(
            "Print the field table (legacy field, source, kind/transform, note), every row "
            "that departs from the seed table (pleo-api.md A.1) and why, and every problem "
            "found validating it against both models. Exit 0: ok; 1: problems."
        ),
    )
    check.add_argument(
        "--table",
        type=Path,
        default=None,
        metavar="PATH",
        help=f"directory of the tables, or a file in it (default: {default_table_directory()})",
    )
    check.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text: an aligned table for people (default); json: one document for tools",
    )
    check.set_defaults(func=run_check)


def run_check(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Check the tables named by ``args.table``; write the report; return the exit code."""
    out = sys.stdout if out is None else out
    report = check_tables(args.table)
    out.write(render_json(report) if args.format == "json" else render_text(report))
    return 1 if report.problems else 0


def _kind(row: FieldRow) -> str:
    parts = [row.kind]
    if row.transform:
        parts.append(row.transform)
    if row.aggregate:
        parts.append(f"[{row.aggregate}]")
    return " ".join(parts)


def render_text(report: TableReport) -> str:
    """The rows as an aligned text table, then the problems (or 'ok')."""
    header = ("LEGACY FIELD", "SOURCE", "KIND / TRANSFORM", "NOTE")
    rows = [(r.legacy, r.source or "-", _kind(r), r.note) for r in report.fields]
    widths = [max(len(line[i]) for line in [header, *rows]) for i in range(3)]
    lines = [f"Mapping tables: {report.directory}", ""]
    for line in [header, *rows]:
        cells = [line[i].ljust(widths[i]) for i in range(3)]
        lines.append("  ".join([*cells, line[3]]).rstrip())
    lines.append("")
    if report.departures:
        count = len(report.departures)
        lines.append(f"{count} departure(s) from the seed table (pleo-api.md A.1):")
        lines.extend(f"  - {d.file} {d.row}: {d.reason}" for d in report.departures)
        lines.append("")
    if report.problems:
        lines.append(f"{len(report.problems)} problem(s):")
        lines.extend(f"  - {problem}" for problem in report.problems)
    else:
        lines.append(f"ok: {len(report.fields)} field rows, statuses, types and currencies valid")
    return "\n".join(lines) + "\n"


def render_json(report: TableReport) -> str:
    """One JSON document: ``{directory, ok, fields: [...], departures: [...], problems: [...]}``."""
    doc: dict[str, Any] = {
        "directory": str(report.directory),
        "ok": not report.problems,
        "fields": [
            {
                "legacy": r.legacy,
                "source": r.source,
                "kind": r.kind,
                "transform": r.transform,
                "aggregate": r.aggregate,
                "fallback": list(r.fallback),
                "default": r.default,
                "args": list(r.args),
                "options": dict(r.options),
                "note": r.note,
                "departure": r.departure,
            }
            for r in report.fields
        ],
        "departures": [
            {"file": d.file, "row": d.row, "reason": d.reason} for d in report.departures
        ],
        "problems": [{"file": p.file, "row": p.row, "message": p.message} for p in report.problems],
    }
    return jsonio.dumps(doc).decode() + "\n"
