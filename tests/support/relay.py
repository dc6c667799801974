"""A TCP relay on loopback that misbehaves on demand: Toxiproxy's toxics for end-to-end tests.

It sits between the proxy process and the sandbox process (the proxy's
``ADAPTER_EXPORT_API_URL`` is :attr:`Relay.url`) and relays HTTP/1.1, one request at a time per
keep-alive connection, finding message boundaries with :mod:`tests.support.http11`. Rules pick
requests by method, a regular expression searched in the request target (path and query) and
optionally in a header or the body, skip the first ``skip`` matches, then take the next
``count`` (None: all); the first rule added wins; an unmatched request passes. What a rule can
do to a request:

=================  ==============================================================================
``lose_answer``    forward it, read the whole answer, then close the client's connection without
                   passing the answer on: Pleo applied it, the caller never hears
``hold_answer``    forward it, hold the answer until :meth:`Rule.release` (dropped if the caller
                   has gone meanwhile)
``hold_request``   hold it before it reaches upstream until :meth:`Rule.release`; forwarded only
                   if the caller is still there
``delay``          hold it ``seconds`` before forwarding (Toxiproxy ``latency``)
``blackhole``      never forward or answer; the connection stays open until the caller gives up
``reset``          answer with a TCP RST, nothing forwarded (``reset_peer``)
``close``          close the connection without answering, nothing forwarded
``truncate``       forward it and pass on only the first ``nbytes`` of the answer (``limit_data``)
``respond``        answer ``response`` (raw bytes) instead of upstream, then close
=================  ==============================================================================

:meth:`Relay.down` stops listening (connections are refused, Toxiproxy ``down``) and
:meth:`Relay.up` listens again on the same port. Every request is recorded as an
:class:`Exchange` (when it was forwarded and answered, on the relay process's monotonic clock,
and the request body of anything but a GET), and tests wait on conditions over them with
:meth:`Relay.wait_for`, never on time. The relay runs its own event loop in a daemon thread,
so synchronous tests and processes alike can use it; every public method is thread-safe.
Loopback only.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import socket
import struct
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from tests.support.http11 import Incoming, Message, MessageError, read_request, read_response

__all__ = ["Exchange", "Relay", "Rule"]

HOST = "127.0.0.1"
WAIT_SECONDS = 20.0
_ACTIONS = frozenset(
    {
        "lose_answer",
        "hold_answer",
        "hold_request",
        "delay",
        "blackhole",
        "reset",
        "close",
        "truncate",
        "respond",
    }
)


@dataclass
class Exchange:
    """One request the relay saw, and what became of it."""

    seq: int
    connection: int
    method: str
    target: str
    body: bytes
    action: str
    outcome: str = "pending"
    status: int | None = None
    forwarded_at: float | None = None
    answered_at: float | None = None

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


@dataclass(eq=False)
class Rule:
    """What to do to the next ``count`` requests matching ``method``, ``path`` and ``header``."""

    action: str
    path: str = ".*"
    method: str | None = None
    count: int | None = 1
    header: tuple[str, str] | None = None
    body: str | None = None
    skip: int = 0
    seconds: float = 0.0
    nbytes: int = 0
    response: bytes = b""
    arrived: int = 0
    """Requests this rule has taken."""
    held: int = 0
    """Requests (or answers) this hold rule is holding now."""
    skipped: int = 0
    _pattern: re.Pattern[str] = field(init=False, repr=False)
    _header: re.Pattern[str] | None = field(init=False, repr=False, default=None)
    _body: re.Pattern[str] | None = field(init=False, repr=False, default=None)
    _gate: asyncio.Event = field(init=False, repr=False, default_factory=asyncio.Event)
    _relay: Relay | None = field(init=False, repr=False, default=None)

    def __post_init__(self) -> None:
        if self.action not in _ACTIONS:
            msg = f"unknown relay action {self.action!r}"
            raise ValueError(msg)
        self._pattern = re.compile(self.path)
        if self.header is not None:
            self._header = re.compile(self.header[1])
        if self.body is not None:
            self._body = re.compile(self.body)

    def matches(self, request: Message) -> bool:
        if self.count is not None and self.arrived >= self.count:
            return False
        if self.method is not None and request.method != self.method.upper():
            return False
        if self._header is not None and self.header is not None:
            value = request.header(self.header[0].lower())
            if value is None or not self._header.search(value):
                return False
        if self._body is not None and not self._body.search(request.body.decode("latin-1")):
            return False
        return self._pattern.search(request.target) is not None

    def release(self) -> None:
        """Let the requests this (hold) rule holds, and any it takes from now on, go on."""
        relay = self._relay
        if relay is None:
            msg = "the rule was never added to a relay"
            raise RuntimeError(msg)
        relay.call(self._gate.set)

    def wait_arrived(self, n: int = 1, timeout: float = WAIT_SECONDS) -> None:
        """Block until the rule has taken ``n`` requests (``TimeoutError`` past ``timeout``)."""
        relay = self._relay
        if relay is None:
            msg = "the rule was never added to a relay"
            raise RuntimeError(msg)
        relay.wait_for(lambda _: self.arrived >= n, timeout, f"{n} request(s) for {self}")

    def wait_held(self, n: int = 1, timeout: float = WAIT_SECONDS) -> None:
        """Block until this hold rule holds ``n`` requests (for ``hold_answer``: answers Pleo
        has sent, so the request was applied); ``TimeoutError`` past ``timeout``."""
        relay = self._relay
        if relay is None:
            msg = "the rule was never added to a relay"
            raise RuntimeError(msg)
        relay.wait_for(lambda _: self.held >= n, timeout, f"{n} held by {self}")


class _Pipe:
    """One client connection and the upstream connection serving it."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.client = Incoming(reader)
        self.writer = writer
        self.up: tuple[Incoming, asyncio.StreamWriter] | None = None

    def close_upstream(self) -> None:
        if self.up is not None:
            self.up[1].close()
            self.up = None

    def close(self) -> None:
        self.close_upstream()
        self.writer.close()

    def reset(self) -> None:
        sock = self.writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.writer.transport.abort()
        self.close_upstream()


class Relay:
    """``with Relay.running("http://127.0.0.1:8081") as relay: ... relay.url ...``"""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        if parts.hostname != HOST or parts.port is None:
            msg = f"the relay only forwards to {HOST}:<port>, not {upstream!r}"
            raise ValueError(msg)
        self._upstream = (parts.hostname, parts.port)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True, name="relay")
        self._server: asyncio.Server | None = None
        self._pipes: set[_Pipe] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._rules: list[Rule] = []
        self._exchanges: list[Exchange] = []
        self._seq = itertools.count(1)
        self._connections = itertools.count(1)
        self._changed = threading.Condition()
        self.port = 0
        self.in_flight = 0
        self.peak_in_flight = 0

    @classmethod
    @contextlib.contextmanager
    def running(cls, upstream: str) -> Iterator[Relay]:
        relay = cls(upstream)
        relay.start()
        try:
            yield relay
        finally:
            relay.close()

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    # --- life -----------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()
        self._run(self._listen(0))

    def close(self) -> None:
        """Stop listening, cut every connection, stop the thread."""
        if not self._thread.is_alive():
            return
        self._run(self._shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=WAIT_SECONDS)
        self._loop.close()

    def down(self) -> None:
        """Refuse new connections (open ones carry on)."""
        self._run(self._stop_listening())

    def up(self) -> None:
        """Listen again, on the same port."""
        self._run(self._listen(self.port))

    def call(self, function: Callable[[], object]) -> None:
        """Run ``function`` on the relay's loop (for loop-bound objects)."""
        self._loop.call_soon_threadsafe(function)

    def _run(self, coroutine: Coroutine[Any, Any, None]) -> None:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        future.result(timeout=WAIT_SECONDS)

    async def _listen(self, port: int) -> None:
        self._server = await asyncio.start_server(self._accepted, HOST, port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop_listening(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    async def _shutdown(self) -> None:
        await self._stop_listening()
        for pipe in list(self._pipes):
            pipe.reset()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=WAIT_SECONDS)

    # --- rules ----------------------------------------------------------------------------

    def add(self, rule: Rule) -> Rule:
        rule._relay = self
        with self._changed:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        """Remove every rule; requests held by hold rules are let go."""
        with self._changed:
            rules, self._rules = self._rules, []
        for rule in rules:
            if rule.action in ("hold_request", "hold_answer"):
                rule.release()

    def lose_answer(
        self, method: str, path: str, count: int | None = 1, *, body: str | None = None
    ) -> Rule:
        return self.add(Rule("lose_answer", path, method, count, body=body))

    def hold_answer(
        self, method: str, path: str, count: int | None = 1, *, body: str | None = None
    ) -> Rule:
        return self.add(Rule("hold_answer", path, method, count, body=body))

    def hold_request(
        self,
        method: str,
        path: str,
        count: int | None = 1,
        *,
        body: str | None = None,
        skip: int = 0,
    ) -> Rule:
        return self.add(Rule("hold_request", path, method, count, body=body, skip=skip))

    def delay(
        self, seconds: float, method: str | None = None, path: str = ".*", count: int | None = None
    ) -> Rule:
        return self.add(Rule("delay", path, method, count, seconds=seconds))

    def blackhole(
        self, method: str | None = None, path: str = ".*", count: int | None = None
    ) -> Rule:
        return self.add(Rule("blackhole", path, method, count))

    def reset(self, method: str | None = None, path: str = ".*", count: int | None = 1) -> Rule:
        return self.add(Rule("reset", path, method, count))

    def truncate(self, nbytes: int, method: str, path: str, count: int | None = 1) -> Rule:
        return self.add(Rule("truncate", path, method, count, nbytes=nbytes))

    def respond(self, response: bytes, method: str, path: str, count: int | None = 1) -> Rule:
        return self.add(Rule("respond", path, method, count, response=response))

    def _take(self, request: Message) -> Rule | None:
        with self._changed:
            for rule in self._rules:
                if rule.matches(request):
                    if rule.skipped < rule.skip:
                        rule.skipped += 1
                        return None
                    rule.arrived += 1
                    return rule
        return None

    # --- what happened --------------------------------------------------------------------

    def exchanges(self) -> list[Exchange]:
        with self._changed:
            return list(self._exchanges)

    def forget(self) -> None:
        """Drop the exchanges recorded so far (a new run on the same relay)."""
        with self._changed:
            self._exchanges = []

    def wait_for(
        self,
        condition: Callable[[list[Exchange]], bool],
        timeout: float = WAIT_SECONDS,
        what: str = "a condition on the relay's exchanges",
    ) -> list[Exchange]:
        """Block until ``condition(exchanges)`` holds; ``TimeoutError`` after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition(list(self._exchanges)):
                left = deadline - time.monotonic()
                if left <= 0:
                    recent = [(e.method, e.target, e.outcome) for e in self._exchanges[-10:]]
                    msg = f"relay: no {what} within {timeout} s; last exchanges: {recent}"
                    raise TimeoutError(msg)
                self._changed.wait(left)
            return list(self._exchanges)

    def _notify(self) -> None:
        with self._changed:
            self._changed.notify_all()

    def _record(self, connection: int, request: Message, action: str) -> Exchange:
        exchange = Exchange(
            seq=next(self._seq),
            connection=connection,
            method=request.method,
            target=request.target,
            body=b"" if request.method == "GET" else request.body,
            action=action,
        )
        with self._changed:
            self._exchanges.append(exchange)
            self._changed.notify_all()
        return exchange

    def _settle(self, exchange: Exchange, outcome: str) -> None:
        exchange.outcome = outcome
        self._notify()

    # --- relaying -------------------------------------------------------------------------

    async def _accepted(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        pipe = _Pipe(reader, writer)
        self._pipes.add(pipe)
        connection = next(self._connections)
        try:
            while await self._one(pipe, connection):
                pass
        except (MessageError, OSError):
            pass  # a broken conversation ends the connection, as it would on a real network
        except asyncio.CancelledError:
            pass  # the relay is closing; asyncio 3.11 logs a cancelled connection task
        finally:
            pipe.close()
            self._pipes.discard(pipe)
            self._tasks.discard(task)

    async def _one(self, pipe: _Pipe, connection: int) -> bool:
        """Relay one request; False when the connection is to end."""
        request = await read_request(pipe.client)
        if request is None:
            return False
        rule = self._take(request)
        action = rule.action if rule is not None else "pass"
        exchange = self._record(connection, request, action)
        if rule is None:
            return await self._pass(pipe, exchange, request)
        if action in ("reset", "close"):
            self._settle(exchange, action)
            pipe.reset() if action == "reset" else pipe.close()
            return False
        if action == "respond":
            self._settle(exchange, "responded")
            pipe.writer.write(rule.response)
            await pipe.writer.drain()
            return False
        if action == "blackhole":
            await self._wait(pipe, None, None)
            self._settle(exchange, "blackholed")
            return False
        if action in ("hold_request", "delay"):
            seconds = rule.seconds if action == "delay" else None
            gate = rule._gate if action == "hold_request" else None
            if not await self._hold(pipe, rule, gate, seconds):
                self._settle(exchange, "caller gone")
                return False
            return await self._pass(pipe, exchange, request)
        response = await self._forward(pipe, exchange, request)
        if response is None:
            return False
        if action == "lose_answer":
            self._settle(exchange, "answer lost")
            return False
        if action == "truncate":
            self._settle(exchange, "truncated")
            pipe.writer.write(response.raw[: rule.nbytes])
            await pipe.writer.drain()
            return False
        # hold_answer
        if not await self._hold(pipe, rule, rule._gate, None):
            self._settle(exchange, "caller gone")
            return False
        return await self._answer(pipe, exchange, request, response)

    async def _hold(
        self, pipe: _Pipe, rule: Rule, gate: asyncio.Event | None, seconds: float | None
    ) -> bool:
        with self._changed:
            rule.held += 1
            self._changed.notify_all()
        try:
            return await self._wait(pipe, gate, seconds)
        finally:
            with self._changed:
                rule.held -= 1
                self._changed.notify_all()

    async def _pass(self, pipe: _Pipe, exchange: Exchange, request: Message) -> bool:
        response = await self._forward(pipe, exchange, request)
        if response is None:
            return False
        return await self._answer(pipe, exchange, request, response)

    async def _answer(
        self, pipe: _Pipe, exchange: Exchange, request: Message, response: Message
    ) -> bool:
        # Settled first: the caller may act on the answer before this coroutine runs again.
        self._settle(exchange, "answered")
        pipe.writer.write(response.raw)
        await pipe.writer.drain()
        return not (request.closes or response.closes)

    async def _forward(self, pipe: _Pipe, exchange: Exchange, request: Message) -> Message | None:
        """Send the request upstream and read the whole answer; None if upstream failed."""
        try:
            if pipe.up is None:
                reader, writer = await asyncio.open_connection(*self._upstream)
                pipe.up = (Incoming(reader), writer)
            incoming, writer = pipe.up
            writer.write(request.raw)
            await writer.drain()
            with self._changed:
                exchange.forwarded_at = time.monotonic()
                self.in_flight += 1
                self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
                self._changed.notify_all()
            try:
                response = await read_response(incoming, request.method)
            finally:
                with self._changed:
                    self.in_flight -= 1
        except (MessageError, OSError):
            pipe.close_upstream()
            self._settle(exchange, "upstream failed")
            return None
        exchange.answered_at = time.monotonic()
        exchange.status = response.status
        if response.closes:
            pipe.close_upstream()
        self._notify()
        return response

    async def _wait(self, pipe: _Pipe, gate: asyncio.Event | None, seconds: float | None) -> bool:
        """Wait for ``gate`` or ``seconds`` (neither: for ever); False if the caller left."""
        waits: set[asyncio.Future[Any]] = set()
        if gate is not None:
            waits.add(asyncio.ensure_future(gate.wait()))
        if seconds is not None:
            waits.add(asyncio.ensure_future(asyncio.sleep(seconds)))
        try:
            while True:
                watch = asyncio.ensure_future(pipe.client.fill())
                done, _ = await asyncio.wait({*waits, watch}, return_when="FIRST_COMPLETED")
                if watch in done and not watch.result():
                    return False
                if done & waits:
                    watch.cancel()
                    await asyncio.wait({watch})
                    return True
                # The caller sent more (pipelining); it is buffered. Keep waiting.
        finally:
            for waiting in waits:
                waiting.cancel()
