"""Running schedules: one sandbox and relay for the whole run, a fresh proxy per schedule.

Each schedule gets companies of its own (the sandbox is started with three per schedule), so
schedules cannot see each other's jobs. Per schedule: create the jobs, start the proxy (in the
schedule's auth mode; in credentials mode each company has a second, rotated legacy token),
run the clients and the nemesis until the clients' plans are spent, drain (faults off: each
company's first client lists ``QUEUED`` and ``EXPORTING`` and exports what it finds until
every job of the schedule is closed), then check the history (:mod:`.checker`).
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.history.actors import LegacyActor, Nemesis, authorization_for
from tests.support.history.checker import FINISHED, CompanyOutcome, Verdict, check
from tests.support.history.recorder import History
from tests.support.history.schedule import Schedule, generate
from tests.support.processes import Sandbox, start_sandbox
from tests.support.relay import Relay
from tests.support.stack import Stack, wait_until

__all__ = ["ScheduleResult", "Summary", "replay_command", "run_schedules"]

COMPANIES_PER_SCHEDULE = 3
DRAIN_ROUNDS = 30
PROXY_ENV = {
    # Closes Pleo did not confirm, and the first round after a restart, come within a second.
    "ADAPTER_CLOSE_RETRY_SECONDS": "1",
    "ADAPTER_POLL_INTERVAL_SECONDS": "3600",
    # The run is short; idle clients must never be failed by the proxy (that write would
    # have no legacy PUT behind it).
    "ADAPTER_IDLE_POLICY": "wait",
    "ADAPTER_REQUEST_DEADLINE_SECONDS": "10",
    "ADAPTER_UPSTREAM_CIRCUIT_OPEN_SECONDS": "1",
    "ADAPTER_LOG_LEVEL": "WARNING",
}


def replay_command(seed: int) -> str:
    return f"python -m tests.support.history --seed {seed} --schedules 1"


@dataclass
class ScheduleResult:
    schedule: Schedule
    verdict: Verdict
    operations: int
    faults: int
    kills: int
    seconds: float
    error: str | None = None

    @property
    def valid(self) -> bool:
        return self.error is None and self.verdict.valid

    def report(self) -> str:
        state = "ok" if self.valid else "FAILED"
        line = (
            f"seed {self.schedule.seed}: {state} ({self.operations} calls, {self.faults} faults, "
            f"{self.kills} kills, {self.verdict.recovered} recovered, {self.seconds:.1f} s)"
        )
        if self.valid:
            return line
        problems = ([self.error] if self.error else []) + self.verdict.problems()
        shown = "\n  ".join(problems[:20])
        return (
            f"{line}\n  {self.schedule.describe()}\n  {shown}\n"
            f"  replay: {replay_command(self.schedule.seed)}"
        )


@dataclass
class Summary:
    results: list[ScheduleResult] = field(default_factory=list)

    @property
    def failed(self) -> list[ScheduleResult]:
        return [r for r in self.results if not r.valid]

    def table(self) -> str:
        rows = {
            "schedules": len(self.results),
            "operations": sum(r.operations for r in self.results),
            "faults": sum(r.faults for r in self.results),
            "kills": sum(r.kills for r in self.results),
            "recovered": sum(r.verdict.recovered for r in self.results),
            "lost": sum(len(r.verdict.lost) for r in self.results),
            "duplicated": sum(len(r.verdict.duplicated) for r in self.results),
            "unexpected": sum(len(r.verdict.unexpected) for r in self.results),
            "other violations": sum(len(r.verdict.violations) for r in self.results),
            "failed schedules": len(self.failed),
            "seconds": round(sum(r.seconds for r in self.results), 1),
        }
        width = max(len(k) for k in rows)
        return "\n".join(f"{name:<{width}}  {value:>8}" for name, value in rows.items())


def run_schedules(
    seeds: list[int],
    workdir: Path,
    *,
    on_result: Callable[[ScheduleResult], None] = lambda _: None,
    stop_on_failure: bool = False,
) -> Summary:
    """Run the schedule of each seed on one sandbox; ``on_result`` sees each as it ends."""
    summary = Summary()
    with _shared(workdir, len(seeds)) as (sandbox, relay):
        for n, seed in enumerate(seeds):
            companies = sandbox.companies[n * COMPANIES_PER_SCHEDULE :][:COMPANIES_PER_SCHEDULE]
            result = run_schedule(generate(seed), sandbox, relay, companies, workdir / str(seed))
            summary.results.append(result)
            on_result(result)
            if stop_on_failure and not result.valid:
                break
    return summary


@contextlib.contextmanager
def _shared(workdir: Path, schedules: int) -> Iterator[tuple[Sandbox, Relay]]:
    sandbox = start_sandbox(
        workdir / "logs", companies=COMPANIES_PER_SCHEDULE * schedules, jobs=0, items=0
    )
    try:
        with Relay.running(sandbox.url) as relay:
            yield sandbox, relay
    finally:
        sandbox.close()


def run_schedule(
    schedule: Schedule,
    sandbox: Sandbox,
    relay: Relay,
    companies: list[dict[str, Any]],
    workdir: Path,
) -> ScheduleResult:
    began = time.monotonic()
    relay.clear()
    relay.forget()
    sandbox.clear_faults()
    used = companies[: len(schedule.companies)]
    jobs = {
        company["companyId"]: _create_jobs(sandbox, company, plan.jobs)
        for company, plan in zip(used, schedule.companies, strict=False)
    }
    workdir.mkdir(parents=True, exist_ok=True)
    stack = Stack(workdir, sandbox, relay, auth_mode=schedule.auth_mode, env=dict(PROXY_ENV))
    stack.tenants = used
    history = History()
    nemesis = Nemesis(stack, history, schedule_clients(schedule), stack.restart_proxy)
    error = None
    try:
        stack.start_proxy()
        _run_clients(schedule, stack, used, history, nemesis)
        relay.clear()
        sandbox.clear_faults()
        if stack.proxy is None or not stack.proxy.alive():
            stack.start_proxy()
        for n, company in enumerate(used):
            if not _drain(stack, company, jobs[company["companyId"]], history, schedule):
                error = f"company {n} did not drain"
    except Exception as exc:  # a broken run is a failed schedule, with its seed
        error = f"the run broke: {type(exc).__name__}: {exc}"
    finally:
        if stack.proxy is not None:
            stack.proxy.stop()
    outcomes = [
        CompanyOutcome(
            company["companyId"],
            {job_id: sandbox.job(job_id) for job_id in jobs[company["companyId"]]},
            _all_items(sandbox, company),
            sandbox.ledger(company["companyId"]),
        )
        for company in used
    ]
    verdict = check(history.ops, outcomes, relay.exchanges())
    faults = [f for f in nemesis.applied if f.kind != "kill"]
    return ScheduleResult(
        schedule,
        verdict,
        operations=len(history.ops),
        faults=len(faults),
        kills=len(nemesis.applied) - len(faults),
        seconds=time.monotonic() - began,
        error=error,
    )


def schedule_clients(schedule: Schedule) -> int:
    return sum(len(c.clients) for c in schedule.companies)


def _create_jobs(sandbox: Sandbox, company: dict[str, Any], sizes: tuple[int, ...]) -> list[str]:
    created = []
    for size in sizes:
        sandbox.add_entries(company["companyId"], size)
        created.append(sandbox.create_job(company["companyId"], count=size)["id"])
    return created


def _all_items(sandbox: Sandbox, company: dict[str, Any]) -> set[str]:
    return {
        item["accountingEntryId"]
        for job in sandbox.v3_jobs(company)
        for item in sandbox.job(job["id"])["items"]
    }


def _run_clients(
    schedule: Schedule,
    stack: Stack,
    companies: list[dict[str, Any]],
    history: History,
    nemesis: Nemesis,
) -> None:
    actors: list[tuple[LegacyActor, tuple[str, ...]]] = []
    rng = random.Random(schedule.seed)
    for n, (company, plan) in enumerate(zip(companies, schedule.companies, strict=False)):
        for c, ops in enumerate(plan.clients):
            actor = LegacyActor(
                f"company{n}.client{c}",
                company["companyId"],
                stack.url,
                authorization_for(company, c, schedule.auth_mode),
                history,
                random.Random(rng.random()),
            )
            actors.append((actor, ops))
    threads = [threading.Thread(target=a.run, args=(ops,), name=a.name) for a, ops in actors]
    chaos = threading.Thread(target=nemesis.run, args=(schedule.faults,), name="nemesis")
    for thread in [*threads, chaos]:
        thread.start()
    for thread in [*threads, chaos]:
        thread.join(timeout=600)
    for actor, _ in actors:
        actor.close()


def _drain(
    stack: Stack,
    company: dict[str, Any],
    job_ids: list[str],
    history: History,
    schedule: Schedule,
) -> bool:
    """Export whatever the company still has, faults off, until all its jobs are closed."""
    actor = LegacyActor(
        "drain",
        company["companyId"],
        stack.url,
        authorization_for(company, 0, schedule.auth_mode),
        history,
        random.Random(schedule.seed),
    )

    def closed() -> bool:
        return all(stack.job(j)["job"]["status"] in FINISHED for j in job_ids)

    try:
        for _ in range(DRAIN_ROUNDS):
            queued = actor.read("QUEUED", page_size=1000)
            exporting = actor.read("EXPORTING", page_size=1000)
            if queued.outcome != "ok" or exporting.outcome != "ok":
                continue
            todo = list(queued.seen)
            if todo:
                actor.put(todo, "EXPORTING")
            todo += list(exporting.seen)
            if todo:
                actor.put(todo, "EXPORTED")
                continue
            if closed():
                return True
            # Nothing to export, a job still open: its close is due within a second.
            with contextlib.suppress(TimeoutError):
                wait_until(closed, timeout=5, what="the drained jobs to close")
        return closed()
    finally:
        actor.close()
