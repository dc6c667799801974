"""How one sandbox shows its entries through the legacy API: the read counter that drives the
``updatedAt`` noise and the receipt URL signatures, the per-entry legacy facts (computed once),
and the disagreement rules of the comparison fault knob.
"""

from __future__ import annotations

import hashlib
from typing import Any

from adapter.sandbox.legacy_disagreements import DisagreementBook
from adapter.sandbox.legacy_facts import LegacyFacts, legacy_facts
from adapter.sandbox.legacy_render import render_expense
from adapter.sandbox.models import Entry

__all__ = ["LegacyView"]


class LegacyView:
    """Renders legacy expenses and signs receipt URLs for one sandbox."""

    def __init__(self) -> None:
        self.reads = 0
        self.disagreements = DisagreementBook()
        self._facts: dict[str, LegacyFacts] = {}

    def next_read(self) -> int:
        """Count one legacy request that shows expenses or receipts; its number."""
        self.reads += 1
        return self.reads

    def facts(self, entry: Entry) -> LegacyFacts:
        """The entry's legacy-only values."""
        facts = self._facts.get(entry.id)
        if facts is None:
            facts = self._facts[entry.id] = legacy_facts(entry)
        return facts

    def expense(
        self, entry: Entry, status: str, read: int, *, vendor_exposed: bool = True
    ) -> dict[str, Any]:
        """The legacy ``Expense`` as read number ``read`` shows it, disagreements applied.

        ``vendor_exposed``: whether the Export API shows this entry's vendor (its job has
        vendor-based bookkeeping); the legacy merchant is the vendor only then.
        """
        expense = render_expense(entry, status, self.facts(entry), read, vendor_exposed)
        return self.disagreements.apply(expense) if self.disagreements.rules else expense

    @staticmethod
    def signature(receipt_id: str, read: int) -> str:
        """A fake URL signature that differs on every read, like a freshly signed URL."""
        return hashlib.sha256(f"{receipt_id}/{read}".encode()).hexdigest()[:32]
