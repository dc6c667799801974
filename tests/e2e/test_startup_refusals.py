"""The real ``pleo-export-adapter serve`` refuses settings it cannot run with: one line, exit 2."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]


def _serve(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the installed console script as an operator would, with only ``env`` set."""
    script = shutil.which("pleo-export-adapter", path=str(Path(sys.executable).parent))
    assert script is not None, "the package's console script is not installed next to python"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ADAPTER_")}
    return subprocess.run(
        [script, "serve", "--port", "0"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_a_credentials_file_that_is_not_utf8_stops_serve_with_one_line(tmp_path: Path) -> None:
    """serve with a Latin-1 credentials file exits 2 printing one line that names the file,
    not a traceback."""
    path = tmp_path / "tenants.toml"
    path.write_bytes(b'[[tenants]]\ncompany_id = "caf\xe9"\n')

    done = _serve({"ADAPTER_AUTH_MODE": "credentials", "ADAPTER_CREDENTIALS_FILE": str(path)})

    assert done.returncode == 2
    assert done.stdout == ""
    [line] = done.stderr.splitlines()
    assert str(path) in line
    assert "not UTF-8" in line


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ADAPTER_UPSTREAM_TIMEOUT_SECONDS", "inf"),
        ("ADAPTER_POLL_INTERVAL_SECONDS", "inf"),
        ("ADAPTER_POLL_INTERVAL_SECONDS", "1e-9"),
        ("ADAPTER_REQUEST_DEADLINE_SECONDS", "nan"),
    ],
)
def test_an_unbounded_duration_stops_serve_with_one_line(variable: str, value: str) -> None:
    """serve with an infinite, NaN or vanishing duration exits 2 with one line naming it."""
    done = _serve({variable: value})

    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line.startswith(f"pleo-export-adapter: invalid setting {variable}: ")
