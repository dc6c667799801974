"""``LegacyApiClient``: forward one legacy request to Pleo's legacy API and bring its answer back.

The forwarding is generic (method, path, query, headers, body -> status, body, content type),
so any legacy route can be passed through, ``/v1/expenses`` included (the cutover's "legacy"
mode). What goes out and what comes back is narrow on purpose:

* out: the method, the path and raw query, the body, and only ``Authorization`` (the client's
  own legacy token), ``Content-Type`` and ``Accept``. Hop-by-hop headers (``Connection``,
  ``Keep-Alive``, ``Proxy-*``, ``TE``, ``Trailer``, ``Transfer-Encoding``, ``Upgrade``,
  ``Host``) and whatever ``Connection`` names are never forwarded.
* to: only the configured legacy origin; the path is joined to it, never parsed as a URL.
* back: status, body bytes, ``Content-Type`` and ``Retry-After`` unchanged. An answer the legacy
  API gives is already in the legacy shape, whatever its status. Two exceptions keep the
  legacy-body promise: a redirect (never followed) is a 502, and an error status whose body is
  not JSON (a load balancer's HTML page) is reported with the same status in the legacy body.

Transport failures map onto the error tree: connection refused -> :class:`UpstreamUnavailable`
(503), no answer in time -> :class:`UpstreamTimeout` (504), anything else (a broken answer, a
body over the cap) -> :class:`UpstreamProtocolError` (502). Nothing here logs a header or a body.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from adapter.errors import UpstreamProtocolError, UpstreamTimeout, UpstreamUnavailable
from adapter.observability.metrics import Metrics

__all__ = [
    "FORWARDED_REQUEST_HEADERS",
    "HOP_BY_HOP_HEADERS",
    "LegacyAnswer",
    "LegacyApiClient",
    "build_legacy_http_client",
]

FORWARDED_REQUEST_HEADERS = ("authorization", "content-type", "accept")
HOP_BY_HOP_HEADERS = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
    }
)
_OPERATION = "legacy_api"


@dataclass(frozen=True, slots=True)
class LegacyAnswer:
    """What the legacy API said: returned to the client as it is."""

    status: int
    body: bytes
    content_type: str | None
    retry_after: str | None

    @property
    def is_json(self) -> bool:
        return self.content_type is not None and "json" in self.content_type.lower()


def build_legacy_http_client(
    *,
    timeout_seconds: float,
    max_connections: int,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """The legacy API's own connection pool (owned by the app lifespan, closed with it)."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout_seconds),
        limits=httpx.Limits(max_connections=max_connections),
        follow_redirects=False,
        transport=transport,
        # No cookies, no environment proxies or .netrc credentials: only what the client sent.
        trust_env=False,
    )


def forwarded_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The request headers that go to the legacy API: the allow-list, minus hop-by-hop ones."""
    lowered = {name.lower(): value for name, value in headers.items()}
    named_by_connection = {
        token.strip().lower() for token in lowered.get("connection", "").split(",") if token
    }
    return {
        name: lowered[name]
        for name in FORWARDED_REQUEST_HEADERS
        if name in lowered and name not in HOP_BY_HOP_HEADERS | named_by_connection
    }


class LegacyApiClient:
    """Forwards requests to one legacy API origin; see the module docstring for the rules."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        origin: str,
        max_response_bytes: int,
        metrics: Metrics | None = None,
    ) -> None:
        self._http = http
        self._origin = httpx.URL(origin)
        self._max_response_bytes = max_response_bytes
        # A client built without the app's Metrics reports to a private registry of its own.
        self._metrics = metrics if metrics is not None else Metrics()

    @property
    def origin(self) -> str:
        return str(self._origin).rstrip("/")

    def url_for(self, path: str, query: bytes = b"") -> httpx.URL:
        """The legacy origin with ``path`` and ``query``; a path that is not absolute is refused."""
        if not path.startswith("/") or path.startswith("//"):
            msg = "a legacy path must start with exactly one '/'"
            raise ValueError(msg)
        raw = path.encode("ascii", errors="strict") + (b"?" + query if query else b"")
        url = self._origin.copy_with(raw_path=raw)
        # Belt and braces: whatever the path held, the request stays on the configured origin.
        if (url.scheme, url.host, url.port) != (
            self._origin.scheme,
            self._origin.host,
            self._origin.port,
        ):
            msg = "a legacy path must not change the origin"
            raise ValueError(msg)
        return url

    async def forward(
        self,
        method: str,
        path: str,
        *,
        query: bytes = b"",
        headers: Mapping[str, str],
        body: bytes = b"",
    ) -> LegacyAnswer:
        """Send one request to the legacy API; its answer, or raise an ``UpstreamError``."""
        request = self._http.build_request(
            method,
            self.url_for(path, query),
            headers=forwarded_headers(headers),
            content=body or None,
        )
        started = time.monotonic()
        status: int | None = None
        try:
            response = await self._http.send(request, stream=True)
            try:
                status = response.status_code
                content = await self._read_capped(response)
            finally:
                await response.aclose()
        except httpx.TimeoutException:
            msg = "Pleo's legacy API did not answer in time."
            raise UpstreamTimeout(msg, error_type="LEGACY_API_TIMEOUT") from None
        except httpx.ConnectError:
            msg = "Pleo's legacy API cannot be reached."
            raise UpstreamUnavailable(msg, error_type="LEGACY_API_UNAVAILABLE") from None
        except httpx.HTTPError as exc:
            msg = f"Pleo's legacy API broke the connection ({type(exc).__name__})."
            raise UpstreamProtocolError(msg, error_type="LEGACY_API_PROTOCOL") from None
        finally:
            self._metrics.observe_upstream(_OPERATION, status, time.monotonic() - started)
        if response.is_redirect:
            msg = f"Pleo's legacy API redirected (status {status}); the proxy does not follow."
            raise UpstreamProtocolError(
                msg,
                upstream_status=status,
                error_type="LEGACY_API_REDIRECT",
            )
        return LegacyAnswer(
            status=response.status_code,
            body=content,
            content_type=response.headers.get("content-type"),
            retry_after=response.headers.get("retry-after"),
        )

    async def _read_capped(self, response: httpx.Response) -> bytes:
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self._max_response_bytes:
                msg = f"Pleo's legacy API answered more than {self._max_response_bytes} bytes."
                raise UpstreamProtocolError(
                    msg, upstream_status=response.status_code, error_type="LEGACY_API_TOO_LARGE"
                )
            chunks.append(chunk)
        return b"".join(chunks)
