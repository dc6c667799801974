"""Validate legacy answers against Pleo's own legacy document, ``legacy-expenses-v1.yaml``.

The document is read from ``../shared/pleo-openapi`` (``PLEO_OPENAPI_DIR``), never copied, and
loaded once with two repairs of its own defects, so it can be used as a contract at all: every
``example`` is dropped (several do not match their schemas) and a ``default`` outside its
``enum`` is dropped (``TaxCode.type``: default ``normal``, enum ``NORMAL``/``REVERSE``). A
relative server ``/v1`` is added beside Pleo's, so ``/v1/...`` on any origin (loopback, an
ASGI transport) resolves.

Use it on an httpx exchange::

    validate_legacy_answer(response)       # the request, then the answer

An answer the document declares for the operation is validated by openapi-core (status, media
type, body). Pleo's document declares few error statuses and often no body for them (``404:
route not found``); every error answer (4xx/5xx) is checked for the legacy error body
``{"statusCode", "error", "message"}`` of ``ErrorResponse`` whatever the document declares. The
proxy's one undocumented operation, ``PUT /v1/expenses/{id}``, is checked like ``PUT
/v1/expenses``. :func:`schema_validator` validates a single instance against a component schema
(e.g. ``ExpenseResponse``) for property tests.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
import pytest
import yaml  # type: ignore[import-untyped]  # PyYAML has no inline types; types-PyYAML is not a dev dependency
from openapi_core import OpenAPI
from openapi_core.exceptions import OpenAPIError
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource

from tests.support.openapi import (
    MISSING_DOCUMENTS,
    SPEC_DIR,
    ContractViolation,
    _explain,
    _Request,
    _Response,
)

__all__ = [
    "LEGACY_DOCUMENT",
    "legacy_document",
    "legacy_operations",
    "schema_validator",
    "validate_legacy_answer",
    "validate_legacy_error",
]

LEGACY_DOCUMENT = "legacy-expenses-v1.yaml"
_ERROR_KEYS = ["statusCode", "error", "message"]


def _repair(node: Any) -> Any:
    if isinstance(node, dict):
        enum = node.get("enum")
        return {
            key: _repair(value)
            for key, value in node.items()
            if key != "example"
            and not (key == "default" and isinstance(enum, list) and value not in enum)
        }
    if isinstance(node, list):
        return [_repair(value) for value in node]
    return node


@cache
def legacy_document() -> dict[str, Any]:
    """Pleo's legacy document, repaired (see the module docstring); skips without it."""
    path = SPEC_DIR / LEGACY_DOCUMENT
    if not path.is_file():
        pytest.skip(MISSING_DOCUMENTS)
    with path.open(encoding="utf-8") as handle:
        document: dict[str, Any] = _repair(yaml.safe_load(handle))
    document["servers"] = [*document.get("servers", []), {"url": "/v1"}]
    return document


@cache
def _openapi() -> OpenAPI:
    return OpenAPI.from_dict(legacy_document())


def legacy_operations() -> list[tuple[str, str]]:
    """Every (method, /v1 path template) the document describes."""
    return [
        (method.upper(), f"/v1{path}")
        for path, item in legacy_document()["paths"].items()
        for method in item
        if method in {"get", "put", "post", "patch", "delete"}
    ]


def schema_validator(name: str) -> OAS30Validator:
    """A validator of one component schema (OpenAPI 3.0 semantics: ``nullable``)."""
    document = legacy_document()
    resource: Resource[Any] = Resource.opaque(document)
    registry: Registry[Any] = Registry().with_resource("urn:legacy", resource)
    schema = {"$ref": f"urn:legacy#/components/schemas/{name}"}
    return OAS30Validator(schema, registry=registry)


def validate_legacy_error(status: int, headers: httpx.Headers, body: bytes) -> None:
    """An error answer has the legacy error body (``ErrorResponse``, keys in order) as JSON."""
    if "json" not in headers.get("content-type", ""):
        msg = f"{status}: error answer is not JSON: {headers.get('content-type')}"
        raise ContractViolation(msg)
    document = orjson.loads(body)
    if not isinstance(document, dict) or list(document)[:3] != _ERROR_KEYS:
        msg = f"{status}: not the legacy error body: {body[:300]!r}"
        raise ContractViolation(msg)
    errors = list(schema_validator("ErrorResponse").iter_errors(document))
    if errors or document["statusCode"] != status:
        msg = f"{status}: legacy error body breaks ErrorResponse: {errors} {body[:300]!r}"
        raise ContractViolation(msg)


def _normal(path: str) -> str:
    # The spellings the proxy accepts (/v1//x, /v1/x/) are the documented path.
    return re.sub("/{2,}", "/", path).rstrip("/") or "/"


def _as_documented(method: str, path: str) -> tuple[str, str]:
    path = _normal(path)
    # PUT /v1/expenses/{id} is the proxy's addition; its answer has PUT /v1/expenses' shape.
    parts = path.split("/")
    if method == "PUT" and len(parts) == 4 and parts[1:3] == ["v1", "expenses"]:
        return method, "/v1/expenses"
    return method, path


def validate_legacy_answer(response: httpx.Response, *, check_request: bool = True) -> None:
    """Check a legacy exchange against Pleo's legacy document (see the module docstring)."""
    request = response.request
    method, path = _as_documented(request.method, request.url.path)
    query = request.url.query.decode("ascii")
    target = f"{path}?{query}" if query else path
    if check_request and path == _normal(request.url.path):
        headers = dict(request.headers)
        try:
            _openapi().validate_request(_Request(method, target, headers, request.content))
        except OpenAPIError as exc:
            msg = f"{method} {target} breaks the legacy request contract:\n{_explain(exc)}"
            raise ContractViolation(msg) from exc
    status = response.status_code
    if status >= 400:
        validate_legacy_error(status, response.headers, response.content)
        if not _documented_with_body(method, path, status):
            return
    try:
        _openapi().validate_response(
            _Request(method, target, {}, None),
            _Response(status, dict(response.headers), response.content),
        )
    except OpenAPIError as exc:
        msg = f"{method} {target} -> {status} breaks the legacy contract:\n{_explain(exc)}"
        raise ContractViolation(msg) from exc


def _documented_with_body(method: str, path: str, status: int) -> bool:
    for template, item in legacy_document()["paths"].items():
        if _matches(template, path.removeprefix("/v1")):
            answer = item.get(method.lower(), {}).get("responses", {}).get(str(status))
            return bool(answer and answer.get("content"))
    return False


def _matches(template: str, path: str) -> bool:
    want = template.strip("/").split("/")
    have = urlsplit(path).path.strip("/").split("/")
    return len(want) == len(have) and all(
        w.startswith("{") or w == h for w, h in zip(want, have, strict=True)
    )
