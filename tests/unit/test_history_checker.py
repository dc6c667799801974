"""The history checker finds each kind of wrong run it is meant to find, and passes a clean
one; schedules are reproducible from their seed (tests/support/history)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.history.checker import CompanyOutcome, Verdict, check
from tests.support.history.recorder import Op
from tests.support.history.schedule import generate
from tests.support.relay import Exchange

COMPANY = "company-a"
JOB = "job-1"
A, B = "item-a", "item-b"


def _op(
    index: int,
    kind: str,
    status: str | None,
    ids: list[str],
    *,
    at: float,
    outcome: str = "ok",
    seen: dict[str, str] | None = None,
    refused: list[str] | None = None,
) -> Op:
    return Op(
        index,
        "client",
        COMPANY,
        kind,
        status,
        ids,
        invoked=at,
        completed=at + 0.5,
        outcome=outcome,
        http_status=200 if outcome == "ok" else 503,
        seen=seen or {},
        refused=refused or [],
    )


def _event(seq: int, event: str, outcome: str = "accepted") -> dict[str, Any]:
    return {"seq": seq, "kind": "job_event", "jobId": JOB, "event": event, "outcome": outcome}


def _update(seq: int, item: str, status: str) -> dict[str, Any]:
    return {
        "seq": seq,
        "kind": "item_update",
        "jobId": JOB,
        "accountingEntryId": item,
        "resultingStatus": status,
        "outcome": "accepted",
    }


def _company(
    finals: dict[str, str],
    *,
    job_status: str = "completed",
    ledger: list[dict[str, Any]] | None = None,
) -> CompanyOutcome:
    items = [{"accountingEntryId": i, "status": s} for i, s in finals.items()]
    default = [
        _event(1, "started"),
        *(_update(2 + n, i, s) for n, (i, s) in enumerate(finals.items())),
        _event(9, job_status if job_status != "in_progress" else "started"),
    ]
    return CompanyOutcome(
        COMPANY,
        {JOB: {"job": {"id": JOB, "status": job_status}, "items": items}},
        set(finals),
        default if ledger is None else ledger,
    )


def _write(body: Any, at: float, method: str = "PUT") -> Exchange:
    path = f"/v3/export-jobs/{JOB}/items" if method == "PUT" else "/v3/export-job-events"
    return Exchange(
        seq=0,
        connection=1,
        method=method,
        target=path,
        body=json.dumps(body).encode(),
        action="pass",
        outcome="answered",
        forwarded_at=at,
    )


def _clean_run() -> tuple[list[Op], list[Exchange]]:
    ops = [
        _op(0, "read", "QUEUED", [], at=0, seen={A: "QUEUED", B: "QUEUED"}),
        _op(1, "put", "EXPORTING", [A, B], at=1, seen={A: "EXPORTING", B: "EXPORTING"}),
        _op(2, "put", "EXPORTED", [A, B], at=2, seen={A: "EXPORTED", B: "EXPORTED"}),
        _op(3, "read", "QUEUED", [], at=3),
    ]
    writes = [
        _write({"event": "started", "jobId": JOB}, 1.1, "POST"),
        _write([{"accountingEntryId": A, "status": "in_progress"}], 1.2),
        _write([{"accountingEntryId": B, "status": "in_progress"}], 1.2),
        _write([{"accountingEntryId": A, "status": "successful"}], 2.1),
        _write([{"accountingEntryId": B, "status": "successful"}], 2.1),
        _write({"event": "completed", "jobId": JOB}, 2.2, "POST"),
    ]
    return ops, writes


def _judge(
    ops: list[Op], finals: dict[str, str], writes: list[Exchange] | None = None, **company: Any
) -> Verdict:
    return check(ops, [_company(finals, **company)], writes or [])


def test_a_clean_run_is_valid() -> None:
    """Read, claim, export, close once, nothing shown again: no problem found."""
    ops, writes = _clean_run()
    verdict = _judge(ops, {A: "successful", B: "successful"}, writes)
    assert verdict.valid, verdict.problems()
    assert verdict.recovered == 0


def test_an_acknowledged_export_that_did_not_land_is_lost() -> None:
    """A 200 for EXPORTED whose item ended failed, and an item left open, are lost."""
    ops, _ = _clean_run()
    verdict = _judge(ops, {A: "failed", B: "in_progress"}, job_status="in_progress")
    assert any(A in p for p in verdict.lost)
    assert any(B in p and "left in_progress" in p for p in verdict.lost)
    assert any("not closed" in p for p in verdict.lost)


def test_an_item_shown_queued_after_its_export_was_acknowledged_is_duplicated() -> None:
    """A read started after a 200 for EXPORTED that shows the item QUEUED is a double export;
    shown EXPORTING it is a violation."""
    ops, _ = _clean_run()
    ops.append(_op(4, "read", None, [], at=5, seen={A: "QUEUED", B: "EXPORTING"}))
    verdict = _judge(ops, {A: "successful", B: "successful"})
    assert [p for p in verdict.duplicated if A in p]
    assert [p for p in verdict.violations if B in p and "EXPORTING" in p]


def test_a_read_that_started_before_the_acknowledgement_may_still_show_queued() -> None:
    """Only reads invoked after the 200 count: one in flight meanwhile may show the old state."""
    ops, _ = _clean_run()
    ops.append(_op(4, "read", "QUEUED", [], at=0.2, seen={A: "QUEUED"}))
    ops[4].completed = 10
    assert _judge(ops, {A: "successful", B: "successful"}).valid


def test_two_terminal_statuses_accepted_by_pleo_are_duplicated() -> None:
    """Pleo accepting successful and failed for one item is a duplicate."""
    ops, _ = _clean_run()
    ledger = [
        _event(1, "started"),
        _update(2, A, "successful"),
        _update(3, A, "failed"),
        _update(4, B, "successful"),
        _event(5, "completed"),
    ]
    verdict = _judge(ops, {A: "successful", B: "successful"}, ledger=ledger)
    assert [p for p in verdict.duplicated if A in p]


def test_an_expense_from_no_job_of_the_company_is_unexpected() -> None:
    """A client shown an id that is in none of its company's jobs (a tenant leak)."""
    ops, _ = _clean_run()
    ops.append(_op(4, "read", "QUEUED", [], at=4, seen={"someone-elses": "QUEUED"}))
    verdict = _judge(ops, {A: "successful", B: "successful"})
    assert [p for p in verdict.unexpected if "someone-elses" in p]


@pytest.mark.parametrize(
    ("ledger", "found"),
    [
        (
            [_event(1, "started"), _event(2, "started", "rejected"), _event(3, "completed")],
            "2 times",
        ),
        (
            [_event(1, "started"), _event(2, "completed", "rejected"), _event(3, "completed")],
            "closed 2 times",
        ),
        ([_event(1, "started"), _event(2, "completed_with_errors")], "its items say completed"),
    ],
    ids=["started-twice", "closed-twice", "wrong-close"],
)
def test_job_events_are_posted_once_and_match_the_items(
    ledger: list[dict[str, Any]], found: str
) -> None:
    """`started` or a close posted twice (even refused), or the wrong close, is a violation."""
    ops, _ = _clean_run()
    verdict = _judge(ops, {A: "successful", B: "successful"}, ledger=ledger)
    assert [p for p in verdict.violations if found in p], verdict.problems()


def test_a_write_no_put_asked_for_is_a_violation() -> None:
    """Pleo receiving a status, or a `started`, before any PUT asked for it means something
    other than a PUT (a GET) wrote."""
    ops, writes = _clean_run()
    writes.append(_write([{"accountingEntryId": A, "status": "failed"}], 3))
    writes.insert(0, _write({"event": "started", "jobId": JOB}, 0.5, "POST"))
    verdict = _judge(ops, {A: "successful", B: "successful"}, writes)
    assert [p for p in verdict.violations if f"{A} -> failed" in p]
    assert [p for p in verdict.violations if "`started`" in p]


def test_a_status_shown_before_anyone_asked_for_it_is_a_violation() -> None:
    """A read showing EXPORTED before any PUT asked for EXPORTED."""
    ops, _ = _clean_run()
    ops.insert(1, _op(9, "read", None, [], at=0.5, seen={A: "EXPORTED"}))
    verdict = _judge(ops, {A: "successful", B: "successful"})
    assert [p for p in verdict.violations if "before any PUT" in p]


def test_an_outcome_from_an_unanswered_call_is_recovered_if_someone_asked_for_it() -> None:
    """An item made final by a call whose answer never came is recovered when that status
    was asked for, and a violation when nobody asked for it."""
    ops = [
        _op(0, "put", "EXPORTING", [A, B], at=1),
        _op(1, "put", "EXPORTED", [A], at=2, outcome="info"),
    ]
    verdict = _judge(ops, {A: "successful", B: "failed"})
    assert verdict.recovered == 2
    assert [p for p in verdict.violations if B in p and "nobody asked" in p]
    assert not [p for p in verdict.violations if A in p]


def test_200_answers_that_contradict_each_other_are_a_violation() -> None:
    """Two clients both answered 200, one for EXPORTED and one for NOT_EXPORTED."""
    ops, _ = _clean_run()
    ops.append(_op(4, "put", "NOT_EXPORTED", [A], at=4))
    verdict = _judge(ops, {A: "successful", B: "successful"})
    assert [p for p in verdict.violations if "answered 200 for" in p]


def test_per_item_errors_are_not_acknowledgements() -> None:
    """An id a 200 answer lists under errors was not acknowledged."""
    ops = [
        _op(0, "put", "EXPORTING", [A, B], at=1),
        _op(1, "put", "EXPORTED", [A, B], at=2, refused=[B]),
        _op(2, "put", "NOT_EXPORTED", [B], at=3),
    ]
    assert _judge(ops, {A: "successful", B: "failed"}, job_status="completed_with_errors").valid


def test_a_seed_gives_the_same_schedule_and_seeds_differ() -> None:
    """A schedule is a function of its seed: replaying a seed replays the plan."""
    assert generate(7) == generate(7)
    assert len({generate(seed) for seed in range(20)}) == 20


def test_schedules_stay_within_their_bounds() -> None:
    """1-3 companies of 1-2 jobs and 1-2 clients with 5-12 calls, 1-6 nemesis actions."""
    for seed in range(200):
        schedule = generate(seed)
        assert 1 <= len(schedule.companies) <= 3
        assert 1 <= len(schedule.faults) <= 6
        for company in schedule.companies:
            assert 1 <= len(company.jobs) <= 2
            assert 1 <= len(company.clients) <= 2
            assert all(5 <= len(ops) <= 12 for ops in company.clients)
        assert schedule.auth_mode in ("credentials", "passthrough")
        assert str(seed) in schedule.describe()
