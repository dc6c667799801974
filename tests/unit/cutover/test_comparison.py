"""One shadow comparison: the legacy answer's expenses against the translation of the same ids."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from adapter import jsonio
from adapter.compare import EquivalenceRules
from adapter.cutover.comparison import (
    UNWRITTEN_STATUS,
    FieldTally,
    ShadowResult,
    compare_shadow,
    legacy_expenses,
)
from adapter.mapping import MappingTable
from tests.support.compare_scenario import translated_expenses

Expense = dict[str, Any]


@pytest.fixture
def translated() -> list[Expense]:
    expenses, _ = translated_expenses(4)
    return expenses


def compare(
    legacy: list[Expense], translated: list[Expense], table: MappingTable, rules: EquivalenceRules
) -> Any:
    return compare_shadow(legacy, translated, table=table, rules=rules)


def test_identical_expenses_are_a_clean_comparison(
    translated: list[Expense], table: MappingTable, rules: EquivalenceRules
) -> None:
    """The same expenses on both sides: clean, every expense compared."""
    outcome = compare(copy.deepcopy(translated), translated, table, rules)

    assert (outcome.result, outcome.compared, outcome.unexplained) == (ShadowResult.CLEAN, 4, ())
    assert outcome.evidence is True


def test_an_unexplained_difference_names_its_field_mapping_row_and_source(
    translated: list[Expense], table: MappingTable, rules: EquivalenceRules
) -> None:
    """A settled amount off by x100 is unexplained, tallied by field with its mapping row."""
    legacy = copy.deepcopy(translated)
    legacy[1]["amountSettled"]["value"] *= 100

    outcome = compare(legacy, translated, table, rules)

    assert outcome.result is ShadowResult.UNEXPLAINED
    assert outcome.evidence is False
    assert outcome.unexplained == (
        FieldTally("amountSettled", "amountSettled", "amount.inWalletCurrency", 1),
    )
    assert outcome.kinds["unexplained"] == 1


@pytest.mark.parametrize("moved_to", ["EXPORTING", "EXPORTED", "NOT_EXPORTED"])
def test_a_status_the_legacy_client_moved_is_explained_by_shadow_never_writing(
    translated: list[Expense], table: MappingTable, rules: EquivalenceRules, moved_to: str
) -> None:
    """Legacy says the client moved it on, the translation still says QUEUED: explained."""
    legacy = copy.deepcopy(translated)
    legacy[0]["status"] = moved_to

    outcome = compare(legacy, translated, table, rules)

    assert outcome.result is ShadowResult.CLEAN
    assert outcome.kinds == {UNWRITTEN_STATUS: 1}


def test_a_status_the_translation_moved_stays_unexplained(
    translated: list[Expense], table: MappingTable, rules: EquivalenceRules
) -> None:
    """The Export API showing progress the legacy API does not is no shadow artefact."""
    moved = copy.deepcopy(translated)
    moved[0]["status"] = "EXPORTING"

    outcome = compare(copy.deepcopy(translated), moved, table, rules)

    assert outcome.result is ShadowResult.UNEXPLAINED
    assert outcome.unexplained[0].field == "status"


def test_an_expense_only_the_legacy_answer_has_is_counted_not_held_against_it(
    translated: list[Expense], table: MappingTable, rules: EquivalenceRules
) -> None:
    """Another export job's expense on the legacy page is presence, and the rest is clean."""
    outcome = compare(copy.deepcopy(translated), translated[1:], table, rules)

    assert (outcome.result, outcome.compared) == (ShadowResult.CLEAN, 3)
    assert outcome.kinds == {"presence": 1}


def test_expenses_only_the_translation_has_are_not_looked_at(
    translated: list[Expense], table: MappingTable, rules: EquivalenceRules
) -> None:
    """The translation's other expenses (other legacy pages, other statuses) say nothing."""
    outcome = compare(copy.deepcopy(translated[:1]), translated, table, rules)

    assert (outcome.result, outcome.compared, dict(outcome.kinds)) == (ShadowResult.CLEAN, 1, {})


def test_nothing_in_common_is_no_evidence(
    translated: list[Expense], table: MappingTable, rules: EquivalenceRules
) -> None:
    """No shared id (ids mapped wrongly, say): empty, which never counts towards promotion."""
    outcome = compare(copy.deepcopy(translated[:2]), translated[2:], table, rules)

    assert (outcome.result, outcome.evidence) == (ShadowResult.EMPTY, None)


def test_a_legacy_answer_is_read_as_a_list_or_one_expense(translated: list[Expense]) -> None:
    """Lists and PUT answers hold "expenses"; GET one is the bare object; anything else none."""
    listed = jsonio.dumps({"expenses": translated, "metadata": {}})
    one = jsonio.dumps(translated[0])

    as_list = legacy_expenses(listed, "list")
    assert as_list is not None
    assert [e["id"] for e in as_list] == [e["id"] for e in translated]
    assert legacy_expenses(one, "one") == [translated[0]]
    exact = legacy_expenses(b'{"id": "e-1", "amountSettled": {"value": 896.960}}', "one")
    assert exact is not None
    assert exact[0]["amountSettled"]["value"] == Decimal("896.960")
    assert legacy_expenses(b"<html>", "list") is None
    assert legacy_expenses(one, "list") is None
    assert legacy_expenses(b'{"expenses": [{"no": "id"}]}', "list") is None
    assert legacy_expenses(b"[]", "one") is None
