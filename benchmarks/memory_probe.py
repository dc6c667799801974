"""Live memory per cached item, split into control layer and mapped data, in one process.

``python -m benchmarks.memory_probe --items N`` prints one JSON object. Only public entry
points are used (``create_app``, ``Settings``, ``create_sandbox_app``, ``SandboxConfig``), so
this survives refactors of the proxy's inside:

1. A sandbox app with two companies gets one job each: a 10-item warm-up job and the job of
   ``N`` items. The proxy app (credentials mode, no background rounds, no re-discovery)
   reaches it through ``httpx.ASGITransport`` and runs its lifespan (``asgi_lifespan``).
2. A first GET of the warm-up job pays every one-off cost (imports, schemas, connections).
3. ``tracemalloc`` (deep tracebacks) snapshots before and after one
   ``GET /v1/expenses?status=QUEUED&pageSize=100`` of the big job, with ``gc.collect()``
   before each; the difference is what the proxy keeps for that job, i.e. live memory.
4. Each retained allocation is attributed by its traceback: innermost ``adapter/`` frame in
   ``adapter/sandbox/``: the sandbox (left out); in ``adapter/mapping/``, ``adapter/legacy/``
   or ``adapter/workflow/expense_docs.py`` (the legacy JSON documents and receipts the workflow
   keeps per item), or any ``adapter/`` frame in a function whose name mentions
   ``export_item`` (the data-layer read): the data layer, i.e. mapped data; anything else the
   proxy keeps is the control layer (job state, item ids and statuses, the store).

References from the same run: the bytes per item of the sandbox's own JSON pages (control
layer: job items; data layer: export items), and of the proxy's legacy page.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import functools
import gc
import json
import sys
import tempfile
import tracemalloc
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager

from adapter.app import create_app
from adapter.sandbox.app import create_sandbox_app
from adapter.sandbox.config import SandboxConfig
from adapter.settings import Settings
from tests.support.credentials import write_credentials_file

__all__ = ["MAPPED_PATHS", "classify", "main", "measure"]

SANDBOX = "http://sandbox.bench"
PROXY = "http://proxy.bench"
WARMUP_ITEMS = 10
PAGE = 100
TRACEBACK_FRAMES = 40
# The data layer: allocations whose innermost adapter frame is in these places (the mapping,
# the legacy Expense model, the workflow's encoded expense documents), or made under a
# function reading Pleo's export items (the data-layer call, ``getExportItemsV3``): strings
# parsed there end up inside the Expenses.
MAPPED_PATHS = ("/adapter/mapping/", "/adapter/legacy/", "/adapter/workflow/expense_docs.py")
DATA_LAYER_CALL = "export_item"
_SANDBOX_PATH = "/adapter/sandbox/"
_ADAPTER_PATH = "/adapter/"


@functools.cache
def _functions(filename: str) -> list[tuple[int, int, str]]:
    """(first line, last line, name) of every function in a source file."""
    try:
        tree = ast.parse(Path(filename).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return []
    return [
        (node.lineno, node.end_lineno or node.lineno, node.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]


def _function_at(filename: str, lineno: int) -> str:
    spans = [f for f in _functions(filename) if f[0] <= lineno <= f[1]]
    return min(spans, key=lambda f: f[1] - f[0])[2] if spans else ""


def classify(traceback: tracemalloc.Traceback) -> tuple[str, str]:
    """(``sandbox`` | ``data`` | ``control``, the innermost adapter ``file:line``)."""
    frames = [
        frame.filename.replace("\\", "/") + f":{frame.lineno}"
        for frame in reversed(traceback)  # the most recent frame is last
        if _ADAPTER_PATH in frame.filename.replace("\\", "/")
    ]
    if not frames:
        return "control", "(no adapter frame)"
    innermost = frames[0]
    where = innermost[innermost.rindex(_ADAPTER_PATH) + 1 :]
    if _SANDBOX_PATH in innermost:
        return "sandbox", where
    if any(path in innermost for path in MAPPED_PATHS):
        return "data", where
    for frame in frames:
        filename, _, lineno = frame.rpartition(":")
        if DATA_LAYER_CALL in _function_at(filename, int(lineno)):
            return "data", where
    return "control", where


async def _json_bytes_per_item(admin: httpx.AsyncClient, path: str, token: str) -> float:
    response = await admin.get(
        path, params={"limit": PAGE}, headers={"Authorization": f"Bearer {token}"}
    )
    response.raise_for_status()
    return len(response.content) / max(1, len(response.json()["data"]))


async def _measure(items: int, workdir: Path) -> dict[str, Any]:
    sandbox = create_sandbox_app(SandboxConfig(companies=2, jobs_per_company=0))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox), base_url=SANDBOX
    ) as admin:
        warm, big = (await admin.get("/sandbox/companies")).json()
        jobs = {}
        for company, count in ((warm, WARMUP_ITEMS), (big, items)):
            cid = company["companyId"]
            (
                await admin.post(f"/sandbox/companies/{cid}/entries", json={"count": count})
            ).raise_for_status()
            created = await admin.post(
                f"/sandbox/companies/{cid}/export-jobs", json={"count": count}
            )
            created.raise_for_status()
            jobs[cid] = created.json()["data"]["id"]
        big_job = jobs[big["companyId"]]
        control_json = await _json_bytes_per_item(
            admin, f"/v3/export-jobs/{big_job}/items", big["bearerToken"]
        )
        data_json = await _json_bytes_per_item(
            admin, f"/v3/export-items?job_id={big_job}", big["bearerToken"]
        )
        settings = Settings(
            export_api_url=SANDBOX,
            auth_mode="credentials",
            credentials_file=write_credentials_file(workdir / "credentials.toml", [warm, big]),
            poll_interval_seconds=3600,
            discovery_min_interval_seconds=300,
        )
        app = create_app(settings, export_transport=httpx.ASGITransport(app=sandbox))
        async with (
            LifespanManager(app) as manager,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=manager.app), base_url=PROXY, timeout=600
            ) as proxy,
        ):

            async def page(company: dict[str, Any]) -> httpx.Response:
                response = await proxy.get(
                    "/v1/expenses",
                    params={"status": "QUEUED", "pageSize": PAGE},
                    headers={"Authorization": f"Bearer {company['legacyToken']}"},
                )
                response.raise_for_status()
                return response

            await page(warm)
            gc.collect()
            tracemalloc.start(TRACEBACK_FRAMES)
            before = tracemalloc.take_snapshot()
            response = await page(big)
            legacy_json = len(response.content) / max(1, len(response.json()["expenses"]))
            del response
            gc.collect()
            after = tracemalloc.take_snapshot()
            tracemalloc.stop()
    return _attribute(items, before, after) | {
        "control_json_bytes_per_item": control_json,
        "data_json_bytes_per_item": data_json,
        "legacy_json_bytes_per_item": legacy_json,
    }


def _attribute(
    items: int, before: tracemalloc.Snapshot, after: tracemalloc.Snapshot
) -> dict[str, Any]:
    ignore = [
        tracemalloc.Filter(False, tracemalloc.__file__, all_frames=True),
        tracemalloc.Filter(False, "<frozen importlib._bootstrap>", all_frames=True),
        tracemalloc.Filter(False, "<unknown>"),
    ]
    before, after = before.filter_traces(ignore), after.filter_traces(ignore)
    totals: Counter[str] = Counter()
    places: Counter[str] = Counter()
    for diff in after.compare_to(before, "traceback"):
        kind, where = classify(diff.traceback)
        totals[kind] += diff.size_diff
        places[f"{kind} {where}"] += diff.size_diff
    proxy = totals["data"] + totals["control"]
    return {
        "items": items,
        "live_bytes_per_item": proxy / items,
        "data_bytes_per_item": totals["data"] / items,
        "control_bytes_per_item": totals["control"] / items,
        "sandbox_bytes_per_item": totals["sandbox"] / items,
        "top": [
            {"where": where, "bytes_per_item": size / items}
            for where, size in places.most_common(12)
        ],
    }


def measure(items: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as workdir:
        return asyncio.run(_measure(items, Path(workdir)))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000, help="items in the measured job")
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.items)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
