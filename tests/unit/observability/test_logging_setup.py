"""JSON for machines, aligned text for people, the same redaction either way."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from adapter.observability.logging import LogFormat, configure_logging
from tests.support.log_fixtures import logging_restored


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _restored() -> Iterator[None]:
    with logging_restored():
        yield


def _write(log_format: LogFormat, stream: io.StringIO) -> str:
    configure_logging("INFO", log_format=log_format, stream=stream)
    structlog.stdlib.get_logger("tests").info("claimed", job_id="job-1", token="canary-1")
    logging.getLogger("uvicorn.error").info("Uvicorn running", extra={"color_message": "\x1b[1m"})
    logging.getLogger("httpx").info("HTTP Request: GET https://x/?key=canary-2")
    return stream.getvalue()


def test_auto_writes_json_lines_when_the_stream_is_not_a_terminal() -> None:
    """Piped to a file or a collector, every line is one JSON object with the headline first."""
    first, second = (json.loads(line) for line in _write("auto", io.StringIO()).splitlines())
    assert list(first)[:4] == ["timestamp", "level", "logger", "event"]
    assert (first["event"], first["job_id"], first["token"]) == ("claimed", "job-1", "[redacted]")
    assert second == {
        "timestamp": second["timestamp"],
        "level": "info",
        "logger": "uvicorn.error",
        "event": "Uvicorn running",
    }


@pytest.mark.parametrize("log_format", ["auto", "console"])
def test_a_terminal_gets_readable_lines_redacted_the_same_way(log_format: LogFormat) -> None:
    """On a terminal (or asked for), lines are text for people, with secrets still masked."""
    text = _write(log_format, _Terminal())
    assert "claimed" in text
    assert "job_id" in text
    assert not text.lstrip().startswith("{")
    assert "canary" not in text


def test_httpx_request_lines_are_below_the_threshold() -> None:
    """httpx's INFO line per request (full URL) is never written."""
    assert "HTTP Request" not in _write("json", io.StringIO())
