"""``/readyz``: ready only when the store answers and the Export API has not stopped answering."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from starlette.applications import Starlette

from adapter.export.health import UpstreamAnswers, export_api_readiness
from adapter.store import MemoryStore
from adapter.web.health import Check, Readiness, health_routes, ping_check
from adapter.web.responses import LegacyJSONResponse
from tests.support.clocks import FakeClock


def _fixed(result: str) -> Check:
    async def check() -> str:
        return result

    return check


async def _raises() -> str:
    msg = "redis://:hunter2@cache:6379 refused"
    raise ConnectionError(msg)


async def _hangs() -> str:
    await asyncio.Event().wait()
    return "ok"


def test_the_export_api_is_unknown_before_the_first_call() -> None:
    """With nothing sent yet there is no evidence either way; the check says so."""
    assert export_api_readiness(UpstreamAnswers()) == "unknown"


def test_the_export_api_fails_after_five_attempts_without_an_answer() -> None:
    """Five attempts in a row with no answer or a 5xx, and no answer since: failing."""
    clock = FakeClock()
    answers = UpstreamAnswers(clock=clock)
    answers.record(200)
    clock.advance(42)
    for status in (None, 503, None, 502):
        answers.record(status)
    assert export_api_readiness(answers) == "ok"
    answers.record(None)
    assert export_api_readiness(answers) == (
        "failing: the last 5 attempts got no usable answer (last: no answer; last answer 42 s ago)"
    )


def test_any_answer_below_500_resets_the_failures() -> None:
    """A 401 or 429 says Pleo is up: the export API counts as answering again."""
    answers = UpstreamAnswers()
    for _ in range(5):
        answers.record(503)
    assert export_api_readiness(answers).startswith("failing: ")
    assert "never answered" in export_api_readiness(answers)
    answers.record(429)
    assert export_api_readiness(answers) == "ok"


async def test_the_memory_store_answers_a_ping() -> None:
    """The in-memory store's ping returns, so its check is ok."""
    assert await ping_check(MemoryStore())() == "ok"


@pytest.mark.parametrize(
    ("checks", "status", "shown"),
    [
        ({"store": _fixed("ok"), "exportApi": _fixed("unknown")}, "ready", None),
        ({"store": _fixed("ok"), "exportApi": _fixed("failing: x")}, "not_ready", "failing: x"),
        ({"store": _raises, "exportApi": _fixed("ok")}, "not_ready", "failing: ConnectionError"),
    ],
    ids=["ok-and-unknown", "export-api-failing", "store-raises"],
)
async def test_readiness_is_ready_only_when_every_check_is_ok_or_unknown(
    checks: dict[str, Check], status: str, shown: str | None
) -> None:
    """Any failing or raising check makes the proxy not ready, and says which (never how)."""
    overall, results = await Readiness(checks).report()
    assert overall == status
    assert set(results) == set(checks)
    if shown is not None:
        assert shown in results.values()
    assert "hunter2" not in str(results)


async def test_a_check_that_does_not_answer_in_time_is_failing() -> None:
    """A hanging store ping is cut off by the probe's timeout and reported as failing."""
    # A zero timeout fails any check that has to wait at all, without waiting for real.
    readiness = Readiness({"store": _hangs}, timeout_seconds=0)
    assert await readiness.report() == ("not_ready", {"store": "failing: no answer within 0 s"})


@pytest.fixture
def readiness() -> Readiness:
    return Readiness({"store": _fixed("ok"), "exportApi": _fixed("unknown")})


@pytest.fixture
async def probe(readiness: Readiness) -> AsyncIterator[httpx.AsyncClient]:
    """The health routes alone, with ``readiness`` in the lifespan state."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        yield {"readiness": readiness}

    app = Starlette(routes=health_routes(), lifespan=lifespan)
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app), base_url="http://app.test"
        ) as client,
    ):
        yield client


async def test_readyz_answers_200_with_every_check_when_ready(probe: httpx.AsyncClient) -> None:
    """A ready proxy answers 200 and names each check's result."""
    response = await probe.get("/readyz")
    assert response.status_code == 200
    assert response.headers["content-type"] == LegacyJSONResponse.media_type
    assert response.json() == {"status": "ready", "checks": {"store": "ok", "exportApi": "unknown"}}


async def test_readyz_answers_503_while_stopping(
    probe: httpx.AsyncClient, readiness: Readiness
) -> None:
    """Once shutdown begins, /readyz says 'stopping' with 503 so traffic drains elsewhere."""
    readiness.stopping = True
    response = await probe.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "stopping"


async def test_livez_checks_nothing(probe: httpx.AsyncClient, readiness: Readiness) -> None:
    """/livez stays 200 even when not ready: a dependency failure must not restart the proxy."""
    readiness.stopping = True
    assert (await probe.get("/livez")).json() == {"status": "ok"}
