"""Turn a legacy request's ``Authorization`` header into a :class:`~adapter.tenancy.Tenant`.

Part A.6 defines two modes:

* ``passthrough``: the header (a v3 API key as Basic, or an OAuth/bearer token) is forwarded
  to Pleo unchanged; Pleo decides whether it is valid.
* ``credentials``: the integration keeps its old legacy token. A TOML file lists, per tenant,
  the SHA-256 of that token, the company id and the v3 credential the proxy uses instead::

      [[tenants]]
      company_id = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
      legacy_token_sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
      api_key = "..."          # sent as HTTP Basic, or:
      # bearer_token = "..."

  Hashes are compared in constant time against every entry, so timing reveals nothing.

Either way a missing or malformed header is refused with 401 before anything goes upstream.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from adapter.errors import ConfigurationError, Unauthorized
from adapter.tenancy import Tenant, UpstreamCredential

__all__ = [
    "Authenticator",
    "CredentialsFileAuthenticator",
    "PassthroughAuthenticator",
    "hash_legacy_token",
]

_SCHEMES = ("bearer", "basic")
# A header larger than this is not a credential anyone issued; refuse it before hashing.
_MAX_AUTHORIZATION_LENGTH = 8192
_SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")


class Authenticator(Protocol):
    def authenticate(self, authorization: str | None) -> Tenant:
        """The tenant for this header, or raise :class:`Unauthorized`."""


def _split(authorization: str | None) -> tuple[str, str]:
    if not authorization or len(authorization) > _MAX_AUTHORIZATION_LENGTH:
        raise Unauthorized
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if not value.isascii() or not value.isprintable():
        # No issued credential has these; httpx could not even send them (a 500, not a 401).
        raise Unauthorized
    # Printable ASCII leaves the space as the one whitespace a value could still hold.
    if scheme.lower() not in _SCHEMES or not value or " " in value:
        raise Unauthorized
    return scheme.lower(), value


def hash_legacy_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class PassthroughAuthenticator:
    def authenticate(self, authorization: str | None) -> Tenant:
        scheme, value = _split(authorization)
        canonical = f"{'Bearer' if scheme == 'bearer' else 'Basic'} {value}"
        return Tenant(credential=UpstreamCredential.from_header(canonical))


@dataclass(frozen=True, slots=True)
class _Entry:
    token_digest: bytes
    tenant: Tenant


class CredentialsFileAuthenticator:
    def __init__(self, entries: list[_Entry]) -> None:
        self._entries = entries

    @classmethod
    def from_file(cls, path: Path) -> CredentialsFileAuthenticator:
        """Read the tenants file, or raise one :class:`ConfigurationError` line naming it."""
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            msg = f"credentials file {path}: cannot read it (not UTF-8 text)"
            raise ConfigurationError(msg) from None
        except (OSError, tomllib.TOMLDecodeError) as exc:
            msg = f"credentials file {path}: cannot read it ({type(exc).__name__})"
            raise ConfigurationError(msg) from None
        return cls.from_document(document, source=str(path))

    @classmethod
    def from_document(
        cls, document: Mapping[str, object], *, source: str
    ) -> CredentialsFileAuthenticator:
        rows = document.get("tenants")
        if not isinstance(rows, list) or not rows:
            msg = f"credentials file {source}: expected one or more [[tenants]] tables"
            raise ConfigurationError(msg)
        entries: list[_Entry] = []
        seen: set[str] = set()
        for number, row in enumerate(rows, start=1):
            entries.append(_parse_row(row, f"{source} tenant #{number}", seen))
        return cls(entries)

    @property
    def tenants(self) -> list[Tenant]:
        """Every configured tenant, so scheduled polling can start before their first call."""
        return [entry.tenant for entry in self._entries]

    def authenticate(self, authorization: str | None) -> Tenant:
        scheme, token = _split(authorization)
        if scheme != "bearer":
            raise Unauthorized
        digest = hashlib.sha256(token.encode()).digest()
        found: Tenant | None = None
        # Visit every entry whatever matches, so the time taken does not depend on the token.
        for entry in self._entries:
            if hmac.compare_digest(entry.token_digest, digest):
                found = entry.tenant
        if found is None:
            raise Unauthorized
        return found


def _parse_row(row: object, where: str, seen: set[str]) -> _Entry:
    if not isinstance(row, dict):
        msg = f"{where}: expected a table"
        raise ConfigurationError(msg)
    company_id = row.get("company_id")
    token_hash = row.get("legacy_token_sha256")
    api_key = row.get("api_key")
    bearer = row.get("bearer_token")
    if not isinstance(company_id, str) or not company_id:
        msg = f"{where}: company_id is required"
        raise ConfigurationError(msg)
    if not isinstance(token_hash, str) or not _SHA256_HEX.fullmatch(token_hash):
        # fullmatch, not bytes.fromhex alone: fromhex skips spaces and would accept a short digest.
        msg = f"{where}: legacy_token_sha256 must be 64 hex characters"
        raise ConfigurationError(msg)
    token_digest = bytes.fromhex(token_hash)
    if token_hash.lower() in seen:
        msg = f"{where}: the same legacy token is listed twice"
        raise ConfigurationError(msg)
    seen.add(token_hash.lower())
    if isinstance(api_key, str) and api_key and bearer is None:
        credential = UpstreamCredential.api_key(api_key)
    elif isinstance(bearer, str) and bearer and api_key is None:
        credential = UpstreamCredential.bearer(bearer)
    else:
        msg = f"{where}: give exactly one of api_key or bearer_token"
        raise ConfigurationError(msg)
    return _Entry(token_digest, Tenant(credential=credential, company_id=company_id))
