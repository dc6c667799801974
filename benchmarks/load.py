"""Load windows: Debian's ``wrk`` when installed, else the asyncio generator in this package.

wrk runs one thread with ``N`` connections; a small Lua ``done`` hook prints its whole latency
histogram (``latency(i)`` gives each recorded value and its count) as one line, so windows
merge exactly and any percentile can be read, where ``--latency`` alone prints only four.
wrk takes whole seconds, so a window is at least one second with it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from benchmarks.load_result import LoadResult
from benchmarks.loadgen import run_asyncio_load

__all__ = ["LoadTool", "choose_tool"]

_MARKER = "BENCH_WRK_RESULT "
_DONE_HOOK = """
done = function(summary, latency, requests)
  local parts = {}
  for i = 1, #latency do
    local value, count = latency(i)
    parts[#parts + 1] = string.format("%d:%d", value, count)
  end
  local e = summary.errors
  io.write(string.format(
    '%s{"requests":%d,"duration_us":%d,"status":%d,"errors":%d,"histogram":"%s"}\\n',
    "BENCH_WRK_RESULT ", summary.requests, summary.duration, e.status,
    e.connect + e.read + e.write + e.timeout, table.concat(parts, ",")))
end
"""


@dataclass(frozen=True, slots=True)
class LoadTool:
    """Runs one fixed-duration GET load window against a loopback URL."""

    kind: Literal["wrk", "asyncio"]
    wrk_path: str | None
    workdir: Path

    def describe(self) -> str:
        if self.kind == "wrk":
            return f"wrk ({self.wrk_path}, 1 thread)"
        return "asyncio keep-alive generator (benchmarks/loadgen.py; wrk not used)"

    def window_seconds(self, seconds: float) -> float:
        """The window length actually used: wrk only takes whole seconds."""
        return float(max(1, round(seconds))) if self.kind == "wrk" else seconds

    def run(
        self, url: str, headers: Mapping[str, str], *, connections: int, seconds: float
    ) -> LoadResult:
        if self.kind == "asyncio":
            return run_asyncio_load(url, headers, connections=connections, seconds=seconds)
        return self._wrk(url, headers, connections, int(self.window_seconds(seconds)))

    def _wrk(
        self, url: str, headers: Mapping[str, str], connections: int, seconds: int
    ) -> LoadResult:
        assert self.wrk_path is not None
        script = self.workdir / "wrk_done.lua"
        if not script.exists():
            script.write_text(_DONE_HOOK, encoding="ascii")
        command = [self.wrk_path, "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s"]
        for name, value in headers.items():
            command += ["-H", f"{name}: {value}"]
        command += ["-s", str(script), url]
        done = subprocess.run(  # noqa: S603 -- wrk found on PATH, fixed arguments, loopback URL
            command, capture_output=True, text=True, timeout=seconds + 60, check=False
        )
        line = next((x for x in done.stdout.splitlines() if x.startswith(_MARKER)), None)
        if done.returncode != 0 or line is None:
            msg = f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout[-500:]}"
            raise RuntimeError(msg)
        body = json.loads(line.removeprefix(_MARKER))
        histogram: Counter[int] = Counter()
        for pair in filter(None, body["histogram"].split(",")):
            value, count = pair.split(":")
            histogram[int(value)] += int(count)
        return LoadResult(
            requests=int(body["requests"]),
            seconds=int(body["duration_us"]) / 1e6,
            non_2xx=int(body["status"]),
            errors=int(body["errors"]),
            histogram=histogram,
        )


def choose_tool(preference: Literal["auto", "wrk", "asyncio"], workdir: Path) -> LoadTool:
    """wrk if ``preference`` allows and ``shutil.which`` finds it, else the asyncio generator."""
    wrk = shutil.which("wrk") if preference != "asyncio" else None
    if preference == "wrk" and wrk is None:
        msg = "--load wrk: wrk is not installed (apt-get install wrk)"
        raise RuntimeError(msg)
    if wrk is not None:
        return LoadTool("wrk", wrk, workdir)
    return LoadTool("asyncio", None, workdir)
