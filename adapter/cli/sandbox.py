"""``pleo-export-adapter sandbox``: serve the sandbox with uvicorn."""

from __future__ import annotations

import argparse
import os
import socket
import sys
from collections.abc import Mapping

import uvicorn

from adapter.sandbox.admin_auth import admin_token_for
from adapter.sandbox.app import create_sandbox_app
from adapter.sandbox.config import SandboxConfig

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``sandbox`` subcommand."""
    parser = subparsers.add_parser(
        "sandbox",
        help="serve a fake Pleo (Export API v3 + the legacy /v1 API) over a seeded dataset",
        description=(
            "Serve an in-process fake of Pleo: the Export API v3 as published, the legacy "
            "API (/v1) over the same data, and admin endpoints under /sandbox/."
        ),
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help=(
            "interface to bind (default: %(default)s); a non-loopback address needs "
            "ADAPTER_SANDBOX_ADMIN_TOKEN, which /sandbox/ routes then require as a Bearer token"
        ),
    )
    parser.add_argument("--port", type=int, default=8081, help="TCP port (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=1, help="dataset seed (default: %(default)s)")
    parser.add_argument(
        "--companies", type=int, default=2, metavar="K", help="companies (default: %(default)s)"
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=2,
        metavar="J",
        help="pending export jobs per company (default: %(default)s)",
    )
    parser.add_argument(
        "--items", type=int, default=25, metavar="N", help="items per job (default: %(default)s)"
    )
    parser.add_argument(
        "--queued",
        type=int,
        default=0,
        metavar="Q",
        help="queued expenses per company that are in no export job yet: the legacy API lists "
        "them, the Export API cannot, so compare reports them as presence (default: "
        "%(default)s)",
    )
    parser.add_argument(
        "--rtt-ms",
        type=float,
        default=0.0,
        metavar="R",
        help="added round-trip delay in ms for every non-admin request (default: %(default)s)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, environ: Mapping[str, str] = os.environ) -> int:
    """Serve until interrupted; print one ``sandbox ready on ...`` line once listening.

    A non-loopback ``--host`` needs ``ADAPTER_SANDBOX_ADMIN_TOKEN`` (exit 2 without it).
    """
    try:
        config = SandboxConfig(
            admin_token=admin_token_for(args.host, environ),
            seed=args.seed,
            companies=args.companies,
            jobs_per_company=args.jobs,
            items_per_job=args.items,
            queued_per_company=args.queued,
            rtt_ms=args.rtt_ms,
        )
    except ValueError as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return 2
    app = create_sandbox_app(config)
    server = _AnnouncingServer(
        uvicorn.Config(app, host=args.host, port=args.port, log_level="warning", lifespan="off")
    )
    server.run()
    return 0 if server.started else 1


class _AnnouncingServer(uvicorn.Server):
    """A uvicorn server that prints where it listens once its sockets are bound."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and self.servers and self.servers[0].sockets:
            host, port = self.servers[0].sockets[0].getsockname()[:2]
            shown = f"[{host}]" if ":" in host else host
            print(f"sandbox ready on http://{shown}:{port}", flush=True)
