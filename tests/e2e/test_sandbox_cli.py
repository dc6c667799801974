"""The real ``sandbox`` CLI process, on a free loopback port, checked against the spec."""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

import httpx
import pytest

from adapter.cli import sandbox as cli
from tests.support.openapi import validate_exchange
from tests.support.processes import free_port
from tests.support.sandbox import basic

_RUN = (
    "import argparse, sys\n"
    "from adapter.cli import sandbox as cli\n"
    "parser = argparse.ArgumentParser()\n"
    "cli.add_parser(parser.add_subparsers(dest='command', required=True))\n"
    "args = parser.parse_args(sys.argv[1:])\n"
    "sys.exit(args.func(args))\n"
)


def test_parser_registers_the_sandbox_subcommand_with_defaults():
    """``sandbox`` parses with the documented defaults and points at ``run``."""
    parser = argparse.ArgumentParser()
    cli.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["sandbox"])
    assert (args.host, args.port, args.seed) == ("127.0.0.1", 8081, 1)
    assert (args.companies, args.jobs, args.items, args.rtt_ms) == (2, 2, 25, 0.0)
    assert args.func is cli.run


@pytest.mark.e2e
def test_cli_process_serves_the_export_api_on_loopback():
    """The CLI prints its ready line, answers healthz, and serves a spec-valid job list."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", _RUN, "sandbox", "--port", str(port), "--seed", "3", "--jobs", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=2.0) as client:
            deadline = time.monotonic() + 20
            while True:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                try:
                    if client.get("/sandbox/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "sandbox did not become ready"
                # pace the polling by waiting on the process itself: it must not exit meanwhile
                with pytest.raises(subprocess.TimeoutExpired):
                    process.wait(timeout=0.05)
            company = client.get("/sandbox/companies").json()[0]
            response = client.get("/v3/export-jobs", headers=basic(company["apiKey"]))
            assert response.status_code == 200
            validate_exchange(response)
            assert len(response.json()["data"]) == 3
    finally:
        process.terminate()
        out, _err = process.communicate(timeout=10)
    assert f"sandbox ready on http://127.0.0.1:{port}" in out
