"""What the real legacy API knows about an expense and the Export API v3 does not.

pleo-api.md A.1 marks these legacy fields unavailable in an export item; the sandbox's legacy
view holds values for them anyway, as the real legacy API does, so a comparison of the legacy
API with the proxy's translation of v3 has real differences to find. Each value is fixed per
entry (hashed from its id, so fixed by the seed) and never drawn from the v3 data's PRNG:

- ``cardTransaction.state`` (card expenses only): ``REFUND`` for a v3 ``refund`` or a negative
  amount, ``CHARGE_BACK`` for a ``chargeback``, else ``PRESENTMENT``, the state of a settled
  card payment. Never ``AUTHORIZATION``/``AUTHORIZATION_REVERSAL`` (which the legacy list hides
  by default), so ``cardTransaction.reversedAt`` is always ``null``.
- ``cardTransaction.authorizedAt``: a minute to three days before the entry's date.
- ``supplier.documentNumber``: the invoice number for entries with invoice information, else
  for about half of the others a receipt number, else ``null``.
- ``deletedAt``: ``null`` except for about one entry in forty (1 to 30 days after its date).
- noise: every :data:`NOISE_EVERY`-th entry (by creation order) is "touched" by every read:
  its ``updatedAt`` is its date plus the number of legacy reads so far, in seconds, so two reads
  of the legacy API never agree on it (an A/A comparison's expected noise).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from adapter.sandbox.clock import format_timestamp, parse_timestamp
from adapter.sandbox.ids import stable_fraction
from adapter.sandbox.models import Entry

__all__ = ["NOISE_EVERY", "LegacyFacts", "legacy_facts"]

NOISE_EVERY = 7
_STATE_OF_TYPE = {"refund": "REFUND", "chargeback": "CHARGE_BACK"}


@dataclass(frozen=True, slots=True)
class LegacyFacts:
    """The legacy-only values of one entry (see the module docstring)."""

    card_state: str
    authorized_at: str
    document_number: str | None
    deleted_at: str | None
    noisy: bool


def legacy_facts(entry: Entry) -> LegacyFacts:
    """The legacy-only values of ``entry``."""
    item = entry.item
    date = parse_timestamp(item["date"])
    negative = item["amount"]["inWalletCurrency"]["value"] < 0
    state = "REFUND" if negative else _STATE_OF_TYPE.get(item["type"], "PRESENTMENT")
    authorized = date - timedelta(seconds=60 + int(stable_fraction(entry.id, "auth") * 259_140))
    invoice = item["additionalInformation"].get("invoiceInformation")
    receipt_roll = stable_fraction(entry.id, "document")
    document_number = None
    if invoice is not None:
        document_number = invoice["invoiceNumber"]
    elif receipt_roll < 0.5:
        document_number = f"R-{int(receipt_roll * 2 * 10**6):06d}"
    deleted_roll = stable_fraction(entry.id, "deleted")
    deleted_at = None
    if deleted_roll < 1 / 40:
        deleted_at = format_timestamp(date + timedelta(days=1 + int(deleted_roll * 40 * 29)))
    return LegacyFacts(
        card_state=state,
        authorized_at=format_timestamp(authorized),
        document_number=document_number,
        deleted_at=deleted_at,
        noisy=(entry.seq + 1) % NOISE_EVERY == 0,
    )
