"""Just enough HTTP/1.1 framing for the TCP relay (:mod:`tests.support.relay`) to find message
boundaries on a keep-alive connection: the head, then a body by ``Content-Length``, by chunked
``Transfer-Encoding``, or (a response only) up to the end of the connection. Bytes are passed on
exactly as read; nothing is re-encoded.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

__all__ = ["Incoming", "Message", "MessageError", "read_request", "read_response"]

MAX_HEAD_BYTES = 64 * 1024
_READ_SIZE = 64 * 1024


class MessageError(Exception):
    """The peer sent something that is not an HTTP/1.1 message, or stopped in the middle."""


class Incoming:
    """One side of a connection, buffered so a watcher can read ahead without losing bytes."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self._reader = reader
        self._buffer = bytearray()
        self.closed = False

    async def fill(self) -> bool:
        """Read what the peer sends next into the buffer; False once it has closed."""
        data = await self._reader.read(_READ_SIZE)
        if not data:
            self.closed = True
            return False
        self._buffer += data
        return True

    @property
    def pending(self) -> bool:
        return bool(self._buffer)

    async def read_until(self, separator: bytes, limit: int) -> bytes:
        while (end := self._buffer.find(separator)) < 0:
            if len(self._buffer) > limit:
                msg = f"no {separator!r} within {limit} bytes"
                raise MessageError(msg)
            if not await self.fill():
                msg = "the connection closed in the middle of a message"
                raise MessageError(msg)
        return self._take(end + len(separator))

    async def read_exactly(self, size: int) -> bytes:
        while len(self._buffer) < size:
            if not await self.fill():
                msg = "the connection closed in the middle of a body"
                raise MessageError(msg)
        return self._take(size)

    async def read_to_end(self) -> bytes:
        while await self.fill():
            pass
        return self._take(len(self._buffer))

    def _take(self, size: int) -> bytes:
        taken = bytes(self._buffer[:size])
        del self._buffer[:size]
        return taken


@dataclass(frozen=True)
class Message:
    """One request or response: its first line, headers (names lower-cased) and raw bytes."""

    start_line: str
    headers: list[tuple[str, str]]
    head: bytes
    body: bytes
    """The body as framed on the wire (chunk sizes included when chunked)."""
    closes: bool = False
    """The connection ends after this message (``Connection: close`` or a body up to EOF)."""

    @property
    def raw(self) -> bytes:
        return self.head + self.body

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value
        return None

    @property
    def method(self) -> str:
        return self.start_line.split(" ", 1)[0]

    @property
    def target(self) -> str:
        parts = self.start_line.split(" ")
        return parts[1] if len(parts) > 1 else ""

    @property
    def status(self) -> int:
        parts = self.start_line.split(" ")
        return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


async def _head(incoming: Incoming) -> tuple[str, list[tuple[str, str]], bytes] | None:
    if not incoming.pending and not await incoming.fill():
        return None  # closed between messages: the normal end of a keep-alive connection
    head = await incoming.read_until(b"\r\n\r\n", MAX_HEAD_BYTES)
    lines = head[:-4].decode("latin-1").split("\r\n")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon:
            msg = f"not a header line: {line[:80]!r}"
            raise MessageError(msg)
        headers.append((name.strip().lower(), value.strip()))
    return lines[0], headers, head


async def _chunked(incoming: Incoming) -> bytes:
    parts: list[bytes] = []
    while True:
        line = await incoming.read_until(b"\r\n", MAX_HEAD_BYTES)
        parts.append(line)
        size = int(line.split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            while (trailer := await incoming.read_until(b"\r\n", MAX_HEAD_BYTES)) != b"\r\n":
                parts.append(trailer)
            parts.append(trailer)
            return b"".join(parts)
        parts.append(await incoming.read_exactly(size + 2))


def _chunked_encoding(headers: list[tuple[str, str]]) -> bool:
    return any(k == "transfer-encoding" and "chunked" in v.lower() for k, v in headers)


def _length(headers: list[tuple[str, str]]) -> int | None:
    for key, value in headers:
        if key == "content-length":
            return int(value)
    return None


def _wants_close(headers: list[tuple[str, str]]) -> bool:
    return any(k == "connection" and "close" in v.lower() for k, v in headers)


async def read_request(incoming: Incoming) -> Message | None:
    """The next request, or None if the client closed between requests."""
    found = await _head(incoming)
    if found is None:
        return None
    start, headers, head = found
    if _chunked_encoding(headers):
        body = await _chunked(incoming)
    else:
        body = await incoming.read_exactly(_length(headers) or 0)
    return Message(start, headers, head, body, closes=_wants_close(headers))


async def read_response(incoming: Incoming, request_method: str) -> Message:
    """The answer to a request sent with ``request_method``."""
    found = await _head(incoming)
    if found is None:
        msg = "the server closed the connection without answering"
        raise MessageError(msg)
    start, headers, head = found
    status = Message(start, headers, head, b"").status
    closes = _wants_close(headers)
    if request_method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        body = b""
    elif _chunked_encoding(headers):
        body = await _chunked(incoming)
    elif (length := _length(headers)) is not None:
        body = await incoming.read_exactly(length)
    else:
        body, closes = await incoming.read_to_end(), True
    return Message(start, headers, head, body, closes=closes)
