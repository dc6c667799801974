"""Loading and validating the tables: every broken table fails start-up naming the row."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from adapter.errors import ConfigurationError, MappingTableError
from adapter.mapping import (
    check_tables,
    default_table_directory,
    load_mapping_table,
    to_expense,
)
from tests.support.mapping_items import item, row_line

MakeTable = Callable[..., Path]


def _problems(directory: Path) -> list[str]:
    return [str(p) for p in check_tables(directory).problems]


def test_the_shipped_tables_are_valid() -> None:
    """The tables in mappings/ load without a problem and cover 32 legacy fields."""
    report = check_tables()
    assert report.problems == ()
    assert len(report.fields) == 32


def test_default_directory_is_the_repository_mappings_folder() -> None:
    """In a checkout the shipped tables are <repo>/mappings, next to the adapter package."""
    assert default_table_directory() == Path(__file__).resolve().parents[3] / "mappings"


def test_a_table_error_is_a_configuration_error(table_copy: MakeTable) -> None:
    """MappingTableError is the ConfigurationError start-up stops on, listing the problems."""
    directory = table_copy("expense.toml", 'source = "user.code"', 'source = "user.cod"')
    with pytest.raises(ConfigurationError, match=r"employeeCode.*did you mean 'code'"):
        load_mapping_table(directory)
    with pytest.raises(MappingTableError) as info:
        load_mapping_table(directory)
    assert [p.row for p in info.value.problems] == ["employeeCode"]


@pytest.mark.parametrize(
    ("pattern", "repl", "row", "message"),
    [
        (r'legacy = "note",', 'legacy = "notes",', "notes", "no such legacy field"),
        (r'legacy = "note",', 'legacy = "notes",', "note", "legacy field has no row"),
        (r'legacy = "deletedAt",', 'legacy = "note",', "note", "two rows"),
        (
            r'source = "accountingEntryLines\[\]\.tax\.id"',
            'source = "accountingEntryLines.tax.id"',
            "lines[].taxCodeId",
            "is a list, write 'accountingEntryLines[]'",
        ),
        (r'"receipt_id"', '"receipt_url"', "receiptIds[]", "unknown transform"),
        (
            r'kind = "unavailable"',
            'kind = "missing"',
            "cardTransaction.authorizedAt",
            "unknown kind",
        ),
        (
            r'(legacy = "deletedAt",\s+)kind = "unavailable"',
            r'\1kind = "unavailable", default = "x"',
            "deletedAt",
            "takes no 'default'",
        ),
        (r'"team\.id"', '"team.name.first"', "departmentId", "is a value"),
        (r'source = "note"', 'source = "amount"', "note", "needs str"),
        (
            r'kind = "transformed", transform = "expense_type", args = \["subType"\]',
            'kind = "direct"',
            "type",
            "a transform is missing",
        ),
        (r'args = \["subType"\]', 'args = ["subType", "note"]', "type", "the transform takes 1"),
        (r'args = \["subType"\]', 'args = ["amount"]', "type", "takes str as an extra source"),
        (r'otherwise = "PRESENTMENT"', 'otherwise = "SETTLED"', "cardTransaction.state", "not a"),
        (r'otherwise = "PRESENTMENT"', 'other = "PRESENTMENT"', "cardTransaction.state", "options"),
        (
            r'fallback = \["supplier\.name"\]',
            'fallback = ["supplier.nam"]',
            "cardTransaction.merchant.name",
            "did you mean 'name'",
        ),
        (
            r'fallback = \["supplier\.name"\]',
            'fallback = ["amount"]',
            "cardTransaction.merchant.name",
            "not the same kind of value",
        ),
        (
            r'fallback = \["supplier\.name"\], default = "", ',
            'fallback = ["supplier.name"], ',
            "cardTransaction.merchant.name",
            "can be null but the legacy field cannot",
        ),
        (r'"same_or_null"', '"union"', "accountId", "makes a list"),
        (
            r'aggregate = "union",(\s+note = "A\.1; A\.2 union)',
            r"\1",
            "tagIds[].id",
            "aggregate = 'union'",
        ),
        (r'source = "user\.id"', 'source = "user.name"', "employeeId", ""),
    ],
)
def test_a_broken_expense_row_is_named(
    table_copy: MakeTable, pattern: str, repl: str, row: str, message: str
) -> None:
    """A typo in a row (field, source, kind, transform, aggregate, type) names that row."""
    directory = table_copy("expense.toml", pattern, repl)
    if not message:  # a different but valid source is not a problem
        assert _problems(directory) == []
        return
    problems = _problems(directory)
    assert any(f"row {row!r}" in p and message in p for p in problems), problems


def test_an_unmapped_item_status_fails(table_copy: MakeTable) -> None:
    """Every ExportJobItemStatus needs a row in item_to_legacy."""
    directory = table_copy("statuses.toml", r'^  \{ item = "abandoned".*\n', "")
    problems = _problems(directory)
    assert any("'item_to_legacy abandoned': item status is unmapped" in p for p in problems)


def test_an_unmapped_legacy_status_fails(table_copy: MakeTable) -> None:
    """Every LegacyStatus needs a row in legacy_to_item."""
    directory = table_copy(
        "statuses.toml", r'legacy = "QUEUED",(\s+)allowed', r'legacy = "QUEUD",\1allowed'
    )
    problems = _problems(directory)
    assert any("unknown legacy status 'QUEUD'" in p for p in problems)
    assert any("'legacy_to_item QUEUED': legacy status is unmapped" in p for p in problems)


def test_a_transition_out_of_a_terminal_status_fails(table_copy: MakeTable) -> None:
    """allowed_from may not name a terminal status: a terminal item never changes (A.3)."""
    directory = table_copy(
        "statuses.toml", r'allowed_from = \["pending"\]', 'allowed_from = ["successful"]'
    )
    assert any("terminal status 'successful'" in p for p in _problems(directory))


def test_a_status_rule_that_does_not_round_trip_fails(table_copy: MakeTable) -> None:
    """A legacy status must map to an item status that reads back as the same legacy status."""
    directory = table_copy("statuses.toml", r'item = "in_progress"', 'item = "successful"')
    assert any("no round trip" in p for p in _problems(directory))


def test_a_missing_v3_type_row_fails(table_copy: MakeTable) -> None:
    """Every ExportItemTypeV3 value needs a row (without sub_type) in types.toml."""
    directory = table_copy("types.toml", r'v3 = "fee",( +)legacy', r'v3 = "fees",\1legacy')
    problems = _problems(directory)
    assert any("'types fee': ExportItemTypeV3 value has no plain row" in p for p in problems)
    assert any("'types fee subType interest': the type has no row" in p for p in problems)


def test_an_unknown_sub_type_fails(table_copy: MakeTable) -> None:
    """A sub_type must be an ExportItemSubTypeV3 value (B §2.8.1)."""
    directory = table_copy("types.toml", r'sub_type = "interest"', 'sub_type = "intrest"')
    assert any("unknown sub_type 'intrest'" in p for p in _problems(directory))


@pytest.mark.parametrize(
    ("pattern", "repl", "message"),
    [
        (r'legacy = "cardTransaction", present', 'legacy = "supplier", present', "cannot be null"),
        (r'legacy = "cardTransaction", present', 'legacy = "cardTransactio", present', "not a"),
        (
            r'type = \["card_purchase"',
            'type = ["card_purchse"',
            "unknown value(s) ['card_purchse']",
        ),
        (r"present_when = \{ type =", "present_when = { amount =", "is not a text value"),
        (r"present_when = \{ type =", "present_when = { kind =", "source does not exist"),
        (r"present_when = \{ type = \[", "present_when = { type = [], x = [", "non-empty"),
    ],
)
def test_a_broken_object_rule_is_named(
    table_copy: MakeTable, pattern: str, repl: str, message: str
) -> None:
    """An objects rule on a wrong object, source or value names the rule."""
    problems = _problems(table_copy("expense.toml", pattern, repl))
    assert any("row 'objects " in p and message in p for p in problems), problems


def test_without_an_object_rule_the_object_is_always_present(table_copy: MakeTable) -> None:
    """Deleting the cardTransaction rule is a data change: every expense gets one again."""
    directory = table_copy("expense.toml", r"^objects = \[\n.*\n\]\n", "")
    expense = to_expense(load_mapping_table(directory), item("minimal"), "pending")
    assert expense.cardTransaction is not None


def test_inferred_must_be_true_or_false(table_copy: MakeTable) -> None:
    """``inferred`` is a flag; anything else is a problem naming the row."""
    directory = table_copy("expense.toml", r"inferred = true", 'inferred = "yes"')
    assert (
        "expense.toml row 'cardTransaction.state': 'inferred' must be true or false"
        in _problems(directory)
    )


def test_departures_from_the_seed_table_are_listed() -> None:
    """Every row departing from the seed table says so, and check_tables reports each one."""
    rows = {d.row for d in check_tables().departures}
    assert rows == {
        "amountOriginal",
        "type",
        "cardTransaction.state",
        "cardTransaction.merchant.name",
        "objects cardTransaction",
        "types invoice_payment",
        "types cashback",
        "types fee subType interest",
        "types overdraft",
    }


def test_bad_money_settings_fail(table_copy: MakeTable) -> None:
    """legacy_units must be major or minor."""
    directory = table_copy("currencies.toml", r'legacy_units = "major"', 'legacy_units = "cents"')
    assert any("legacy_units" in p for p in _problems(directory))


def test_minor_legacy_units_keep_the_v3_value(table_copy: MakeTable) -> None:
    """legacy_units = "minor" is a data change: 89696 stays 89696."""
    directory = table_copy("currencies.toml", r'legacy_units = "major"', 'legacy_units = "minor"')
    expense = to_expense(load_mapping_table(directory), item("minimal"), "pending")
    assert expense.amountSettled is not None
    assert expense.amountSettled.value == Decimal(89696)


def test_invalid_toml_and_missing_files_fail_readably(table_copy: MakeTable) -> None:
    """A file that is not TOML, or is missing, is a problem naming the file."""
    directory = table_copy("types.toml", r'default = "MANUAL"', "default = ")
    assert any(p.startswith("types.toml: not valid TOML") for p in _problems(directory))
    (directory / "currencies.toml").unlink()
    assert any(p.startswith("currencies.toml: file not found") for p in _problems(directory))


def test_mapping_a_field_from_another_source_is_a_one_line_data_change(
    table_copy: MakeTable,
) -> None:
    """Editing one line of expense.toml maps a field the shipped table leaves null (B §4.6)."""
    new_row = (
        '  { legacy = "supplier.documentNumber", kind = "direct", note = "test",'
        ' source = "additionalInformation.invoiceInformation.invoiceNumber" },'
    )
    directory = table_copy("expense.toml", row_line("supplier.documentNumber"), new_row)
    changed = (directory / "expense.toml").read_text().splitlines()
    shipped = (default_table_directory() / "expense.toml").read_text().splitlines()
    assert sum(a != b for a, b in zip(changed, shipped, strict=True)) == 1
    table = load_mapping_table(directory)
    assert to_expense(table, item("full"), "pending").supplier.documentNumber == "INV-42"
    assert to_expense(table, item("minimal"), "pending").supplier.documentNumber is None


def test_a_new_money_field_needs_only_a_row_using_an_existing_transform(
    table_copy: MakeTable,
) -> None:
    """amountOriginal from amount.inSupplierCurrency is one row with the money transform."""
    new_row = (
        '  { legacy = "amountOriginal", source = "amount.inSupplierCurrency",'
        ' kind = "transformed", transform = "money", note = "test" },'
    )
    directory = table_copy("expense.toml", row_line("amountOriginal"), new_row)
    expense = to_expense(load_mapping_table(directory), item("full"), "pending")
    assert expense.amountOriginal is not None
    assert (expense.amountOriginal.value, expense.amountOriginal.currency) == (Decimal(100), "USD")
