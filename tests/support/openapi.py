"""Validate HTTP exchanges against Pleo's published Export API v3 OpenAPI documents.

The two documents (``export-api-v3.yml`` and ``export-items-v3.yml``, OpenAPI 3.2) are loaded
once, with the date "pattern" hints removed (``YYYY-MM-DDTHH:mi:ssZ``, ``YYYY-MM-DD`` and
``yyyy-MM-dd'T'HH:mm:ss'Z'`` are format hints, not regular expressions; ``format`` stays), and a
relative server ``/`` added beside Pleo's so requests to any origin (the sandbox on loopback, an
ASGI transport's ``http://testserver``) resolve. Real regular-expression patterns (the cursor's
``^[A-Z2-7=~]+$``) are kept. ``/v3/export-items`` is checked against ``export-items-v3.yml``,
every other path against ``export-api-v3.yml``.

Use it with an httpx exchange::

    response = await client.get("/v3/export-jobs", params={"limit": 5})
    validate_exchange(response)            # request side and response side
    validate_request_of(response.request)  # request side only (e.g. an export client's call)

or with raw parts::

    validate_request("PUT", "/v3/export-jobs/<id>/items", headers, body_bytes)
    validate_response("GET", "/v3/export-jobs?limit=5", 200, headers, body_bytes)

Each raises :class:`ContractViolation` (an ``AssertionError``) naming what failed. The request
side includes Pleo's security requirement (Bearer or Basic) and the exact request media type
``application/json;charset=UTF-8``. Statuses Pleo does not declare for an operation (401, 403,
…) fail ``validate_response``; check those with :func:`assert_exception_info` instead.
Set ``PLEO_OPENAPI_DIR`` to read the documents from elsewhere.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import orjson
import pytest
import yaml  # type: ignore[import-untyped]  # PyYAML has no inline types; types-PyYAML is not a dev dependency
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.exceptions import OpenAPIError
from werkzeug.datastructures import Headers, ImmutableMultiDict

__all__ = [
    "API_SPEC",
    "ITEMS_SPEC",
    "MISSING_DOCUMENTS",
    "SPEC_DIR",
    "ContractViolation",
    "assert_exception_info",
    "declared_statuses",
    "documents_available",
    "validate_exchange",
    "validate_request",
    "validate_request_of",
    "validate_response",
]

# Pleo's documents are read where the team keeps them (``../shared/pleo-openapi`` beside the
# checkout), never copied into this repository.
SPEC_DIR = Path(
    os.environ.get(
        "PLEO_OPENAPI_DIR", str(Path(__file__).resolve().parents[3] / "shared" / "pleo-openapi")
    )
)
MISSING_DOCUMENTS = (
    f"Pleo's OpenAPI documents are not in {SPEC_DIR}; "
    "set PLEO_OPENAPI_DIR to the folder holding export-api-v3.yml"
)
API_SPEC = "export-api-v3.yml"
ITEMS_SPEC = "export-items-v3.yml"
_FORMAT_HINTS = frozenset({"YYYY-MM-DDTHH:mi:ssZ", "YYYY-MM-DD", "yyyy-MM-dd'T'HH:mm:ss'Z'"})
_ORIGIN = "http://sandbox.invalid"


class ContractViolation(AssertionError):
    """An exchange that does not match Pleo's published contract."""


def _strip_format_hints(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: _strip_format_hints(value)
            for key, value in node.items()
            if not (key == "pattern" and value in _FORMAT_HINTS)
        }
    if isinstance(node, list):
        return [_strip_format_hints(value) for value in node]
    return node


def documents_available() -> bool:
    """Whether Pleo's documents are where :data:`SPEC_DIR` says."""
    return (SPEC_DIR / API_SPEC).is_file()


@cache
def spec_document(name: str) -> dict[str, Any]:
    """One published document, ready for validation (see the module docstring).

    Skips the calling test, with one line saying where to point ``PLEO_OPENAPI_DIR``, when
    the documents are not there.
    """
    if not documents_available():
        pytest.skip(MISSING_DOCUMENTS)
    with (SPEC_DIR / name).open(encoding="utf-8") as handle:
        document: dict[str, Any] = _strip_format_hints(yaml.safe_load(handle))
    document["servers"] = [*document.get("servers", []), {"url": "/"}]
    return document


@cache
def _openapi(name: str) -> OpenAPI:
    return OpenAPI.from_dict(spec_document(name))


def _spec_for(path: str) -> OpenAPI:
    return _openapi(ITEMS_SPEC if path.rstrip("/") == "/v3/export-items" else API_SPEC)


class _Request:
    """openapi-core's request protocol over plain parts."""

    def __init__(
        self,
        method: str,
        path_with_query: str,
        headers: Mapping[str, str],
        body: bytes | None,
    ) -> None:
        parts = urlsplit(path_with_query)
        self.host_url = f"{parts.scheme}://{parts.netloc}" if parts.netloc else _ORIGIN
        self.path = parts.path
        self.method = method.lower()
        self.body = body or None
        header_map = Headers(list(headers.items()))
        self.content_type = header_map.get("content-type", "")
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(parse_qsl(parts.query, keep_blank_values=True)),
            header=header_map,
        )


class _Response:
    """openapi-core's response protocol over plain parts."""

    def __init__(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        self.status_code = status
        self.headers = Headers(list(headers.items()))
        self.content_type = self.headers.get("content-type", "")
        self.data = body


def _short(text: object, limit: int = 300) -> str:
    value = str(text)
    return value if len(value) <= limit else value[:limit] + "..."


def _explain(exc: BaseException) -> str:
    details = []
    current: BaseException | None = exc
    while current is not None:
        details.append(f"{type(current).__name__}: {_short(current)}")
        for error in getattr(current, "schema_errors", None) or []:
            path = "/".join(str(part) for part in getattr(error, "absolute_path", []))
            details.append(f"  - at /{path}: {_short(getattr(error, 'message', error), 200)}")
        current = current.__cause__
    return "\n".join(details)


def validate_request(
    method: str,
    path_with_query: str,
    headers: Mapping[str, str],
    body: bytes | None = None,
) -> None:
    """Check a request (parameters, security, media type, body) against the contract."""
    request = _Request(method, path_with_query, headers, body)
    try:
        _spec_for(request.path).validate_request(request)
    except OpenAPIError as exc:
        msg = f"{method} {path_with_query} breaks the request contract:\n{_explain(exc)}"
        raise ContractViolation(msg) from exc


def validate_response(
    method: str,
    path_with_query: str,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
) -> None:
    """Check a response (declared status, media type, body schema) against the contract."""
    request = _Request(method, path_with_query, {}, None)
    response = _Response(status, headers, body)
    try:
        _spec_for(request.path).validate_response(request, response)
    except OpenAPIError as exc:
        msg = (
            f"{method} {path_with_query} -> {status} breaks the response contract:\n{_explain(exc)}"
        )
        raise ContractViolation(msg) from exc


def _target(url: httpx.URL) -> str:
    query = url.query.decode("ascii")
    return f"{url.path}?{query}" if query else url.path


def validate_request_of(request: httpx.Request) -> None:
    """:func:`validate_request` for an ``httpx.Request`` (its body must have been read)."""
    validate_request(request.method, _target(request.url), dict(request.headers), request.content)


def validate_exchange(response: httpx.Response, *, check_request: bool = True) -> None:
    """Check an ``httpx.Response`` and (unless told not to) the request that produced it."""
    request = response.request
    if check_request:
        validate_request_of(request)
    validate_response(
        request.method,
        _target(request.url),
        response.status_code,
        dict(response.headers),
        response.content,
    )


def declared_statuses(method: str, path_template: str) -> set[str]:
    """The response codes Pleo declares for an operation, e.g. ``{"200", "404"}``."""
    document = spec_document(ITEMS_SPEC if path_template == "/v3/export-items" else API_SPEC)
    return set(document["paths"][path_template][method.lower()]["responses"])


def assert_exception_info(response: httpx.Response, status: int, error_type: str | None) -> None:
    """Assert an error answer has ``status`` and an ``ExceptionInfo`` body of ``error_type``."""
    if response.status_code != status:
        msg = f"expected {status}, got {response.status_code}: {response.text}"
        raise ContractViolation(msg)
    body = orjson.loads(response.content)
    if not isinstance(body, dict) or not isinstance(body.get("type"), str):
        msg = f"not an ExceptionInfo: {response.text}"
        raise ContractViolation(msg)
    if "message" in body and not isinstance(body["message"], str):
        msg = f"ExceptionInfo.message is not a string: {response.text}"
        raise ContractViolation(msg)
    if error_type is not None and body["type"] != error_type:
        msg = f"expected type {error_type}, got {body['type']}"
        raise ContractViolation(msg)
