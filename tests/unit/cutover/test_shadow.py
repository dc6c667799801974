"""Shadow comparisons run in the background, bounded in time and number, and are recorded."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Sequence
from typing import Any

import pytest

from adapter import jsonio
from adapter.compare import EquivalenceRules
from adapter.cutover import (
    DecisionBook,
    FixedPolicy,
    Mode,
    PreviewOnly,
    ShadowComparer,
    ShadowOutcome,
    ShadowResult,
    ShadowRunner,
    parse_policy,
)
from adapter.cutover.comparison import FieldTally
from adapter.errors import UpstreamUnavailable
from adapter.legacy.models import LegacyStatus
from adapter.legacy.query import ExpenseQuery
from adapter.mapping import MappingTable
from adapter.observability.metrics import Metrics
from adapter.store import MemoryStore
from adapter.tenancy import Tenant, UpstreamCredential
from adapter.workflow import ExpensePage
from tests.support.compare_scenario import translated_expenses
from tests.support.log_fixtures import CapturedLogs

COMPANY = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
TENANT = Tenant(UpstreamCredential.api_key("v3-canary"), company_id=COMPANY)
POLICY = parse_policy(
    'default_mode = "legacy"\n[promotion]\nafter_compared = 2\n'
    f'[companies]\n"{COMPANY}" = "shadow"',
    source="cutover.toml",
    legacy_api=True,
)


class Reader:
    """A translation of fixed expenses that records what it was asked."""

    def __init__(self, expenses: list[dict[str, Any]]) -> None:
        self.expenses = expenses
        self.queries: list[ExpenseQuery] = []
        self.ids: list[list[str]] = []

    async def preview(self, tenant: Tenant, query: ExpenseQuery) -> ExpensePage:
        self.queries.append(query)
        encoded = [jsonio.dumps(e) for e in self.expenses]
        return ExpensePage(encoded, len(encoded), None)

    async def preview_ids(self, tenant: Tenant, ids: Sequence[str]) -> list[bytes]:
        self.ids.append(list(ids))
        return [jsonio.dumps(e) for e in self.expenses if e["id"] in ids]


@pytest.fixture
def expenses() -> list[dict[str, Any]]:
    return translated_expenses(3)[0]


@pytest.fixture
def metrics() -> Metrics:
    return Metrics()


@pytest.fixture
def book(metrics: Metrics) -> DecisionBook:
    return DecisionBook(MemoryStore(), metrics=metrics)


def runner(book: DecisionBook, metrics: Metrics, **options: Any) -> ShadowRunner:
    values: dict[str, Any] = {"timeout_seconds": 30.0, "max_in_flight": 4, **options}
    return ShadowRunner(policies=FixedPolicy(POLICY), decisions=book, metrics=metrics, **values)


def comparisons(metrics: Metrics, result: str) -> float | None:
    return metrics.registry.get_sample_value("adapter_shadow_comparisons_total", {"result": result})


def query(**changes: Any) -> ExpenseQuery:
    values: dict[str, Any] = {"statuses": frozenset(), "types": frozenset(), "page_offset": 0}
    return ExpenseQuery(**{**values, "page_size": 2, **changes})


async def test_a_list_is_compared_with_the_whole_translated_list_of_the_same_filters(
    expenses: list[dict[str, Any]], table: MappingTable, rules: EquivalenceRules
) -> None:
    """The translation is asked for the query without status filter and paging."""
    reader = Reader(expenses)
    comparer = ShadowComparer(PreviewOnly(reader), table, rules)
    body = jsonio.dumps({"expenses": expenses[1:], "metadata": {}})

    outcome = await comparer.compare_list(
        TENANT, query(statuses=frozenset({LegacyStatus.QUEUED}), page_offset=1), body
    )

    assert (outcome.result, outcome.compared) == (ShadowResult.CLEAN, 2)
    (asked,) = reader.queries
    assert (asked.statuses, asked.page_offset, asked.page_size_limit) == (frozenset(), 0, None)
    assert asked.page_size >= 2**31


async def test_put_answers_are_compared_with_the_translation_of_the_same_ids(
    expenses: list[dict[str, Any]], table: MappingTable, rules: EquivalenceRules
) -> None:
    """A PUT's legacy answer (EXPORTING) against the untouched translation: clean."""
    reader = Reader(expenses)
    comparer = ShadowComparer(PreviewOnly(reader), table, rules)
    moved = copy.deepcopy(expenses[:2])
    for expense in moved:
        expense["status"] = "EXPORTING"

    outcome = await comparer.compare_ids(TENANT, jsonio.dumps({"expenses": moved}), "list")

    assert reader.ids == [[e["id"] for e in moved]]
    assert outcome.result is ShadowResult.CLEAN
    assert outcome.kinds == {"unwritten_status": 2}


async def test_an_answer_without_expenses_is_skipped_and_an_empty_one_reads_nothing(
    expenses: list[dict[str, Any]], table: MappingTable, rules: EquivalenceRules
) -> None:
    """A legacy body that is not an expense answer is not compared; an empty list is empty
    without asking the Export API."""
    reader = Reader(expenses)
    comparer = ShadowComparer(PreviewOnly(reader), table, rules)

    skipped = await comparer.compare_ids(TENANT, b'{"status": "OK"}', "list")
    empty = await comparer.compare_list(TENANT, query(), b'{"expenses": [], "metadata": {}}')

    assert (skipped.result, empty.result) == (ShadowResult.SKIPPED, ShadowResult.EMPTY)
    assert reader.queries == []
    assert reader.ids == []


async def test_a_comparison_past_its_time_limit_is_counted_as_a_timeout(
    book: DecisionBook, metrics: Metrics
) -> None:
    """A comparison that cannot finish in the limit (0 here) ends as timeout, nothing else."""
    never = asyncio.Event()

    async def stuck() -> ShadowOutcome:
        await never.wait()
        return ShadowOutcome(ShadowResult.CLEAN)

    shadow = runner(book, metrics, timeout_seconds=0)
    shadow.submit(stuck, company_id=COMPANY, route="GET /v1/expenses")
    await shadow.drain()

    assert comparisons(metrics, "timeout") == 1
    assert await book.mode_for(POLICY, COMPANY) is Mode.SHADOW


async def test_beyond_the_in_flight_bound_comparisons_are_dropped_not_queued(
    book: DecisionBook, metrics: Metrics
) -> None:
    """With one running and a bound of one, the next submit is refused and counted."""
    release = asyncio.Event()

    async def held() -> ShadowOutcome:
        await release.wait()
        return ShadowOutcome(ShadowResult.EMPTY)

    shadow = runner(book, metrics, max_in_flight=1)
    accepted = [shadow.submit(held, company_id=COMPANY, route="r") for _ in range(3)]
    release.set()
    await shadow.drain()

    assert accepted == [True, False, False]
    assert comparisons(metrics, "dropped") == 2
    assert comparisons(metrics, "empty") == 1


async def test_a_failing_translated_read_is_counted_and_logged_by_type_only(
    book: DecisionBook, metrics: Metrics, logs: CapturedLogs
) -> None:
    """An upstream error in the background is a failed comparison; its message is not logged."""

    async def failing() -> ShadowOutcome:
        detail = "canary-upstream-detail"
        raise UpstreamUnavailable(detail)

    shadow = runner(book, metrics)
    shadow.submit(failing, company_id=COMPANY, route="GET /v1/expenses")
    await shadow.drain()

    assert comparisons(metrics, "failed") == 1
    (line,) = logs.events("shadow comparison failed")
    assert line["error"] == "UpstreamUnavailable"
    assert "canary-upstream-detail" not in logs.text


async def test_outcomes_feed_metrics_the_log_and_the_promotion(
    book: DecisionBook, metrics: Metrics, logs: CapturedLogs
) -> None:
    """Unexplained ones are logged by field and reset the count; clean ones promote."""
    tally = FieldTally("note", "note", "note", 2)
    outcomes = [
        ShadowOutcome(ShadowResult.UNEXPLAINED, 3, {"unexplained": 2}, (tally,)),
        ShadowOutcome(ShadowResult.CLEAN, 3, {"expected_gap": 5}),
        ShadowOutcome(ShadowResult.EMPTY),
        ShadowOutcome(ShadowResult.CLEAN, 1),
    ]
    shadow = runner(book, metrics)
    for outcome in outcomes:

        async def work(result: ShadowOutcome = outcome) -> ShadowOutcome:
            return result

        shadow.submit(work, company_id=COMPANY, route="GET /v1/expenses")
        await shadow.drain()

    assert await book.mode_for(POLICY, COMPANY) is Mode.EXPORT
    assert comparisons(metrics, "clean") == 2
    assert (
        metrics.registry.get_sample_value(
            "adapter_shadow_differences_total", {"kind": "expected_gap"}
        )
        == 5
    )
    (line,) = logs.events("shadow comparison found unexplained differences")
    assert line["fields"] == [
        {"field": "note", "mapping_row": "note", "source_path": "note", "count": 2}
    ]


async def test_closing_cancels_comparisons_still_running(
    book: DecisionBook, metrics: Metrics
) -> None:
    """Shutdown does not wait for a comparison stuck on Pleo."""
    never = asyncio.Event()

    async def stuck() -> ShadowOutcome:
        await never.wait()
        return ShadowOutcome(ShadowResult.CLEAN)

    shadow = runner(book, metrics)
    shadow.submit(stuck, company_id=COMPANY, route="r")
    await shadow.aclose()

    assert shadow.in_flight == 0
    assert comparisons(metrics, "clean") is None


def test_skips_are_counted_without_running_anything(book: DecisionBook, metrics: Metrics) -> None:
    """A request shadow cannot compare only counts as skipped."""
    runner(book, metrics).skip("receipts are not compared")

    assert comparisons(metrics, "skipped") == 1
