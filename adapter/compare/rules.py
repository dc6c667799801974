"""The equivalence rules: when a legacy value and its translation count as the same.

The rules are data, in ``mappings/equivalence.toml`` beside the mapping table, one row per
legacy path (``expense.toml`` path syntax). A path without a row is compared exactly: same
JSON type, same value, lists in order, and ``null``, a missing key and ``[]`` all different.
A row relaxes that for its path:

* ``equal = "money"``: ``{value, currency}`` equal by currency and by value at the
  currency's exponent from ``currencies.toml`` (896.96 == 896.960; JPY 0, BHD 3 decimals);
* ``equal = "instant"``: RFC 3339 timestamps equal as instants (``Z``, ``+02:00``,
  ``.000`` all alike; a timestamp without an offset is read as UTC);
* ``equal = "set"``: a list whose order carries no meaning; ``key`` names the field that
  identifies an element of a list of objects (``tagIds[]`` by ``id``), a list of values is
  compared by value;
* ``absent = ["missing", "null", "empty"]``: which ways of having no value count as the
  same at this path (``empty`` is ``[]``, ``{}`` or an object whose every value is absent).

:func:`check_rules` collects every problem (like the mapping table's check) and
:func:`load_equivalence_rules` raises :class:`~adapter.errors.MappingTableError` with them.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from adapter.compare.shape import NodeKind, PathInfo, ValueType, expense_shape
from adapter.errors import MappingTableError, TableProblem
from adapter.mapping.reading import Problems, read, table_rows, text, unknown_keys
from adapter.mapping.table import default_table_directory

__all__ = [
    "EQUIVALENCE_FILE",
    "Absent",
    "Equal",
    "EquivalenceRules",
    "Rule",
    "RulesReport",
    "check_rules",
    "load_equivalence_rules",
]

EQUIVALENCE_FILE = "equivalence.toml"

_ROW_KEYS = frozenset({"path", "equal", "key", "absent", "note"})


class Equal(StrEnum):
    EXACT = "exact"
    MONEY = "money"
    INSTANT = "instant"
    SET = "set"


class Absent(StrEnum):
    MISSING = "missing"
    NULL = "null"
    EMPTY = "empty"


@dataclass(frozen=True, slots=True)
class Rule:
    """One row of ``equivalence.toml``."""

    path: str
    equal: Equal
    key: str | None
    absent: frozenset[Absent]
    note: str


@dataclass(frozen=True, slots=True)
class EquivalenceRules:
    """The validated rules, by legacy path."""

    directory: Path
    by_path: Mapping[str, Rule]

    def rule(self, path: str) -> Rule | None:
        return self.by_path.get(path)


@dataclass(frozen=True, slots=True)
class RulesReport:
    """The rows read (even from a broken file), every problem, and the rules when usable."""

    directory: Path
    rows: tuple[Rule, ...]
    problems: tuple[TableProblem, ...]
    rules: EquivalenceRules | None


# What each comparison needs the path to be.
_EQUAL_FITS: dict[Equal, tuple[NodeKind, ValueType | None, str]] = {
    Equal.MONEY: (NodeKind.VALUE, ValueType.MONEY, "a money value ({value, currency})"),
    Equal.INSTANT: (NodeKind.VALUE, ValueType.TIMESTAMP, "a date-time value"),
    Equal.SET: (NodeKind.LIST, None, "a list (write it with '[]')"),
}


def _enum(value: Any, enum: type[StrEnum], name: str, what: str, problems: Problems) -> Any:
    try:
        return enum(value)
    except ValueError:
        known = ", ".join(member.value for member in enum)
        problems.add(EQUIVALENCE_FILE, name, f"unknown {what} {value!r} (known: {known})")
        return None


def _absent(raw: Any, info: PathInfo | None, name: str, problems: Problems) -> frozenset[Absent]:
    if raw is None:
        return frozenset()
    if not isinstance(raw, list):
        problems.add(EQUIVALENCE_FILE, name, "'absent' must be a list such as ['null', 'empty']")
        return frozenset()
    forms = {_enum(value, Absent, name, "absent form", problems) for value in raw}
    forms.discard(None)
    if Absent.EMPTY in forms and info is not None and info.kind is NodeKind.VALUE:
        problems.add(EQUIVALENCE_FILE, name, "'empty' applies to lists and objects only")
    if len(forms) == 1:
        problems.add(EQUIVALENCE_FILE, name, "'absent' needs two forms or more to equate")
    return frozenset(forms)


def _check_fit(rule: Rule, info: PathInfo, problems: Problems) -> None:
    fit = _EQUAL_FITS.get(rule.equal)
    if fit is not None:
        kind, value_type, described = fit
        if info.kind is not kind or (value_type is not None and info.value_type is not value_type):
            message = f"equal = {rule.equal.value!r} needs {described}; {rule.path!r} is not"
            problems.add(EQUIVALENCE_FILE, rule.path, message)
    if rule.equal is Equal.SET:
        if info.value_type is ValueType.OBJECT and rule.key is None:
            known = ", ".join(info.fields)
            problems.add(
                EQUIVALENCE_FILE,
                rule.path,
                f"a set of objects needs 'key', the field naming an element (one of: {known})",
            )
        elif info.value_type is ValueType.OBJECT and rule.key not in info.fields:
            known = ", ".join(info.fields)
            problems.add(EQUIVALENCE_FILE, rule.path, f"key {rule.key!r} is not one of: {known}")
        elif info.value_type is not ValueType.OBJECT and rule.key is not None:
            problems.add(EQUIVALENCE_FILE, rule.path, "a set of values takes no 'key'")
    elif rule.key is not None:
        problems.add(EQUIVALENCE_FILE, rule.path, "'key' goes with equal = 'set' only")


def _parse(doc: Mapping[str, Any], problems: Problems) -> list[Rule]:
    shape = expense_shape()
    rows: list[Rule] = []
    seen: set[str] = set()
    for index, raw in enumerate(table_rows(doc, "rules", EQUIVALENCE_FILE, problems)):
        path = text(raw, "path", EQUIVALENCE_FILE, f"#{index + 1}", problems)
        name = path or f"#{index + 1}"
        unknown_keys(raw, _ROW_KEYS, EQUIVALENCE_FILE, name, problems)
        if not path:
            problems.add(EQUIVALENCE_FILE, name, "'path' (a legacy field path) is required")
            continue
        info = shape.get(path)
        if info is None:
            hint = difflib.get_close_matches(path, list(shape), n=1)
            also = f" (did you mean {hint[0]!r}?)" if hint else ""
            problems.add(EQUIVALENCE_FILE, name, f"not a path of the legacy Expense{also}")
        if path in seen:
            problems.add(EQUIVALENCE_FILE, name, "two rows for the same path")
        seen.add(path)
        equal = _enum(raw.get("equal", "exact"), Equal, name, "comparison", problems)
        note = text(raw, "note", EQUIVALENCE_FILE, name, problems)
        if not note:
            problems.add(EQUIVALENCE_FILE, name, "'note' (why this rule holds) is required")
        rule = Rule(
            path=path,
            equal=equal if equal is not None else Equal.EXACT,
            key=text(raw, "key", EQUIVALENCE_FILE, name, problems),
            absent=_absent(raw.get("absent"), info, name, problems),
            note=note or "",
        )
        if info is not None and equal is not None:
            _check_fit(rule, info, problems)
        rows.append(rule)
    return rows


def _check_coverage(rows: list[Rule], problems: Problems) -> None:
    """Money and timestamps compared as text would report 896.96 vs 896.960 as different."""
    by_path = {rule.path: rule for rule in rows}
    needs = {ValueType.MONEY: Equal.MONEY, ValueType.TIMESTAMP: Equal.INSTANT}
    for path, info in expense_shape().items():
        wanted = needs.get(info.value_type)
        if info.kind is NodeKind.VALUE and wanted is not None:
            rule = by_path.get(path)
            if rule is None or rule.equal is not wanted:
                need = f"a {info.value_type.value} field needs a row with equal = {wanted.value!r}"
                problems.add(EQUIVALENCE_FILE, path, need)


def check_rules(directory: Path | None = None) -> RulesReport:
    """Read and validate ``equivalence.toml`` in ``directory``; never raises for a bad file."""
    directory = default_table_directory() if directory is None else directory
    if directory.is_file():
        directory = directory.parent
    problems = Problems()
    doc = read(directory, EQUIVALENCE_FILE, problems)
    rows = _parse(doc, problems) if doc is not None else []
    if doc is not None:
        _check_coverage(rows, problems)
    rules = None
    if not problems.items:
        rules = EquivalenceRules(directory, {rule.path: rule for rule in rows})
    return RulesReport(directory, tuple(rows), tuple(problems.items), rules)


def load_equivalence_rules(directory: Path | None = None) -> EquivalenceRules:
    """Load and validate the rules (default: the shipped ones); raise MappingTableError."""
    report = check_rules(directory)
    if report.rules is None:
        raise MappingTableError(list(report.problems))
    return report.rules
