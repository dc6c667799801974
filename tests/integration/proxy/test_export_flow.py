"""A legacy integration runs whole exports through the proxy against the sandbox."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from adapter.legacy.models import Expense
from tests.support.harness import Harness
from tests.support.legacy_errors import assert_legacy_error


def _events(ledger: list[dict[str, Any]]) -> list[str]:
    return [e["event"] for e in ledger if e["kind"] == "job_event" and e["outcome"] == "accepted"]


def _terminal(ledger: list[dict[str, Any]]) -> dict[str, list[str]]:
    seen: dict[str, list[str]] = {}
    for entry in ledger:
        if (
            entry["kind"] == "item_update"
            and entry["resultingStatus"]
            in (
                "successful",
                "failed",
                "abandoned",
            )
            and entry["previousStatus"] != entry["resultingStatus"]
        ):
            seen.setdefault(entry["accountingEntryId"], []).append(entry["resultingStatus"])
    return seen


async def test_queued_lists_the_oldest_job_only_as_valid_legacy_expenses(harness: Harness) -> None:
    """GET QUEUED shows exactly the items of the company's oldest pending job, in legacy shape."""
    expenses = await harness.queued()
    for raw in expenses:
        Expense.model_validate(raw)
        assert raw["status"] == "QUEUED"
    # Ask the sandbox's v3 API directly which job is the oldest and what it holds.
    key = {"Authorization": f"Bearer {harness.companies[0]['bearerToken']}"}
    jobs = (await harness.admin.get("/v3/export-jobs", headers=key)).json()["data"]
    oldest = min(jobs, key=lambda j: j["createdAt"])
    items = (await harness.admin.get(f"/v3/export-jobs/{oldest['id']}/items", headers=key)).json()
    assert [e["id"] for e in expenses] == [i["accountingEntryId"] for i in items["data"]]


async def test_gets_alone_change_nothing_upstream(harness: Harness) -> None:
    """Legacy GETs of every kind never write to Pleo: no event and no item update."""
    ids = [e["id"] for e in await harness.queued()]
    await harness.proxy.get("/v1/expenses", headers=harness.auth())
    await harness.proxy.get(f"/v1/expenses/{ids[0]}", headers=harness.auth())
    await harness.queued(company=1)
    assert await harness.ledger() == []
    calls = await harness.upstream_calls()
    assert "createExportJobEventV3" not in calls
    assert "updateExportJobItemsV3" not in calls


async def test_whole_export_claims_once_writes_through_and_completes(harness: Harness) -> None:
    """EXPORTING claims the job once, EXPORTED/NOT_EXPORTED are written through, the job closes."""
    ids = [e["id"] for e in await harness.queued()]
    exporting = await harness.put(ids, "EXPORTING")
    assert exporting.status_code == 200
    assert {e["status"] for e in exporting.json()["expenses"]} == {"EXPORTING"}
    done = await harness.put(ids[:-2], "EXPORTED")
    assert {e["status"] for e in done.json()["expenses"]} == {"EXPORTED"}
    failed = await harness.put(ids[-2:], "NOT_EXPORTED")
    assert {e["status"] for e in failed.json()["expenses"]} == {"NOT_EXPORTED"}

    ledger = await harness.ledger(company=0)
    assert _events(ledger) == ["started", "completed_with_errors"]
    terminal = _terminal(ledger)
    assert {i: s for i, s in terminal.items()} == {
        **{i: ["successful"] for i in ids[:-2]},
        **{i: ["failed"] for i in ids[-2:]},
    }
    assert all(e["outcome"] == "accepted" for e in ledger)
    # The last ledger entry is the completion: nothing was completed prematurely.
    assert ledger[-1]["event"] == "completed_with_errors"


async def test_all_exported_closes_the_job_as_completed(harness: Harness) -> None:
    """When every item is EXPORTED the job is closed with `completed`."""
    ids = [e["id"] for e in await harness.queued()]
    await harness.put(ids, "EXPORTING")
    await harness.put(ids, "EXPORTED")
    assert _events(await harness.ledger(company=0)) == ["started", "completed"]


async def test_the_next_job_appears_on_the_next_get(harness: Harness) -> None:
    """After a job is finished, the next GET QUEUED shows the next job's items."""
    first = [e["id"] for e in await harness.queued()]
    await harness.put(first, "EXPORTED")
    second = [e["id"] for e in await harness.queued()]
    assert len(second) == 6
    assert not set(first) & set(second)


async def test_exported_straight_from_queued_claims_first(harness: Harness) -> None:
    """A client that skips EXPORTING still gets the job claimed before any item update."""
    ids = [e["id"] for e in await harness.queued()]
    await harness.put(ids, "EXPORTED")
    ledger = await harness.ledger(company=0)
    assert ledger[0]["event"] == "started"
    assert _events(ledger) == ["started", "completed"]


async def test_repeating_a_status_is_a_no_op_answered_200(harness: Harness) -> None:
    """PUT of the status an expense already has answers 200 and sends nothing upstream."""
    ids = [e["id"] for e in await harness.queued()]
    await harness.put(ids[:2], "EXPORTING")
    before = len(await harness.ledger())
    again = await harness.put(ids[:2], "EXPORTING")
    assert again.status_code == 200
    assert len(await harness.ledger()) == before


@pytest.mark.parametrize(
    ("first", "then", "status"),
    [
        ("EXPORTED", "EXPORTING", 409),
        ("EXPORTED", "NOT_EXPORTED", 409),
        ("NOT_EXPORTED", "EXPORTED", 409),
        ("EXPORTING", "QUEUED", 409),
    ],
)
async def test_illegal_transitions_are_refused_before_anything_is_sent(
    harness: Harness, first: str, then: str, status: int
) -> None:
    """A change the item's state forbids gets 409 in the legacy shape and nothing upstream."""
    ids = [e["id"] for e in await harness.queued()]
    await harness.put(ids[:1], first)
    before = await harness.ledger()
    response = await harness.put(ids[:1], then)
    assert_legacy_error(response, status, then)
    assert await harness.ledger() == before


async def test_one_bad_id_rejects_the_whole_put_before_any_write(harness: Harness) -> None:
    """An unknown id in a PUT gets 404 and the other ids in it are not written either."""
    ids = [e["id"] for e in await harness.queued()]
    response = await harness.put([*ids[:3], "00000000-0000-4000-8000-000000000000"], "EXPORTING")
    assert_legacy_error(response, 404, "00000000-0000-4000-8000-000000000000 not found")
    assert await harness.ledger() == []


async def test_tenants_never_see_or_touch_each_others_expenses(harness: Harness) -> None:
    """Two companies see disjoint expenses, and one cannot update the other's (404, no write)."""
    mine = {e["id"] for e in await harness.queued(company=0)}
    theirs = {e["id"] for e in await harness.queued(company=1)}
    assert mine
    assert theirs
    assert not mine & theirs
    response = await harness.put(sorted(theirs)[:1], "EXPORTED", company=0)
    assert response.status_code == 404
    single = await harness.proxy.get(f"/v1/expenses/{sorted(theirs)[0]}", headers=harness.auth(0))
    assert single.status_code == 404
    assert await harness.ledger() == []


async def test_credentials_sent_upstream_are_the_tenants_own(harness: Harness) -> None:
    """Every upstream call a company's legacy token causes is made with that company's key."""
    await harness.queued(company=0)
    await harness.queued(company=1)
    ids = [e["id"] for e in await harness.queued(company=1)]
    await harness.put(ids[:1], "EXPORTING", company=1)
    ledger = await harness.ledger()
    assert ledger
    assert {e["companyId"] for e in ledger} == {harness.companies[1]["companyId"]}


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-known-token"}, {"Authorization": "Basic Zm9vOg=="}],
)
async def test_missing_or_wrong_credentials_get_401_before_any_upstream_call(
    harness: Harness, headers: dict[str, str]
) -> None:
    """Without a known legacy token the proxy answers 401 and calls nothing upstream."""
    response = await harness.proxy.get("/v1/expenses", headers=headers)
    assert_legacy_error(response, 401, "credentials")
    assert await harness.upstream_calls() == {}


async def test_concurrent_gets_share_one_upstream_fetch(harness: Harness) -> None:
    """Twenty simultaneous GETs of one company cause one discovery, not twenty."""
    harness_settings = harness.settings
    assert harness_settings.discovery_min_interval_seconds == 0
    results = await asyncio.gather(*(harness.queued() for _ in range(20)))
    assert all(len(r) == 6 for r in results)
    calls = await harness.upstream_calls()
    assert calls["getExportJobItemsV3"] == 1
    assert calls["getExportItemsV3"] == 1


async def test_single_expense_routes(harness: Harness) -> None:
    """GET and PUT /v1/expenses/{id} read and change one expense; unknown ids get 404."""
    expense_id = (await harness.queued())[0]["id"]
    one = await harness.proxy.get(f"/v1/expenses/{expense_id}", headers=harness.auth())
    assert one.status_code == 200
    assert one.json()["id"] == expense_id
    put = await harness.proxy.put(
        f"/v1/expenses/{expense_id}/", json={"status": "EXPORTING"}, headers=harness.auth()
    )
    assert put.status_code == 200
    assert put.json()["expenses"][0]["status"] == "EXPORTING"
    missing = await harness.proxy.get("/v1/expenses/nope", headers=harness.auth())
    assert missing.status_code == 404


async def test_paging_follows_the_legacy_envelope(harness: Harness) -> None:
    """pageOffset/pageSize page through the set; nextPageOffset disappears on the last page."""
    seen: list[str] = []
    offset: int | None = 0
    pages = 0
    while offset is not None:
        response = await harness.proxy.get(
            "/v1/expenses/",
            params={"status": "queued,exporting", "pageSize": 4, "pageOffset": offset},
            headers=harness.auth(),
        )
        body = response.json()
        assert body["metadata"]["pageInfo"]["totalCount"] == 6
        seen += [e["id"] for e in body["expenses"]]
        offset = body["metadata"]["pageInfo"].get("nextPageOffset")
        pages += 1
    assert pages == 2
    assert len(set(seen)) == 6


async def test_extension_fields_reach_pleo(harness: Harness) -> None:
    """externalId and failureReason sent with a legacy PUT are passed through to Pleo."""
    ids = [e["id"] for e in await harness.queued()]
    response = await harness.proxy.put(
        "/v1/expenses",
        json=[
            {"id": ids[0], "status": "EXPORTED", "externalId": "ERP-1"},
            {"id": ids[1], "status": "NOT_EXPORTED", "failureReason": "Vendor blocked"},
        ],
        headers=harness.auth(),
    )
    assert response.status_code == 200
    job_id = (await harness.ledger())[0]["jobId"]
    job = (await harness.admin.get(f"/sandbox/jobs/{job_id}")).json()
    items = {i["accountingEntryId"]: i for i in job["items"]}
    assert items[ids[0]]["externalId"] == "ERP-1"
    assert items[ids[1]]["failureReason"] == "Vendor blocked"


@pytest.mark.parametrize("settings_overrides", [{"discovery_min_interval_seconds": 60}])
async def test_a_busy_client_cannot_make_the_proxy_hammer_pleo(harness: Harness) -> None:
    """Many GETs within the discovery interval cause one job listing, not one per GET."""
    for _ in range(10):
        await harness.queued()
    assert (await harness.upstream_calls())["getExportJobsListV3"] == 1


async def test_scheduled_polling_covers_configured_tenants_before_their_first_call(
    harness: Harness,
) -> None:
    """In credentials mode a scheduled round reads every configured company's current job."""
    workflow = harness.proxy_app.state.workflow
    await workflow.maintenance.run_all()
    calls = await harness.upstream_calls()
    assert calls["getExportJobsListV3"] == len(harness.companies)
    assert calls["getExportItemsV3"] == len(harness.companies)
    assert await harness.ledger() == []
