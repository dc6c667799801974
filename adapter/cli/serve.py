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
    parser.add_argument(
        "--ssl-certfile",
        default=None,
        metavar="PATH",
        help="serve HTTPS with this PEM certificate (chain); to stand in for openapi.pleo.io, "
        "see the README's 'Standing in for openapi.pleo.io'",
    )
    parser.add_argument(
        "--ssl-keyfile", default=None, metavar="PATH", help="the certificate's PEM private key"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if (args.ssl_certfile is None) != (args.ssl_keyfile is None):
        print("pleo-export-adapter: give --ssl-certfile and --ssl-keyfile both", file=sys.stderr)
        return 2
    try:
        settings = load_settings()
        configure_logging(settings.log_level, log_format=settings.log_format)
        app = create_app(settings, tune_gc=True)
    except ConfigurationError as exc:
        print(f"pleo-export-adapter: {exc.message}", file=sys.stderr)
        return 2
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        # Logging is configured above; uvicorn's own access log would duplicate the proxy's.
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=math.ceil(settings.shutdown_grace_seconds),
        ssl_certfile=args.ssl_certfile,
        ssl_keyfile=args.ssl_keyfile,
    )
    return 0
