"""Releasing a job hands the freed heap back to the OS once, after the releasing step."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from adapter.mapping import load_mapping_table
from adapter.workflow import heap
from adapter.workflow.cache import CompanyView
from adapter.workflow.records import ItemCodes, JobRecord

T0 = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
TABLE = load_mapping_table()
CODES = ItemCodes(TABLE.statuses.item_to_legacy, TABLE.statuses.missing_item_status)


@pytest.fixture
def trims(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []

    def fake_trim(pad: int) -> int:
        calls.append(pad)
        return 1

    monkeypatch.setattr(heap, "_MALLOC_TRIM", fake_trim)
    return calls


def _view(company_id: str) -> CompanyView:
    record = JobRecord.build(
        job_id=f"job-{company_id}",
        status="completed",
        created_at=T0,
        activity=T0,
        items=[("e1", CODES.code("successful"), b'{"id":"e1"', None)],
        codes=CODES,
    )
    return CompanyView(company_id, record, None, 0.0)


async def test_retiring_jobs_trims_the_heap_once_at_the_next_loop_turn(trims: list[int]) -> None:
    """Two jobs released in one step cause one trim, after the step, not during it."""
    first, second = _view("a"), _view("b")
    first.retire("completed")
    second.retire("completed")
    assert trims == []
    await asyncio.sleep(0)  # one loop turn (no time passes)
    assert trims == [0]
    assert first.job is None
    assert first.departed is not None
    assert first.departed.item_status(0) == "successful"


def test_without_a_running_loop_the_heap_is_trimmed_at_once(trims: list[int]) -> None:
    """Outside the event loop a release trims right away."""
    _view("a").retire("completed")
    assert trims == [0]


def test_without_malloc_trim_nothing_is_attempted(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the C library has no malloc_trim (not glibc), trimming reports it did nothing."""
    monkeypatch.setattr(heap, "_MALLOC_TRIM", None)
    assert heap.trim_free_heap() is False
    heap.release_soon()


def test_retiring_a_view_without_a_job_does_not_trim(trims: list[int]) -> None:
    """A view with no current job has nothing to release."""
    CompanyView("a", None, None, 0.0).retire("completed")
    assert trims == []
