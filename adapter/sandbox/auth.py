"""Who is calling: Export API v3 credentials (Basic API key or Bearer token) and legacy tokens.

v3 (Pleo's ``securitySchemes``): HTTP Basic with the company's API key as the username and an
*empty* password, or ``Bearer <token>``. The sandbox is strict: a non-empty password, a legacy
token on v3, a v3 credential on the legacy API, or any other scheme is a 401.
"""

from __future__ import annotations

import base64
import binascii
import hmac

from starlette.requests import Request

from adapter.sandbox.errors import ApiError
from adapter.sandbox.models import Company

__all__ = ["CredentialIndex", "authenticate_legacy", "authenticate_v3"]

_CHALLENGE = {"WWW-Authenticate": 'Bearer, Basic realm="Pleo sandbox"'}


class CredentialIndex:
    """Lookups from each kind of credential to its company."""

    def __init__(self, companies: list[Company]) -> None:
        self.api_keys = {company.api_key: company for company in companies}
        self.bearer_tokens = {company.bearer_token: company for company in companies}
        self.legacy_tokens = {company.legacy_token: company for company in companies}


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, "UNAUTHORIZED", message, headers=dict(_CHALLENGE))


def _lookup(table: dict[str, Company], presented: str) -> Company | None:
    # compare every candidate in constant time so timing does not reveal a prefix
    found = None
    for secret, company in table.items():
        if hmac.compare_digest(secret.encode(), presented.encode()):
            found = company
    return found


def _split_header(request: Request) -> tuple[str, str]:
    header = request.headers.get("authorization")
    if not header:
        msg = "Missing Authorization header."
        raise _unauthorized(msg)
    scheme, _, credentials = header.strip().partition(" ")
    return scheme.lower(), credentials.strip()


def authenticate_v3(request: Request, index: CredentialIndex) -> Company:
    """The company of a v3 request's credential, or ``ApiError`` 401."""
    scheme, credentials = _split_header(request)
    if scheme == "bearer" and credentials:
        company = _lookup(index.bearer_tokens, credentials)
    elif scheme == "basic" and credentials:
        try:
            decoded = base64.b64decode(credentials.encode(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError) as exc:
            msg = "Malformed Basic credentials."
            raise _unauthorized(msg) from exc
        username, colon, password = decoded.partition(":")
        if not colon or password:
            msg = "Use the API key as the username and an empty password."
            raise _unauthorized(msg)
        company = _lookup(index.api_keys, username)
    else:
        msg = "Unsupported authorization scheme."
        raise _unauthorized(msg)
    if company is None:
        msg = "Invalid credentials."
        raise _unauthorized(msg)
    return company


def authenticate_legacy(request: Request, index: CredentialIndex) -> Company:
    """The company of a legacy request's ``Bearer <legacy token>``, or ``ApiError`` 401."""
    scheme, credentials = _split_header(request)
    if scheme != "bearer" or not credentials:
        msg = "Use 'Authorization: Bearer <API token>'."
        raise _unauthorized(msg)
    company = _lookup(index.legacy_tokens, credentials)
    if company is None:
        msg = "Invalid API token."
        raise _unauthorized(msg)
    return company
