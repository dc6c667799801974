"""The comparison: two lists of legacy Expenses in, classified differences out.

Pure: the lists, the mapping table, the rules and the A/A noise are all passed in.
Expenses are matched by ``id``. Each difference is classified, in this order:

* ``presence``: the id is on one side only;
* ``expected_gap``: the legacy value cannot be reproduced from an Export Item (pleo-api.md
  A.1 '—'): every mapping row behind the field is ``unavailable`` (the translation leaves it
  empty), or the row is the proxy's inference (``inferred = true``: the legacy document
  requires a value, A.7, so the proxy derives one and the legacy API may know better;
  :attr:`Difference.inferred` says which);
* ``noise``: the same field of the same expense differed between two legacy reads (and a
  presence difference whose id came and went between them);
* ``unexplained``: everything else.

Each names the legacy field, the mapping row that produced the translated value and that
row's v3 source path (:mod:`adapter.compare.provenance`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from adapter.compare.noise import PRESENCE_FIELD, NoiseKey, by_id
from adapter.compare.provenance import Provenance, ProvenanceIndex
from adapter.compare.rules import EquivalenceRules
from adapter.compare.walk import MISSING, RawDifference, diff_expense
from adapter.mapping.model import MappingTable

__all__ = ["Comparison", "Difference", "DifferenceKind", "compare_expenses"]


class DifferenceKind(StrEnum):
    UNEXPLAINED = "unexplained"
    EXPECTED_GAP = "expected_gap"
    NOISE = "noise"
    PRESENCE = "presence"


@dataclass(frozen=True, slots=True)
class Difference:
    """One classified difference. ``legacy``/``translated`` are ``MISSING`` for an absent key.

    ``field`` is the concrete path (``lines[0].amountSettled``), ``pattern`` the path in
    ``expense.toml`` syntax; ``rule`` the comparison used (exact, money, instant, set).
    """

    expense_id: str
    field: str
    pattern: str
    kind: DifferenceKind
    legacy: Any
    translated: Any
    provenance: Provenance
    rule: str
    hint: str | None = None

    @property
    def inferred(self) -> bool:
        """An expected gap on a row whose value is the proxy's inference (not left empty)."""
        return self.kind is DifferenceKind.EXPECTED_GAP and self.provenance.inferred


@dataclass(frozen=True, slots=True)
class Comparison:
    """The outcome: how many expenses each side had, how many were compared, what differed."""

    legacy_count: int
    translated_count: int
    compared: int
    differences: tuple[Difference, ...]

    def count(self, kind: DifferenceKind) -> int:
        return sum(1 for difference in self.differences if difference.kind is kind)

    @property
    def failing(self) -> int:
        """Differences nothing explains: ``unexplained`` plus ``presence``."""
        return self.count(DifferenceKind.UNEXPLAINED) + self.count(DifferenceKind.PRESENCE)


def _presence(
    expense_id: str,
    on_legacy: bool,
    index: ProvenanceIndex,
    noise: frozenset[NoiseKey],
    hint: str | None,
) -> Difference:
    noisy = (expense_id, PRESENCE_FIELD) in noise
    where = "the legacy API" if on_legacy else "the translation"
    return Difference(
        expense_id=expense_id,
        field=PRESENCE_FIELD,
        pattern=PRESENCE_FIELD,
        kind=DifferenceKind.NOISE if noisy else DifferenceKind.PRESENCE,
        legacy=expense_id if on_legacy else MISSING,
        translated=MISSING if on_legacy else expense_id,
        provenance=index.of(PRESENCE_FIELD),
        rule="presence",
        hint=hint or f"only in {where}",
    )


def _classify(
    expense_id: str, raw: RawDifference, provenance: Provenance, noise: frozenset[NoiseKey]
) -> DifferenceKind:
    if provenance.unavailable or provenance.inferred:
        return DifferenceKind.EXPECTED_GAP
    if (expense_id, raw.field) in noise:
        return DifferenceKind.NOISE
    return DifferenceKind.UNEXPLAINED


def compare_expenses(
    legacy: Sequence[Mapping[str, Any]],
    translated: Sequence[Mapping[str, Any]],
    *,
    table: MappingTable,
    rules: EquivalenceRules,
    noise: frozenset[NoiseKey] = frozenset(),
    presence_hints: Mapping[str, str] | None = None,
) -> Comparison:
    """Compare the legacy API's expenses with their translation, field by field.

    ``noise`` comes from :func:`adapter.compare.noise.noise_keys` over two legacy reads;
    ``presence_hints`` may say why an id is missing on one side (an untranslatable item).
    A repeated id keeps its first occurrence on each side.
    """
    index = ProvenanceIndex(table)
    hints = presence_hints or {}
    left, right = by_id(legacy), by_id(translated)
    differences: list[Difference] = []
    compared = 0
    for expense_id, expense in left.items():
        other = right.get(expense_id)
        if other is None:
            differences.append(_presence(expense_id, True, index, noise, hints.get(expense_id)))
            continue
        compared += 1
        for raw in diff_expense(expense, other, rules, table.currencies):
            provenance = index.of(raw.pattern)
            differences.append(
                Difference(
                    expense_id=expense_id,
                    field=raw.field,
                    pattern=raw.pattern,
                    kind=_classify(expense_id, raw, provenance, noise),
                    legacy=raw.legacy,
                    translated=raw.translated,
                    provenance=provenance,
                    rule=raw.rule,
                    hint=raw.hint,
                )
            )
    for expense_id in (i for i in right if i not in left):
        differences.append(_presence(expense_id, False, index, noise, hints.get(expense_id)))
    return Comparison(len(left), len(right), compared, tuple(differences))
