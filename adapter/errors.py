"""Every exception the proxy raises on purpose, in one tree.

The tree::

    AdapterError                        anything the proxy raises on purpose
    ├── ClientError                     the caller's mistake; nothing was sent upstream
    │   ├── BadRequest                  400 malformed JSON, bad query, bad body shape
    │   ├── Unauthorized                401 missing or unknown credential
    │   ├── NotFound                    404 route or expense unknown to this tenant
    │   ├── Conflict                    409 the request contradicts the export's state
    │   ├── PayloadTooLarge             413 body over the cap, too many ids
    │   ├── UnsupportedMediaType        415 a body that is not JSON
    │   └── Unprocessable               422 well-formed but unusable (unknown status value)
    ├── DomainError                     the translation refuses; carries no HTTP meaning
    │   ├── StatusChangeRefused         a legacy status change the item's state forbids
    │   ├── ExportJobGone               the expenses' export job expired or was failed in Pleo
    │   └── MappingError                an Export Item the mapping table cannot translate
    ├── UpstreamError                   Pleo failed or refused; mapped, logged and counted
    │   ├── UpstreamAuthError           401 Pleo refused the tenant's credential
    │   │   └── UpstreamForbidden       403 valid credential, missing scope or company
    │   ├── UpstreamRejected            502 Pleo refused a request the proxy thought valid (4xx)
    │   ├── UpstreamUnavailable         503 Pleo 5xx, 429 or unreachable; may carry Retry-After
    │   │   └── UpstreamCircuitOpen     503 not even tried: Pleo failed repeatedly (breaker open)
    │   ├── UpstreamTimeout             504 no answer in time
    │   ├── UpstreamProtocolError       502 transport failure, redirect, body breaking the contract
    │   └── ItemUpdateIncomplete        a batched item update failed after earlier batches landed
    ├── LegacyApiNotConfigured          501 a passed-through legacy route, no legacy API configured
    └── ConfigurationError              stops start-up; never reaches a client
        └── MappingTableError           the mapping tables fail validation

Client and upstream errors say which HTTP status a legacy client is told (``status_code``);
domain errors do not: the web layer (:mod:`adapter.web.errors`) decides what a refused status
change or an untranslatable item means to a client. ``error_type`` is a short, bounded code for
logs and metrics, never shown in place of the legacy body's ``error``.

Messages are written here or at the raise site, never copied from an upstream body, and never
contain a credential.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

__all__ = [
    "AdapterError",
    "BadRequest",
    "ClientError",
    "ConfigurationError",
    "Conflict",
    "DomainError",
    "ExportJobGone",
    "ItemUpdateIncomplete",
    "LegacyApiNotConfigured",
    "MappingError",
    "MappingTableError",
    "NotFound",
    "PayloadTooLarge",
    "StatusChangeRefused",
    "TableProblem",
    "Unauthorized",
    "Unprocessable",
    "UnsupportedMediaType",
    "UpstreamAuthError",
    "UpstreamCircuitOpen",
    "UpstreamError",
    "UpstreamForbidden",
    "UpstreamProtocolError",
    "UpstreamRejected",
    "UpstreamTimeout",
    "UpstreamUnavailable",
]


class AdapterError(Exception):
    """Base of the tree: a message safe to show and a bounded ``error_type`` code."""

    status_code: int = 500
    error_type: str = "INTERNAL_ERROR"
    default_message: str | None = None

    def __init__(
        self,
        message: str | None = None,
        *,
        error_type: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.message = message or self.default_message or HTTPStatus(self.status_code).phrase
        if error_type is not None:
            self.error_type = error_type
        self.headers: dict[str, str] = dict(headers or {})
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(error_type={self.error_type!r}, message={self.message!r})"


class ClientError(AdapterError):
    status_code = 400
    error_type = "BAD_REQUEST"


class BadRequest(ClientError):
    status_code = 400
    error_type = "BAD_REQUEST"


class Unauthorized(ClientError):
    status_code = 401
    error_type = "UNAUTHORIZED"
    default_message = "Missing or invalid credentials."


class NotFound(ClientError):
    status_code = 404
    error_type = "NOT_FOUND"


class Conflict(ClientError):
    status_code = 409
    error_type = "CONFLICT"


class PayloadTooLarge(ClientError):
    status_code = 413
    error_type = "PAYLOAD_TOO_LARGE"


class UnsupportedMediaType(ClientError):
    status_code = 415
    error_type = "UNSUPPORTED_MEDIA_TYPE"


class Unprocessable(ClientError):
    status_code = 422
    error_type = "UNPROCESSABLE_ENTITY"


class DomainError(AdapterError):
    """The translation refuses something; what that means over HTTP is the web layer's call."""

    error_type = "DOMAIN_ERROR"

    def __init__(self, message: str, *, error_type: str | None = None) -> None:
        super().__init__(message, error_type=error_type)


class StatusChangeRefused(DomainError):
    """A legacy status change the item's current state forbids (pleo-api.md A.3)."""

    error_type = "STATUS_CHANGE_REFUSED"

    def __init__(self, message: str, *, accounting_entry_id: str) -> None:
        super().__init__(message)
        self.accounting_entry_id = accounting_entry_id


class ExportJobGone(DomainError):
    """The export job the requested expenses belong to has ended without them (it expired or
    was failed in Pleo); nothing was written. Pleo has put them back in its export queue."""

    error_type = "EXPORT_JOB_GONE"

    def __init__(self, message: str, *, job_id: str, job_status: str) -> None:
        super().__init__(message)
        self.job_id = job_id
        self.job_status = job_status


class MappingError(DomainError):
    """An Export Item (or item status) the table cannot translate: the one error an item raises."""

    error_type = "MAPPING_ERROR"

    def __init__(
        self, message: str, *, accounting_entry_id: str | None = None, field: str | None = None
    ) -> None:
        super().__init__(message)
        self.accounting_entry_id = accounting_entry_id
        self.field = field


class UpstreamError(AdapterError):
    """Pleo failed or refused. ``upstream_status`` is Pleo's code (None: no answer)."""

    status_code = 502
    error_type = "UPSTREAM_ERROR"

    def __init__(
        self,
        message: str | None = None,
        *,
        upstream_status: int | None = None,
        upstream_type: str | None = None,
        error_type: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message, error_type=error_type, headers=headers)
        self.upstream_status = upstream_status
        self.upstream_type = upstream_type


class UpstreamAuthError(UpstreamError):
    """Pleo refused the tenant's credential; the client is told 401."""

    status_code = 401
    error_type = "UPSTREAM_UNAUTHORIZED"


class UpstreamForbidden(UpstreamAuthError):
    """Pleo said 403: the credential is valid but lacks the scope or the company."""

    status_code = 403
    error_type = "UPSTREAM_FORBIDDEN"


class UpstreamRejected(UpstreamError):
    status_code = 502
    error_type = "UPSTREAM_REJECTED"


class UpstreamUnavailable(UpstreamError):
    status_code = 503
    error_type = "UPSTREAM_UNAVAILABLE"


class UpstreamCircuitOpen(UpstreamUnavailable):
    """Not sent: the circuit breaker on Pleo is open; ``Retry-After`` says until when."""

    error_type = "UPSTREAM_CIRCUIT_OPEN"


class UpstreamTimeout(UpstreamError):
    status_code = 504
    error_type = "UPSTREAM_TIMEOUT"


class UpstreamProtocolError(UpstreamError):
    status_code = 502
    error_type = "BAD_GATEWAY"


class ItemUpdateIncomplete(UpstreamError):
    """A batch of item updates failed while other batches were applied.

    It mirrors the failed batch's error (``status_code``, ``error_type``, ``upstream_status``,
    ``upstream_type``, ``headers``; the error itself is ``cause``) and adds what happened so far:

    * ``applied``: ids sent in batches Pleo accepted, minus those it listed in ``errors[]``;
    * ``not_applied``: ids of every batch that failed or was never sent (the client starts no
      batch after a failure), in request order. After an ambiguous failure (a timeout) a failed
      batch may in fact have landed; re-sending it is safe because an item-status PUT sets state;
    * ``outcome``: the export client's result for the accepted batches (its
      ``ItemUpdateOutcome``; typed loosely here so this module imports nothing of the client).
    """

    def __init__(
        self,
        cause: UpstreamError,
        *,
        applied: Sequence[str],
        not_applied: Sequence[str],
        refused: int,
        outcome: Any,
    ) -> None:
        total = len(applied) + len(not_applied) + refused
        super().__init__(
            f"Pleo applied {len(applied)} of {total} item updates before a batch failed.",
            upstream_status=cause.upstream_status,
            upstream_type=cause.upstream_type,
            error_type=cause.error_type,
            headers=cause.headers,
        )
        self.status_code = cause.status_code
        self.cause = cause
        self.applied = list(applied)
        self.not_applied = list(not_applied)
        self.outcome = outcome


class LegacyApiNotConfigured(AdapterError):
    """A legacy route the proxy passes through to Pleo's legacy API, which is not configured
    (``ADAPTER_LEGACY_API_URL`` unset: the day Pleo turns it off). Neither the client's
    mistake nor Pleo's failure: the proxy does not serve this route itself."""

    status_code = 501
    error_type = "LEGACY_API_NOT_CONFIGURED"


class ConfigurationError(AdapterError):
    """Settings or tables that cannot work; stops start-up. (A cutover file edited into one
    that raises it is refused at reload and the last good version kept.)"""

    error_type = "CONFIGURATION_ERROR"


@dataclass(frozen=True, slots=True)
class TableProblem:
    """One thing wrong with the tables: which file, which row (None: the file itself), why."""

    file: str
    row: str | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.row is None else f"{self.file} row {self.row!r}"
        return f"{where}: {self.message}"


class MappingTableError(ConfigurationError):
    """The mapping tables failed validation; start-up stops and every problem is listed."""

    error_type = "MAPPING_TABLE_ERROR"

    def __init__(self, problems: Sequence[TableProblem]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"the mapping tables have {len(self.problems)} problem(s):\n{lines}")
