"""What the workflow remembers per tenant, and which export job it works on (A.5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from adapter.export.models import ExportJobV3
from adapter.workflow.state import JobState, TenantState, select_current_jobs

T0 = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)


def export_job(job_id: str, company_id: str, status: str, minutes: int) -> ExportJobV3:
    """A v3 export job created ``minutes`` after T0."""
    return ExportJobV3(
        id=job_id,
        company_id=company_id,
        status=status,
        created_at=T0 + timedelta(minutes=minutes),
        expires_in=3600,
        is_interactive=False,
        number_of_items=1,
        vendor_based_bookkeeping=False,
    )


def chosen(jobs: list[ExportJobV3]) -> list[str]:
    return [j.id for j in select_current_jobs(jobs)]


def test_started_job_is_resumed_before_older_pending_ones() -> None:
    """A company's in_progress job is chosen even when older pending jobs exist."""
    jobs = [
        export_job("old-pending", "c", "pending", 0),
        export_job("started", "c", "in_progress", 20),
        export_job("newer-pending", "c", "pending", 10),
    ]
    assert chosen(jobs) == ["started"]


def test_oldest_pending_job_is_chosen_when_none_is_started() -> None:
    """Without an in_progress job, the company's oldest pending job is chosen."""
    jobs = [
        export_job("newest", "c", "pending", 30),
        export_job("oldest", "c", "pending", 0),
        export_job("middle", "c", "pending", 15),
    ]
    assert chosen(jobs) == ["oldest"]


def test_equal_creation_times_are_broken_by_id() -> None:
    """Two pending jobs created at the same moment are ordered by id."""
    jobs = [export_job("job-b", "c", "pending", 0), export_job("job-a", "c", "pending", 0)]
    assert chosen(jobs) == ["job-a"]


@pytest.mark.parametrize(
    "status", ["completed", "completed_with_errors", "failed", "expired", "something_new"]
)
def test_finished_or_unknown_jobs_are_never_chosen(status: str) -> None:
    """Jobs that are not pending or in_progress are ignored, even when they are older."""
    jobs = [export_job("done", "c", status, 0), export_job("next", "c", "pending", 10)]
    assert chosen(jobs) == ["next"]
    assert chosen([export_job("done", "c", status, 0)]) == []


def test_one_job_per_company_in_creation_order() -> None:
    """Each company gets exactly one job, and the chosen jobs are listed oldest first."""
    jobs = [
        export_job("b-started", "company-b", "in_progress", 40),
        export_job("a-pending", "company-a", "pending", 5),
        export_job("a-later", "company-a", "pending", 6),
        export_job("c-done", "company-c", "completed", 1),
        export_job("b-pending", "company-b", "pending", 2),
    ]
    assert chosen(jobs) == ["a-pending", "b-started"]
    assert chosen([]) == []


def job_state(
    job_id: str = "job-1",
    statuses: dict[str, str | None] | None = None,
    *,
    status: str = "in_progress",
) -> JobState:
    statuses = {"e1": "pending", "e2": "in_progress"} if statuses is None else statuses
    return JobState(
        job_id=job_id,
        company_id="company-1",
        status=status,
        created_at=T0,
        order=list(statuses),
        statuses=statuses,
        last_activity=T0 + timedelta(minutes=5, microseconds=123),
    )


def test_tenant_state_round_trips_through_bytes() -> None:
    """A tenant state written to the store reads back to the same jobs, marked stale."""
    state = TenantState(
        jobs=[
            job_state("job-1", {"e1": "successful", "e2": None, "e3": "failed"}),
            job_state("job-2", {"x": "pending"}, status="pending"),
        ],
        discovered_at=123.0,
    )
    loaded = TenantState.loads(state.dumps())
    assert loaded.jobs == state.jobs
    assert loaded.stale is True
    assert loaded.jobs[0].order == ["e1", "e2", "e3"]


def test_round_trip_keeps_the_instant_of_non_utc_times() -> None:
    """A time with another offset reads back as the same instant."""
    state = job_state()
    state.last_activity = datetime(2024, 3, 1, 10, 0, tzinfo=timezone(timedelta(hours=2)))
    loaded = TenantState.loads(TenantState(jobs=[state]).dumps())
    assert loaded.jobs[0].last_activity == datetime(2024, 3, 1, 8, 0, tzinfo=UTC)


def test_empty_tenant_state_round_trips() -> None:
    """A tenant with no jobs reads back with no jobs."""
    assert TenantState.loads(TenantState().dumps()).jobs == []


@pytest.mark.parametrize(
    ("statuses", "terminal", "successful", "open_items"),
    [
        ({"a": "successful", "b": "successful"}, True, True, []),
        ({"a": "successful", "b": "failed", "c": "abandoned"}, True, False, []),
        ({"a": "successful", "b": "in_progress"}, False, False, ["b"]),
        ({"a": "pending", "b": None, "c": "failed"}, False, False, ["a", "b"]),
        ({"a": "weird", "b": "successful"}, False, False, ["a"]),
    ],
)
def test_job_progress_properties(
    statuses: dict[str, str | None], terminal: bool, successful: bool, open_items: list[str]
) -> None:
    """all_terminal, all_successful and open_items describe how far a job's items got."""
    state = job_state(statuses=statuses)
    assert state.all_terminal is terminal
    assert state.all_successful is successful
    assert state.open_items() == open_items


def test_job_without_items_is_not_finished() -> None:
    """A job with no known items is never taken as all terminal, so it is never completed early."""
    assert job_state(statuses={}).all_terminal is False


def test_open_items_follow_the_job_order() -> None:
    """Open items are listed in the job's item order, whatever order statuses were set in."""
    state = job_state(statuses={"c": "pending", "a": "pending", "b": "successful"})
    state.order = ["a", "b", "c"]
    assert state.open_items() == ["a", "c"]


def test_job_of_finds_the_job_holding_an_expense() -> None:
    """job_of returns the job an expense belongs to, or None for an unknown expense."""
    first, second = job_state("job-1", {"e1": "pending"}), job_state("job-2", {"e2": "pending"})
    state = TenantState(jobs=[first, second])
    assert state.job_of("e2") is second
    assert state.job_of("e9") is None


@pytest.mark.parametrize(("status", "claimed"), [("in_progress", True), ("pending", False)])
def test_a_job_is_claimed_once_started(status: str, claimed: bool) -> None:
    """A job counts as claimed only once it is in_progress."""
    assert job_state(status=status).claimed is claimed
