"""``pleo-export-adapter serve``: run the proxy with uvicorn."""

from __future__ import annotations

import argparse
import asyncio
import math
import signal
import sys
from collections.abc import Callable
from types import FrameType

import uvicorn
from starlette.applications import Starlette

from adapter.app import create_app
from adapter.errors import ConfigurationError
from adapter.observability.logging import configure_logging
from adapter.settings import load_settings
from adapter.web.shutdown import Shutdown

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
    config = uvicorn.Config(
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
    server = GracefulServer(config, on_stop=lambda: _begin_shutdown(app))
    # uvicorn re-raises the SIGTERM it handled once it has shut down, with the handler found
    # when it started; under the default one the process would die by the signal (exit 143)
    # after a clean stop. With this one the re-raised signal is a no-op and serve exits 0.
    signal.signal(signal.SIGTERM, server.handle_exit)
    server.run()
    return 0


def _begin_shutdown(app: Starlette) -> None:
    shutdown: Shutdown | None = getattr(app.state, "shutdown", None)
    if shutdown is not None:  # None while the lifespan is still starting
        shutdown.begin()


class GracefulServer(uvicorn.Server):
    """uvicorn's server, telling the app the moment a stop signal arrives.

    uvicorn itself only tells the app (lifespan shutdown) after the grace period; ``on_stop``
    runs on the event loop as soon as SIGTERM or SIGINT arrives, so readiness and scheduled
    work stop at once (see :mod:`adapter.web.shutdown`).
    """

    def __init__(self, config: uvicorn.Config, *, on_stop: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_stop = on_stop

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # not serving (yet, or any more): nothing to tell
        # A signal handler runs between two bytecodes of whatever the loop was doing.
        loop.call_soon_threadsafe(self._on_stop)
