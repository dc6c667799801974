"""Who a request acts for: the upstream credential and the tenant key derived from it.

Part A.6: the tenant key everywhere (cache, store, locks) is the company id plus a hash of
the credential, never the raw token. :class:`UpstreamCredential` is the only object that
holds a raw ``Authorization`` value; its ``repr`` and ``str`` never show it.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field

__all__ = ["Tenant", "UpstreamCredential"]


@dataclass(frozen=True, slots=True)
class UpstreamCredential:
    """The ``Authorization`` header value the proxy sends to Pleo for one tenant."""

    _authorization: str = field(repr=False)

    @classmethod
    def bearer(cls, token: str) -> UpstreamCredential:
        return cls(f"Bearer {token}")

    @classmethod
    def api_key(cls, key: str) -> UpstreamCredential:
        """Pleo's standalone API keys: HTTP Basic, key as username, empty password."""
        encoded = base64.b64encode(f"{key}:".encode()).decode("ascii")
        return cls(f"Basic {encoded}")

    @classmethod
    def from_header(cls, authorization: str) -> UpstreamCredential:
        return cls(authorization.strip())

    @property
    def authorization(self) -> str:
        return self._authorization

    @property
    def fingerprint(self) -> str:
        """A stable, non-reversible name for this credential (first 32 hex of SHA-256)."""
        return hashlib.sha256(self._authorization.encode()).hexdigest()[:32]

    def __repr__(self) -> str:
        return f"UpstreamCredential(fingerprint={self.fingerprint!r})"

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class Tenant:
    """The caller: its upstream credential and, when configured, its company.

    In ``passthrough`` mode the company is not known up front (an API key is scoped to one
    company by Pleo); ``company_id`` is then ``None`` and Pleo's answers decide what the
    tenant can see.
    """

    credential: UpstreamCredential
    company_id: str | None = None

    @property
    def key(self) -> str:
        """Store and cache key prefix: company id and credential hash, never the token."""
        return f"{self.company_id or '-'}:{self.credential.fingerprint}"
