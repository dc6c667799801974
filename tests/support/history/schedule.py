"""A seeded schedule: which companies, jobs, clients, operations and faults one run has.

Everything random about a run is drawn here from its seed, so the same seed gives the same
schedule. What it cannot fix is how the threads interleave; the operations' arguments (which
ids) are drawn at run time by each client's own seeded generator from what it has seen.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

__all__ = [
    "CompanyPlan",
    "Fault",
    "Schedule",
    "generate",
]

# Pleo's paths as the sandbox's fault rules see them (path only) and the relay's (target).
SANDBOX_PATHS = {
    "list_jobs": ("GET", "^/v3/export-jobs$"),
    "get_job": ("GET", "^/v3/export-jobs/[^/]+$"),
    "job_items": ("GET", "^/v3/export-jobs/[^/]+/items$"),
    "export_items": ("GET", "^/v3/export-items$"),
    "item_put": ("PUT", "^/v3/export-jobs/[^/]+/items$"),
    "events": ("POST", "^/v3/export-job-events$"),
}
RELAY_READS = {
    "list_jobs": ("GET", r"^/v3/export-jobs\?"),
    "job_items": ("GET", r"^/v3/export-jobs/[^/?]+/items\?"),
    "export_items": ("GET", r"^/v3/export-items\?"),
    "get_job": ("GET", r"^/v3/export-jobs/[^/?]+$"),
}
RELAY_WRITES = {
    "item_put": ("PUT", r"^/v3/export-jobs/[^/]+/items$", None),
    "started": ("POST", "^/v3/export-job-events$", '"started"'),
    "completed": ("POST", "^/v3/export-job-events$", '"completed'),
}
JOB_SIZES = (1, 3, 8, 20, 45, 130)
JOB_SIZE_WEIGHTS = (1, 4, 4, 3, 2, 1)
OPERATIONS = ("read", "claim", "finish", "get_one", "contradict")
OPERATION_WEIGHTS = (35, 25, 30, 6, 4)


@dataclass(frozen=True)
class Fault:
    """One nemesis action, applied once ``after_ops`` client calls have completed.

    ``kind``: ``status`` (the sandbox answers ``status`` ``count`` times, with Retry-After
    ``retry_after`` when set), ``lose_answer`` (the relay forwards a write and drops its
    answer), ``reset`` (the relay resets a connection instead of forwarding it), ``kill``
    (SIGKILL the proxy and start it again).
    """

    after_ops: int
    kind: str
    target: str = ""
    status: int = 0
    count: int = 1
    retry_after: str | None = None


@dataclass(frozen=True)
class CompanyPlan:
    """One company: its jobs (sizes, oldest first) and its clients' operation lists."""

    jobs: tuple[int, ...]
    clients: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Schedule:
    seed: int
    auth_mode: str
    companies: tuple[CompanyPlan, ...]
    faults: tuple[Fault, ...] = field(default=())

    @property
    def operations(self) -> int:
        return sum(len(ops) for company in self.companies for ops in company.clients)

    def describe(self) -> str:
        jobs = "; ".join(
            f"company {n}: jobs {list(c.jobs)}, {len(c.clients)} client(s)"
            for n, c in enumerate(self.companies)
        )
        kills = sum(f.kind == "kill" for f in self.faults)
        return (
            f"seed {self.seed}: {self.auth_mode}, {jobs}; {self.operations} planned calls, "
            f"{len(self.faults) - kills} faults, {kills} kills"
        )


def _fault(rng: random.Random, after_ops: int) -> Fault:
    kind = rng.choices(("status", "rate_limit", "lose_answer", "reset", "kill"), (5, 2, 4, 2, 2))[0]
    if kind == "status":
        return Fault(
            after_ops,
            "status",
            rng.choice(sorted(SANDBOX_PATHS)),
            status=rng.choice((500, 502, 503, 504)),
            count=rng.randint(1, 3),
        )
    if kind == "rate_limit":
        return Fault(
            after_ops,
            "status",
            rng.choice(sorted(SANDBOX_PATHS)),
            status=429,
            count=rng.randint(1, 2),
            retry_after=rng.choice((None, "0", "1")),
        )
    if kind == "lose_answer":
        return Fault(after_ops, "lose_answer", rng.choice(sorted(RELAY_WRITES)))
    if kind == "reset":
        return Fault(after_ops, "reset", rng.choice(sorted(RELAY_READS | RELAY_WRITES)))
    return Fault(after_ops, "kill")


def generate(seed: int, *, max_companies: int = 3) -> Schedule:
    """The schedule of ``seed``: 1-3 companies of 1-2 jobs, 1-2 clients each (two: a token
    rotation), 5-12 calls per client, and 1-6 nemesis actions spread over the calls."""
    rng = random.Random(seed)
    auth_mode = rng.choices(("credentials", "passthrough"), (3, 1))[0]
    companies = []
    for _ in range(rng.randint(1, max_companies)):
        jobs = tuple(rng.choices(JOB_SIZES, JOB_SIZE_WEIGHTS)[0] for _ in range(rng.randint(1, 2)))
        clients = tuple(
            tuple(rng.choices(OPERATIONS, OPERATION_WEIGHTS, k=rng.randint(5, 12)))
            for _ in range(rng.randint(1, 2))
        )
        companies.append(CompanyPlan(jobs, clients))
    planned = sum(len(ops) for c in companies for ops in c.clients)
    moments = sorted(rng.randint(0, max(1, planned - 2)) for _ in range(rng.randint(1, 6)))
    faults = tuple(_fault(rng, moment) for moment in moments)
    return Schedule(seed, auth_mode, tuple(companies), faults)
