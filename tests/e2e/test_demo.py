"""The README's first command: `pleo-export-adapter demo` prints curl lines that work as pasted."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from tests.support.processes import free_port


@pytest.mark.e2e
@pytest.mark.skipif(shutil.which("curl") is None, reason="the printed lines use curl")
def test_demo_prints_curl_lines_that_run_a_whole_export() -> None:
    """Pasting the demo's curl lines lists QUEUED expenses, exports them, and shows the ledger."""
    proxy_port, sandbox_port = free_port(), free_port()
    demo = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "adapter",
            "demo",
            "--port",
            str(proxy_port),
            "--sandbox-port",
            str(sandbox_port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert demo.stdout is not None
        printed: list[str] = []
        deadline = time.monotonic() + 60
        for line in demo.stdout:
            printed.append(line.rstrip("\n"))
            if line.startswith("Press Ctrl-C") or time.monotonic() > deadline:
                break
        curls = [line for line in printed if line.startswith("curl ")]
        assert len(curls) == 4, "\n".join(printed)

        outputs = [
            json.loads(
                subprocess.run(
                    ["bash", "-c", line], capture_output=True, text=True, check=True, timeout=30
                ).stdout
            )
            for line in curls
        ]
        queued, exporting, exported, ledger = outputs
        ids = [e["id"] for e in queued["expenses"]]
        assert ids
        assert {e["status"] for e in queued["expenses"]} == {"QUEUED"}
        assert [e["id"] for e in exporting["expenses"]] == ids
        assert {e["status"] for e in exporting["expenses"]} == {"EXPORTING"}
        assert {e["status"] for e in exported["expenses"]} == {"EXPORTED"}
        events = [e["event"] for e in ledger["entries"] if e["kind"] == "job_event"]
        assert events == ["started", "completed"]
    finally:
        demo.send_signal(signal.SIGINT)
        try:
            demo.wait(timeout=20)
        except subprocess.TimeoutExpired:
            demo.kill()
            demo.wait()
        if demo.stdout is not None:
            demo.stdout.close()
    assert demo.returncode == 0
