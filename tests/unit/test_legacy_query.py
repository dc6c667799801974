"""``GET /v1/expenses`` query: what clients may send, what they get back (pleo-api.md A.4)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from starlette.datastructures import QueryParams

from adapter.errors import BadRequest
from adapter.legacy.models import (
    CardTransaction,
    CardTransactionState,
    Expense,
    ExpenseType,
    LegacyAmount,
    LegacyStatus,
    Line,
    Merchant,
    Supplier,
    TagRef,
)
from adapter.legacy.query import ExpenseQuery, paginate, parse_query, parse_query_string

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


def make_line(*, account_id: str | None = None, tag_ids: Sequence[str] = ()) -> Line:
    return Line(
        amountSettled=LegacyAmount(value=Decimal("1.00"), currency="EUR"),
        accountId=account_id,
        taxCodeId=None,
        tagIds=[TagRef(id=t, tagGroupId="GROUP") for t in tag_ids],
    )


def make_expense(
    expense_id: str = "e1",
    *,
    status: LegacyStatus = LegacyStatus.QUEUED,
    expense_type: ExpenseType = ExpenseType.CARD,
    performed_at: datetime | None = None,
    account_id: str | None = None,
    tag_ids: Sequence[str] = (),
    lines: Sequence[Line] = (),
) -> Expense:
    """A legacy Expense with every key present and only the given fields filled in."""
    performed = performed_at or EPOCH
    return Expense(
        id=expense_id,
        performedAt=performed,
        amountOriginal=LegacyAmount(value=Decimal("1.00"), currency="EUR"),
        type=expense_type,
        lines=list(lines),
        status=status,
        createdAt=performed,
        updatedAt=performed,
        employeeId=None,
        employeeCode=None,
        departmentId=None,
        amountSettled=None,
        note=None,
        cardTransaction=CardTransaction(
            state=CardTransactionState.PRESENTMENT,
            merchant=Merchant(id=None, name=""),
            authorizedAt=None,
            settledAt=None,
            reversedAt=None,
        ),
        accountId=account_id,
        taxCodeId=None,
        tagIds=[TagRef(id=t, tagGroupId="GROUP") for t in tag_ids],
        receiptIds=[],
        settledExpenseIds=[],
        supplier=Supplier(CIF=None, documentNumber=None),
        deletedAt=None,
    )


def parse(query_string: str) -> ExpenseQuery:
    return parse_query(
        QueryParams(query_string),
        default_page_size=DEFAULT_PAGE_SIZE,
        max_page_size=MAX_PAGE_SIZE,
    )


def selected(query_string: str, expenses: Sequence[Expense]) -> list[str]:
    """The ids of the page a client gets for this query string."""
    return [e.id for e in paginate(expenses, parse(query_string)).items]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


ONE_OF_EACH_STATUS = [make_expense(s.value, status=s) for s in LegacyStatus]


# --- status -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query_string",
    [
        "status=QUEUED&status=EXPORTING",
        "status=QUEUED,EXPORTING",
        "status=QUEUED, EXPORTING",
        "status=queued&status=exporting",
        "status=Queued,&status=,exporting",
    ],
)
def test_status_filter_accepts_repeated_comma_separated_and_lower_case(query_string: str) -> None:
    """A status filter may be repeated, comma-separated or lower-case and selects those statuses."""
    assert selected(query_string, ONE_OF_EACH_STATUS) == ["QUEUED", "EXPORTING"]


@pytest.mark.parametrize("query_string", ["", "status=", "other=1"])
def test_no_status_filter_returns_every_status(query_string: str) -> None:
    """Without a status filter (empty, or only unknown parameters) every expense is listed."""
    assert selected(query_string, ONE_OF_EACH_STATUS) == [s.value for s in LegacyStatus]


@pytest.mark.parametrize("query_string", ["status=DONE", "status=QUEUED,DONE", "types=CARD,TAXI"])
def test_unknown_enum_value_is_a_bad_request(query_string: str) -> None:
    """An unknown status or type is refused with 400 INVALID_QUERY_PARAMETER."""
    with pytest.raises(BadRequest) as caught:
        parse(query_string)
    assert caught.value.status_code == 400
    assert caught.value.error_type == "INVALID_QUERY_PARAMETER"


# --- pageOffset / pageSize --------------------------------------------------------------------


@pytest.mark.parametrize(
    "query_string",
    [
        "pageOffset=-1",
        "pageOffset=abc",
        "pageOffset=NaN",
        "pageOffset=inf",
        "pageOffset=1.5",
        "pageSize=0",
        "pageSize=-5",
        "pageSize=2.5",
        "pageSize=nan",
        "pageSize=1e12",
    ],
)
def test_malformed_paging_parameter_is_a_bad_request(query_string: str) -> None:
    """A negative, fractional, non-numeric, NaN or absurd paging parameter is refused with 400."""
    with pytest.raises(BadRequest) as caught:
        parse(query_string)
    assert caught.value.status_code == 400
    assert caught.value.error_type == "INVALID_QUERY_PARAMETER"


@pytest.mark.parametrize(
    ("query_string", "offset", "size"),
    [
        ("", 0, DEFAULT_PAGE_SIZE),
        ("pageOffset=&pageSize=", 0, DEFAULT_PAGE_SIZE),
        ("pageOffset=40&pageSize=20", 40, 20),
        ("pageOffset=40.0&pageSize=20.0", 40, 20),
        ("pageSize=1001", 0, MAX_PAGE_SIZE),
        ("pageSize=1000000000", 0, MAX_PAGE_SIZE),
    ],
)
def test_paging_parameters_defaults_whole_numbers_and_clamping(
    query_string: str, offset: int, size: int
) -> None:
    """Paging takes whole numbers (20.0 too), defaults when absent, and clamps a large pageSize."""
    query = parse(query_string)
    assert (query.page_offset, query.page_size) == (offset, size)


# --- dates ------------------------------------------------------------------------------------

AROUND_MARCH = [
    make_expense("feb-end", performed_at=at("2024-02-29T23:59:59.999+00:00")),
    make_expense("mar-start", performed_at=at("2024-03-01T00:00:00+00:00")),
    make_expense("mar-end", performed_at=at("2024-03-31T23:59:59.999+00:00")),
    make_expense("apr-start", performed_at=at("2024-04-01T00:00:00+00:00")),
]


@pytest.mark.parametrize(
    ("query_string", "expected"),
    [
        ("dateFrom=2024-03-01", ["mar-start", "mar-end", "apr-start"]),
        ("dateTo=2024-03-31", ["feb-end", "mar-start", "mar-end"]),
        ("dateFrom=2024-03-01&dateTo=2024-03-31", ["mar-start", "mar-end"]),
        ("dateFrom=2024-03-01T00:00:00Z&dateTo=2024-03-31T23:59:59.999Z", ["mar-start", "mar-end"]),
        (
            "dateFrom=2024-03-01T00:00:00.000Z&dateTo=2024-04-01T00:00:00Z",
            ["mar-start", "mar-end", "apr-start"],
        ),
        (
            "dateFrom=2024-03-01T02:00:00%2B02:00&dateTo=2024-03-31T11:59:59.999-12:00",
            ["mar-start", "mar-end"],
        ),
        ("dateFrom=2024-03-01T00:00:00&dateTo=2024-03-31T00:00:00", ["mar-start"]),
        ("dateFrom=2024-03-01T00:00:01Z", ["mar-end", "apr-start"]),
    ],
)
def test_date_range_filters_on_performed_at(query_string: str, expected: list[str]) -> None:
    """Dates or timestamps (Z, offset, naive = UTC) bound performedAt; bare dateTo spans its day."""
    assert selected(query_string, AROUND_MARCH) == expected


@pytest.mark.parametrize(
    "query_string",
    ["dateFrom=yesterday", "dateTo=2024-13-01", "dateFrom=2024-02-30", "dateTo=01/03/2024"],
)
def test_malformed_date_is_a_bad_request(query_string: str) -> None:
    """A date that is neither YYYY-MM-DD nor an ISO timestamp is refused with 400."""
    with pytest.raises(BadRequest) as caught:
        parse(query_string)
    assert caught.value.error_type == "INVALID_QUERY_PARAMETER"


# --- types, accountId, tagId -----------------------------------------------------------------


def test_types_filter_selects_the_listed_types() -> None:
    """The types filter, repeated or comma-separated and in any case, lists only those types."""
    expenses = [make_expense(t.value, expense_type=t) for t in ExpenseType]
    assert selected("types=card,bill_invoice", expenses) == ["CARD", "BILL_INVOICE"]
    assert selected("types=CARD&types=LOAD", expenses) == ["CARD", "LOAD"]


ACCOUNTS_AND_TAGS = [
    make_expense("top", account_id="acc-1", tag_ids=["tag-1"]),
    make_expense(
        "on-a-line",
        lines=[make_line(account_id="acc-2"), make_line(account_id="acc-1", tag_ids=["tag-1"])],
    ),
    make_expense("elsewhere", account_id="acc-2", tag_ids=["tag-2"], lines=[make_line()]),
    make_expense("bare"),
]


@pytest.mark.parametrize(
    ("query_string", "expected"),
    [
        ("accountId=acc-1", ["top", "on-a-line"]),
        ("accountId=acc-2", ["on-a-line", "elsewhere"]),
        ("accountId=acc-9", []),
        ("tagId=tag-1", ["top", "on-a-line"]),
        ("tagId=tag-2", ["elsewhere"]),
        ("tagId=tag-9", []),
        ("accountId=acc-1&tagId=tag-1", ["top", "on-a-line"]),
        ("accountId=acc-2&tagId=tag-2", ["elsewhere"]),
        ("accountId=&tagId=", ["top", "on-a-line", "elsewhere", "bare"]),
    ],
)
def test_account_and_tag_filters_match_top_level_or_any_line(
    query_string: str, expected: list[str]
) -> None:
    """accountId and tagId match the expense's own value or that of any of its lines."""
    assert selected(query_string, ACCOUNTS_AND_TAGS) == expected


# --- paginate ---------------------------------------------------------------------------------

FIVE_QUEUED_TWO_EXPORTED = [make_expense(f"q{n}", status=LegacyStatus.QUEUED) for n in range(5)] + [
    make_expense(f"x{n}", status=LegacyStatus.EXPORTED) for n in range(2)
]


@pytest.mark.parametrize(
    ("offset", "ids", "next_offset"),
    [
        (0, ["q0", "q1"], 2),
        (2, ["q2", "q3"], 4),
        (4, ["q4"], None),
        (5, [], None),
        (50, [], None),
    ],
)
def test_paginate_pages_through_the_matching_expenses(
    offset: int, ids: list[str], next_offset: int | None
) -> None:
    """Pages hold the next matches, totalCount counts them all, nextPageOffset stops at the end."""
    page = paginate(
        FIVE_QUEUED_TWO_EXPORTED, parse(f"status=QUEUED&pageSize=2&pageOffset={offset}")
    )
    assert [e.id for e in page.items] == ids
    assert page.total_count == 5
    assert page.next_page_offset == next_offset


def test_last_page_has_no_next_page_offset() -> None:
    """On the last page there is no next page offset."""
    page = paginate(FIVE_QUEUED_TWO_EXPORTED, parse("pageSize=7"))
    assert (len(page.items), page.total_count, page.next_page_offset) == (7, 7, None)


def test_page_exactly_filled_is_the_last_page() -> None:
    """When the matches end exactly at a page boundary there is no next page."""
    page = paginate(FIVE_QUEUED_TWO_EXPORTED, parse("status=QUEUED&pageSize=5"))
    assert len(page.items) == 5
    assert page.next_page_offset is None


@pytest.mark.parametrize(
    "query_string",
    [
        "status=QUEUED&pageSize=100",
        "status=EXPORTING,EXPORTED&pageOffset=200",
        "pageSize=100000",
        "",
    ],
)
def test_raw_query_string_parses_as_the_query_params_do(query_string: str) -> None:
    """The cached parse of the raw query string is the same query, asked once or many times."""
    raw = query_string.encode("latin-1")
    for _ in range(2):
        assert parse_query_string(raw, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE) == parse(query_string)


def test_a_refused_raw_query_string_is_refused_every_time() -> None:
    """A malformed query is a 400 on every request, never remembered as some valid query."""
    for _ in range(2):
        with pytest.raises(BadRequest):
            parse_query_string(b"pageSize=0", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
