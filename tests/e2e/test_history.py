"""The bounded history run of CI (issue #9 item 12): seeded schedules of legacy clients, Pleo
failures, lost answers and proxy kills, each checked against the sandbox's ledger. A failure
names its seed and the command that replays it; ``python -m tests.support.history`` runs
many more (README, "Tests and benchmarks")."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.history import ScheduleResult, run_schedules

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

FIRST_SEED = 1
SCHEDULES = 16


def test_seeded_histories_lose_duplicate_and_invent_nothing(tmp_path: Path) -> None:
    """Across the seeded schedules no acknowledged export is lost, no item is exported twice,
    no client sees another company's expense, and every job is claimed and closed once."""

    def show(result: ScheduleResult) -> None:
        print(result.report(), flush=True)

    seeds = list(range(FIRST_SEED, FIRST_SEED + SCHEDULES))
    summary = run_schedules(seeds, tmp_path, on_result=show)
    print(summary.table())

    assert len(summary.results) == SCHEDULES
    assert sum(r.kills for r in summary.results) > 0, "no schedule killed the proxy"
    assert sum(r.faults for r in summary.results) > 0, "no schedule injected a fault"
    failures = "\n".join(r.report() for r in summary.failed)
    assert not summary.failed, f"{len(summary.failed)} schedule(s) failed:\n{failures}"
