"""Fixtures that run the real sandbox and proxy processes on free loopback ports.

Every process a test starts is stopped (its process group SIGTERMed, then SIGKILLed) when the
test ends, passed or failed; the tail of each log is printed at teardown, which pytest shows
only for a failing test.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import (
    ManagedProcess,
    ProxyFactory,
    Sandbox,
    SandboxFactory,
    start_proxy,
    start_sandbox,
    write_credentials_file,
)
from tests.support.stack import Stack, running_stack


def _show_log(process: ManagedProcess) -> None:
    print(f"--- {process.log_path.name}\n{process.log_tail()}")


@pytest.fixture
def start_sandbox_process(tmp_path: Path) -> Iterator[SandboxFactory]:
    """Start ``python -m adapter sandbox`` with the given seeding options."""
    with contextlib.ExitStack() as cleanup:

        def start(**options: Any) -> Sandbox:
            sandbox = start_sandbox(tmp_path / "logs", **options)
            # LIFO: the log is shown after the process is stopped.
            cleanup.callback(_show_log, sandbox.process)
            cleanup.callback(sandbox.close)
            return sandbox

        yield start


@pytest.fixture
def start_proxy_process(tmp_path: Path) -> Iterator[ProxyFactory]:
    """Start ``python -m adapter serve`` in credentials mode in front of a sandbox."""
    with contextlib.ExitStack() as cleanup:

        def start(sandbox: Sandbox) -> ManagedProcess:
            credentials = write_credentials_file(tmp_path / "credentials.toml", sandbox.companies)
            proxy = start_proxy(
                tmp_path / "logs", sandbox_url=sandbox.url, credentials_file=credentials
            )
            cleanup.callback(_show_log, proxy)
            cleanup.callback(proxy.stop)
            return proxy

        yield start


@pytest.fixture
def sandbox(start_sandbox_process: SandboxFactory) -> Sandbox:
    """A sandbox of two companies, each with two pending jobs of 25 items."""
    return start_sandbox_process(companies=2, jobs=2, items=25)


@pytest.fixture
def proxy(sandbox: Sandbox, start_proxy_process: ProxyFactory) -> ManagedProcess:
    """The proxy in front of :func:`sandbox`."""
    return start_proxy_process(sandbox)


@pytest.fixture
def make_stack(tmp_path: Path) -> Iterator[Callable[..., Stack]]:
    """Start a sandbox with the relay in front of it (tests/support/stack.py); the test starts
    (and kills, restarts) the proxy. Everything is stopped at teardown, logs shown on failure."""
    with contextlib.ExitStack() as cleanup:

        def start(**options: Any) -> Stack:
            stack = cleanup.enter_context(running_stack(tmp_path / f"stack{len(made)}", **options))
            made.append(stack)
            cleanup.callback(lambda: print(f"--- proxy logs\n{stack.logs()[-6000:]}"))
            return stack

        made: list[Stack] = []
        yield start
