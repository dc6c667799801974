"""The circuit breaker on Pleo: Envoy's outlier rules on a clock the test moves."""

from __future__ import annotations

from typing import Any

import pytest

from adapter.export.breaker import Admission, BreakerState, CircuitBreaker
from tests.support.clocks import FakeClock


def state_of(breaker: CircuitBreaker) -> BreakerState:
    """The state read afresh (a call, so type checkers do not carry an earlier read over)."""
    return breaker.state


def fail(breaker: CircuitBreaker, times: int = 1) -> None:
    for _ in range(times):
        admission = breaker.allow()
        assert admission.granted
        breaker.record(admission, healthy=False)


def open_breaker(clock: FakeClock, **options: Any) -> tuple[CircuitBreaker, list[str]]:
    changes: list[str] = []
    breaker = CircuitBreaker(clock=clock, on_change=lambda s: changes.append(s.value), **options)
    fail(breaker, 5)
    return breaker, changes


def test_five_consecutive_failures_open_it_four_do_not(clock: FakeClock) -> None:
    """Four failures leave the circuit closed; the fifth opens it and refuses calls for 30 s."""
    breaker = CircuitBreaker(clock=clock)
    fail(breaker, 4)
    assert state_of(breaker) is BreakerState.CLOSED

    fail(breaker)

    assert state_of(breaker) is BreakerState.OPEN
    refused = breaker.allow()
    assert (refused.granted, refused.retry_after) == (False, 30.0)


def test_a_success_resets_the_count(clock: FakeClock) -> None:
    """Failures separated by one success never reach five in a row, so it stays closed."""
    breaker = CircuitBreaker(clock=clock)
    for _ in range(3):
        fail(breaker, 4)
        breaker.record(breaker.allow(), healthy=True)
    assert state_of(breaker) is BreakerState.CLOSED


def test_outcomes_without_a_verdict_do_not_count(clock: FakeClock) -> None:
    """Calls cancelled or failed on this side (healthy=None) neither open nor reset it."""
    breaker = CircuitBreaker(clock=clock)
    fail(breaker, 4)
    for _ in range(10):
        breaker.record(breaker.allow(), healthy=None)
    assert state_of(breaker) is BreakerState.CLOSED
    fail(breaker)
    assert state_of(breaker) is BreakerState.OPEN


def test_retry_after_counts_down_to_half_open(clock: FakeClock) -> None:
    """While open, each refusal says how long is left until a probe may go."""
    breaker, _ = open_breaker(clock)
    clock.advance(12)
    assert breaker.allow().retry_after == pytest.approx(18.0)
    clock.advance(18)
    assert state_of(breaker) is BreakerState.HALF_OPEN


def test_half_open_lets_exactly_one_probe_through(clock: FakeClock) -> None:
    """After the open time one call is the probe; others are refused until its verdict."""
    breaker, _ = open_breaker(clock)
    clock.advance(30)

    probe = breaker.allow()
    others = [breaker.allow() for _ in range(3)]

    assert probe == Admission(granted=True, probe=True)
    assert all(not other.granted and other.retry_after == 1.0 for other in others)


def test_a_successful_probe_closes_and_forgets_earlier_openings(clock: FakeClock) -> None:
    """The probe's success closes the circuit; the next opening lasts 30 s again."""
    breaker, changes = open_breaker(clock)
    clock.advance(30)
    breaker.record(breaker.allow(), healthy=True)
    assert state_of(breaker) is BreakerState.CLOSED

    fail(breaker, 5)

    assert breaker.allow().retry_after == 30.0
    assert changes == ["open", "half_open", "closed", "open"]


def test_failed_probes_open_it_for_longer_up_to_the_cap(clock: FakeClock) -> None:
    """Each failed probe reopens for open_seconds times the openings: 60, 90, then the cap."""
    breaker, _ = open_breaker(clock, open_seconds=30, max_open_seconds=100)
    waits = []
    for _ in range(3):
        clock.advance(breaker.allow().retry_after)
        fail(breaker)
        waits.append(breaker.allow().retry_after)
    assert waits == [60.0, 90.0, 100.0]


def test_a_probe_without_verdict_frees_the_slot(clock: FakeClock) -> None:
    """A probe that was cancelled lets the next caller probe instead."""
    breaker, _ = open_breaker(clock)
    clock.advance(30)
    breaker.record(breaker.allow(), healthy=None)

    assert breaker.allow().probe is True


def test_a_late_answer_from_before_the_opening_does_not_steal_the_probe(clock: FakeClock) -> None:
    """A call let through while closed and finishing during half-open does not free the
    probe's slot: still only one probe at a time."""
    breaker = CircuitBreaker(clock=clock)
    late = breaker.allow()
    fail(breaker, 5)
    clock.advance(30)
    assert breaker.allow().probe is True

    breaker.record(late, healthy=False)

    assert breaker.allow().granted is False


def test_a_late_success_from_before_the_opening_does_not_close_it(clock: FakeClock) -> None:
    """A call let through while closed that succeeds after the circuit opened leaves it open:
    only the probe's verdict closes it."""
    breaker = CircuitBreaker(clock=clock)
    late = breaker.allow()
    fail(breaker, 5)

    breaker.record(late, healthy=True)

    assert state_of(breaker) is BreakerState.OPEN


def test_health_is_not_ready_only_while_open(clock: FakeClock) -> None:
    """/readyz: ready when closed, not ready while open (with the reason), ready again when
    half-open so traffic can reach the probe."""
    breaker = CircuitBreaker(clock=clock)
    assert breaker.health().ready is True
    fail(breaker, 5)
    health = breaker.health()
    assert health.ready is False
    assert "5 consecutive upstream failures" in health.reason
    assert "30 s" in health.reason
    clock.advance(30)
    assert breaker.health().ready is True


@pytest.mark.parametrize(
    "options",
    [
        {"failure_threshold": 0},
        {"open_seconds": 0},
        {"open_seconds": 30, "max_open_seconds": 10},
    ],
)
def test_nonsensical_settings_are_refused(options: dict[str, Any]) -> None:
    """A threshold below one or an open time that is zero or above its cap is refused."""
    with pytest.raises(ValueError, match="failure_threshold"):
        CircuitBreaker(**options)
