"""Shadow mode: answered as in legacy mode, compared off the request path, never a write."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from tests.support.cutover import cutover_text, mode_of
from tests.support.cutover_stack import V3_WRITES, CutoverStack, cutover_stack

SHADOW_EVERYWHERE = cutover_text("shadow")


async def _queued(stack: CutoverStack, company: int = 0) -> httpx.Response:
    return await stack.proxy.get(
        "/v1/expenses", params={"status": "QUEUED", "pageSize": 1000}, headers=stack.auth(company)
    )


async def test_a_whole_legacy_flow_in_shadow_mode_writes_nothing_to_the_export_api(
    tmp_path: Path,
) -> None:
    """GET QUEUED, PUT EXPORTING, PUT EXPORTED, GET one, PUT one, then a scheduled round: the
    legacy API gets every write, the Export API only reads (no event, no item status), and
    every answer is the legacy one."""
    async with cutover_stack(tmp_path, SHADOW_EVERYWHERE) as stack:
        listed = await _queued(stack)
        ids = [expense["id"] for expense in listed.json()["expenses"]]
        answers = [listed]
        for status in ("EXPORTING", "EXPORTED"):
            answers.append(
                await stack.proxy.put(
                    "/v1/expenses",
                    json={"expenseIds": ids, "status": status},
                    headers=stack.auth(),
                )
            )
        answers.append(await stack.proxy.get(f"/v1/expenses/{ids[0]}", headers=stack.auth()))
        answers.append(
            await stack.proxy.put(
                f"/v1/expenses/{ids[1]}", json={"status": "EXPORTED"}, headers=stack.auth()
            )
        )
        await stack.drain()
        # A scheduled round changes nothing either.
        await stack.app.state.workflow.maintenance.run_all()

        # Two reads of the legacy API differ (its updatedAt noise): compare with what it sent.
        assert listed.content == stack.legacy.bodies[0]
        assert [(a.status_code, mode_of(a)) for a in answers] == [(200, "shadow")] * 5
        operations = await stack.operations()
        assert V3_WRITES.isdisjoint(operations)
        assert {r.method for r in stack.v3.requests} == {"GET"}
        assert operations["getExportItemsV3"] > 0  # the comparisons did read the translation
        ledger = await stack.ledger()
        assert {entry["kind"] for entry in ledger} == {"legacy_update"}
        assert len(ledger) == 2 * len(ids) + 1
        assert all(entry["outcome"] == "accepted" for entry in ledger)
        results = {
            result: await stack.metric("adapter_shadow_comparisons_total", result=result)
            for result in ("clean", "unexplained", "empty", "failed", "timeout", "dropped")
        }
        assert sum(results.values()) == 5
        assert results["failed"] == results["timeout"] == results["dropped"] == 0
        # The translation shows the current job (6 items); the legacy PUTs moved each of them
        # twice, and shadow never told the Export API: explained, not held against it.
        unwritten = await stack.metric("adapter_shadow_differences_total", kind="unwritten_status")
        assert unwritten >= 2 * 6


async def test_the_client_never_waits_for_the_comparison(tmp_path: Path) -> None:
    """While the translated read is held, the client already has its legacy answer."""
    gate = asyncio.Event()
    async with cutover_stack(tmp_path, SHADOW_EVERYWHERE, v3_gate=gate) as stack:
        answer = await _queued(stack)

        assert answer.status_code == 200
        assert stack.cutover.runner.in_flight == 1
        gate.set()
        await stack.drain()
        assert stack.cutover.runner.in_flight == 0


async def test_a_failing_comparison_changes_nothing_for_the_client(tmp_path: Path) -> None:
    """With the Export API failing, shadow answers are the legacy API's, byte for byte."""
    async with cutover_stack(tmp_path, SHADOW_EVERYWHERE) as stack:
        fault = {"path": "^/v3/", "status": 500, "count": 100}
        assert (await stack.admin.post("/sandbox/faults", json=fault)).status_code == 201
        answer = await _queued(stack)
        await stack.drain()

        assert (answer.status_code, answer.content) == (200, stack.legacy.bodies[0])
        assert await stack.metric("adapter_shadow_comparisons_total", result="failed") == 1


async def test_comparisons_beyond_the_in_flight_bound_are_dropped_and_counted(
    tmp_path: Path,
) -> None:
    """With one comparison running and a bound of one, the next is dropped, not queued."""
    gate = asyncio.Event()
    async with cutover_stack(
        tmp_path, SHADOW_EVERYWHERE, v3_gate=gate, shadow_max_in_flight=1
    ) as stack:
        first, second = await _queued(stack), await _queued(stack, company=1)
        dropped = await stack.metric("adapter_shadow_comparisons_total", result="dropped")
        gate.set()
        await stack.drain()

        assert (first.status_code, second.status_code) == (200, 200)
        assert dropped == 1


async def test_a_comparison_reads_the_translation_with_the_company_v3_credential_only(
    tmp_path: Path,
) -> None:
    """The legacy token goes only to the legacy API; the Export API sees the tenant's key."""
    async with cutover_stack(tmp_path, SHADOW_EVERYWHERE) as stack:
        await _queued(stack)
        await stack.drain()

        token = stack.auth()["Authorization"]
        assert {r.headers["authorization"] for r in stack.legacy.requests} == {token}
        assert stack.v3.requests
        assert all(r.headers["authorization"].startswith("Basic ") for r in stack.v3.requests)


async def test_unexplained_differences_are_logged_by_field_and_mapping_row_without_values(
    tmp_path: Path, logs: Any
) -> None:
    """A legacy answer the translation disagrees with gives one WARNING naming the field,
    its mapping row and v3 source, and never the values."""
    async with cutover_stack(tmp_path, cutover_text("export")) as stack:
        translated = (await _queued(stack)).json()
        translated["expenses"][0]["note"] = "canary-note-value"
        canned = httpx.MockTransport(lambda request: httpx.Response(200, json=translated))
    async with cutover_stack(tmp_path, SHADOW_EVERYWHERE, legacy=canned) as stack:
        await _queued(stack)
        await stack.drain()

    (line,) = logs.events("shadow comparison found unexplained differences")
    assert line["level"] == "warning"
    assert {"field": "note", "mapping_row": "note", "source_path": "note", "count": 1} in line[
        "fields"
    ]
    assert "canary-note-value" not in logs.text


async def test_answers_shadow_cannot_compare_are_skipped_and_counted(tmp_path: Path) -> None:
    """Receipts, HEAD, a legacy error and a query the translation refuses: the legacy answer
    as it is, and a skipped comparison each, with no call to the Export API."""
    ok = httpx.MockTransport(
        lambda request: httpx.Response(
            404 if "missing" in request.url.path else 200, json={"expenses": []}
        )
    )
    async with cutover_stack(tmp_path, SHADOW_EVERYWHERE, legacy=ok) as stack:
        answers = [
            await stack.proxy.get("/v1/expenses/e-1/receipts", headers=stack.auth()),
            await stack.proxy.head("/v1/expenses", headers=stack.auth()),
            await stack.proxy.get("/v1/expenses/missing", headers=stack.auth()),
            await stack.proxy.get("/v1/expenses?pageSize=many", headers=stack.auth()),
        ]
        await stack.drain()

        assert [a.status_code for a in answers] == [200, 200, 404, 200]
        assert {mode_of(a) for a in answers} == {"shadow"}
        assert await stack.metric("adapter_shadow_comparisons_total", result="skipped") == 4
        assert stack.v3.requests == []
