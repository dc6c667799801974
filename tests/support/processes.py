"""Start, watch and stop the real ``sandbox`` and ``serve`` processes on loopback.

Shared by the e2e fixtures (``tests/e2e/conftest.py``) and the end-to-end benchmark
(``benchmarks/e2e_export_run.py``). Each process runs ``python -m adapter ...`` in its own
session (process group), writes stdout and stderr to a log file (no pipe can fill up), and is
ready once its health endpoint answers 200 while the process is still alive. A port is picked
by binding to port 0; if the process exits before it is ready (say, someone else took the
port in between), it is started again on another port.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.support.credentials import write_credentials_file

__all__ = [
    "HOST",
    "ManagedProcess",
    "ProcessStartError",
    "ProxyFactory",
    "Sandbox",
    "SandboxFactory",
    "export_stack",
    "free_port",
    "start_proxy",
    "start_sandbox",
    "write_credentials_file",
]

HOST = "127.0.0.1"
START_ATTEMPTS = 3
READY_TIMEOUT_SECONDS = 20.0
STOP_TIMEOUT_SECONDS = 10.0
_POLL_INTERVAL_SECONDS = 0.05
_LOG_TAIL_CHARS = 3000


SandboxFactory = Callable[..., "Sandbox"]
ProxyFactory = Callable[["Sandbox"], "ManagedProcess"]


class ProcessStartError(RuntimeError):
    """A process did not become ready; the message carries the tail of its log."""


def free_port() -> int:
    """A loopback port that was free a moment ago (bind to port 0, read it, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class ManagedProcess:
    """One child process in its own process group, with its log file."""

    name: str
    popen: subprocess.Popen[bytes]
    url: str
    log_path: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return text[-_LOG_TAIL_CHARS:]

    def kill(self, sig: signal.Signals = signal.SIGKILL) -> None:
        """Send ``sig`` to the process group and wait for the process to exit."""
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, sig)
        self.popen.wait(timeout=STOP_TIMEOUT_SECONDS)

    def stop(self) -> None:
        """SIGTERM the group, then SIGKILL it if it lingers; a no-op once it has exited."""
        if self.popen.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.kill(signal.SIGKILL)


def _child_env(extra: Mapping[str, str]) -> dict[str, str]:
    # Settings the caller's shell may carry must not leak into the process under test.
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADAPTER_")}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def _ready(
    process: ManagedProcess,
    path: str,
    ready_line: str | None,
    deadline: float,
    verify: ssl.SSLContext | bool = True,
) -> bool:
    """Poll ``path`` until 200 (True) or the process exits (False); raise past the deadline."""
    with httpx.Client(base_url=process.url, timeout=1.0, verify=verify) as client:
        while time.monotonic() < deadline:
            if not process.alive():
                return False
            try:
                answered = client.get(path).status_code == 200
            except httpx.TransportError:
                answered = False
            # Ours, not a stranger on a reused port: our process printed its line and still runs.
            if (
                answered
                and (ready_line is None or ready_line in process.log_tail())
                and process.alive()
            ):
                return True
            time.sleep(_POLL_INTERVAL_SECONDS)
    process.stop()
    msg = f"{process.name} was not ready within {READY_TIMEOUT_SECONDS} s:\n{process.log_tail()}"
    raise ProcessStartError(msg)


def _launch(
    name: str,
    args: list[str],
    *,
    env: Mapping[str, str],
    logdir: Path,
    ready_path: str,
    ready_line: str | None = None,
    tls_ca: Path | None = None,
    port: int | None = None,
) -> ManagedProcess:
    """Start ``python -m adapter <args> --host --port`` on a free port, retrying on exit.

    With ``tls_ca`` the process serves HTTPS (its certificate signed by that CA file). With
    ``port`` it always uses that port (a restart where the clients already are).
    """
    logdir.mkdir(parents=True, exist_ok=True)
    last_log = ""
    fixed_port = port
    for _attempt in range(START_ATTEMPTS):
        port = fixed_port if fixed_port is not None else free_port()
        url = f"{'https' if tls_ca is not None else 'http'}://{HOST}:{port}"
        log_path = logdir / f"{name}-{port}.log"
        command = [sys.executable, "-m", "adapter", *args, "--host", HOST, "--port", str(port)]
        with log_path.open("wb") as log:
            popen = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=_child_env(env),
                start_new_session=True,
            )
        process = ManagedProcess(name=name, popen=popen, url=url, log_path=log_path)
        try:
            line = None if ready_line is None else ready_line.format(url=url)
            verify: ssl.SSLContext | bool = (
                ssl.create_default_context(cafile=str(tls_ca)) if tls_ca is not None else True
            )
            deadline = time.monotonic() + READY_TIMEOUT_SECONDS
            if _ready(process, ready_path, line, deadline, verify):
                return process
        except BaseException:
            process.stop()
            raise
        process.stop()
        last_log = process.log_tail()
    msg = f"{name} exited before it was ready, {START_ATTEMPTS} times; last log:\n{last_log}"
    raise ProcessStartError(msg)


@dataclass
class Sandbox:
    """A running sandbox process and a client for its admin endpoints."""

    process: ManagedProcess
    admin: httpx.Client
    companies: list[dict[str, Any]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.process.url

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.admin.request(method, path, **kwargs)
        response.raise_for_status()
        return response.json()

    def ledger(self, company_id: str | None = None) -> list[dict[str, Any]]:
        params = {"company_id": company_id} if company_id is not None else None
        entries: list[dict[str, Any]] = self._json("GET", "/sandbox/ledger", params=params)[
            "entries"
        ]
        return entries

    def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = self._json("GET", "/sandbox/stats")
        return stats

    def reset_stats(self) -> None:
        self._json("POST", "/sandbox/stats/reset")

    def add_entries(self, company_id: str, count: int) -> list[str]:
        body = self._json("POST", f"/sandbox/companies/{company_id}/entries", json={"count": count})
        ids: list[str] = body["accountingEntryIds"]
        return ids

    def create_job(self, company_id: str, count: int | None = None) -> dict[str, Any]:
        payload = {} if count is None else {"count": count}
        job: dict[str, Any] = self._json(
            "POST", f"/sandbox/companies/{company_id}/export-jobs", json=payload
        )["data"]
        return job

    def add_fault(self, **rule: Any) -> None:
        """``POST /sandbox/faults`` (``status``, ``count``, ``path``, ``method``, ``latencyMs``,
        ``headers``)."""
        self._json("POST", "/sandbox/faults", json=rule)

    def clear_faults(self) -> None:
        self._json("DELETE", "/sandbox/faults")

    def faults(self) -> list[dict[str, Any]]:
        faults: list[dict[str, Any]] = self._json("GET", "/sandbox/faults")["faults"]
        return faults

    def advance_clock(self, seconds: float) -> None:
        """Move Pleo's clock forward (jobs past their hour expire at once)."""
        self._json("POST", "/sandbox/clock", json={"advanceSeconds": seconds})

    def job(self, job_id: str) -> dict[str, Any]:
        """``{"job": ExportJobV3, "items": [ExportJobItemV3...]}``."""
        job: dict[str, Any] = self._json("GET", f"/sandbox/jobs/{job_id}")
        return job

    def v3_jobs(self, company: dict[str, Any]) -> list[dict[str, Any]]:
        """The company's export jobs as Pleo's ``GET /v3/export-jobs`` lists them, oldest first.

        This is a v3 call with the company's own token, so it shows in ``/sandbox/stats``.
        """
        response = self.admin.get(
            "/v3/export-jobs",
            params={"limit": 100},
            headers={"Authorization": f"Bearer {company['bearerToken']}"},
        )
        response.raise_for_status()
        jobs: list[dict[str, Any]] = response.json()["data"]
        return jobs

    def close(self) -> None:
        self.admin.close()
        self.process.stop()


def start_sandbox(
    logdir: Path,
    *,
    companies: int = 2,
    jobs: int = 2,
    items: int = 25,
    seed: int = 1,
    rtt_ms: float = 0.0,
    queued: int = 20,
) -> Sandbox:
    """``python -m adapter sandbox ...``, ready once ``/sandbox/healthz`` answers."""
    args = [
        "sandbox",
        f"--seed={seed}",
        f"--companies={companies}",
        f"--jobs={jobs}",
        f"--items={items}",
        f"--rtt-ms={rtt_ms}",
        f"--queued={queued}",
    ]
    process = _launch(
        "sandbox",
        args,
        env={},
        logdir=logdir,
        ready_path="/sandbox/healthz",
        ready_line="sandbox ready on {url}",
    )
    sandbox = Sandbox(process=process, admin=httpx.Client(base_url=process.url, timeout=30.0))
    try:
        sandbox.companies = sandbox._json("GET", "/sandbox/companies")
    except BaseException:
        sandbox.close()
        raise
    return sandbox


def start_proxy(
    logdir: Path,
    *,
    sandbox_url: str,
    credentials_file: Path | None,
    extra_env: Mapping[str, str] | None = None,
    auth_mode: str = "credentials",
    legacy_api_url: str | None = None,
    tls: tuple[Path, Path, Path] | None = None,
    port: int | None = None,
) -> ManagedProcess:
    """``python -m adapter serve``, ready once ``/readyz`` answers 200 (on ``port`` if given).

    Credentials mode by default; ``auth_mode`` may be ``auto`` or ``passthrough`` (then
    ``credentials_file`` may be None). ``legacy_api_url`` is where non-expense legacy routes
    are passed through (None: the legacy API is gone). ``tls`` = (certificate, key, CA file)
    serves HTTPS with ``--ssl-certfile``/``--ssl-keyfile``.
    """
    env = {
        "ADAPTER_EXPORT_API_URL": sandbox_url,
        "ADAPTER_AUTH_MODE": auth_mode,
        "ADAPTER_DISCOVERY_MIN_INTERVAL_SECONDS": "0",
        **(extra_env or {}),
    }
    if credentials_file is not None:
        env["ADAPTER_CREDENTIALS_FILE"] = str(credentials_file)
    if legacy_api_url is not None:
        env["ADAPTER_LEGACY_API_URL"] = legacy_api_url
    args = ["serve"]
    if tls is not None:
        args += ["--ssl-certfile", str(tls[0]), "--ssl-keyfile", str(tls[1])]
    return _launch(
        "proxy",
        args,
        env=env,
        logdir=logdir,
        ready_path="/readyz",
        tls_ca=tls[2] if tls is not None else None,
        port=port,
    )


@contextlib.contextmanager
def export_stack(workdir: Path, **sandbox_options: Any) -> Iterator[tuple[Sandbox, ManagedProcess]]:
    """A sandbox and a proxy in front of it; both stopped on the way out, whatever happens."""
    sandbox = start_sandbox(workdir, **sandbox_options)
    try:
        credentials = write_credentials_file(workdir / "credentials.toml", sandbox.companies)
        proxy = start_proxy(workdir, sandbox_url=sandbox.url, credentials_file=credentials)
        try:
            yield sandbox, proxy
        finally:
            proxy.stop()
    finally:
        sandbox.close()
