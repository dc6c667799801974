"""Each company's expense calls are served in the mode the cutover file gives it, live."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from adapter.app import create_app
from adapter.cutover import rollout_bucket
from adapter.sandbox.app import create_sandbox_app
from adapter.sandbox.config import SandboxConfig
from adapter.settings import Settings
from tests.support.credentials import write_credentials_file
from tests.support.cutover import cutover_text, mode_of, write_cutover_file
from tests.support.harness import PROXY, SANDBOX, Harness


@pytest.fixture
def cutover_file(tmp_path: Path) -> Path:
    return write_cutover_file(tmp_path / "cutover.toml", cutover_text("legacy"))


@pytest.fixture
def settings_overrides(cutover_file: Path) -> dict[str, Any]:
    return {
        "legacy_api_url": SANDBOX,
        "cutover_file": cutover_file,
        # Every request looks at the file: "the next request" is exact in these tests.
        "cutover_check_seconds": 0,
    }


def _v3_calls(calls: dict[str, int]) -> dict[str, int]:
    return {op: n for op, n in calls.items() if not op.startswith("legacy")}


async def _reset_stats(harness: Harness) -> None:
    await harness.admin.post("/sandbox/stats/reset")


async def test_without_a_cutover_file_every_company_is_served_in_export_mode(
    tmp_path: Path,
) -> None:
    """No ADAPTER_CUTOVER_FILE: the translation answers and X-Adapter-Mode says export."""
    sandbox = create_sandbox_app(SandboxConfig(seed=7, companies=1, jobs_per_company=1))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox), base_url=SANDBOX
    ) as admin:
        companies = (await admin.get("/sandbox/companies")).json()
        settings = Settings(
            export_api_url=SANDBOX,
            credentials_file=write_credentials_file(tmp_path / "c.toml", companies),
            discovery_min_interval_seconds=0,
        )
        app = create_app(settings, export_transport=httpx.ASGITransport(app=sandbox))
        async with (
            LifespanManager(app) as manager,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=manager.app), base_url=PROXY
            ) as proxy,
        ):
            auth = {"Authorization": f"Bearer {companies[0]['legacyToken']}"}
            listed = await proxy.get("/v1/expenses", params={"status": "QUEUED"}, headers=auth)
            refused = await proxy.get("/v1/expenses", headers={"Authorization": "Bearer nope"})
            stats = (await admin.get("/sandbox/stats")).json()["byOperation"]

    assert listed.status_code == 200
    assert mode_of(listed) == "export"
    assert refused.status_code == 401
    assert mode_of(refused) == "export"
    assert "legacyGetExpenses" not in stats


async def test_legacy_mode_answers_from_the_legacy_api_and_never_calls_the_export_api(
    harness: Harness,
) -> None:
    """In legacy mode the legacy API's answer comes back byte for byte, with no v3 call."""
    await _reset_stats(harness)
    params = {"status": "QUEUED", "pageSize": "7", "pageOffset": "2"}

    answer = await harness.proxy.get("/v1/expenses", params=params, headers=harness.auth())
    direct = await harness.admin.get("/v1/expenses", params=params, headers=harness.auth())

    assert mode_of(answer) == "legacy"
    assert answer.status_code == direct.status_code == 200
    # Two reads of the legacy API differ (its updatedAt noise), so compare with what it sent.
    assert [answer.content] == harness.legacy_answers.bodies
    assert answer.headers["content-type"] == direct.headers["content-type"]
    calls = await harness.upstream_calls()
    assert _v3_calls(calls) == {}
    assert calls["legacy:getExpenses"] == 2


async def test_a_company_switched_legacy_shadow_export_is_served_so_on_the_next_request(
    harness: Harness, cutover_file: Path
) -> None:
    """Editing the company's line changes its mode on the very next request, no restart."""
    company = harness.companies[0]["companyId"]
    seen = []
    for mode in ("legacy", "shadow", "export", "legacy"):
        write_cutover_file(cutover_file, cutover_text("legacy", {company: mode}))
        response = await harness.proxy.get(
            "/v1/expenses", params={"status": "QUEUED"}, headers=harness.auth()
        )
        assert response.status_code == 200
        seen.append(mode_of(response))
    await harness.proxy_app.state.cutover.runner.drain()

    assert seen == ["legacy", "shadow", "export", "legacy"]


async def test_each_company_gets_its_own_line_and_the_others_the_default(
    harness: Harness, cutover_file: Path
) -> None:
    """A listed company gets its line's mode; an unlisted one gets default_mode."""
    listed = harness.companies[0]["companyId"]
    write_cutover_file(cutover_file, cutover_text("legacy", {listed: "export"}))

    first = await harness.proxy.get("/v1/expenses", headers=harness.auth(0))
    second = await harness.proxy.get("/v1/expenses", headers=harness.auth(1))

    assert (mode_of(first), mode_of(second)) == ("export", "legacy")


async def test_a_rollout_sends_exactly_the_companies_in_its_buckets_to_its_mode(
    harness: Harness, cutover_file: Path
) -> None:
    """rollout.percent picks unlisted companies by their bucket; 100 takes them all."""
    buckets = [rollout_bucket(c["companyId"]) for c in harness.companies]
    percent = max(buckets)  # the company in the highest bucket stays out
    rollout = f'[rollout]\nmode = "export"\npercent = {percent}\n'
    write_cutover_file(cutover_file, cutover_text("legacy", extra=rollout))

    modes = [
        mode_of(await harness.proxy.get("/v1/expenses", headers=harness.auth(n)))
        for n in range(len(harness.companies))
    ]

    assert modes == ["export" if b < percent else "legacy" for b in buckets]
    assert "legacy" in modes


async def test_every_answer_of_a_legacy_route_names_its_mode_errors_included(
    harness: Harness, cutover_file: Path
) -> None:
    """401s, 404s, 405s and passed-through routes all carry X-Adapter-Mode."""
    company = harness.companies[0]["companyId"]
    write_cutover_file(cutover_file, cutover_text("shadow", {company: "export"}))

    unknown_token = await harness.proxy.get("/v1/expenses", headers={"Authorization": "Bearer x"})
    missing = await harness.proxy.get("/v1/expenses/no-such-expense", headers=harness.auth())
    wrong_method = await harness.proxy.delete("/v1/expenses", headers=harness.auth())
    health = await harness.proxy.get("/v1/health", headers=harness.auth())

    assert (unknown_token.status_code, mode_of(unknown_token)) == (401, "shadow")
    assert (missing.status_code, mode_of(missing)) == (404, "export")
    assert (wrong_method.status_code, mode_of(wrong_method)) == (405, "shadow")
    assert mode_of(health) == "legacy"
    assert "x-adapter-mode" not in (await harness.proxy.get("/readyz")).headers


async def test_a_file_that_no_longer_parses_keeps_the_last_good_policy(
    harness: Harness, cutover_file: Path
) -> None:
    """A broken edit changes nothing for clients; fixing it applies the fix at once."""
    company = harness.companies[0]["companyId"]
    write_cutover_file(cutover_file, cutover_text("legacy", {company: "export"}))
    assert mode_of(await harness.proxy.get("/v1/expenses", headers=harness.auth())) == "export"

    write_cutover_file(cutover_file, 'default_mode = "legacy"\n[companies]\n"' + company + '" = ')
    broken = await harness.proxy.get("/v1/expenses", headers=harness.auth())
    write_cutover_file(cutover_file, cutover_text("legacy", {company: "legacy"}))
    fixed = await harness.proxy.get("/v1/expenses", headers=harness.auth())

    assert (broken.status_code, mode_of(broken)) == (200, "export")
    assert (fixed.status_code, mode_of(fixed)) == (200, "legacy")
