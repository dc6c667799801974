"""The real processes under measurement: ``python -m adapter sandbox`` and the proxy.

The sandbox comes from the e2e helpers (``tests.support.processes.start_sandbox``). The proxy
is ``python -m adapter serve`` run through :mod:`benchmarks.gc_probe_serve` (same CLI, plus a
log of full garbage collections), on a free loopback port, in credentials mode for every
sandbox company, ready once ``/readyz`` answers 200 while the process is alive. The proxy is
pinned to the server core and the sandbox to the load cores (see :class:`CorePlan`).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.proc import CorePlan, pin
from tests.support.processes import (
    HOST,
    ManagedProcess,
    ProcessStartError,
    Sandbox,
    free_port,
    start_sandbox,
    write_credentials_file,
)

__all__ = ["CACHED_GET_ENV", "FLOW_ENV", "Proxy", "Stack", "running_stack", "start_proxy"]

REPO_ROOT = Path(__file__).resolve().parent.parent
_READY_TIMEOUT_SECONDS = 30.0
_START_ATTEMPTS = 3

# Nothing runs in the background while a window is measured: the scheduled round (poll,
# recovery, idle) would otherwise load jobs at random moments.
_QUIET = {"ADAPTER_POLL_INTERVAL_SECONDS": "3600"}
# Cached GETs: the first GET discovers and loads the job; later ones are served from the
# proxy's cache for the whole run (no on-demand discovery within the hour).
CACHED_GET_ENV = {**_QUIET, "ADAPTER_DISCOVERY_MIN_INTERVAL_SECONDS": "3600"}
# Whole exports, as tests/e2e runs them: every legacy call may discover (interval 0), so a
# new job is seen at once; the extra job-list calls show up in the call count.
FLOW_ENV = {**_QUIET, "ADAPTER_DISCOVERY_MIN_INTERVAL_SECONDS": "0"}


@dataclass
class Proxy:
    """A running proxy process and the log of its full garbage collections."""

    process: ManagedProcess
    gc_log: Path

    @property
    def url(self) -> str:
        return self.process.url

    @property
    def pid(self) -> int:
        return self.process.pid


@dataclass
class Stack:
    sandbox: Sandbox
    proxy: Proxy


def _env(settings: Mapping[str, str]) -> dict[str, str]:
    # The caller's ADAPTER_* settings must not leak into the process under measurement.
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADAPTER_")}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(settings)
    return env


def _wait_ready(process: ManagedProcess) -> bool:
    deadline = time.monotonic() + _READY_TIMEOUT_SECONDS
    with httpx.Client(base_url=process.url, timeout=1.0) as client:
        while time.monotonic() < deadline:
            if not process.alive():
                return False
            with contextlib.suppress(httpx.TransportError):
                if client.get("/readyz").status_code == 200 and process.alive():
                    return True
            time.sleep(0.05)
    process.stop()
    msg = f"the proxy was not ready within {_READY_TIMEOUT_SECONDS} s:\n{process.log_tail()}"
    raise ProcessStartError(msg)


def start_proxy(
    workdir: Path, sandbox: Sandbox, *, env: Mapping[str, str], cores: CorePlan
) -> Proxy:
    """``python -m benchmarks.gc_probe_serve --gc-log L serve`` in front of ``sandbox``."""
    credentials = write_credentials_file(workdir / "credentials.toml", sandbox.companies)
    settings = {
        "ADAPTER_EXPORT_API_URL": sandbox.url,
        "ADAPTER_AUTH_MODE": "credentials",
        "ADAPTER_CREDENTIALS_FILE": str(credentials),
        **env,
    }
    last_log = ""
    for _attempt in range(_START_ATTEMPTS):
        port = free_port()
        log_path = workdir / f"proxy-{port}.log"
        gc_log = workdir / f"proxy-{port}.gc"
        command = [sys.executable, "-m", "benchmarks.gc_probe_serve", "--gc-log", str(gc_log)]
        command += ["serve", "--host", HOST, "--port", str(port)]
        with log_path.open("wb") as log:
            popen = subprocess.Popen(  # noqa: S603 -- our interpreter, our module, fixed args
                command,
                cwd=REPO_ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=_env(settings),
                start_new_session=True,
            )
        process = ManagedProcess("proxy", popen, f"http://{HOST}:{port}", log_path)
        try:
            if _wait_ready(process):
                pin(process.pid, cores.server)
                return Proxy(process, gc_log)
        except BaseException:
            process.stop()
            raise
        # Exited before it was ready (say, the port was taken in between): try another port.
        process.stop()
        last_log = process.log_tail()
    msg = f"the proxy exited before it was ready, {_START_ATTEMPTS} times:\n{last_log}"
    raise ProcessStartError(msg)


@contextlib.contextmanager
def running_stack(
    workdir: Path,
    *,
    companies: int,
    rtt_ms: float = 0.0,
    proxy_env: Mapping[str, str],
    cores: CorePlan,
) -> Iterator[Stack]:
    """A sandbox with ``companies`` empty companies and a probed proxy; both stopped after."""
    workdir.mkdir(parents=True, exist_ok=True)
    sandbox = start_sandbox(workdir, companies=companies, jobs=0, rtt_ms=rtt_ms)
    try:
        pin(sandbox.process.pid, cores.load)
        proxy = start_proxy(workdir, sandbox, env=proxy_env, cores=cores)
        try:
            yield Stack(sandbox, proxy)
        finally:
            proxy.process.stop()
    finally:
        sandbox.close()
