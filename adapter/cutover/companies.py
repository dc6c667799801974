"""Which company a request acts for, as far as the cutover needs to know.

Credentials mode names the company in the tenants file. Passthrough mode does not: the client
sends only a credential, and Pleo alone knows its company. The company is learnt from Pleo's
first answer to ``GET /v3/export-jobs`` for that credential (every job carries ``companyId``):
:class:`CompanyLearningClient` is the app's :class:`~adapter.export.client.ExportClient` with
that one observation added, so learning costs no extra call. Until a credential's company is
known its requests get the file's ``default_mode``.

The cache is bounded (size and age) and keyed by the credential's fingerprint, never the
credential; it is process memory only. A credential Pleo never answered is never learnt.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from cachetools import TTLCache

from adapter.export.client import ExportClient
from adapter.export.models import ExportJobStatus, ExportJobV3
from adapter.tenancy import Tenant, UpstreamCredential

__all__ = ["CompanyCache", "CompanyLearningClient", "company_of"]

# A credential unused this long is learnt again from its next answer.
_TTL_SECONDS = 6 * 3600


class CompanyCache:
    """Credential fingerprint -> company id, learnt from Pleo; bounded in size and age."""

    def __init__(
        self,
        *,
        maxsize: int = 10_000,
        ttl_seconds: float = _TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._companies: TTLCache[str, str] = TTLCache(
            maxsize=maxsize, ttl=ttl_seconds, timer=clock
        )

    def learn(self, credential: UpstreamCredential, company_id: str) -> None:
        self._companies[credential.fingerprint] = company_id.lower()

    def learnt(self, credential: UpstreamCredential) -> str | None:
        return self._companies.get(credential.fingerprint)

    def __len__(self) -> int:
        return len(self._companies)


def company_of(tenant: Tenant, cache: CompanyCache) -> str | None:
    """The tenant's company: configured, else learnt from Pleo, else ``None`` (unknown)."""
    if tenant.company_id is not None:
        return tenant.company_id.lower()
    return cache.learnt(tenant.credential)


class CompanyLearningClient(ExportClient):
    """An :class:`ExportClient` that tells ``companies`` whose jobs a credential listed."""

    def __init__(self, *args: Any, companies: CompanyCache, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._companies = companies

    async def list_jobs(
        self,
        credential: UpstreamCredential,
        *,
        statuses: Sequence[ExportJobStatus],
        company_id: str | None = None,
    ) -> list[ExportJobV3]:
        jobs = await super().list_jobs(credential, statuses=statuses, company_id=company_id)
        companies = {job.company_id.lower() for job in jobs}
        # An API key reaches one company (pleo-api.md A.6); a credential whose jobs name
        # several companies is ambiguous and stays unknown (the default mode).
        if len(companies) == 1:
            self._companies.learn(credential, companies.pop())
        return jobs
