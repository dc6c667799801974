"""Passthrough auth mode: a credential's company is learnt from Pleo's answers, else default."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from tests.support.cutover import cutover_text, mode_of
from tests.support.cutover_stack import cutover_stack

PASSTHROUGH: dict[str, Any] = {"auth_mode": "passthrough", "credentials_file": None}


def _api_key(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


async def test_a_v3_credential_gets_its_company_line_once_pleo_has_named_the_company(
    tmp_path: Path,
) -> None:
    """Unknown at first (default_mode: export serves it, Pleo lists its jobs), the company is
    then known and its own line applies from the next request."""
    async with cutover_stack(tmp_path, cutover_text("export"), **PASSTHROUGH) as stack:
        stack.write(cutover_text("export", {stack.company_id(): "shadow"}))
        headers = _api_key(stack.companies[0]["apiKey"])

        first = await stack.proxy.get("/v1/expenses", headers=headers)
        second = await stack.proxy.get("/v1/expenses", headers=headers)
        await stack.drain()

        assert (first.status_code, mode_of(first)) == (200, "export")
        assert mode_of(second) == "shadow"
        # Shadow needs a legacy token beside the v3 credential; passthrough has only one header.
        assert await stack.metric("adapter_shadow_comparisons_total", result="skipped") == 1
        assert {r.method for r in stack.v3.requests} == {"GET"}


async def test_a_legacy_token_in_passthrough_mode_always_gets_the_default_mode(
    tmp_path: Path,
) -> None:
    """A legacy token never reaches the Export API, so its company is never learnt: its
    company's line does not apply, default_mode does."""
    async with cutover_stack(tmp_path, cutover_text("legacy"), **PASSTHROUGH) as stack:
        stack.write(cutover_text("legacy", {stack.company_id(): "export"}))

        answers = [await stack.proxy.get("/v1/expenses", headers=stack.auth()) for _ in range(2)]

        assert [(a.status_code, mode_of(a)) for a in answers] == [(200, "legacy")] * 2
        assert stack.v3.requests == []
