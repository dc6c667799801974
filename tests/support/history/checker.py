"""Judging a run: the history of legacy calls against what Pleo (the sandbox) recorded.

Definitions (reliability.md §1.8, for a proxy in front of an export queue):

* **lost**: an item a client got a 200 for ``EXPORTED`` that is not ``successful`` in the end,
  an item of the run's jobs left non-terminal after the drain, or a job left open;
* **duplicated**: an item Pleo accepted two different terminal statuses for, or one a client
  was shown as ``QUEUED`` by a read that started after some client's 200 for ``EXPORTED`` of it
  (a second export into the ERP; shown ``EXPORTING``, or after ``NOT_EXPORTED``, it is a
  violation: the acknowledgement went backwards);
* **unexpected**: an expense a client was shown that is in no export job of its company.

Other invariants, reported as **violations**: each item ends with the terminal status its
clients were answered 200 for (all such answers agree), or, if none was, with one some client
asked for; per job at most one ``started`` and one closing event posted (accepted or not) and
exactly one accepted close, ``completed`` exactly when every item is ``successful``; no write
reaches Pleo that no earlier legacy PUT asked for (a ``started`` needs a PUT of the job's
items, an item status a PUT of that item with that status; only closes come from scheduled
work), so no write is caused by a GET; and no read shows a status nobody had asked for.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tests.support.history.recorder import Op
from tests.support.relay import Exchange

__all__ = ["CompanyOutcome", "Verdict", "check"]

ITEM_STATUS_OF = {"EXPORTING": "in_progress", "EXPORTED": "successful", "NOT_EXPORTED": "failed"}
TERMINAL = frozenset({"successful", "failed", "abandoned"})
CLOSES = frozenset({"completed", "completed_with_errors"})
FINISHED = frozenset({"completed", "completed_with_errors", "failed"})


@dataclass
class CompanyOutcome:
    """What Pleo holds for one company at the end of a run."""

    company_id: str
    jobs: dict[str, dict[str, Any]]
    """The run's jobs: id -> ``{"job": ExportJobV3, "items": [...]}`` as the sandbox has them."""
    all_items: set[str]
    """Every item of every job the company has in the sandbox."""
    ledger: list[dict[str, Any]]


@dataclass
class Verdict:
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    recovered: int = 0
    """Items whose terminal status came from a call the client never saw answered."""

    @property
    def valid(self) -> bool:
        return not (self.lost or self.duplicated or self.unexpected or self.violations)

    def problems(self) -> list[str]:
        return (
            [f"lost: {p}" for p in self.lost]
            + [f"duplicated: {p}" for p in self.duplicated]
            + [f"unexpected: {p}" for p in self.unexpected]
            + [f"violation: {p}" for p in self.violations]
        )


def check(ops: list[Op], companies: Iterable[CompanyOutcome], writes: list[Exchange]) -> Verdict:
    verdict = Verdict()
    puts = [op for op in ops if op.kind == "put"]
    for company in companies:
        mine = [op for op in ops if op.company == company.company_id]
        _check_company(verdict, mine, company)
    _check_causes(verdict, puts, writes, companies)
    return verdict


def _check_company(verdict: Verdict, ops: list[Op], company: CompanyOutcome) -> None:
    final = _final_statuses(verdict, company)
    reads = [op for op in ops if op.outcome == "ok" and op.kind in ("read", "get_one")]
    for op in ops:
        if op.outcome == "ok":
            for expense_id in op.seen:
                if expense_id not in company.all_items:
                    shown = f"{op.process} was shown {expense_id} (op {op.index})"
                    verdict.unexpected.append(shown)
    acknowledged: dict[str, list[Op]] = defaultdict(list)
    attempted: dict[str, set[str]] = defaultdict(set)
    for op in ops:
        if op.kind == "put" and op.status is not None:
            for expense_id in op.ids:
                attempted[expense_id].add(ITEM_STATUS_OF[op.status])
            for expense_id in op.acknowledged():
                acknowledged[expense_id].append(op)
    for item_id, status in final.items():
        _check_final(verdict, item_id, status, acknowledged[item_id], attempted[item_id])
        _check_regressions(verdict, item_id, acknowledged[item_id], reads)
    _check_reads(verdict, reads, ops)
    _check_ledger(verdict, company)


def _final_statuses(verdict: Verdict, company: CompanyOutcome) -> dict[str, str]:
    """Each item's status in the end; open jobs and non-terminal items are lost."""
    final: dict[str, str] = {}
    for job_id, job in company.jobs.items():
        status = job["job"]["status"]
        if status not in CLOSES:
            verdict.lost.append(f"job {job_id} ended {status}, not closed")
        for item in job["items"]:
            final[item["accountingEntryId"]] = item["status"]
    for item_id, status in final.items():
        if status not in TERMINAL:
            verdict.lost.append(f"item {item_id} left {status}")
    return final


def _check_final(
    verdict: Verdict, item_id: str, status: str, acknowledged: list[Op], attempted: set[str]
) -> None:
    """The item ends as its 200 answers said (they agree), else as someone asked."""
    told = {ITEM_STATUS_OF[op.status] for op in acknowledged if op.status} & TERMINAL
    if len(told) > 1:
        verdict.violations.append(f"item {item_id}: clients were answered 200 for {told}")
    elif told:
        wanted = next(iter(told))
        if status != wanted and status in TERMINAL:
            kind = verdict.lost if wanted == "successful" else verdict.violations
            kind.append(f"item {item_id} acknowledged {wanted}, ended {status}")
    elif status in TERMINAL:
        verdict.recovered += 1
        if status not in attempted:
            verdict.violations.append(f"item {item_id} ended {status}, which nobody asked for")


def _check_regressions(
    verdict: Verdict, item_id: str, acknowledged: list[Op], reads: list[Op]
) -> None:
    """No read started after a 200 for a terminal status shows the item as open again."""
    for op in acknowledged:
        if op.status not in ("EXPORTED", "NOT_EXPORTED") or op.completed is None:
            continue
        for read in reads:
            shown = read.seen.get(item_id)
            if read.invoked < op.completed or shown not in ("QUEUED", "EXPORTING"):
                continue
            message = (
                f"item {item_id} shown {shown} to {read.process} (op {read.index}) after "
                f"{op.process}'s 200 for {op.status} (op {op.index})"
            )
            if shown == "QUEUED" and op.status == "EXPORTED":
                verdict.duplicated.append(message)
            else:
                verdict.violations.append(message)


def _check_reads(verdict: Verdict, reads: list[Op], ops: list[Op]) -> None:
    """No read shows a status before some PUT asked for it."""
    asked: dict[tuple[str, str], float] = {}
    for op in ops:
        if op.kind == "put" and op.status is not None:
            for expense_id in op.ids:
                key = (expense_id, op.status)
                asked[key] = min(asked.get(key, op.invoked), op.invoked)
    for read in reads:
        for expense_id, status in read.seen.items():
            if status == "QUEUED" or read.completed is None:
                continue
            first = asked.get((expense_id, status))
            if first is None or first > read.completed:
                verdict.violations.append(
                    f"{read.process} was shown {expense_id} as {status} (op {read.index}) "
                    "before any PUT asked for it"
                )


def _check_ledger(verdict: Verdict, company: CompanyOutcome) -> None:
    terminal: dict[str, set[str]] = defaultdict(set)
    events: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in company.ledger:
        if entry["jobId"] not in company.jobs:
            continue
        if entry["kind"] == "item_update" and entry["outcome"] == "accepted":
            if entry["resultingStatus"] in TERMINAL:
                terminal[entry["accountingEntryId"]].add(entry["resultingStatus"])
        elif entry["kind"] == "job_event":
            events[entry["jobId"]].append(entry)
    for item_id, statuses in terminal.items():
        if len(statuses) > 1:
            verdict.duplicated.append(f"Pleo accepted {sorted(statuses)} for item {item_id}")
    for job_id, job in company.jobs.items():
        posted = events[job_id]
        started = [e for e in posted if e["event"] == "started"]
        closes = [e for e in posted if e["event"] in CLOSES]
        accepted = [e for e in closes if e["outcome"] == "accepted"]
        if len(started) > 1:
            verdict.violations.append(f"job {job_id}: `started` posted {len(started)} times")
        if len(closes) > 1:
            kinds = [(e["event"], e["outcome"]) for e in closes]
            verdict.violations.append(f"job {job_id}: closed {len(closes)} times {kinds}")
        if len(accepted) == 1:
            all_successful = all(i["status"] == "successful" for i in job["items"])
            expected = "completed" if all_successful else "completed_with_errors"
            if accepted[0]["event"] != expected:
                verdict.violations.append(
                    f"job {job_id} closed {accepted[0]['event']}, its items say {expected}"
                )


def _check_causes(
    verdict: Verdict, puts: list[Op], writes: list[Exchange], companies: Iterable[CompanyOutcome]
) -> None:
    """Every write Pleo received was asked for by a legacy PUT invoked before it."""
    items_of: dict[str, set[str]] = {}
    for company in companies:
        for job_id, job in company.jobs.items():
            items_of[job_id] = {item["accountingEntryId"] for item in job["items"]}
    first_ask: dict[tuple[str, str], float] = {}
    for op in puts:
        if op.status is None:
            continue
        for expense_id in op.ids:
            key = (expense_id, ITEM_STATUS_OF[op.status])
            first_ask[key] = min(first_ask.get(key, op.invoked), op.invoked)
            any_key = (expense_id, "*")
            first_ask[any_key] = min(first_ask.get(any_key, op.invoked), op.invoked)
    for write in writes:
        if write.forwarded_at is None or write.method == "GET":
            continue
        try:
            body = json.loads(write.body or b"null")
        except ValueError:
            continue  # a chunked body; the proxy sends lengths
        if write.method == "PUT" and isinstance(body, list):
            for update in body:
                key = (update["accountingEntryId"], update["status"])
                if first_ask.get(key, float("inf")) > write.forwarded_at:
                    verdict.violations.append(
                        f"Pleo got item {key[0]} -> {key[1]} with no PUT asking for it before"
                    )
        elif write.method == "POST" and isinstance(body, dict) and body.get("event") == "started":
            job_items = items_of.get(str(body.get("jobId")), set())
            asked = [first_ask.get((i, "*"), float("inf")) for i in job_items]
            if not job_items or min(asked) > write.forwarded_at:
                verdict.violations.append(
                    f"`started` of job {body.get('jobId')} with no PUT of its items before"
                )
