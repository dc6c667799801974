"""The sandbox's settings: one frozen dataclass, filled by the CLI or by a test."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["SandboxConfig"]


@dataclass(frozen=True, slots=True)
class SandboxConfig:
    """What to seed and how to behave.

    Attributes:
        seed: seeds the PRNG; the same seed gives the same companies, ids, amounts and texts.
        companies: number of companies (tenants), each with its own credentials.
        jobs_per_company: pending export jobs seeded per company.
        items_per_job: items in each seeded job.
        queued_per_company: extra queued entries per company that are in no job yet.
        rtt_ms: added delay for every non-admin request (``asyncio.sleep``).
        start_time: the sandbox clock's start; ``None`` means the wall clock at start-up.
        clock_follows_real_time: when false the clock only moves through ``POST /sandbox/clock``.
        expiry_seconds: how long a running job lives after its last update (Pleo: one hour).
        admin_token: when set, ``/sandbox/*`` (except ``/sandbox/healthz``) needs
            ``Authorization: Bearer <admin_token>``; ``None`` leaves the admin routes open
            (see :mod:`adapter.sandbox.admin_auth`).
    """

    seed: int = 1
    companies: int = 2
    jobs_per_company: int = 2
    items_per_job: int = 25
    queued_per_company: int = 20
    rtt_ms: float = 0.0
    start_time: datetime | None = None
    clock_follows_real_time: bool = True
    expiry_seconds: int = 3600
    admin_token: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.companies < 1:
            msg = "companies must be at least 1"
            raise ValueError(msg)
        if self.jobs_per_company < 0 or self.items_per_job < 0 or self.queued_per_company < 0:
            msg = "jobs, items and queued entries must not be negative"
            raise ValueError(msg)
        if self.rtt_ms < 0:
            msg = "rtt_ms must not be negative"
            raise ValueError(msg)
        if self.admin_token is not None and not self.admin_token.strip():
            msg = "admin_token must not be blank"
            raise ValueError(msg)
