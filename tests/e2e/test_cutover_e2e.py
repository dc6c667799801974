"""The acceptance switch with real processes: legacy -> shadow -> export by editing one line."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.credentials import write_credentials_file
from tests.support.cutover import cutover_text, mode_of, write_cutover_file
from tests.support.processes import ManagedProcess, Sandbox, SandboxFactory, start_proxy

V3_WRITES = {"createExportJobEventV3", "updateExportJobItemsV3", "createExportJobV3"}
_WAIT_SECONDS = 20.0


def _comparisons(proxy: httpx.Client) -> float:
    text = proxy.get("/metrics").text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "adapter_shadow_comparisons_total"
    )


def _wait_for_comparisons(proxy: httpx.Client, count: int) -> None:
    """Poll /metrics until ``count`` shadow comparisons are recorded (bounded)."""
    deadline = time.monotonic() + _WAIT_SECONDS
    while _comparisons(proxy) < count:
        assert time.monotonic() < deadline, "shadow comparisons did not finish in time"
        time.sleep(0.05)


@pytest.fixture
def started(
    start_sandbox_process: SandboxFactory, tmp_path: Path
) -> Iterator[tuple[Sandbox, ManagedProcess, Path]]:
    """A sandbox, and the proxy in front of it with a cutover file saying legacy."""
    sandbox = start_sandbox_process(companies=2, jobs=1, items=8)
    cutover = write_cutover_file(tmp_path / "cutover.toml", cutover_text("legacy"))
    proxy = start_proxy(
        tmp_path / "logs",
        sandbox_url=sandbox.url,
        credentials_file=write_credentials_file(tmp_path / "tenants.toml", sandbox.companies),
        legacy_api_url=sandbox.url,
        extra_env={
            "ADAPTER_CUTOVER_FILE": str(cutover),
            # Look at the file on every request, so "the next request" is exact here.
            "ADAPTER_CUTOVER_CHECK_SECONDS": "0",
        },
    )
    yield sandbox, proxy, cutover
    proxy.stop()


def _without_updated_at(page: dict[str, Any]) -> list[dict[str, Any]]:
    return [{k: v for k, v in e.items() if k != "updatedAt"} for e in page["expenses"]]


@pytest.mark.e2e
def test_editing_a_companys_line_switches_its_mode_on_the_next_request_without_restart(
    started: tuple[Sandbox, ManagedProcess, Path],
) -> None:
    """legacy, then shadow (a whole GET / PUT EXPORTING / PUT EXPORTED flow, zero v3 writes),
    then export: each on the first request after the edit, by the same process."""
    sandbox, proxy_process, cutover = started
    company: dict[str, Any] = sandbox.companies[0]
    auth = {"Authorization": f"Bearer {company['legacyToken']}"}
    query = {"status": "QUEUED", "pageSize": "1000"}
    pid = proxy_process.pid
    sandbox.reset_stats()
    with httpx.Client(base_url=proxy_process.url, timeout=30.0) as proxy:
        direct = sandbox.admin.get("/v1/expenses", params=query, headers=auth)
        as_legacy = proxy.get("/v1/expenses", params=query, headers=auth)

        write_cutover_file(cutover, cutover_text("legacy", {company["companyId"]: "shadow"}))
        as_shadow = proxy.get("/v1/expenses", params=query, headers=auth)
        ids = [expense["id"] for expense in as_shadow.json()["expenses"]]
        puts = [
            proxy.put("/v1/expenses", json={"expenseIds": ids, "status": status}, headers=auth)
            for status in ("EXPORTING", "EXPORTED")
        ]
        _wait_for_comparisons(proxy, 3)
        shadow_operations = set(sandbox.stats()["byOperation"])
        ledger = sandbox.ledger()

        write_cutover_file(cutover, cutover_text("legacy", {company["companyId"]: "export"}))
        as_export = proxy.get("/v1/expenses", params=query, headers=auth)
        other = proxy.get(
            "/v1/expenses",
            params=query,
            headers={"Authorization": f"Bearer {sandbox.companies[1]['legacyToken']}"},
        )

    assert (as_legacy.status_code, mode_of(as_legacy)) == (200, "legacy")
    # The legacy API moves updatedAt of some expenses on every read (its noise), so two reads
    # agree on everything else; byte-for-byte is the in-process tests' job.
    assert _without_updated_at(as_legacy.json()) == _without_updated_at(direct.json())
    assert (as_shadow.status_code, mode_of(as_shadow)) == (200, "shadow")
    assert [(p.status_code, mode_of(p)) for p in puts] == [(200, "shadow")] * 2
    assert V3_WRITES.isdisjoint(shadow_operations)
    assert "getExportItemsV3" in shadow_operations  # the comparisons read the translation
    assert {entry["kind"] for entry in ledger} == {"legacy_update"}
    assert len(ledger) == 2 * len(ids)
    assert (as_export.status_code, mode_of(as_export)) == (200, "export")
    assert len(as_export.json()["expenses"]) == 8  # the export job's items, translated
    assert mode_of(other) == "legacy"  # the other company kept the default
    assert proxy_process.alive()
    assert proxy_process.pid == pid
