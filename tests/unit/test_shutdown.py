"""Graceful shutdown as a legacy client sees it: refused new work, cut work answered 503 in the
legacy body, everything else untouched (adapter/web/shutdown.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest
from starlette.types import Message, Receive, Scope, Send

from adapter.web.shutdown import SHUTTING_DOWN_MESSAGE, Shutdown, ShutdownMiddleware


class _App:
    """An ASGI app that starts its answer (or not) and then waits until cancelled."""

    def __init__(self, *, start_answer: bool = False) -> None:
        self.start_answer = start_answer
        self.entered = asyncio.Event()
        self.calls = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.calls += 1
        if self.start_answer:
            await send({"type": "http.response.start", "status": 200, "headers": []})
        self.entered.set()
        await asyncio.Event().wait()


def _scope(shutdown: Shutdown | None, path: str = "/v1/expenses") -> Scope:
    state: dict[str, Any] = {} if shutdown is None else {"shutdown": shutdown}
    return {
        "type": "http",
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [],
        "state": state,
    }


async def _receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


def _recorder() -> tuple[list[Message], Send]:
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    return sent, send


def _answer(sent: list[Message]) -> tuple[int, dict[str, str], Any]:
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], headers, orjson.loads(body)


async def test_a_request_cut_at_the_end_of_the_grace_period_gets_the_legacy_503() -> None:
    """A legacy handler still running when the server cancels it after shutdown began is
    answered 503 in the legacy body with Retry-After, not uvicorn's plain-text 500."""
    shutdown, app = Shutdown(), _App()
    sent, send = _recorder()
    task = asyncio.create_task(ShutdownMiddleware(app)(_scope(shutdown), _receive, send))
    await app.entered.wait()
    assert shutdown.in_flight == 1

    shutdown.begin()
    task.cancel()
    await task

    status, headers, body = _answer(sent)
    assert status == 503
    assert headers["retry-after"] == "1"
    assert headers["content-type"] == "application/json; charset=utf-8"
    assert body == {
        "statusCode": 503,
        "error": "Service Unavailable",
        "message": SHUTTING_DOWN_MESSAGE,
    }
    assert shutdown.in_flight == 0
    assert not task.cancelled()


async def test_after_shutdown_began_a_new_legacy_request_is_refused_without_work() -> None:
    """Once shutdown began, a legacy request never reaches its handler: 503 at once."""
    shutdown, app = Shutdown(), _App()
    shutdown.begin()
    sent, send = _recorder()

    await ShutdownMiddleware(app)(_scope(shutdown), _receive, send)

    assert app.calls == 0
    assert _answer(sent)[0] == 503


@pytest.mark.parametrize("path", ["/readyz", "/livez", "/metrics", "/v1x"])
async def test_probes_and_other_paths_are_never_refused(path: str) -> None:
    """Health probes (and anything outside /v1) are served during shutdown as usual."""
    shutdown = Shutdown()
    shutdown.begin()
    seen: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["path"])

    await ShutdownMiddleware(app)(_scope(shutdown, path), _receive, _recorder()[1])

    assert seen == [path]


@pytest.mark.parametrize(
    ("begin", "start_answer"),
    [(False, False), (True, True)],
    ids=["not-shutting-down", "answer-already-started"],
)
async def test_other_cancellations_are_not_answered(begin: bool, start_answer: bool) -> None:
    """A cancellation before shutdown, or after the answer started, is not turned into a 503:
    it propagates."""
    shutdown, app = Shutdown(), _App(start_answer=start_answer)
    sent, send = _recorder()
    task = asyncio.create_task(ShutdownMiddleware(app)(_scope(shutdown), _receive, send))
    await app.entered.wait()
    if begin:
        shutdown.begin()

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert [m.get("status") for m in sent if m["type"] == "http.response.start"] == (
        [200] if start_answer else []
    )
    assert shutdown.in_flight == 0


async def test_without_a_shutdown_in_the_state_requests_pass() -> None:
    """An app whose lifespan set no Shutdown (a bare test app) is served unchanged."""
    seen: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["path"])

    await ShutdownMiddleware(app)(_scope(None), _receive, _recorder()[1])

    assert seen == ["/v1/expenses"]


async def test_listeners_run_once_when_shutdown_begins() -> None:
    """Listeners run when shutdown begins (at once if it already has), and only once."""
    shutdown = Shutdown()
    calls: list[str] = []
    shutdown.on_begin(lambda: calls.append("early"))
    shutdown.begin()
    shutdown.begin()
    shutdown.on_begin(lambda: calls.append("late"))

    assert calls == ["early", "late"]
    assert shutdown.began


async def test_answered_returns_once_no_request_is_in_flight() -> None:
    """The lifespan can wait until the requests cut by shutdown have been answered."""
    shutdown = Shutdown()
    with shutdown.handling():
        waiter = asyncio.create_task(shutdown.answered())
        await asyncio.sleep(0)
        assert not waiter.done()
    await waiter
