"""Validate HTTP exchanges against Pleo's published OpenAPI documents: the Export API v3 and the
legacy API.

The documents (``export-api-v3.yml`` and ``export-items-v3.yml``, OpenAPI 3.2;
``legacy-expenses-v1.yaml``, OpenAPI 3.0) are loaded once, with the date "pattern" hints removed
(``YYYY-MM-DDTHH:mi:ssZ``, ``YYYY-MM-DD`` and ``yyyy-MM-dd'T'HH:mm:ss'Z'`` are format hints, not
regular expressions; ``format`` stays), the ``example`` values dropped (the legacy document's
break their own schemas, and no check reads them) and a ``default`` that is not in its own
``enum`` dropped (the legacy ``TaxCode.type``: default ``normal``, enum ``NORMAL``/``REVERSE``).
A relative server is added beside Pleo's (``/`` for v3, ``/v1`` for the legacy document, whose
servers are ``https://openapi.pleo.io/v1/``) so requests to any origin (the sandbox on loopback,
an ASGI transport's ``http://testserver``) resolve. Real regular-expression patterns (the
cursor's ``^[A-Z2-7=~]+$``) are kept. ``/v3/export-items`` is checked against
``export-items-v3.yml``, every other v3 path against ``export-api-v3.yml``.

Use it with an httpx exchange::

    response = await client.get("/v3/export-jobs", params={"limit": 5})
    validate_exchange(response)            # request side and response side
    validate_request_of(response.request)  # request side only (e.g. an export client's call)

or with raw parts::

    validate_request("PUT", "/v3/export-jobs/<id>/items", headers, body_bytes)
    validate_response("GET", "/v3/export-jobs?limit=5", 200, headers, body_bytes)

The legacy API has the same three entry points, with paths under ``/v1``::

    validate_legacy_exchange(response)
    validate_legacy_request("PUT", "/v1/expenses", headers, body_bytes)
    validate_legacy_response("GET", "/v1/expenses?pageSize=5", 200, headers, body_bytes)

Each raises :class:`ContractViolation` (an ``AssertionError``) naming what failed. The request
side includes Pleo's security requirement (Bearer or Basic for v3, Bearer for legacy) and, for
v3, the exact request media type ``application/json;charset=UTF-8``. Statuses Pleo does not
declare for an operation (401, 403, … on v3; 400, 405, 409, 413, … on most legacy operations)
fail ``validate_response``; check those with :func:`assert_exception_info` (v3) or
:func:`assert_legacy_error` (legacy) instead. A legacy error answer that the document declares
without a body ("404: route not found") is still checked for the legacy error body.
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
    "LEGACY_MEDIA_TYPE",
    "LEGACY_SPEC",
    "MISSING_DOCUMENTS",
    "SPEC_DIR",
    "ContractViolation",
    "assert_exception_info",
    "assert_legacy_error",
    "declared_statuses",
    "documents_available",
    "legacy_declared_statuses",
    "spec_document",
    "validate_exchange",
    "validate_legacy_exchange",
    "validate_legacy_request",
    "validate_legacy_response",
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
LEGACY_SPEC = "legacy-expenses-v1.yaml"
LEGACY_MEDIA_TYPE = "application/json; charset=utf-8"
_RELATIVE_SERVER = {API_SPEC: "/", ITEMS_SPEC: "/", LEGACY_SPEC: "/v1"}
_FORMAT_HINTS = frozenset({"YYYY-MM-DDTHH:mi:ssZ", "YYYY-MM-DD", "yyyy-MM-dd'T'HH:mm:ss'Z'"})
_ORIGIN = "http://sandbox.invalid"


class ContractViolation(AssertionError):
    """An exchange that does not match Pleo's published contract."""


def _keep(node: dict[str, Any], key: str, value: Any) -> bool:
    if key == "pattern" and value in _FORMAT_HINTS:
        return False
    if key in ("example", "examples"):
        return False
    enum = node.get("enum")
    return not (key == "default" and isinstance(enum, list) and value not in enum)


def _prepare(node: Any, *, names: bool = False) -> Any:
    """The document without format hints, examples and off-enum defaults (module docstring).

    ``names`` marks a ``properties`` map, whose keys are field names, not keywords.
    """
    if isinstance(node, dict):
        return {
            key: _prepare(value, names=key == "properties" and not names)
            for key, value in node.items()
            if names or _keep(node, key, value)
        }
    if isinstance(node, list):
        return [_prepare(value) for value in node]
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
    if not documents_available() or not (SPEC_DIR / name).is_file():
        pytest.skip(MISSING_DOCUMENTS)
    with (SPEC_DIR / name).open(encoding="utf-8") as handle:
        document: dict[str, Any] = _prepare(yaml.safe_load(handle))
    document["servers"] = [*document.get("servers", []), {"url": _RELATIVE_SERVER[name]}]
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


def _check_request(api: OpenAPI, request: _Request, what: str) -> None:
    try:
        api.validate_request(request)
    except OpenAPIError as exc:
        msg = f"{what} breaks the request contract:\n{_explain(exc)}"
        raise ContractViolation(msg) from exc


def _check_response(api: OpenAPI, request: _Request, response: _Response, what: str) -> None:
    try:
        api.validate_response(request, response)
    except OpenAPIError as exc:
        msg = f"{what} -> {response.status_code} breaks the response contract:\n{_explain(exc)}"
        raise ContractViolation(msg) from exc


def validate_request(
    method: str,
    path_with_query: str,
    headers: Mapping[str, str],
    body: bytes | None = None,
) -> None:
    """Check a request (parameters, security, media type, body) against the contract."""
    request = _Request(method, path_with_query, headers, body)
    _check_request(_spec_for(request.path), request, f"{method} {path_with_query}")


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
    _check_response(_spec_for(request.path), request, response, f"{method} {path_with_query}")


def validate_legacy_request(
    method: str,
    path_with_query: str,
    headers: Mapping[str, str],
    body: bytes | None = None,
) -> None:
    """Check a legacy request (``/v1/...``) against ``legacy-expenses-v1.yaml``."""
    request = _Request(method, path_with_query, headers, body)
    _check_request(_openapi(LEGACY_SPEC), request, f"{method} {path_with_query}")


def validate_legacy_response(
    method: str,
    path_with_query: str,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
) -> None:
    """Check a legacy response against ``legacy-expenses-v1.yaml``; an error (4xx/5xx) must
    also have the legacy error body, even where the document declares none."""
    request = _Request(method, path_with_query, {}, None)
    response = _Response(status, headers, body)
    _check_response(_openapi(LEGACY_SPEC), request, response, f"{method} {path_with_query}")
    if status >= 400:
        _check_legacy_error_body(status, response.content_type, body)


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


def validate_legacy_exchange(response: httpx.Response, *, check_request: bool = True) -> None:
    """:func:`validate_exchange` for the legacy API."""
    request = response.request
    if check_request:
        validate_legacy_request(
            request.method, _target(request.url), dict(request.headers), request.content
        )
    validate_legacy_response(
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


def legacy_declared_statuses(method: str, path_template: str) -> set[str]:
    """The response codes the legacy document declares, e.g. ``{"200"}`` for ``PUT /expenses``
    (``path_template`` without ``/v1``)."""
    document = spec_document(LEGACY_SPEC)
    return set(document["paths"][path_template][method.lower()]["responses"])


def _check_legacy_error_body(status: int, content_type: str, body: bytes) -> None:
    if content_type != LEGACY_MEDIA_TYPE:
        msg = f"legacy error {status} has content type {content_type!r}, not {LEGACY_MEDIA_TYPE!r}"
        raise ContractViolation(msg)
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        msg = f"legacy error {status} is not JSON: {body[:200]!r}"
        raise ContractViolation(msg) from exc
    if (
        not isinstance(parsed, dict)
        or list(parsed)[:3] != ["statusCode", "error", "message"]
        or parsed["statusCode"] != status
        or not isinstance(parsed["error"], str)
        or not isinstance(parsed["message"], str)
    ):
        msg = f"not a legacy error body {{statusCode: {status}, error, message}}: {body[:300]!r}"
        raise ContractViolation(msg)


def assert_legacy_error(response: httpx.Response, status: int) -> None:
    """Assert an answer is ``status`` with the legacy error body ``{statusCode, error, message}``
    (those keys first) in ``application/json; charset=utf-8``, for statuses the legacy document
    does not declare (and any other)."""
    if response.status_code != status:
        msg = f"expected {status}, got {response.status_code}: {response.text}"
        raise ContractViolation(msg)
    _check_legacy_error_body(status, response.headers.get("content-type", ""), response.content)
