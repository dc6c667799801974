"""One export job as the proxy holds it: control layer and mapped data in one object.

Per item the control layer is the packed id (:mod:`item_ids`: 16 B for a UUID plus 8 B of
lookup table), one byte of item status and one byte of legacy bucket plus the status index's
counters (:mod:`status_index`), and two list slots for the data layer; the data
layer is the encoded expense (:mod:`expense_docs`). Both live and die together: releasing a
job drops its data and keeps only what a retried PUT needs (ids and final statuses), see
:class:`DepartedJob`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from adapter.export.models import ExportJobItemStatus, ExportJobStatus
from adapter.legacy.models import LegacyStatus
from adapter.workflow.item_ids import ItemIds
from adapter.workflow.status_index import HIDDEN, StatusIndex

__all__ = [
    "ABSENT_CODE",
    "FINISHED_JOB_STATUSES",
    "ITEM_STATUSES",
    "UNKNOWN_CODE",
    "DepartedJob",
    "ItemCodes",
    "JobRecord",
]

ITEM_STATUSES: tuple[ExportJobItemStatus, ...] = tuple(ExportJobItemStatus)
"""Item statuses in a fixed order; a status's position here is its one-byte code."""
UNKNOWN_CODE = len(ITEM_STATUSES)
"""The code of an item status this version does not know: never shown, never terminal."""
ABSENT_CODE = UNKNOWN_CODE + 1
"""The code of an item Pleo no longer lists in the job: never shown, ignored when closing."""
_CODE_OF = {status.value: code for code, status in enumerate(ITEM_STATUSES)}
_TERMINAL = frozenset(code for code, s in enumerate(ITEM_STATUSES) if s.is_terminal)
_SUCCESSFUL = _CODE_OF[ExportJobItemStatus.SUCCESSFUL.value]
_SETTLED = _TERMINAL | {ABSENT_CODE}
FINISHED_JOB_STATUSES = frozenset(
    {ExportJobStatus.COMPLETED, ExportJobStatus.COMPLETED_WITH_ERRORS, ExportJobStatus.FAILED}
)
# Cost per item of the control layer beyond its packed ids: two list slots (documents,
# receipts), two code bytes, the status index's trees (4 B per legacy status) and slack;
# benchmarks/memory_probe.py measures the whole control layer with tracemalloc.
_CONTROL_BYTES_PER_ITEM = 48
# A departed job keeps its packed ids and one code byte per item.
_DEPARTED_BYTES_PER_ITEM = 1


class ItemCodes:
    """Item status <-> one-byte code, and code -> legacy bucket, for one mapping table."""

    def __init__(self, item_to_legacy: Mapping[str, LegacyStatus], missing: ExportJobItemStatus):
        order = list(LegacyStatus)
        self.bucket_of_code = bytes(
            [order.index(item_to_legacy[s.value]) for s in ITEM_STATUSES] + [HIDDEN, HIDDEN]
        )
        self._missing = _CODE_OF[missing.value]

    def code(self, status: str | None) -> int:
        if status is None:
            return self._missing
        return _CODE_OF.get(status, UNKNOWN_CODE)


@dataclass(eq=False, slots=True)
class JobRecord:
    """A company's current export job: what Pleo said last, plus what this process did."""

    job_id: str
    status: str
    created_at: datetime
    ids: ItemIds
    codes: bytearray
    index: StatusIndex
    documents: list[bytes | None]
    receipts: list[bytes | None]
    activity: datetime
    activity_saved: datetime | None = None
    # Bumped on every change to the item codes, so a re-read started before a write cannot
    # overwrite what the write did.
    version: int = 0
    # A `started` whose outcome is unknown: re-read the job before anything else.
    claim_unconfirmed: bool = False
    # Every item is final but the closing event has not been confirmed by Pleo.
    close_pending: bool = False
    # An item write failed ambiguously: the control layer is re-read on the next refresh.
    control_suspect: bool = False
    _data_bytes: int = field(default=0, repr=False)

    @classmethod
    def build(
        cls,
        *,
        job_id: str,
        status: str,
        created_at: datetime,
        activity: datetime,
        items: Sequence[tuple[str, int, bytes | None, bytes | None]],
        codes: ItemCodes,
    ) -> JobRecord:
        """``items``: (id, item code, document or None if unmappable, receipts) in job order."""
        item_codes = bytearray(item[1] for item in items)
        documents = [item[2] for item in items]
        buckets = [
            codes.bucket_of_code[code] if doc is not None else HIDDEN
            for code, doc in zip(item_codes, documents, strict=True)
        ]
        record = cls(
            job_id=job_id,
            status=status,
            created_at=created_at,
            ids=ItemIds([item[0] for item in items]),
            codes=item_codes,
            index=StatusIndex(buckets, len(LegacyStatus)),
            documents=documents,
            receipts=[item[3] for item in items],
            activity=activity,
        )
        record._data_bytes = sum(
            sys.getsizeof(d) for d in (*documents, *record.receipts) if d is not None
        )
        return record

    @property
    def claimed(self) -> bool:
        return self.status == ExportJobStatus.IN_PROGRESS.value

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_JOB_STATUSES

    def item_status(self, position: int) -> str | None:
        code = self.codes[position]
        return ITEM_STATUSES[code].value if code < UNKNOWN_CODE else None

    def present(self, position: int) -> bool:
        """Whether the item is still in Pleo's job (as far as the proxy knows)."""
        return self.codes[position] != ABSENT_CODE

    def drop_item(self, position: int) -> None:
        """Pleo no longer lists this item in the job."""
        if self.codes[position] != ABSENT_CODE:
            self.codes[position] = ABSENT_CODE
            self.index.move(position, HIDDEN)
            self.version += 1

    def set_status(self, position: int, status: str | None, codes: ItemCodes) -> bool:
        """Record Pleo's item status; True if it changed."""
        code = codes.code(status)
        if self.codes[position] == code:
            return False
        self.codes[position] = code
        if self.documents[position] is not None:
            self.index.move(position, codes.bucket_of_code[code])
        self.version += 1
        return True

    @property
    def all_final(self) -> bool:
        """Every item Pleo lists is final (and it lists at least one)."""
        return any(c in _TERMINAL for c in self.codes) and all(c in _SETTLED for c in self.codes)

    @property
    def all_successful(self) -> bool:
        return all(code in (_SUCCESSFUL, ABSENT_CODE) for code in self.codes)

    def open_positions(self) -> Iterator[int]:
        return (n for n, code in enumerate(self.codes) if code not in _SETTLED)

    def cost(self) -> int:
        """Bytes this record holds (an estimate kept honest by the memory benchmark)."""
        return self.ids.nbytes + _CONTROL_BYTES_PER_ITEM * len(self.ids) + self._data_bytes

    def depart(self, reason: str) -> DepartedJob:
        """What is kept once the job has left the view: its data is released at once."""
        return DepartedJob(self.job_id, reason, self.ids, self.codes)


@dataclass(eq=False, slots=True)
class DepartedJob:
    """A job that left the company's view, kept so a PUT of its ids gets a precise answer.

    ``reason`` is the job status Pleo last reported (``completed`` ... ``failed``), or
    ``"gone"`` when Pleo no longer lists the job and could not say more.
    """

    job_id: str
    reason: str
    ids: ItemIds
    codes: bytearray

    def cost(self) -> int:
        return self.ids.nbytes + _DEPARTED_BYTES_PER_ITEM * len(self.ids)

    @property
    def completed(self) -> bool:
        """Closed with a completion event (its items are all final), not expired or failed."""
        return self.reason in (
            ExportJobStatus.COMPLETED.value,
            ExportJobStatus.COMPLETED_WITH_ERRORS.value,
        )

    def item_status(self, position: int) -> str | None:
        code = self.codes[position]
        return ITEM_STATUSES[code].value if code < UNKNOWN_CODE else None
