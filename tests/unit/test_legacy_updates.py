"""``PUT /v1/expenses`` bodies: every shape clients send, and every way one is refused."""

from __future__ import annotations

from typing import Any

import pytest

from adapter.errors import AdapterError, BadRequest, PayloadTooLarge, Unprocessable
from adapter.export.models import ExportJobItemFailureReasonType
from adapter.legacy.models import ItemUpdateExtras, LegacyStatus, StatusChange
from adapter.legacy.updates import parse_bulk_update, parse_single_update

MAX_IDS = 3


def bulk(body: Any) -> list[StatusChange]:
    return parse_bulk_update(body, max_ids=MAX_IDS)


def refused(body: Any) -> AdapterError:
    with pytest.raises(AdapterError) as caught:
        bulk(body)
    return caught.value


EXPORTED_A_B = [
    StatusChange("a", LegacyStatus.EXPORTED),
    StatusChange("b", LegacyStatus.EXPORTED),
]


@pytest.mark.parametrize(
    "body",
    [
        {"expenseIds": ["a", "b"], "status": "EXPORTED"},
        {"expenses": [{"id": "a", "status": "EXPORTED"}, {"id": "b", "status": "EXPORTED"}]},
        [{"id": "a", "status": "EXPORTED"}, {"id": "b", "status": "EXPORTED"}],
        [{"id": " a ", "status": " exported "}, {"id": "b", "status": "Exported"}],
    ],
    ids=["expenseIds", "expenses", "bare-array", "padded-lower-case"],
)
def test_all_three_bulk_shapes_give_the_same_changes(body: Any) -> None:
    """The expenseIds, expenses and bare-array bodies all mean the same status changes."""
    assert bulk(body) == EXPORTED_A_B


def test_entries_may_carry_different_statuses() -> None:
    """Each entry of an expenses array keeps its own status, in order."""
    body = [{"id": "a", "status": "EXPORTING"}, {"id": "b", "status": "NOT_EXPORTED"}]
    assert bulk(body) == [
        StatusChange("a", LegacyStatus.EXPORTING),
        StatusChange("b", LegacyStatus.NOT_EXPORTED),
    ]


def test_single_update_takes_the_id_from_the_path() -> None:
    """PUT /v1/expenses/{id} with {"status": S} is one change for the path's id."""
    assert parse_single_update({"status": "QUEUED"}, "e-1") == StatusChange(
        "e-1", LegacyStatus.QUEUED
    )


EXTRAS = {
    "externalId": "INV-42",
    "externalUrl": "https://erp.example/INV-42",
    "failureReason": "vendor missing",
    "failureReasonType": "vendor_unknown",
}
EXPECTED_EXTRAS = ItemUpdateExtras(
    external_id="INV-42",
    external_url="https://erp.example/INV-42",
    failure_reason="vendor missing",
    failure_reason_type=ExportJobItemFailureReasonType.VENDOR_UNKNOWN,
)


@pytest.mark.parametrize(
    "body",
    [
        {"expenseIds": ["a"], "status": "NOT_EXPORTED", **EXTRAS},
        {"expenses": [{"id": "a", "status": "NOT_EXPORTED", **EXTRAS}]},
        [{"id": "a", "status": "NOT_EXPORTED", **EXTRAS}],
    ],
    ids=["expenseIds", "expenses", "bare-array"],
)
def test_extension_fields_are_passed_through_as_extras(body: Any) -> None:
    """externalId, externalUrl, failureReason and failureReasonType arrive as ItemUpdateExtras."""
    assert bulk(body) == [StatusChange("a", LegacyStatus.NOT_EXPORTED, EXPECTED_EXTRAS)]


def test_single_update_passes_extras_through() -> None:
    """The single-expense PUT carries the same extension fields."""
    change = parse_single_update({"status": "EXPORTED", "externalId": "INV-1"}, "e-1")
    assert change.extras == ItemUpdateExtras(external_id="INV-1")


def test_null_extension_fields_mean_no_extras() -> None:
    """Extension fields sent as null are the same as not sending them."""
    body = [{"id": "a", "status": "EXPORTED", "externalId": None, "failureReason": None}]
    assert bulk(body) == [StatusChange("a", LegacyStatus.EXPORTED)]


def test_unknown_fields_are_ignored_so_nothing_else_can_be_assigned() -> None:
    """A client sending a whole expense changes only its status (no mass assignment)."""
    whole_expense = {
        "id": "a",
        "status": "EXPORTED",
        "companyId": "someone-else",
        "amountOriginal": {"value": 0, "currency": "EUR"},
        "accountId": "acc-evil",
        "exportedAt": "1999-01-01T00:00:00Z",
        "jobId": "job-evil",
    }
    assert bulk({"expenses": [whole_expense]}) == [StatusChange("a", LegacyStatus.EXPORTED)]
    assert parse_single_update(whole_expense, "e-1") == StatusChange("e-1", LegacyStatus.EXPORTED)


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"expenses": []},
        {"expenseIds": [], "status": "EXPORTED"},
    ],
)
def test_empty_list_is_a_bad_request(body: Any) -> None:
    """A body with no expenses to update is refused with 400."""
    error = refused(body)
    assert isinstance(error, BadRequest)
    assert error.status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        [{"id": str(n), "status": "EXPORTED"} for n in range(MAX_IDS + 1)],
        {"expenses": [{"id": str(n), "status": "EXPORTED"} for n in range(MAX_IDS + 1)]},
        {"expenseIds": [str(n) for n in range(MAX_IDS + 1)], "status": "EXPORTED"},
    ],
)
def test_too_many_ids_is_payload_too_large(body: Any) -> None:
    """More ids than the configured maximum are refused with 413 TOO_MANY_EXPENSES."""
    error = refused(body)
    assert isinstance(error, PayloadTooLarge)
    assert (error.status_code, error.error_type) == (413, "TOO_MANY_EXPENSES")


def test_exactly_the_maximum_number_of_ids_is_accepted() -> None:
    """The configured maximum itself is allowed."""
    body = {"expenseIds": [str(n) for n in range(MAX_IDS)], "status": "EXPORTED"}
    assert len(bulk(body)) == MAX_IDS


@pytest.mark.parametrize(
    "body",
    [
        {"expenseIds": ["a"], "status": "DONE"},
        [{"id": "a", "status": "EXPORTED"}, {"id": "b", "status": "SHIPPED"}],
        {"expenses": [{"id": "a", "status": ""}]},
    ],
)
def test_unknown_status_value_is_unprocessable(body: Any) -> None:
    """A status string that is not a legacy status is refused with 422 INVALID_STATUS."""
    error = refused(body)
    assert isinstance(error, Unprocessable)
    assert (error.status_code, error.error_type) == (422, "INVALID_STATUS")


@pytest.mark.parametrize("status", [None, 1, True, ["EXPORTED"], {"value": "EXPORTED"}])
def test_non_string_status_is_a_bad_request(status: Any) -> None:
    """A missing or non-string status is refused with 400."""
    error = refused([{"id": "a", "status": status}])
    assert isinstance(error, BadRequest)
    assert error.status_code == 400


def test_single_update_refuses_a_bad_status() -> None:
    """The single-expense PUT refuses a missing status with 400 and an unknown one with 422."""
    with pytest.raises(BadRequest):
        parse_single_update({}, "e-1")
    with pytest.raises(Unprocessable):
        parse_single_update({"status": "DONE"}, "e-1")


@pytest.mark.parametrize("reason_type", ["not_a_reason", "VENDOR_UNKNOWN", ""])
def test_unknown_failure_reason_type_is_unprocessable(reason_type: str) -> None:
    """A failureReasonType that is not one of Pleo's values is refused with 422."""
    error = refused([{"id": "a", "status": "NOT_EXPORTED", "failureReasonType": reason_type}])
    assert isinstance(error, Unprocessable)
    assert error.status_code == 422


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("externalId", "x" * 2001),
        ("externalUrl", "https://erp.example/" + "x" * 2000),
        ("failureReason", "x" * 2001),
        ("externalId", 42),
        ("failureReason", {"text": "nested"}),
    ],
)
def test_overlong_or_non_string_extra_is_a_bad_request(field: str, value: Any) -> None:
    """An extension field longer than 2000 characters, or not a string, is refused with 400."""
    error = refused([{"id": "a", "status": "EXPORTED", field: value}])
    assert isinstance(error, BadRequest)
    assert error.status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        [{"status": "EXPORTED"}],
        [{"id": None, "status": "EXPORTED"}],
        [{"id": 7, "status": "EXPORTED"}],
        [{"id": "   ", "status": "EXPORTED"}],
        [{"id": "x" * 129, "status": "EXPORTED"}],
        {"expenseIds": ["a", 2], "status": "EXPORTED"},
        {"expenseIds": ["a", ""], "status": "EXPORTED"},
    ],
)
def test_missing_or_non_string_id_is_a_bad_request(body: Any) -> None:
    """An entry without a usable string id is refused with 400."""
    error = refused(body)
    assert isinstance(error, BadRequest)
    assert error.status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        None,
        "EXPORTED",
        42,
        {},
        {"status": "EXPORTED"},
        {"expenseIds": "a", "status": "EXPORTED"},
        {"expenses": {"id": "a", "status": "EXPORTED"}},
        ["a", "b"],
    ],
)
def test_unrecognised_body_shape_is_a_bad_request(body: Any) -> None:
    """A body in none of the three shapes is refused with 400 INVALID_BODY."""
    error = refused(body)
    assert isinstance(error, BadRequest)
    assert error.error_type == "INVALID_BODY"


@pytest.mark.parametrize("body", [None, [], "EXPORTED", ["status", "EXPORTED"]])
def test_single_update_needs_an_object(body: Any) -> None:
    """The single-expense PUT refuses anything but a JSON object with 400."""
    with pytest.raises(BadRequest):
        parse_single_update(body, "e-1")
