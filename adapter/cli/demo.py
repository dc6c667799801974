"""``pleo-export-adapter demo``: the sandbox and the proxy together on loopback.

It seeds the sandbox, writes a credentials file that maps each company's *legacy* token to
its v3 API key (the migration story: the integration keeps its old token and changes only
its base URL), starts the proxy in ``credentials`` mode, and prints the exact curl lines
that walk through one export: GET QUEUED, PUT EXPORTING, PUT EXPORTED, then the ledger.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shlex
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx
import orjson
import uvicorn

from adapter.app import create_app
from adapter.auth import hash_legacy_token
from adapter.observability.logging import configure_logging
from adapter.sandbox.app import create_sandbox_app
from adapter.sandbox.config import SandboxConfig
from adapter.settings import Settings

__all__ = ["add_parser", "run"]

_HOST = "127.0.0.1"


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run the sandbox and the proxy together and print curl lines to try",
        description="Start a seeded Pleo sandbox and the proxy in front of it on loopback "
        "(no credentials, no network), then print the curl lines of one whole export.",
    )
    parser.add_argument("--port", type=int, default=8080, help="proxy port (default: %(default)s)")
    parser.add_argument(
        "--sandbox-port", type=int, default=8081, help="sandbox port (default: %(default)s)"
    )
    parser.add_argument("--seed", type=int, default=1, help="dataset seed (default: %(default)s)")
    parser.add_argument(
        "--companies", type=int, default=2, help="seeded companies (default: %(default)s)"
    )
    parser.add_argument(
        "--jobs", type=int, default=2, help="jobs per company (default: %(default)s)"
    )
    parser.add_argument("--items", type=int, default=5, help="items per job (default: %(default)s)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # The proxy's request and audit lines are part of the show; the sandbox stays quiet.
    configure_logging("INFO")
    with tempfile.TemporaryDirectory(prefix="pleo-demo-") as workdir:
        try:
            return asyncio.run(_demo(args, Path(workdir)))
        except KeyboardInterrupt:
            # uvicorn re-raises the Ctrl-C it handled; both servers have shut down cleanly.
            return 0


async def _demo(args: argparse.Namespace, workdir: Path) -> int:
    sandbox = uvicorn.Server(
        uvicorn.Config(
            create_sandbox_app(
                SandboxConfig(
                    seed=args.seed,
                    companies=args.companies,
                    jobs_per_company=args.jobs,
                    items_per_job=args.items,
                )
            ),
            host=_HOST,
            port=args.sandbox_port,
            log_config=None,
            access_log=False,
            lifespan="off",
        )
    )
    sandbox_task = asyncio.create_task(sandbox.serve())
    if not await _started(sandbox, sandbox_task):
        print(f"demo: could not start the sandbox on port {args.sandbox_port}", file=sys.stderr)
        return 1
    sandbox_url = f"http://{_HOST}:{args.sandbox_port}"
    proxy_url = f"http://{_HOST}:{args.port}"
    async with httpx.AsyncClient(base_url=sandbox_url) as admin:
        companies = (await admin.get("/sandbox/companies")).json()
    credentials = workdir / "credentials.toml"
    credentials.write_text(_credentials_file(companies), encoding="utf-8")
    settings = Settings(
        export_api_url=sandbox_url,
        auth_mode="credentials",
        credentials_file=credentials,
        discovery_min_interval_seconds=0.5,
    )
    proxy = uvicorn.Server(
        uvicorn.Config(
            create_app(settings), host=_HOST, port=args.port, log_config=None, access_log=False
        )
    )
    proxy_task = asyncio.create_task(proxy.serve())
    try:
        if not await _started(proxy, proxy_task):
            print(f"demo: could not start the proxy on port {args.port}", file=sys.stderr)
            return 1
        token = companies[0]["legacyToken"]
        async with httpx.AsyncClient(base_url=proxy_url) as client:
            listed = await client.get(
                "/v1/expenses",
                params={"status": "QUEUED", "pageSize": 1000},
                headers={"Authorization": f"Bearer {token}"},
            )
        ids = [e["id"] for e in listed.json()["expenses"]]
        print(_instructions(proxy_url, sandbox_url, token, ids), flush=True)
        await proxy_task
    finally:
        sandbox.should_exit = True
        await sandbox_task
    return 0


async def _started(server: uvicorn.Server, task: asyncio.Task[None]) -> bool:
    while not server.started:
        if task.done():
            # uvicorn ends with SystemExit when it cannot bind; it has logged why already.
            with contextlib.suppress(BaseException):
                task.result()
            return False
        await asyncio.sleep(0.02)
    return True


def _credentials_file(companies: list[dict[str, Any]]) -> str:
    rows = [
        "[[tenants]]\n"
        f'company_id = "{c["companyId"]}"\n'
        f'legacy_token_sha256 = "{hash_legacy_token(c["legacyToken"])}"\n'
        f'api_key = "{c["apiKey"]}"\n'
        for c in companies
    ]
    return "\n".join(rows)


def _instructions(proxy_url: str, sandbox_url: str, token: str, ids: list[str]) -> str:
    auth = shlex.quote(f"Authorization: Bearer {token}")
    json_header = shlex.quote("Content-Type: application/json")

    def put(status: str) -> str:
        body = shlex.quote(orjson.dumps({"expenseIds": ids, "status": status}).decode())
        return f"curl -s -X PUT -H {auth} -H {json_header} -d {body} {proxy_url}/v1/expenses"

    return "\n".join(
        [
            "",
            f"Pleo sandbox: {sandbox_url}   proxy: {proxy_url}",
            f"Legacy token of the first company (the integration's old token): {token}",
            "",
            "1. The queued expenses, as the legacy API shows them:",
            f"curl -s -H {auth} '{proxy_url}/v1/expenses?status=QUEUED'",
            "",
            "2. Tell Pleo you are exporting them (claims the export job):",
            put("EXPORTING"),
            "",
            "3. Tell Pleo they are exported (completes the job):",
            put("EXPORTED"),
            "",
            "4. What Pleo received, in order (one started, one status per item, one completed):",
            f"curl -s {sandbox_url}/sandbox/ledger",
            "",
            "Press Ctrl-C to stop.",
        ]
    )
