"""Has Pleo's Export API been answering? A cheap record of the last attempts, for ``/readyz``.

:class:`UpstreamAnswers` is updated by :class:`~adapter.export.client.ExportClient` after every
HTTP attempt; :func:`export_api_readiness` turns it into the ``exportApi`` check. Any answer
below 500 counts as an answer (a 401 or 429 says Pleo is up); no answer at all or a 5xx is a
failure.

The proxy is not ready while the last :data:`FAILURES_BEFORE_NOT_READY` attempts all failed.
It becomes ready again on the next answer; the scheduled workflow round keeps calling Pleo
for every tenant it knows, so that answer comes even when no traffic is routed to the proxy.
The policy is this one function so that another (fed by a circuit breaker's state, say) can
replace it without touching the record or ``/readyz``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["FAILURES_BEFORE_NOT_READY", "UpstreamAnswers", "export_api_readiness"]

FAILURES_BEFORE_NOT_READY = 5


class UpstreamAnswers:
    """Counts since start: attempts, the last answer's time, failures in a row."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.attempts = 0
        self.last_answer_at: float | None = None
        self.consecutive_failures = 0
        self.last_failure: str | None = None

    def record(self, status: int | None) -> None:
        """One attempt ended with HTTP ``status`` (``None``: no answer came)."""
        self.attempts += 1
        if status is not None and status < 500:
            self.last_answer_at = self._clock()
            self.consecutive_failures = 0
            return
        self.consecutive_failures += 1
        self.last_failure = "no answer" if status is None else f"HTTP {status}"

    def seconds_since_answer(self) -> float | None:
        """Time since the last answer below 500; ``None`` if there never was one."""
        return None if self.last_answer_at is None else self._clock() - self.last_answer_at


def export_api_readiness(
    answers: UpstreamAnswers, *, threshold: int = FAILURES_BEFORE_NOT_READY
) -> str:
    """``ok``, ``unknown`` (nothing sent yet: still ready) or ``failing: <why>``."""
    if answers.attempts == 0:
        return "unknown"
    if answers.consecutive_failures >= threshold:
        since = answers.seconds_since_answer()
        last_answer = "never answered" if since is None else f"last answer {since:.0f} s ago"
        return (
            f"failing: the last {answers.consecutive_failures} attempts got no usable answer "
            f"(last: {answers.last_failure}; {last_answer})"
        )
    return "ok"
