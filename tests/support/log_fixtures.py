"""``logs``: the process logging set up as ``serve`` sets it up, written to a buffer.

Registered as a plugin by the root ``tests/conftest.py``. The fixture restores the logging
and structlog configuration it found, so no other test sees its handler.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import structlog

from adapter.observability.logging import configure_logging

_TOUCHED_LOGGERS = ("httpx", "httpcore", "uvicorn", "uvicorn.error", "uvicorn.access")


@dataclass
class CapturedLogs:
    """What the process wrote: the raw text, and each line parsed as JSON."""

    stream: io.StringIO = field(default_factory=io.StringIO)

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[dict[str, Any]]:
        parsed: list[dict[str, Any]] = [json.loads(line) for line in self.text.splitlines()]
        return parsed

    def events(self, event: str, logger: str | None = None) -> list[dict[str, Any]]:
        return [
            line
            for line in self.lines()
            if line["event"] == event and (logger is None or line["logger"] == logger)
        ]


@contextlib.contextmanager
def logging_restored() -> Iterator[None]:
    """Put the logging and structlog configuration back as it was, whatever ran inside."""
    root = logging.getLogger()
    saved_root = (root.handlers[:], root.level)
    saved = {
        name: (
            logging.getLogger(name).level,
            logging.getLogger(name).handlers[:],
            logging.getLogger(name).propagate,
        )
        for name in _TOUCHED_LOGGERS
    }
    saved_structlog = structlog.get_config()
    saved_processors = list(saved_structlog["processors"])
    try:
        yield
    finally:
        root.handlers[:], level = saved_root
        root.setLevel(level)
        for name, (level, handlers, propagate) in saved.items():
            logger = logging.getLogger(name)
            logger.setLevel(level)
            logger.handlers[:] = handlers
            logger.propagate = propagate
        structlog.configure(**{**saved_structlog, "processors": saved_processors})


@pytest.fixture
def logs() -> Iterator[CapturedLogs]:
    """JSON logging at DEBUG into a buffer, as ``serve`` configures it (stdout there)."""
    captured = CapturedLogs()
    with logging_restored():
        configure_logging("DEBUG", log_format="json", stream=captured.stream)
        yield captured
