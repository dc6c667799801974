"""``pleo-export-adapter serve``: run the proxy with uvicorn."""

from __future__ import annotations

import argparse
import math
import sys

import uvicorn

from adapter.app import create_app
from adapter.errors import ConfigurationError
from adapter.observability.logging import configure_logging
from adapter.settings import load_settings

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run the proxy (settings come from ADAPTER_* environment variables)",
        description="Serve the legacy /v1/expenses API in front of Pleo's Export API v3. "
        "Settings are read from ADAPTER_* environment variables (see README).",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="interface to bind (default: %(default)s)"
    )
    parser.add_argument(
        "--port", type=int, default=8080, help="port to bind (default: %(default)s)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        settings = load_settings()
        app = create_app(settings)
    except ConfigurationError as exc:
        print(f"pleo-export-adapter: {exc.message}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=math.ceil(settings.shutdown_grace_seconds),
    )
    return 0
