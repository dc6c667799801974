"""Promotion and fallback per company: counted, decided, kept in the store, overridden by edits."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapter.cutover import CutoverPolicy, DecisionBook, Mode, parse_policy
from adapter.observability.metrics import Metrics
from adapter.store import MemoryStore
from tests.support.clocks import FakeNow
from tests.support.cutover import cutover_text
from tests.support.log_fixtures import CapturedLogs

COMPANY = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
OTHER = "5e9f4b0a-3f1c-4a3b-9a2e-6f3e2b7d1c44"
RULES = "[promotion]\nafter_compared = 3\n[fallback]\nmax_error_rate = 0.25\nwindow = 8\n"


def policy(mode: str, *, comment: str | None = None, default: str = "legacy") -> CutoverPolicy:
    text = cutover_text(
        default, {COMPANY: mode, OTHER: "legacy"}, extra=RULES, comments={COMPANY: comment or ""}
    )
    return parse_policy(text, source="cutover.toml", legacy_api=True)


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def metrics() -> Metrics:
    return Metrics()


@pytest.fixture
def book(store: MemoryStore, metrics: Metrics) -> DecisionBook:
    return DecisionBook(store, metrics=metrics, now=FakeNow(datetime(2026, 11, 2, 9, tzinfo=UTC)))


async def test_a_shadow_company_is_promoted_after_n_clean_comparisons(
    book: DecisionBook, metrics: Metrics, logs: CapturedLogs
) -> None:
    """after_compared = 3: two clean ones leave it in shadow, the third promotes it."""
    shadow = policy("shadow")
    modes = []
    for _ in range(3):
        modes.append(await book.mode_for(shadow, COMPANY))
        await book.record_comparison(shadow, COMPANY, clean=True)
    modes.append(await book.mode_for(shadow, COMPANY))

    assert modes == [Mode.SHADOW, Mode.SHADOW, Mode.SHADOW, Mode.EXPORT]
    record = await book.record_of(COMPANY)
    assert record is not None
    assert (record.decided, record.reason, record.decided_at) == (
        Mode.EXPORT,
        "promotion",
        "2026-11-02T09:00:00Z",
    )
    assert record.evidence == {"compared_requests": 3, "unexplained": 0, "after_compared": 3}
    (line,) = logs.events("cutover decision")
    assert (line["level"], line["decision"], line["to_mode"]) == ("warning", "promotion", "export")
    assert (
        metrics.registry.get_sample_value(
            "adapter_cutover_decisions_total", {"decision": "promoted"}
        )
        == 1
    )


async def test_an_unexplained_difference_sets_the_count_back_to_zero(book: DecisionBook) -> None:
    """clean, clean, unexplained, clean, clean: still shadow; one more clean and it is export."""
    shadow = policy("shadow")
    for clean in (True, True, False, True, True):
        await book.record_comparison(shadow, COMPANY, clean=clean)
    before = await book.mode_for(shadow, COMPANY)
    await book.record_comparison(shadow, COMPANY, clean=True)

    assert before is Mode.SHADOW
    assert await book.mode_for(shadow, COMPANY) is Mode.EXPORT


async def test_comparisons_of_a_company_not_in_shadow_mode_count_for_nothing(
    book: DecisionBook,
) -> None:
    """A comparison finishing after the company left shadow mode promotes nothing."""
    legacy = policy("legacy")
    for _ in range(5):
        await book.record_comparison(legacy, COMPANY, clean=True)

    assert await book.mode_for(legacy, COMPANY) is Mode.LEGACY


async def test_an_export_company_falls_back_when_5xx_pass_the_share_of_the_window(
    book: DecisionBook, metrics: Metrics
) -> None:
    """max_error_rate 0.25 of window 8 allows 2 errors: the third 5xx means legacy."""
    export = policy("export")
    for status in (200, 503, 200, 500, 404, 200):
        await book.record_answer(export, COMPANY, status)
    still = await book.mode_for(export, COMPANY)
    await book.record_answer(export, COMPANY, 504)

    assert still is Mode.EXPORT
    assert await book.mode_for(export, COMPANY) is Mode.LEGACY
    record = await book.record_of(COMPANY)
    assert record is not None
    assert record.evidence == {"errors": 3, "calls": 7, "window": 8, "max_error_rate": 0.25}
    assert (
        metrics.registry.get_sample_value(
            "adapter_cutover_decisions_total", {"decision": "fell_back"}
        )
        == 1
    )


async def test_errors_older_than_the_window_no_longer_count(book: DecisionBook) -> None:
    """Two 5xx, then a window's worth of good answers, then two more: still export."""
    export = policy("export")
    for status in [500, 500] + [200] * 8 + [500, 500]:
        await book.record_answer(export, COMPANY, status)

    assert await book.mode_for(export, COMPANY) is Mode.EXPORT


async def test_a_promoted_company_can_fall_back(book: DecisionBook) -> None:
    """Promotion makes the company export; its own errors can then send it to legacy."""
    shadow = policy("shadow")
    for _ in range(3):
        await book.record_comparison(shadow, COMPANY, clean=True)
    for _ in range(3):
        await book.record_answer(shadow, COMPANY, 502)

    assert await book.mode_for(shadow, COMPANY) is Mode.LEGACY


async def test_counters_and_decisions_survive_a_restart_of_the_same_store(
    store: MemoryStore, book: DecisionBook
) -> None:
    """Two clean comparisons before a restart and one after promote; a later restart still
    serves the decision."""
    shadow = policy("shadow")
    await book.record_comparison(shadow, COMPANY, clean=True)
    await book.record_comparison(shadow, COMPANY, clean=True)

    restarted = DecisionBook(store)
    await restarted.record_comparison(shadow, COMPANY, clean=True)
    again = DecisionBook(store)

    assert await again.mode_for(shadow, COMPANY) is Mode.EXPORT


async def test_an_edit_of_the_companys_line_overrides_the_decision(
    book: DecisionBook, metrics: Metrics, logs: CapturedLogs
) -> None:
    """Fallen back under "export": a comment on the line hands the company back to the file."""
    export = policy("export")
    for _ in range(3):
        await book.record_answer(export, COMPANY, 500)
    fallen = await book.mode_for(export, COMPANY)
    edited = policy("export", comment="back after the fix")

    assert fallen is Mode.LEGACY
    assert await book.mode_for(edited, COMPANY) is Mode.EXPORT
    assert await book.mode_for(edited, COMPANY) is Mode.EXPORT
    assert len(logs.events("cutover decision overridden by the cutover file")) == 1
    assert (
        metrics.registry.get_sample_value(
            "adapter_cutover_decisions_total", {"decision": "overridden"}
        )
        == 1
    )
    assert await book.record_of(COMPANY) is None


async def test_edits_elsewhere_in_the_file_leave_the_decision_alone(book: DecisionBook) -> None:
    """Another company's line or the default changing does not touch a listed company."""
    shadow = policy("shadow")
    for _ in range(3):
        await book.record_comparison(shadow, COMPANY, clean=True)
    elsewhere = parse_policy(
        cutover_text("export", {COMPANY: "shadow", OTHER: "shadow"}, extra=RULES),
        source="cutover.toml",
        legacy_api=True,
    )

    assert await book.mode_for(elsewhere, COMPANY) is Mode.EXPORT


async def test_an_unlisted_companys_decision_ends_when_the_default_changes(
    book: DecisionBook,
) -> None:
    """An unlisted company promoted under default shadow goes legacy when the default does."""
    unlisted = "7a7a7a7a-0000-4000-8000-000000000001"
    shadow_default = policy("legacy", default="shadow")
    for _ in range(3):
        await book.record_comparison(shadow_default, unlisted, clean=True)
    promoted = await book.mode_for(shadow_default, unlisted)

    assert promoted is Mode.EXPORT
    assert await book.mode_for(policy("legacy", default="legacy"), unlisted) is Mode.LEGACY


async def test_without_promotion_or_fallback_nothing_is_counted(
    store: MemoryStore, book: DecisionBook
) -> None:
    """A file without [promotion] and [fallback] keeps every company where the file puts it."""
    plain = parse_policy(
        cutover_text("legacy", {COMPANY: "shadow", OTHER: "export"}),
        source="cutover.toml",
        legacy_api=True,
    )
    for _ in range(10):
        await book.record_comparison(plain, COMPANY, clean=True)
        await book.record_answer(plain, OTHER, 500)

    assert await book.mode_for(plain, COMPANY) is Mode.SHADOW
    assert await book.mode_for(plain, OTHER) is Mode.EXPORT
    assert await store.get("cutover:" + COMPANY) is None


async def test_an_unknown_company_is_served_in_the_default_mode(book: DecisionBook) -> None:
    """No company (passthrough, not learnt yet): default_mode, nothing looked up."""
    assert await book.mode_for(policy("export", default="shadow"), None) is Mode.SHADOW
