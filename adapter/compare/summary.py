"""Counts over a comparison: per kind, and per field (mapping row) for the reports."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from adapter.compare.engine import Comparison, Difference, DifferenceKind

__all__ = ["FieldCounts", "Totals", "field_counts", "totals"]


@dataclass(frozen=True, slots=True)
class Totals:
    """The summary line: ``failing`` is what ``--max-unexplained`` is checked against."""

    legacy_count: int
    translated_count: int
    compared: int
    unexplained: int
    expected_gaps: int
    inferred_gaps: int
    """Of ``expected_gaps``, those on rows the proxy infers (``inferred = true``)."""
    noise: int
    presence: int

    @property
    def failing(self) -> int:
        return self.unexplained + self.presence


@dataclass(frozen=True, slots=True)
class FieldCounts:
    """One field (a legacy path in ``expense.toml`` syntax) and its differences by kind."""

    pattern: str
    mapping_row: str | None
    source_path: str | None
    row_kind: str | None
    note: str
    counts: Counter[DifferenceKind]
    examples: tuple[Difference, ...]

    @property
    def failing(self) -> int:
        return self.counts[DifferenceKind.UNEXPLAINED] + self.counts[DifferenceKind.PRESENCE]


def totals(comparison: Comparison) -> Totals:
    return Totals(
        legacy_count=comparison.legacy_count,
        translated_count=comparison.translated_count,
        compared=comparison.compared,
        unexplained=comparison.count(DifferenceKind.UNEXPLAINED),
        expected_gaps=comparison.count(DifferenceKind.EXPECTED_GAP),
        inferred_gaps=sum(1 for d in comparison.differences if d.inferred),
        noise=comparison.count(DifferenceKind.NOISE),
        presence=comparison.count(DifferenceKind.PRESENCE),
    )


def field_counts(comparison: Comparison) -> list[FieldCounts]:
    """One entry per field that differs: failing fields first, then by count, then by name.

    ``examples`` holds every difference of the field in comparison order; a report shows
    as many as it has room for.
    """
    grouped: dict[str, list[Difference]] = {}
    for difference in comparison.differences:
        grouped.setdefault(difference.pattern, []).append(difference)
    fields = []
    for pattern, differences in grouped.items():
        provenance = differences[0].provenance
        fields.append(
            FieldCounts(
                pattern=pattern,
                mapping_row=provenance.mapping_row,
                source_path=provenance.source_path,
                row_kind=provenance.row_kind,
                note=provenance.note,
                counts=Counter(d.kind for d in differences),
                examples=tuple(differences),
            )
        )
    fields.sort(key=lambda f: (-f.failing, -sum(f.counts.values()), f.pattern))
    return fields
