"""The audit trail: one line per status change sent to Pleo, and the items Pleo accepted counted."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families
from structlog.testing import capture_logs

from adapter.observability.audit import audit_job_event, report_item_update
from adapter.observability.context import company_hash
from adapter.observability.metrics import Metrics

COMPANY = "company-0001"
JOB = "job-1"


def _items_updated(metrics: Metrics) -> dict[str, float]:
    return {
        s.labels["status"]: s.value
        for family in text_string_to_metric_families(metrics.exposition().decode())
        for s in family.samples
        if s.name == "adapter_export_items_updated_total"
    }


def test_an_item_update_is_audited_per_status_and_outcome() -> None:
    """Accepted and refused items of one update get one line each, with counts and the job."""
    metrics = Metrics()
    sent = [("a", "successful"), ("b", "successful"), ("c", "successful"), ("d", "failed")]
    with capture_logs() as lines:
        report_item_update(metrics, company_id=COMPANY, job_id=JOB, sent=sent, refused={"c"})
    assert [(x["item_status"], x["item_count"], x["outcome"]) for x in lines] == [
        ("failed", 1, "accepted"),
        ("successful", 2, "accepted"),
        ("successful", 1, "refused"),
    ]
    assert {x["log_level"] for x in lines[:2]} == {"info"}
    assert lines[2]["log_level"] == "warning"
    assert all(x["audit"] is True and x["job_id"] == JOB for x in lines)
    assert all(x["company_hash"] == company_hash(COMPANY) for x in lines)
    assert COMPANY not in str(lines)
    assert _items_updated(metrics) == {"successful": 2, "failed": 1}


def test_a_failed_update_is_audited_as_not_applied_with_its_error() -> None:
    """Items of a call that failed are audited as not applied, with the error, and not counted."""
    metrics = Metrics()
    sent = [("a", "in_progress"), ("b", "in_progress"), ("c", "in_progress")]
    with capture_logs() as lines:
        report_item_update(
            metrics,
            company_id=COMPANY,
            job_id=JOB,
            sent=sent,
            not_applied=["b", "c"],
            error="UPSTREAM_TIMEOUT",
        )
    assert [(x["item_count"], x["outcome"], x.get("error")) for x in lines] == [
        (1, "accepted", None),
        (2, "not_applied", "UPSTREAM_TIMEOUT"),
    ]
    assert _items_updated(metrics) == {"in_progress": 1}


def test_a_job_event_line_says_what_pleo_made_of_it() -> None:
    """A job event is audited with its event, outcome and, when re-read, the job's status."""
    with capture_logs() as lines:
        audit_job_event(company_id=COMPANY, job_id=JOB, event="started", outcome="accepted")
        audit_job_event(
            company_id=COMPANY,
            job_id=JOB,
            event="completed",
            outcome="refused",
            job_status="failed",
        )
    accepted, refused = lines
    assert (accepted["event"], accepted["job_event"], accepted["outcome"]) == (
        "job event",
        "started",
        "accepted",
    )
    assert "job_status" not in accepted
    assert (refused["job_event"], refused["job_status"], refused["log_level"]) == (
        "completed",
        "failed",
        "warning",
    )
