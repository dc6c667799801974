"""The audit trail: one structured line for every status change the proxy sends to Pleo.

Lines go to logger ``adapter.audit`` with ``audit=True``, so a log pipeline can keep them apart
and longer. Each names the company only by :func:`~adapter.observability.context.company_hash`,
the export job by its id, and says what came of the change:

* ``item status change``: ``item_status``, ``item_count``, ``outcome`` (``accepted``: Pleo
  applied them; ``refused``: Pleo listed them in ``errors[]``; ``not_applied``: the call failed
  with ``error``, and after a timeout they may in fact have landed);
* ``job event``: ``job_event`` (``started``, ``completed``, ...), ``outcome`` (``accepted``: Pleo
  answered 2xx; ``confirmed``: the answer was lost or refused, and re-reading the job showed it
  where the event would have put it; ``refused``: the job is elsewhere) and ``job_status``
  when re-read;
* ``idle policy``: a quiet client's open items are about to be failed (the item lines follow).

Inside a request the lines also carry its ``request_id``; from the background round, none.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable

import structlog

from adapter.observability.context import company_hash
from adapter.observability.metrics import Metrics

__all__ = [
    "audit_idle_policy",
    "audit_job_event",
    "audit_status_change",
    "report_item_update",
]

_audit = structlog.stdlib.get_logger("adapter.audit")


def audit_status_change(
    *,
    company_id: str,
    job_id: str,
    item_status: str,
    item_count: int,
    outcome: str,
    error: str | None = None,
) -> None:
    """``item_count`` items of ``job_id`` were sent to Pleo as ``item_status``: ``outcome``."""
    fields = {"error": error} if error is not None else {}
    log = _audit.info if outcome == "accepted" else _audit.warning
    log(
        "item status change",
        audit=True,
        company_hash=company_hash(company_id),
        job_id=job_id,
        item_status=str(item_status),
        item_count=item_count,
        outcome=outcome,
        **fields,
    )


def audit_job_event(
    *, company_id: str, job_id: str, event: str, outcome: str, job_status: str | None = None
) -> None:
    """Job event ``event`` was sent to Pleo for ``job_id``: ``outcome``."""
    fields = {"job_status": str(job_status)} if job_status is not None else {}
    log = _audit.warning if outcome == "refused" else _audit.info
    log(
        "job event",
        audit=True,
        company_hash=company_hash(company_id),
        job_id=job_id,
        job_event=str(event),
        outcome=outcome,
        **fields,
    )


def audit_idle_policy(*, company_id: str, job_id: str, item_count: int, idle_seconds: int) -> None:
    """The idle policy is failing ``item_count`` open items of a job quiet for too long."""
    _audit.warning(
        "idle policy",
        audit=True,
        company_hash=company_hash(company_id),
        job_id=job_id,
        item_count=item_count,
        idle_seconds=idle_seconds,
    )


def report_item_update(
    metrics: Metrics,
    *,
    company_id: str,
    job_id: str,
    sent: Iterable[tuple[str, str]],
    refused: Collection[str] = (),
    not_applied: Collection[str] = (),
    error: str | None = None,
) -> None:
    """Audit and count one item-status update (every batch of it) sent to Pleo.

    ``sent`` pairs each accounting entry id with the item status sent for it. Ids in
    ``refused`` came back in Pleo's ``errors[]``; ids in ``not_applied`` were in a call that
    failed with ``error``; the rest Pleo accepted, and only those are counted in
    ``adapter_export_items_updated_total``. One audit line per (status, outcome).
    """
    refused, not_applied = frozenset(refused), frozenset(not_applied)
    groups: Counter[tuple[str, str]] = Counter()
    for entry_id, status in sent:
        if entry_id in not_applied:
            outcome = "not_applied"
        elif entry_id in refused:
            outcome = "refused"
        else:
            outcome = "accepted"
        groups[(str(status), outcome)] += 1
    for (status, outcome), count in sorted(groups.items()):
        audit_status_change(
            company_id=company_id,
            job_id=job_id,
            item_status=status,
            item_count=count,
            outcome=outcome,
            error=error if outcome == "not_applied" else None,
        )
        if outcome == "accepted":
            metrics.count_items(status, count)
