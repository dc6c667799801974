"""A sandbox, the relay in front of it and a proxy that can be killed and started again.

What the scenario tests (``tests/e2e/test_scenarios_*.py``) and the history checker
(:mod:`tests.support.history`) run on: the proxy's ``ADAPTER_EXPORT_API_URL`` is the relay, so
every call to Pleo can be delayed, held, lost or cut (:mod:`tests.support.relay`), and the
proxy restarts on the same port and the same sandbox, as a process replaced by its supervisor
would (memory store: the new process knows only what Pleo tells it).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx

from tests.support.credentials import write_credentials_file
from tests.support.metrics_text import sample_value
from tests.support.processes import ManagedProcess, Sandbox, free_port, start_proxy, start_sandbox
from tests.support.relay import Relay

__all__ = ["ROTATED_SUFFIX", "Stack", "rotated_token", "running_stack", "wait_until"]

ROTATED_SUFFIX = "-rotated"
_POLL_SECONDS = 0.05
T = TypeVar("T")
# Scheduled rounds only when a test asks for them; a short close retry where it matters.
QUIET_ENV = {
    "ADAPTER_POLL_INTERVAL_SECONDS": "3600",
    "ADAPTER_CLOSE_RETRY_SECONDS": "300",
    "ADAPTER_LOG_LEVEL": "INFO",
}


def wait_until(condition: Callable[[], T], timeout: float = 30.0, what: str = "") -> T:
    """Poll ``condition`` until it returns something truthy (returned); ``TimeoutError`` after
    ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        if time.monotonic() > deadline:
            msg = f"not within {timeout} s: {what or condition}"
            raise TimeoutError(msg)
        time.sleep(_POLL_SECONDS)
    return found


def rotated_token(company: Mapping[str, Any]) -> str:
    """The second legacy token the credentials file gives each company (a token rotation)."""
    return f"{company['legacyToken']}{ROTATED_SUFFIX}"


@dataclass
class Stack:
    """Sandbox, relay and (while running) proxy; the proxy keeps its port across restarts."""

    workdir: Path
    sandbox: Sandbox
    relay: Relay
    auth_mode: str = "credentials"
    env: dict[str, str] = field(default_factory=dict)
    proxy: ManagedProcess | None = None
    port: int = field(default_factory=free_port)
    starts: int = 0
    tenants: list[dict[str, Any]] | None = None
    """The companies in the credentials file (default: all the sandbox's)."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def companies(self) -> list[dict[str, Any]]:
        return self.sandbox.companies

    def credentials_file(self) -> Path:
        """Each company twice: its legacy token and a rotated one, both to its v3 API key."""
        companies = self.companies if self.tenants is None else self.tenants
        rows = [*companies, *({**c, "legacyToken": rotated_token(c)} for c in companies)]
        return write_credentials_file(self.workdir / "credentials.toml", rows)

    def start_proxy(self, **env: str) -> ManagedProcess:
        """Start the proxy (settings: :data:`QUIET_ENV`, the stack's, then ``env``)."""
        if self.proxy is not None and self.proxy.alive():
            msg = "the proxy is already running"
            raise RuntimeError(msg)
        credentials = self.credentials_file() if self.auth_mode == "credentials" else None
        self.proxy = start_proxy(
            self.workdir / "logs",
            sandbox_url=self.relay.url,
            credentials_file=credentials,
            auth_mode=self.auth_mode,
            extra_env={**QUIET_ENV, **self.env, **env},
            port=self.port,
        )
        self.starts += 1
        return self.proxy

    def kill_proxy(self) -> None:
        """SIGKILL the proxy (no shutdown of any kind) and wait until it is gone."""
        if self.proxy is not None:
            self.proxy.kill(signal.SIGKILL)

    def restart_proxy(self, **env: str) -> ManagedProcess:
        self.kill_proxy()
        return self.start_proxy(**env)

    def terminate_proxy(self, timeout: float) -> tuple[int, float]:
        """SIGTERM the proxy; its exit code and the seconds it took (TimeoutExpired past
        ``timeout``)."""
        assert self.proxy is not None
        began = time.monotonic()
        os.killpg(self.proxy.pid, signal.SIGTERM)
        code = self.proxy.popen.wait(timeout=timeout)
        return code, time.monotonic() - began

    def legacy(self, token: str, *, timeout: float = 60.0) -> httpx.Client:
        """An httpx client for the proxy with ``Authorization: Bearer token``."""
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=timeout
        )

    def job(self, job_id: str) -> dict[str, Any]:
        return self.sandbox.job(job_id)

    def metric(self, name: str, **labels: str) -> float:
        """A sample of the proxy's ``/metrics`` (0 when the series has no such sample)."""
        return sample_value(httpx.get(f"{self.url}/metrics", timeout=30).text, name, **labels)

    def wait_for_job(self, job_id: str, statuses: set[str], timeout: float = 30.0) -> str:
        """Poll the sandbox until the job's status is one of ``statuses``; that status."""

        def status() -> str | None:
            now: str = self.sandbox.job(job_id)["job"]["status"]
            return now if now in statuses else None

        return str(wait_until(status, timeout, f"job {job_id} in {sorted(statuses)}"))

    def logs(self) -> str:
        return "".join(
            path.read_text(encoding="utf-8", errors="replace")
            for path in sorted((self.workdir / "logs").glob("proxy-*.log"))
        )

    def close(self) -> None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            if self.proxy is not None:
                self.proxy.stop()
        self.relay.close()
        self.sandbox.close()


@contextlib.contextmanager
def running_stack(
    workdir: Path,
    *,
    auth_mode: str = "credentials",
    env: Mapping[str, str] | None = None,
    **sandbox: Any,
) -> Iterator[Stack]:
    """A sandbox (options as :func:`start_sandbox`) and a relay; start the proxy yourself."""
    started = start_sandbox(workdir / "logs", **sandbox)
    try:
        relay = Relay(started.url)
        relay.start()
    except BaseException:
        started.close()
        raise
    stack = Stack(workdir, started, relay, auth_mode=auth_mode, env=dict(env or {}))
    try:
        yield stack
    finally:
        stack.close()
