"""Which company a credential reaches, and which credential reaches a company.

State, locks, leases and background work are keyed by company id; a credential is only how the
proxy reaches a company. In credentials mode the tenants file names the company. In passthrough
mode the company is learnt from Pleo's first accepted answer for the credential (the
``companyId`` of its jobs), so only credentials Pleo accepted are ever remembered, and both maps
are bounded (``ADAPTER_MAX_PASSTHROUGH_TENANTS``). Credentials live in process memory only.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from cachetools import TTLCache

from adapter.tenancy import Tenant

__all__ = ["CompanyDirectory"]

# How long a passthrough credential stays known without being used. A credential Pleo later
# refuses (401/403) is forgotten at once.
_CREDENTIAL_TTL_SECONDS = 6 * 3600


class CompanyDirectory:
    def __init__(
        self, *, max_passthrough: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._configured: dict[str, Tenant] = {}
        self._company_of: TTLCache[str, str] = TTLCache(
            maxsize=max_passthrough, ttl=_CREDENTIAL_TTL_SECONDS, timer=clock
        )
        self._reach: TTLCache[str, Tenant] = TTLCache(
            maxsize=max_passthrough, ttl=_CREDENTIAL_TTL_SECONDS, timer=clock
        )

    def configure(self, tenant: Tenant) -> None:
        """A company from the tenants file: worked on from start-up, for good."""
        if tenant.company_id is not None:
            self._configured[tenant.company_id] = tenant

    def company_of(self, tenant: Tenant) -> str | None:
        """The company ``tenant`` reaches, if known (configured, or learnt from Pleo)."""
        if tenant.company_id is not None:
            return tenant.company_id
        return self._company_of.get(tenant.credential.fingerprint)

    def accepted(self, tenant: Tenant, company_id: str, *, background: bool) -> None:
        """Pleo accepted ``tenant``'s credential for ``company_id``.

        With ``background`` the credential becomes the company's means for scheduled work (the
        most recently accepted one wins); read-only callers (preview) pass False.
        """
        if tenant.company_id is None:
            self._company_of[tenant.credential.fingerprint] = company_id
        if not background:
            return
        if company_id in self._configured:
            self._configured[company_id] = tenant
        else:
            self._reach[company_id] = tenant

    def refused(self, tenant: Tenant) -> None:
        """Pleo refused ``tenant``'s credential: forget it everywhere it was learnt."""
        self._company_of.pop(tenant.credential.fingerprint, None)
        for company_id, known in list(self._reach.items()):
            if known.credential == tenant.credential:
                del self._reach[company_id]

    def tenant_for(self, company_id: str) -> Tenant | None:
        """The credential scheduled work for ``company_id`` uses, if any."""
        return self._configured.get(company_id) or self._reach.get(company_id)

    def background(self) -> list[tuple[str, Tenant]]:
        """Every company scheduled work covers, with the credential to reach it."""
        return [*self._configured.items(), *self._reach.items()]

    def is_configured(self, company_id: str) -> bool:
        return company_id in self._configured
