"""The equivalence rules file: loaded from mappings/, every mistake in it named at load."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from adapter.compare import EquivalenceRules, check_rules, load_equivalence_rules
from adapter.compare.rules import Absent, Equal
from adapter.compare.shape import NodeKind, ValueType, expense_shape
from adapter.errors import MappingTableError

# Inserted as the first row of the shipped file.
_FIRST_ROW = r"^rules = \[$"


def test_shipped_rules_cover_every_money_and_timestamp_field(rules: EquivalenceRules) -> None:
    """Every money field of the legacy Expense is compared as money, every date-time as instant."""
    for path, info in expense_shape().items():
        if info.kind is NodeKind.VALUE and info.value_type is ValueType.MONEY:
            assert rules.by_path[path].equal is Equal.MONEY, path
        if info.kind is NodeKind.VALUE and info.value_type is ValueType.TIMESTAMP:
            assert rules.by_path[path].equal is Equal.INSTANT, path


def test_shipped_rules_treat_the_id_keyed_lists_as_sets(rules: EquivalenceRules) -> None:
    """tagIds are sets keyed by id; receiptIds and settledExpenseIds are sets of values."""
    assert (rules.by_path["tagIds[]"].equal, rules.by_path["tagIds[]"].key) == (Equal.SET, "id")
    assert rules.by_path["lines[].tagIds[]"].key == "id"
    for path in ("receiptIds[]", "settledExpenseIds[]"):
        assert (rules.by_path[path].equal, rules.by_path[path].key) == (Equal.SET, None)
        assert rules.by_path[path].absent == {Absent.NULL, Absent.EMPTY}


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ('{ path = "amountSetled", note = "x" },', "did you mean 'amountSettled'"),
        ('{ path = "note", equal = "money", note = "x" },', "needs a money value"),
        ('{ path = "employeeId", equal = "instant", note = "x" },', "needs a date-time value"),
        ('{ path = "supplier", equal = "set", note = "x" },', "needs a list"),
        ('{ path = "lines[]", equal = "set", note = "x" },', "needs 'key'"),
        ('{ path = "lines[]", equal = "set", key = "nope", note = "x" },', "'nope' is not one of"),
        ('{ path = "receiptIds[]", equal = "fuzzy", note = "x" },', "unknown comparison 'fuzzy'"),
        ('{ path = "note", key = "id", note = "x" },', "'key' goes with equal = 'set' only"),
        ('{ path = "note", absent = ["nothing", "null"], note = "x" },', "unknown absent form"),
        ('{ path = "note", absent = ["null", "empty"], note = "x" },', "lists and objects only"),
        ('{ path = "note", absent = ["null"], note = "x" },', "needs two forms or more"),
        ('{ path = "note", absent = "null", note = "x" },', "'absent' must be a list"),
        ('{ path = "note" },', "'note' (why this rule holds) is required"),
        ('{ path = "note", note = "x", equals = "money" },', "unknown key 'equals'"),
        ('{ note = "x" },', "'path' (a legacy field path) is required"),
        ('{ path = "amountSettled", equal = "money", note = "again" },', "two rows for the same"),
    ],
)
def test_a_bad_row_is_named_with_its_problem(
    tables_copy: Callable[..., Path], row: str, problem: str
) -> None:
    """Each mistake in a row is reported with the row's path and what is wrong."""
    directory = tables_copy("equivalence.toml", _FIRST_ROW, f"rules = [\n  {row}")
    report = check_rules(directory)
    assert report.rules is None
    assert any(problem in str(p) for p in report.problems), report.problems
    assert all(p.file == "equivalence.toml" for p in report.problems)


def test_a_set_of_values_with_a_key_is_refused(tables_copy: Callable[..., Path]) -> None:
    """receiptIds holds strings, so naming a key for its elements is a mistake."""
    directory = tables_copy(
        "equivalence.toml",
        r'path = "receiptIds\[\]",\s+equal = "set",',
        ('path = "receiptIds[]", equal = "set", key = "id",'),
    )
    assert any("takes no 'key'" in str(p) for p in check_rules(directory).problems)


def test_a_money_field_without_a_money_rule_is_refused(tables_copy: Callable[..., Path]) -> None:
    """Dropping amountSettled's row would compare 896.96 and 896.960 as text: refused."""
    directory = tables_copy("equivalence.toml", r'^  \{ path = "amountSettled",.*\n', "")
    problems = [str(p) for p in check_rules(directory).problems]
    assert problems == [
        "equivalence.toml row 'amountSettled': a money field needs a row with equal = 'money'"
    ]


def test_not_toml_and_no_file_are_problems_not_crashes(tables_copy: Callable[..., Path]) -> None:
    """A broken or missing file is a problem in the report; load raises MappingTableError."""
    broken = tables_copy("equivalence.toml", _FIRST_ROW, "rules = [[[")
    assert "not valid TOML" in str(check_rules(broken).problems[0])
    (broken / "equivalence.toml").unlink()
    assert "file not found" in str(check_rules(broken).problems[0])
    with pytest.raises(MappingTableError) as caught:
        load_equivalence_rules(broken)
    assert "equivalence.toml: file not found" in caught.value.message


def test_a_file_path_means_its_directory(tables_copy: Callable[..., Path]) -> None:
    """Like the mapping table check, naming a file in the directory reads the directory."""
    directory = tables_copy()
    rules = load_equivalence_rules(directory / "expense.toml")
    assert rules.directory == directory
