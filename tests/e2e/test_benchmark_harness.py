"""The benchmark harness still runs: ``python -m benchmarks.run --smoke`` prints every row.

Figures are never asserted (benchmarks never fail CI on a number); only that the harness
starts its processes, measures each row and prints the table.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.run import ROWS

REPO_ROOT = Path(__file__).resolve().parents[2]
# The smoke run takes seconds; this bounds a hung process, it is not a speed check.
SMOKE_TIMEOUT_SECONDS = 240


@pytest.mark.e2e
@pytest.mark.timeout(SMOKE_TIMEOUT_SECONDS + 30)
def test_smoke_run_prints_every_row_of_the_table():
    """The harness's smoke run exits 0 and prints a table line for every row it knows."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--smoke"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=SMOKE_TIMEOUT_SECONDS,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    table_rows = {line.split("|")[0].strip() for line in done.stdout.splitlines() if "|" in line}
    assert set(ROWS) <= table_rows, done.stdout
