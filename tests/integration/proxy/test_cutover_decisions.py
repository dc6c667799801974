"""Promotion after clean shadow evidence, fallback on export errors, the operator's last word."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from adapter.cutover import Mode
from tests.support.cutover import cutover_text, mode_of
from tests.support.cutover_stack import CutoverStack, cutover_stack

PROMOTION = "[promotion]\nafter_compared = 3\n"
FALLBACK = "[fallback]\nmax_error_rate = 0.25\nwindow = 4\n"


async def _get(stack: CutoverStack) -> httpx.Response:
    return await stack.proxy.get(
        "/v1/expenses", params={"status": "QUEUED", "pageSize": 1000}, headers=stack.auth()
    )


async def _translated_answer(tmp_path: Path) -> dict[str, Any]:
    """What export mode answers company 0 on the seeded sandbox."""
    async with cutover_stack(tmp_path, cutover_text("export")) as stack:
        answer: dict[str, Any] = (await _get(stack)).json()
        return answer


async def test_a_shadow_company_is_promoted_after_enough_clean_comparisons(
    tmp_path: Path, logs: Any
) -> None:
    """Three clean comparisons in a row (after_compared = 3) and the next call is export;
    the decision is logged with its evidence and kept in the store."""
    translated = await _translated_answer(tmp_path)
    agreeing = httpx.MockTransport(lambda request: httpx.Response(200, json=translated))
    async with cutover_stack(
        tmp_path, cutover_text("legacy", extra=PROMOTION), legacy=agreeing
    ) as stack:
        company = stack.company_id()
        stack.write(cutover_text("legacy", {company: "shadow"}, extra=PROMOTION))
        modes = []
        for _ in range(4):
            modes.append(mode_of(await _get(stack)))
            await stack.drain()
        record = await stack.cutover.decisions.record_of(company)

        assert modes == ["shadow", "shadow", "shadow", "export"]
        assert record is not None
        assert (record.decided, record.reason) == (Mode.EXPORT, "promotion")
        assert record.evidence["compared_requests"] == 3
        assert await stack.metric("adapter_cutover_decisions_total", decision="promoted") == 1
    (decision,) = logs.events("cutover decision")
    assert (decision["from_mode"], decision["to_mode"]) == ("shadow", "export")
    assert decision["compared_requests"] == 3
    assert company not in logs.text


async def test_an_unexplained_difference_starts_the_count_again(tmp_path: Path) -> None:
    """clean, clean, unexplained, clean, clean: not promoted yet (after_compared = 3); one
    more clean comparison and it is."""
    translated = await _translated_answer(tmp_path)
    spoiled = {**translated, "expenses": [dict(e) for e in translated["expenses"]]}
    spoiled["expenses"][0]["note"] = "legacy says otherwise"
    answers = iter([translated, translated, spoiled, translated, translated, translated])
    legacy = httpx.MockTransport(lambda request: httpx.Response(200, json=next(answers)))
    async with cutover_stack(
        tmp_path, cutover_text("shadow", extra=PROMOTION), legacy=legacy
    ) as stack:
        modes = []
        for _ in range(5):
            modes.append(mode_of(await _get(stack)))
            await stack.drain()
        record = await stack.cutover.decisions.record_of(stack.company_id())
        modes.append(mode_of(await _get(stack)))
        await stack.drain()
        modes.append(mode_of(await _get(stack)))

        assert record is not None
        assert (record.decided, record.clean) == (None, 2)
        assert modes == ["shadow"] * 6 + ["export"]


async def test_an_export_company_falls_back_to_legacy_when_its_error_rate_passes_the_limit(
    tmp_path: Path,
) -> None:
    """max_error_rate 0.25 of a window of 4: the second 5xx sends the next call to legacy,
    and an edit of the company's line (even of its comment) takes it back to export."""
    # Stale reads off: the failing GETs must answer 5xx, not the last good view; the circuit
    # breaker out of the way, so the call after the edit reaches Pleo again.
    async with cutover_stack(
        tmp_path,
        cutover_text("legacy", extra=FALLBACK),
        stale_read_seconds=0,
        upstream_circuit_failures=100,
    ) as stack:
        company = stack.company_id()
        stack.write(cutover_text("legacy", {company: "export"}, extra=FALLBACK))
        fine = await _get(stack)
        fault = {"path": "^/v3/export-jobs", "status": 503, "count": 1000}
        assert (await stack.admin.post("/sandbox/faults", json=fault)).status_code == 201
        failing = [await _get(stack), await _get(stack)]
        after = await _get(stack)
        record = await stack.cutover.decisions.record_of(company)
        await stack.admin.delete("/sandbox/faults")
        stack.write(
            cutover_text("legacy", {company: "export"}, extra=FALLBACK, comments={company: "2nd"})
        )
        edited = await _get(stack)

        assert (fine.status_code, mode_of(fine)) == (200, "export")
        assert [(r.status_code, mode_of(r)) for r in failing] == [(503, "export")] * 2
        assert (after.status_code, mode_of(after)) == (200, "legacy")
        assert record is not None
        assert (record.decided, record.reason) == (Mode.LEGACY, "fallback")
        assert record.evidence == {
            "errors": 2,
            "calls": 3,
            "window": 4,
            "max_error_rate": 0.25,
        }
        assert (edited.status_code, mode_of(edited)) == (200, "export")
        assert await stack.metric("adapter_cutover_decisions_total", decision="fell_back") == 1
        assert await stack.metric("adapter_cutover_decisions_total", decision="overridden") == 1
        fresh = await stack.cutover.decisions.record_of(company)
        assert fresh is not None
        assert (fresh.decided, fresh.outcomes) == (None, "0")  # counting afresh


async def test_a_decision_holds_while_other_lines_of_the_file_change(tmp_path: Path) -> None:
    """Editing another company's line leaves a fallen-back company where it is."""
    async with cutover_stack(tmp_path, cutover_text("export", extra=FALLBACK)) as stack:
        fault = {"path": "^/v3/export-jobs", "status": 503, "count": 1000}
        await stack.admin.post("/sandbox/faults", json=fault)
        for _ in range(2):
            await _get(stack)
        stack.write(cutover_text("export", {stack.company_id(1): "shadow"}, extra=FALLBACK))

        assert mode_of(await _get(stack)) == "legacy"


async def test_a_crash_in_export_mode_is_a_500_that_names_the_mode_and_counts_as_an_error(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """An unexpected failure of the translation answers 500 with X-Adapter-Mode and feeds the
    fallback window like any 5xx."""
    async with cutover_stack(tmp_path, cutover_text("export", extra=FALLBACK)) as stack:

        async def crash(*args: object) -> None:
            message = "canary-crash"
            raise RuntimeError(message)

        monkeypatch.setattr(stack.app.state.workflow, "list_expenses", crash)
        crashed = [await _get(stack) for _ in range(2)]
        monkeypatch.undo()
        after = await _get(stack)

        assert [(r.status_code, mode_of(r)) for r in crashed] == [(500, "export")] * 2
        assert "canary-crash" not in crashed[0].text
        assert mode_of(after) == "legacy"
