"""The A/A pass: what the legacy API changes between two of its own reads is noise."""

from __future__ import annotations

import copy
from typing import Any

from adapter.compare import DifferenceKind, EquivalenceRules, compare_expenses, noise_keys
from adapter.mapping import MappingTable

Expense = dict[str, Any]


def test_fields_that_move_between_two_legacy_reads_are_noise(
    table: MappingTable, rules: EquivalenceRules, pair: tuple[Expense, Expense]
) -> None:
    """updatedAt moving between reads makes its difference noise; the note stays unexplained."""
    first, translated = pair
    first["updatedAt"] = "2026-10-10T10:00:00Z"
    first["note"] = "legacy note"
    second = copy.deepcopy(first)
    second["updatedAt"] = "2026-10-10T10:00:07Z"

    noise = noise_keys([first], [second], rules=rules, currencies=table.currencies)
    comparison = compare_expenses([first], [translated], table=table, rules=rules, noise=noise)

    assert noise == {(first["id"], "updatedAt")}
    kinds = {d.field: d.kind for d in comparison.differences}
    assert kinds == {"updatedAt": DifferenceKind.NOISE, "note": DifferenceKind.UNEXPLAINED}
    assert comparison.failing == 1


def test_noise_is_per_expense(
    table: MappingTable, rules: EquivalenceRules, pair: tuple[Expense, Expense]
) -> None:
    """A field that moved on one expense is not noise on another expense."""
    first, translated = pair
    other_legacy = {**copy.deepcopy(first), "id": "other"}
    other_translated = {**copy.deepcopy(translated), "id": "other"}
    for expense in (first, other_legacy):
        expense["updatedAt"] = "2026-10-10T10:00:00Z"
    second = [copy.deepcopy(first), copy.deepcopy(other_legacy)]
    second[0]["updatedAt"] = "2026-10-10T10:00:07Z"

    noise = noise_keys([first, other_legacy], second, rules=rules, currencies=table.currencies)
    comparison = compare_expenses(
        [first, other_legacy], [translated, other_translated], table=table, rules=rules, noise=noise
    )

    assert {(d.expense_id, d.kind) for d in comparison.differences} == {
        (first["id"], DifferenceKind.NOISE),
        ("other", DifferenceKind.UNEXPLAINED),
    }


def test_equal_reads_in_other_forms_are_not_noise(
    table: MappingTable, rules: EquivalenceRules, pair: tuple[Expense, Expense]
) -> None:
    """Two reads that differ only as the rules allow (offset, tag order) produce no noise."""
    first, _ = pair
    second = copy.deepcopy(first)
    second["tagIds"].reverse()
    second["performedAt"] = second["performedAt"].replace("Z", "+00:00")
    assert noise_keys([first], [second], rules=rules, currencies=table.currencies) == frozenset()


def test_an_expense_that_comes_and_goes_is_noise_not_presence(
    table: MappingTable, rules: EquivalenceRules, pair: tuple[Expense, Expense]
) -> None:
    """An id listed by one legacy read only is noise when the translation lacks it too."""
    first, translated = pair
    gone = {**copy.deepcopy(first), "id": "gone"}
    noise = noise_keys([first, gone], [first], rules=rules, currencies=table.currencies)
    comparison = compare_expenses(
        [first, gone], [translated], table=table, rules=rules, noise=noise
    )
    assert [(d.expense_id, d.kind) for d in comparison.differences] == [
        ("gone", DifferenceKind.NOISE)
    ]
    assert comparison.failing == 0


def test_an_expected_gap_stays_a_gap_when_it_is_also_noisy(
    table: MappingTable, rules: EquivalenceRules, pair: tuple[Expense, Expense]
) -> None:
    """A field the Export API cannot supply is an expected gap, even if it also moves."""
    first, translated = pair
    first["deletedAt"] = "2026-10-10T10:00:00Z"
    second = copy.deepcopy(first)
    second["deletedAt"] = "2026-10-10T10:00:01Z"
    noise = noise_keys([first], [second], rules=rules, currencies=table.currencies)
    comparison = compare_expenses([first], [translated], table=table, rules=rules, noise=noise)
    assert [d.kind for d in comparison.differences] == [DifferenceKind.EXPECTED_GAP]
