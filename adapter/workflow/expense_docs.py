"""Export Items as the bytes the legacy routes send, encoded once per job.

Each item is translated with the mapping table and serialised with :mod:`adapter.jsonio` (exact
Decimals) *without* its status keys and without the closing brace. Rendering an expense is then
``doc + tail[status]``, where the few tails (``,"status":"QUEUED"}`` ...) are shared by every
item. The status comes from the control layer at render time, so a status change never
re-encodes anything. Receipts (with Pleo's signed URLs) are kept as one JSON array per item that
has files and validated into :class:`~adapter.legacy.models.Receipt` only when asked for.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import TypeAdapter

from adapter import jsonio
from adapter.export.models import ExportItemV3, ExportJobItemStatus
from adapter.legacy.models import LegacyStatus, Receipt
from adapter.mapping import MappingTable, receipt_data, to_expense_wire_data

__all__ = ["LEGACY_STATUSES", "EncodedExpense", "ExpenseEncoder"]

LEGACY_STATUSES: tuple[LegacyStatus, ...] = tuple(LegacyStatus)
"""Legacy statuses in a fixed order; a status's position here is its bucket number."""

_RECEIPTS: TypeAdapter[list[Receipt]] = TypeAdapter(list[Receipt])

EncodedExpense = tuple[bytes, bytes | None]
"""An item's expense document (without status and closing brace) and its receipts, if any."""


class ExpenseEncoder:
    """Translates Export Items to encoded legacy expenses and renders them with a status."""

    def __init__(self, table: MappingTable) -> None:
        self._table = table
        self._tails = tuple(_tail(table.status_fields, status) for status in LEGACY_STATUSES)
        self._first_tails = tuple(tail.removeprefix(b",") for tail in self._tails)

    def encode(self, item: ExportItemV3) -> EncodedExpense:
        """The item's document and receipts; raises MappingError if it cannot be translated.

        The mapping's fast path: the same data as ``to_expense(...).model_dump()`` without
        validating an ``Expense`` per item (see :mod:`adapter.mapping.documents`).
        """
        data = to_expense_wire_data(self._table, item, ExportJobItemStatus.PENDING.value)
        for name in self._table.status_fields:
            data.pop(name, None)
        document = jsonio.dumps(data)[:-1]  # a slice is a compact copy of orjson's buffer
        receipts = None
        if item.files:
            encoded = jsonio.dumps([receipt_data(file) for file in item.files])
            # A copy: orjson's own buffer keeps about 4 KB however short the JSON is.
            receipts = bytes(memoryview(encoded))
        return document, receipts

    def render_many(
        self, documents: Sequence[bytes | None], buckets: Sequence[int], positions: Sequence[int]
    ) -> list[bytes]:
        """:meth:`render` of the items at ``positions`` (never hidden ones): a page's worth,
        without a call per item (this is the cached GET's hot loop)."""
        tails, first_tails = self._tails, self._first_tails
        page: list[bytes] = []
        for position in positions:
            document = documents[position]
            assert document is not None  # noqa: S101 - the status index holds no hidden item
            tail = tails if len(document) > 1 else first_tails
            page.append(document + tail[buckets[position]])
        return page

    def render(self, document: bytes, bucket: int) -> bytes:
        """The expense's JSON object with the legacy status of ``bucket``."""
        if len(document) > 1:
            return document + self._tails[bucket]
        return document + self._first_tails[bucket]

    @staticmethod
    def receipts(encoded: bytes | None) -> list[Receipt]:
        return [] if encoded is None else _RECEIPTS.validate_json(encoded)


def _tail(fields: tuple[str, ...], status: LegacyStatus) -> bytes:
    value = jsonio.dumps(status.value)
    return b"".join(b"," + jsonio.dumps(name) + b":" + value for name in fields) + b"}"
