"""Reading a client's request body within a size limit (``ADAPTER_MAX_BODY_BYTES``).

Shared by the translated routes and the passed-through ones: a declared ``Content-Length``
over the limit is refused before anything is read, and a body sent without one (chunked) is
refused as soon as it grows past the limit, so a client can never make the proxy hold more.
"""

from __future__ import annotations

from starlette.requests import Request

from adapter.errors import PayloadTooLarge

__all__ = ["read_body"]


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The whole body; raises :class:`~adapter.errors.PayloadTooLarge` past ``max_bytes``."""
    too_large = f"The body is larger than {max_bytes} bytes."
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise PayloadTooLarge(too_large)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise PayloadTooLarge(too_large)
        chunks.append(chunk)
    return b"".join(chunks)
