"""What the workflow holds per job: job choice, status index, records, encoded expenses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapter import jsonio
from adapter.export.models import ExportItemV3, ExportJobV3
from adapter.legacy.models import Expense, LegacyStatus
from adapter.mapping import load_mapping_table, to_expense
from adapter.workflow.company_view import select_current_job
from adapter.workflow.expense_docs import LEGACY_STATUSES, ExpenseEncoder
from adapter.workflow.records import ItemCodes, JobRecord
from adapter.workflow.status_index import HIDDEN, StatusIndex
from tests.support.pleo_payloads import export_item_json

T0 = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
TABLE = load_mapping_table()
CODES = ItemCodes(TABLE.statuses.item_to_legacy, TABLE.statuses.missing_item_status)


def export_job(job_id: str, status: str, minutes: int) -> ExportJobV3:
    return ExportJobV3(
        id=job_id,
        company_id="c",
        status=status,
        created_at=T0 + timedelta(minutes=minutes),
        expires_in=3600,
        is_interactive=False,
        number_of_items=1,
        vendor_based_bookkeeping=False,
    )


def test_a_started_job_is_resumed_before_older_pending_ones() -> None:
    """The in_progress job is chosen even when older pending jobs exist."""
    jobs = [
        export_job("old-pending", "pending", 0),
        export_job("started", "in_progress", 20),
        export_job("newer-pending", "pending", 10),
    ]
    chosen = select_current_job(jobs)
    assert chosen is not None
    assert chosen.id == "started"


@pytest.mark.parametrize("status", ["completed", "failed", "something_new"])
def test_the_oldest_pending_job_is_chosen_and_finished_ones_never(status: str) -> None:
    """Without a started job the oldest pending one wins (ties by id); others are ignored."""
    jobs = [
        export_job("done", status, 0),
        export_job("job-b", "pending", 5),
        export_job("job-a", "pending", 5),
    ]
    chosen = select_current_job(jobs)
    assert chosen is not None
    assert chosen.id == "job-a"
    assert select_current_job([export_job("done", status, 0)]) is None


@given(
    st.lists(st.sampled_from([0, 1, 2, 3, HIDDEN]), min_size=0, max_size=60),
    st.lists(st.tuples(st.integers(0, 59), st.sampled_from([0, 1, 2, 3, HIDDEN])), max_size=30),
    st.sets(st.integers(0, 3), min_size=1),
    st.integers(0, 70),
    st.integers(1, 20),
)
def test_status_index_pages_match_a_plain_filter(
    buckets: list[int],
    moves: list[tuple[int, int]],
    wanted: set[int],
    offset: int,
    size: int,
) -> None:
    """After any moves, a page of the index equals slicing the filtered positions."""
    index = StatusIndex(buckets, 4)
    model = list(buckets)
    for position, bucket in moves:
        if position < len(model):
            index.move(position, bucket)
            model[position] = bucket
    matching = [p for p, b in enumerate(model) if b in wanted]
    assert index.count(wanted) == len(matching)
    assert index.page(wanted, offset, size) == matching[offset : offset + size]


def test_status_index_pages_far_apart_items() -> None:
    """Items of a status scattered among many others are still found in order."""
    buckets = [1] * 1000
    for position in (3, 500, 998):
        buckets[position] = 0
    index = StatusIndex(buckets, 4)
    assert index.page({0}, 0, 10) == [3, 500, 998]
    assert index.page({0}, 1, 1) == [500]


def record(statuses: list[str | None]) -> JobRecord:
    rows = [(f"e{n}", CODES.code(s), b'{"id":"e%d"' % n, None) for n, s in enumerate(statuses)]
    return JobRecord.build(
        job_id="job", status="in_progress", created_at=T0, activity=T0, items=rows, codes=CODES
    )


@pytest.mark.parametrize(
    ("statuses", "final", "successful", "open_items"),
    [
        (["successful", "successful"], True, True, []),
        (["successful", "failed", "abandoned"], True, False, []),
        (["successful", "in_progress"], False, False, [1]),
        (["pending", None, "failed"], False, False, [0, 1]),
        (["weird", "successful"], False, False, [0]),
        ([], False, True, []),
    ],
)
def test_job_progress(
    statuses: list[str | None], final: bool, successful: bool, open_items: list[int]
) -> None:
    """all_final, all_successful and open_positions describe how far a job's items got."""
    job = record(statuses)
    assert job.all_final is final
    assert job.all_successful is successful
    assert list(job.open_positions()) == open_items


def test_an_item_pleo_no_longer_lists_is_ignored_for_closing() -> None:
    """A dropped item is hidden and does not keep the job from being final."""
    job = record(["successful", "pending"])
    job.drop_item(1)
    assert job.all_final
    assert job.all_successful
    assert not job.present(1)
    assert job.index.count({0}) == 0


def test_setting_a_status_moves_the_item_between_lists_and_counts_as_a_change() -> None:
    """A new item status changes the code, the status lists and the record's version."""
    job = record(["pending", "pending"])
    assert job.set_status(0, "in_progress", CODES)
    assert not job.set_status(0, "in_progress", CODES)
    assert job.version == 1
    queued, exporting = (
        LEGACY_STATUSES.index(s) for s in (LegacyStatus.QUEUED, LegacyStatus.EXPORTING)
    )
    assert job.index.page({queued}, 0, 10) == [1]
    assert job.index.page({exporting}, 0, 10) == [0]
    assert job.item_status(0) == "in_progress"


def test_departed_jobs_keep_ids_and_final_statuses_only() -> None:
    """Releasing a job keeps what a retried PUT needs and says how the job ended."""
    departed = record(["successful"]).depart("completed")
    assert departed.completed
    assert departed.item_status(0) == "successful"
    assert not record(["failed"]).depart("failed").completed


@pytest.mark.parametrize("status", list(LegacyStatus))
def test_a_rendered_expense_is_the_mapped_expense(status: LegacyStatus) -> None:
    """doc + status tail is the same JSON object as the validated Expense, for every status."""
    item = ExportItemV3.model_validate(
        export_item_json(1)
        | {
            "files": [
                {"url": "https://f.test/r.pdf?sig=1", "type": "application/pdf", "size": 2048}
            ]
        }
    )
    encoder = ExpenseEncoder(TABLE)
    document, receipts = encoder.encode(item)
    rendered = encoder.render(document, LEGACY_STATUSES.index(status))
    item_status = {"QUEUED": "pending", "EXPORTING": "in_progress", "EXPORTED": "successful"}
    mapped = to_expense(TABLE, item, item_status.get(status.value, "failed"))
    assert orjson.loads(rendered) == orjson.loads(jsonio.dumps(mapped.model_dump()))
    assert Expense.model_validate_json(rendered) == mapped
    assert [r.name for r in encoder.receipts(receipts)] == ["r.pdf"]
    assert encoder.receipts(None) == []
