"""``pleo-export-adapter mappings check``: the table printed, problems listed, exit code."""

from __future__ import annotations

import argparse
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from adapter.cli import mappings as cli

MakeTable = Callable[..., Path]


def _run(*argv: str) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="pleo-export-adapter")
    cli.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["mappings", "check", *argv])
    out = io.StringIO()
    code = args.func(args, out)
    return code, out.getvalue()


def test_check_prints_an_aligned_table_and_exits_0() -> None:
    """The shipped table prints one aligned line per row and 'ok', exit code 0."""
    code, text = _run()
    assert code == 0
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith("LEGACY FIELD"))
    row = next(line for line in lines if line.startswith("employeeCode "))
    assert row.index("user.code") == header.index("SOURCE")
    assert "tagIds[].tagGroupId" in text
    assert lines[-1].startswith("ok: 32 field rows")


def test_check_with_a_typo_in_a_source_exits_1_naming_the_row(table_copy: MakeTable) -> None:
    """A misspelt source path makes check exit 1 and name the row and the typo."""
    directory = table_copy("expense.toml", r'source = "vendor\.name"', 'source = "vendor.nmae"')
    code, text = _run("--table", str(directory))
    assert code == 1
    assert "expense.toml row 'cardTransaction.merchant.name'" in text
    assert "vendor.nmae" in text


def test_check_accepts_a_file_inside_the_table_directory(table_copy: MakeTable) -> None:
    """--table may name expense.toml itself; its directory is checked."""
    directory = table_copy()
    code, _ = _run("--table", str(directory / "expense.toml"))
    assert code == 0


def test_check_json_is_one_document_for_tools(table_copy: MakeTable) -> None:
    """--format json prints {directory, ok, fields, problems}."""
    directory = table_copy(
        "expense.toml", r'kind = "resolved",(\s+)aggregate', r'kind = "resolvd",\1aggregate'
    )
    code, text = _run("--table", str(directory), "--format", "json")
    doc = json.loads(text)
    assert code == 1
    assert doc["ok"] is False
    assert len(doc["fields"]) == 32
    assert doc["problems"] == [
        {
            "file": "expense.toml",
            "row": "tagIds[].tagGroupId",
            "message": (
                "unknown kind 'resolvd' "
                "(known: direct, transformed, resolved, unavailable, item_status)"
            ),
        }
    ]


def test_every_option_has_help_text(capsys: pytest.CaptureFixture[str]) -> None:
    """mappings, check, --table and --format all carry help text."""
    parser = argparse.ArgumentParser(prog="pleo-export-adapter")
    cli.add_parser(parser.add_subparsers(dest="command", required=True))
    for argv in (["--help"], ["mappings", "--help"], ["mappings", "check", "--help"]):
        with pytest.raises(SystemExit):
            parser.parse_args(argv)
    help_text = " ".join(capsys.readouterr().out.split())
    assert "inspect the field mapping tables" in help_text
    assert "print the table, validate it" in help_text
    assert "--table PATH" in help_text
    assert "directory of the tables" in help_text
    assert "json: one document for tools" in help_text
