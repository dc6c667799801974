"""Reading the table files: TOML in, plain rows and values out, every problem collected.

The file names, the :class:`Problems` collector that lets one ``mappings check`` run list
every problem before failing, and the small typed accessors (:func:`table_rows`,
:func:`text`, :func:`unknown_keys`) the table parsers share.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from adapter.errors import TableProblem

__all__ = [
    "CURRENCY_FILE",
    "EXPENSE_FILE",
    "STATUS_FILE",
    "TYPES_FILE",
    "Problems",
    "read",
    "table_rows",
    "text",
    "unknown_keys",
]

EXPENSE_FILE = "expense.toml"
STATUS_FILE = "statuses.toml"
TYPES_FILE = "types.toml"
CURRENCY_FILE = "currencies.toml"


class Problems:
    def __init__(self) -> None:
        self.items: list[TableProblem] = []

    def add(self, file: str, row: str | None, message: str) -> None:
        self.items.append(TableProblem(file, row, message))


def read(directory: Path, name: str, problems: Problems) -> dict[str, Any] | None:
    path = directory / name
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        problems.add(name, None, f"file not found in {directory}")
    except tomllib.TOMLDecodeError as exc:
        problems.add(name, None, f"not valid TOML: {exc}")
    return None


def table_rows(
    doc: Mapping[str, Any], key: str, file: str, problems: Problems
) -> list[Mapping[str, Any]]:
    raw = doc.get(key)
    if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
        problems.add(file, None, f"{key!r} must be an array of tables, one per row")
        return []
    return raw


def text(row: Mapping[str, Any], key: str, file: str, name: str, problems: Problems) -> str | None:
    value = row.get(key)
    if value is None or isinstance(value, str):
        return value
    problems.add(file, name, f"{key!r} must be a string, not {type(value).__name__}")
    return None


def unknown_keys(
    row: Mapping[str, Any], allowed: frozenset[str], file: str, name: str, problems: Problems
) -> None:
    for key in sorted(set(row) - allowed):
        problems.add(file, name, f"unknown key {key!r} (allowed: {', '.join(sorted(allowed))})")
