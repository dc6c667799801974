"""A Jepsen-style history checker for the proxy (reliability.md §1.8, issue #9 item 12).

A seeded schedule (:mod:`.schedule`) drives several legacy clients per company, each with its
own retries (:mod:`.actors`), against the real proxy process, while a nemesis injects Pleo
failures (the sandbox's faults), lost answers and resets (the relay) and SIGKILLs the proxy.
Every client call is recorded with its invocation and completion (:mod:`.recorder`); the run
ends with each company's job drained by a client with faults off; then :mod:`.checker` judges
the history against the sandbox's ledger: nothing lost, nothing duplicated, nothing unexpected.

Run many schedules (:mod:`.runner`)::

    python -m tests.support.history --schedules 200 --seed 1

A failing schedule prints its seed and the command that replays it alone.
"""

from tests.support.history.runner import ScheduleResult, Summary, run_schedules

__all__ = ["ScheduleResult", "Summary", "run_schedules"]
