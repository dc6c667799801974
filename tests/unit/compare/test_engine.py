"""The compare engine on crafted disagreements: each reported with its kind and provenance."""

from __future__ import annotations

import copy
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from adapter.compare import (
    Comparison,
    Difference,
    DifferenceKind,
    EquivalenceRules,
    compare_expenses,
    load_equivalence_rules,
)
from adapter.compare.walk import MISSING
from adapter.mapping import MappingTable, load_mapping_table
from tests.support.compare_scenario import legacy_value, set_path

Expense = dict[str, Any]
Pair = tuple[Expense, Expense]


def run(
    table: MappingTable, rules: EquivalenceRules, legacy: Expense, translated: Expense
) -> Comparison:
    return compare_expenses([legacy], [translated], table=table, rules=rules)


def only(comparison: Comparison) -> Difference:
    assert len(comparison.differences) == 1, comparison.differences
    return comparison.differences[0]


def test_an_expense_and_its_identical_copy_do_not_differ(
    table: MappingTable, rules: EquivalenceRules, pair: Pair
) -> None:
    """A legacy expense equal to its translation gives no difference and counts as compared."""
    legacy, translated = pair
    comparison = run(table, rules, legacy, translated)
    assert comparison.differences == ()
    assert (comparison.compared, comparison.failing) == (1, 0)


def test_money_off_by_x100_is_unexplained_and_named(
    table: MappingTable, rules: EquivalenceRules, pair: Pair
) -> None:
    """896.96 against 89696 is an unexplained amountSettled difference with its row and hint."""
    legacy, translated = pair
    translated["amountSettled"]["value"] *= 100
    difference = only(run(table, rules, legacy, translated))
    assert difference.kind is DifferenceKind.UNEXPLAINED
    assert (difference.field, difference.rule) == ("amountSettled", "money")
    assert difference.provenance.mapping_row == "amountSettled"
    assert difference.provenance.source_path == "amount.inWalletCurrency"
    assert difference.hint is not None
    assert difference.hint.startswith("translated is 100 x legacy")


@pytest.mark.parametrize(
    ("legacy", "translated"),
    [
        (
            {"value": Decimal("896.96"), "currency": "SEK"},
            {"value": Decimal("896.960"), "currency": "SEK"},
        ),
        ({"value": 1000, "currency": "JPY"}, {"value": Decimal("1000.0"), "currency": "JPY"}),
        (
            {"value": Decimal("1.234"), "currency": "BHD"},
            {"value": Decimal("1.2340"), "currency": "BHD"},
        ),
        ({"value": 896.96, "currency": "SEK"}, {"value": Decimal("896.96"), "currency": "SEK"}),
        (
            {"value": Decimal("896.9600000001"), "currency": "SEK"},
            {"value": Decimal("896.96"), "currency": "SEK"},
        ),
    ],
    ids=["sek-trailing-zero", "jpy-no-decimals", "bhd-three-decimals", "float", "below-a-cent"],
)
def test_money_is_equal_at_the_currency_exponent(
    table: MappingTable, rules: EquivalenceRules, pair: Pair, legacy: Any, translated: Any
) -> None:
    """The same amount written with more or fewer decimals is no difference."""
    left, right = pair
    left["amountSettled"], right["amountSettled"] = legacy, translated
    assert run(table, rules, left, right).differences == ()


@pytest.mark.parametrize(
    ("legacy", "translated"),
    [
        (
            {"value": Decimal("1.234"), "currency": "BHD"},
            {"value": Decimal("1.235"), "currency": "BHD"},
        ),
        ({"value": 1000, "currency": "JPY"}, {"value": 100000, "currency": "JPY"}),
        (
            {"value": Decimal("8.97"), "currency": "SEK"},
            {"value": Decimal("8.97"), "currency": "NOK"},
        ),
        ({"value": Decimal("8.97"), "currency": "SEK"}, {"value": "8.97", "currency": "SEK"}),
    ],
    ids=["bhd-one-fils", "jpy-x100", "currency", "string-value"],
)
def test_money_that_differs_is_unexplained(
    table: MappingTable, rules: EquivalenceRules, pair: Pair, legacy: Any, translated: Any
) -> None:
    """A different value at the exponent, a different currency or a string value all count."""
    left, right = pair
    left["lines"][0]["amountSettled"], right["lines"][0]["amountSettled"] = legacy, translated
    difference = only(run(table, rules, left, right))
    assert (difference.field, difference.kind) == ("lines[0].amountSettled", "unexplained")
    assert difference.provenance.source_path == "accountingEntryLines[].lineAmount.inWalletCurrency"


@pytest.mark.parametrize(
    "legacy",
    [
        "2026-10-10T12:39:56+02:00",
        "2026-10-10T10:39:56.000Z",
        "2026-10-10T10:39:56+00:00",
        "2026-10-10T05:39:56.000-05:00",
        "2026-10-10T10:39:56",
    ],
)
def test_timestamps_are_equal_as_instants(
    table: MappingTable, rules: EquivalenceRules, pair: Pair, legacy: str
) -> None:
    """The same instant in another offset or with milliseconds is no difference."""
    left, right = pair
    left["performedAt"], right["performedAt"] = legacy, "2026-10-10T10:39:56Z"
    left["cardTransaction"]["settledAt"] = legacy
    right["cardTransaction"]["settledAt"] = "2026-10-10T10:39:56Z"
    assert run(table, rules, left, right).differences == ()


def test_a_real_one_second_difference_is_unexplained(
    table: MappingTable, rules: EquivalenceRules, pair: Pair
) -> None:
    """10:39:56Z against 12:39:57+02:00 is one second apart and reported on performedAt."""
    left, right = pair
    left["performedAt"], right["performedAt"] = "2026-10-10T12:39:57+02:00", "2026-10-10T10:39:56Z"
    difference = only(run(table, rules, left, right))
    assert (difference.field, difference.kind, difference.rule) == (
        "performedAt",
        DifferenceKind.UNEXPLAINED,
        "instant",
    )
    assert (difference.provenance.mapping_row, difference.provenance.source_path) == (
        "performedAt",
        "date",
    )
    assert difference.hint == "translated is 1 s earlier"


def test_a_timestamp_that_does_not_parse_is_compared_as_text(
    table: MappingTable, rules: EquivalenceRules, pair: Pair
) -> None:
    """A malformed legacy timestamp is reported, never silently equal."""
    left, right = pair
    left["createdAt"] = "yesterday"
    assert only(run(table, rules, left, right)).field == "createdAt"


def test_reordered_tags_receipts_and_line_tags_are_equal(
    table: MappingTable, rules: EquivalenceRules, pair: Pair
) -> None:
    """Order carries no meaning in tagIds, lines[].tagIds and receiptIds."""
    left, right = pair
    left["tagIds"].reverse()
    left["receiptIds"] = ["r-2", "r-1"]
    right["receiptIds"] = ["r-1", "r-2"]
    for line in left["lines"]:
        line["tagIds"].reverse()
    assert run(table, rules, left, right).differences == ()


def test_a_missing_tag_is_unexplained_on_the_key_row(
    table: MappingTable, rules: EquivalenceRules, pair: Pair
) -> None:
    """A tag only the legacy API has is one difference on tagIds, from row tagIds[].id."""
    left, right = pair
    dropped = right["tagIds"].pop()
    difference = only(run(table, rules, left, right))
    assert (difference.field, difference.pattern) == ("tagIds", "tagIds[].id")
    assert dropped["id"] in difference.legacy
    assert dropped["id"] not in difference.translated
    assert difference.provenance.source_path == "accountingEntryLines[].tags[].id"


def test_a_matched_tag_with_another_group_is_named_by_its_id(
    table: MappingTable, rules: EquivalenceRules, pair: Pair
) -> None:
    """Elements of a keyed set are matched by id, then compared field by field."""
    left, right = pair
    tag = right["tagIds"][0]
    tag["tagGroupId"] = "another-group"
    difference = only(run(table, rules, left, right))
    assert difference.field == f"tagIds[id={tag['id']}].tagGroupId"
    assert difference.provenance.mapping_row == "tagIds[].tagGroupId"
    assert difference.provenance.source_path == "accountingEntryLines[].tags[].groupCode"


def test_a_missing_receipt_is_unexplained(
    table: MappingTable, rules: EquivalenceRules, pair: Pair
) -> None:
    """A receipt id the translation lacks is one difference on receiptIds (row receiptIds[])."""
    left, right = pair
    left["receiptIds"], right["receiptIds"] = ["r-1", "r-2"], ["r-2"]
    difference = only(run(table, rules, left, right))
    assert (difference.field, difference.provenance.mapping_row) == ("receiptIds", "receiptIds[]")
    assert difference.provenance.source_path == "files[]"


@pytest.mark.parametrize(
    ("path", "legacy", "translated", "equal"),
    [
        ("settledExpenseIds", None, [], True),
        ("settledExpenseIds", MISSING, [], False),
        ("settledExpenseIds", None, ["s-1"], False),
        ("note", None, None, True),
        ("note", MISSING, None, False),
        ("note", "", None, False),
        ("supplier", None, {"CIF": None, "documentNumber": None}, True),
        ("supplier", MISSING, {"CIF": None, "documentNumber": None}, False),
        (
            "cardTransaction",
            None,
            {
                "state": None,
                "merchant": {"id": None, "name": None},
                "authorizedAt": None,
                "settledAt": None,
                "reversedAt": None,
            },
            True,
        ),
        ("lines", [], [], True),
    ],
)
def test_null_missing_and_empty_follow_the_rules(
    table: MappingTable,
    rules: EquivalenceRules,
    pair: Pair,
    path: str,
    legacy: Any,
    translated: Any,
    equal: bool,
) -> None:
    """null, a missing key and [] differ unless the field's rule lists both forms as absent."""
    left, right = pair
    if legacy is MISSING:
        del left[path]
    else:
        left[path] = legacy
    right[path] = translated
    differences = run(table, rules, left, right).differences
    assert (differences == ()) is equal, differences
    if differences:
        assert differences[0].field == path
        assert differences[0].kind is DifferenceKind.UNEXPLAINED


def test_a_value_inside_a_null_object_lands_on_its_own_row(
    table: MappingTable, rules: EquivalenceRules, pair: Pair
) -> None:
    """Legacy supplier null against a translated CIF is a supplier.CIF difference, by row."""
    left, right = pair
    left["supplier"] = None
    right["supplier"] = {"CIF": "DK12345678", "documentNumber": None}
    difference = only(run(table, rules, left, right))
    assert (difference.field, difference.legacy, difference.translated) == (
        "supplier.CIF",
        None,
        "DK12345678",
    )
    assert difference.provenance.source_path == "supplier.taxIdentifier"


def test_a_different_number_of_lines_is_one_difference_on_the_list(
    table: MappingTable, rules: EquivalenceRules, pair: Pair
) -> None:
    """An extra line is reported once, on lines[], whose source is the item's lines."""
    left, right = pair
    right["lines"].append(copy.deepcopy(right["lines"][0]))
    difference = only(run(table, rules, left, right))
    assert (difference.field, difference.provenance.mapping_row) == ("lines", "lines[]")
    assert difference.provenance.source_path == "accountingEntryLines[]"
    assert len(difference.provenance.rows) == 5


def test_a_key_the_model_does_not_know_is_unexplained_without_a_row(
    table: MappingTable, rules: EquivalenceRules, pair: Pair
) -> None:
    """A field only the legacy API sends has no mapping row: unexplained, provenance empty."""
    left, right = pair
    left["projectId"] = "p-1"
    difference = only(run(table, rules, left, right))
    assert (difference.field, difference.kind) == ("projectId", DifferenceKind.UNEXPLAINED)
    assert (difference.provenance.mapping_row, difference.provenance.source_path) == (None, None)
    assert difference.translated is MISSING


def test_an_expense_on_one_side_only_is_presence_both_ways(
    table: MappingTable, rules: EquivalenceRules, pair: Pair
) -> None:
    """An extra legacy expense and an extra translated one are presence differences on id."""
    legacy, translated = pair
    extra_legacy = {**copy.deepcopy(legacy), "id": "only-legacy"}
    extra_translated = {**copy.deepcopy(translated), "id": "only-translated"}
    comparison = compare_expenses(
        [legacy, extra_legacy], [extra_translated, translated], table=table, rules=rules
    )
    assert (comparison.legacy_count, comparison.translated_count, comparison.compared) == (2, 2, 1)
    found = {(d.expense_id, d.kind, d.legacy, d.translated) for d in comparison.differences}
    assert found == {
        ("only-legacy", DifferenceKind.PRESENCE, "only-legacy", MISSING),
        ("only-translated", DifferenceKind.PRESENCE, MISSING, "only-translated"),
    }
    assert all(d.provenance.source_path == "accountingEntryId" for d in comparison.differences)
    assert comparison.failing == 2


def test_every_unavailable_row_is_an_expected_gap_with_its_row(
    table: MappingTable, rules: EquivalenceRules, pair: Pair
) -> None:
    """Values the legacy API has for each 'unavailable' row are expected gaps naming the row."""
    left, right = pair
    unavailable = [row.legacy for row in table.fields if row.kind == "unavailable"]
    assert unavailable
    for path in unavailable:
        set_path(left, path, legacy_value(path, left))
    comparison = run(table, rules, left, right)
    assert {d.provenance.mapping_row for d in comparison.differences} == set(unavailable)
    assert all(d.kind is DifferenceKind.EXPECTED_GAP for d in comparison.differences)
    assert not any(d.inferred for d in comparison.differences)
    assert all(d.provenance.source_path is None for d in comparison.differences)
    assert comparison.failing == 0


def test_an_inferred_row_is_an_inferred_gap_and_stops_being_one_without_the_flag(
    tables_copy: Callable[..., Path], table: MappingTable, rules: EquivalenceRules, pair: Pair
) -> None:
    """The card state is the proxy's inference (``inferred = true``): a legacy value that
    differs is an expected gap marked inferred, not failing; drop the flag and the same
    difference is unexplained."""
    left, right = pair
    assert right["cardTransaction"] is not None  # the pair is a card expense
    left["cardTransaction"] = {**right["cardTransaction"], "state": "CHARGE_BACK"}
    comparison = run(table, rules, left, right)
    gap = only(comparison)
    assert (gap.kind, gap.inferred) == (DifferenceKind.EXPECTED_GAP, True)
    assert comparison.failing == 0
    directory = tables_copy("expense.toml", r"inferred = true, ", "")
    plain = only(run(load_mapping_table(directory), rules, left, right))
    assert plain.kind is DifferenceKind.UNEXPLAINED
    assert plain.provenance.mapping_row == "cardTransaction.state"


def test_provenance_follows_the_table_when_a_row_changes(
    tables_copy: Callable[..., Path], pair: Pair
) -> None:
    """Mapping a field that was unavailable turns its gap into a difference naming its source."""
    directory = tables_copy(
        "expense.toml",
        r'\{ legacy = "supplier.documentNumber",\s+kind = "unavailable",',
        '{ legacy = "supplier.documentNumber", '
        'source = "additionalInformation.invoiceInformation.invoiceNumber", kind = "direct",',
    )
    table = load_mapping_table(directory)
    rules = load_equivalence_rules(directory)
    left, right = pair
    left["supplier"] = {"CIF": right["supplier"]["CIF"], "documentNumber": "INV-1"}
    difference = only(run(table, rules, left, right))
    assert difference.kind is DifferenceKind.UNEXPLAINED
    assert difference.provenance.row_kind == "direct"
    assert difference.provenance.source_path == (
        "additionalInformation.invoiceInformation.invoiceNumber"
    )


def test_item_status_rows_name_the_job_item_status(
    table: MappingTable, rules: EquivalenceRules, pair: Pair
) -> None:
    """A status difference is traced to the export job item's status, not to an item path."""
    left, right = pair
    left["status"] = "EXPORTED"
    difference = only(run(table, rules, left, right))
    assert (difference.provenance.row_kind, difference.provenance.source_path) == (
        "item_status",
        "ExportJobItemV3.status",
    )


def test_a_presence_hint_says_why_an_expense_is_missing(
    table: MappingTable, rules: EquivalenceRules, pair: Pair
) -> None:
    """The reason an item could not be translated travels with its presence difference."""
    legacy, _ = pair
    comparison = compare_expenses(
        [legacy],
        [],
        table=table,
        rules=rules,
        presence_hints={legacy["id"]: "the Export Item cannot be translated: bad status"},
    )
    assert only(comparison).hint == "the Export Item cannot be translated: bad status"
