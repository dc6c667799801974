"""The payloads these tests fake for Pleo are themselves valid under Pleo's published OpenAPI."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from tests.support.openapi import validate_response
from tests.support.pleo_payloads import (
    JOB_ID,
    entry_id,
    export_item_json,
    job_item_json,
    job_json,
    page_json,
)

JSON = {"Content-Type": "application/json;charset=UTF-8"}


@pytest.mark.parametrize(
    ("method", "target", "status", "body"),
    [
        ("GET", "/v3/export-jobs", 200, page_json([job_json()], "CURSOR2")),
        ("GET", f"/v3/export-jobs/{JOB_ID}", 200, {"data": job_json()}),
        ("GET", f"/v3/export-jobs/{JOB_ID}/items", 200, page_json([job_item_json(1)])),
        ("GET", f"/v3/export-items?job_id={JOB_ID}", 200, page_json([export_item_json(1)])),
        (
            "PUT",
            f"/v3/export-jobs/{JOB_ID}/items",
            200,
            {
                "data": [job_item_json(1, status="successful")],
                "errors": [
                    {
                        "accountingEntryId": entry_id(2),
                        "message": "Accounting entry does not exist.",
                        "type": "ACCOUNTING_ENTRY_DOES_NOT_EXIST",
                    }
                ],
            },
        ),
        ("GET", f"/v3/export-jobs/{JOB_ID}", 404, {"type": "EXPORT_NOT_FOUND"}),
        (
            "PUT",
            f"/v3/export-jobs/{JOB_ID}/items",
            422,
            {"type": "EXPORT_JOB_STATUS_UNPROCESSABLE", "message": "Export job is finished."},
        ),
    ],
    ids=["jobs", "job", "job-items", "export-items", "item-update", "not-found", "finished"],
)
def test_fake_answers_follow_the_contract(
    method: str, target: str, status: int, body: dict[str, Any]
) -> None:
    """Each canned answer validates against the operation's declared response schema."""
    validate_response(method, target, status, JSON, orjson.dumps(body))
