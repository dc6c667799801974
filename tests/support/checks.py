"""Checks over the sandbox ledger: Jepsen's "nothing lost, nothing twice" for one export job.

The ledger (``GET /sandbox/ledger``) lists, in arrival order with a ``seq``, every export-job
event and every element of every item PUT Pleo received, accepted or rejected.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

__all__ = ["TERMINAL_ITEM_STATUSES", "assert_job_exported_once", "item_status_for"]

TERMINAL_ITEM_STATUSES = frozenset({"successful", "failed", "abandoned"})
_ITEM_STATUS_OF_LEGACY = {
    "EXPORTING": "in_progress",
    "EXPORTED": "successful",
    "NOT_EXPORTED": "failed",
}


def item_status_for(legacy_status: str) -> str:
    """The v3 item status a legacy PUT status must become (pleo-api.md A.3)."""
    return _ITEM_STATUS_OF_LEGACY[legacy_status]


def assert_job_exported_once(
    entries: list[dict[str, Any]],
    job_id: str,
    expected: Mapping[str, str],
    completion: str,
) -> None:
    """Assert the ledger shows one clean run of ``job_id``.

    ``expected`` maps every item (accounting entry id) of the job to the terminal item status
    the legacy client asked for. The run is clean when: nothing about the job was rejected;
    exactly one ``started`` was accepted, before any item update; each item got exactly one
    accepted ``in_progress`` update and, after it, exactly one accepted terminal update, the
    expected one; no other item was touched; and exactly one ``completion`` event was
    accepted, after every item update, with no other event.
    """
    mine = [e for e in entries if e["jobId"] == job_id]
    rejected = [e for e in mine if e["outcome"] != "accepted"]
    assert rejected == [], f"rejected ledger entries for job {job_id}: {rejected[:5]}"

    events = [e for e in mine if e["kind"] == "job_event"]
    updates = [e for e in mine if e["kind"] == "item_update"]
    assert {e["kind"] for e in mine} <= {"job_event", "item_update", "job_created"}, mine

    started = [e for e in events if e["event"] == "started"]
    closing = [e for e in events if e["event"] != "started"]
    assert len(started) == 1, f"expected one accepted 'started', got {started}"
    assert [e["event"] for e in closing] == [completion], (
        f"expected exactly one {completion!r} event after 'started', got {closing}"
    )
    assert updates, f"no item updates recorded for job {job_id}"
    first_update = min(e["seq"] for e in updates)
    last_update = max(e["seq"] for e in updates)
    assert started[0]["seq"] < first_update, "an item update arrived before the job was started"
    assert closing[0]["seq"] > last_update, "the job was closed before its last item update"

    by_item: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in updates:
        by_item[entry["accountingEntryId"]].append(entry)
    unexpected = sorted(set(by_item) - set(expected))
    lost = sorted(set(expected) - set(by_item))
    assert unexpected == [], f"updates for items the client never reported: {unexpected[:5]}"
    assert lost == [], f"items the client reported that Pleo never got: {lost[:5]}"

    problems: list[str] = []
    for item_id, wanted in expected.items():
        history = by_item[item_id]
        progress = [e for e in history if e["resultingStatus"] == "in_progress"]
        terminal = [e for e in history if e["resultingStatus"] in TERMINAL_ITEM_STATUSES]
        if len(progress) != 1 or len(terminal) != 1 or len(history) != 2:
            problems.append(f"{item_id}: history {[e['resultingStatus'] for e in history]}")
        elif terminal[0]["resultingStatus"] != wanted:
            problems.append(f"{item_id}: ended {terminal[0]['resultingStatus']}, wanted {wanted}")
        elif progress[0]["seq"] > terminal[0]["seq"]:
            problems.append(f"{item_id}: in_progress arrived after {wanted}")
    assert problems == [], f"{len(problems)} items not exported exactly once: {problems[:5]}"
