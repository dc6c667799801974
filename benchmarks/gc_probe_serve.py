"""``python -m benchmarks.gc_probe_serve --gc-log PATH serve ...``: the proxy, with a GC probe.

The proxy has no metrics endpoint yet, so the harness runs it through this wrapper: it adds a
``gc.callbacks`` hook that appends one line per full (generation 2) collection to ``PATH``,
then hands the remaining arguments to the normal ``pleo-export-adapter`` command line
(``adapter.__main__.main``). Each line is ``<start> <duration> <collected>``: the start as
``time.monotonic_ns()`` (one clock for every process on the machine, so the harness can cut
the log by its own measuring windows), the pause in nanoseconds, and the objects freed.

Young collections are not logged: they are frequent and a file write each would cost more
than what is measured. The hook itself costs one ``write`` per full collection.
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

__all__ = ["GcWindow", "install", "main", "read_window"]

_FULL = 2


def install(log: TextIO) -> None:
    """Log every full collection of this process to ``log`` (line-buffered)."""
    started: list[int] = [0]

    def on_collection(phase: str, info: dict[str, Any]) -> None:
        if info.get("generation") != _FULL:
            return
        now = time.monotonic_ns()
        if phase == "start":
            started[0] = now
        else:
            log.write(f"{started[0]} {now - started[0]} {info.get('collected', 0)}\n")

    gc.callbacks.append(on_collection)


@dataclass(frozen=True, slots=True)
class GcWindow:
    """Full collections that started inside one measuring window."""

    count: int
    longest_ms: float
    total_ms: float

    def describe(self, seconds: float) -> str:
        if self.count == 0:
            return f"0 full GCs in {seconds:.1f} s"
        return (
            f"{self.count} full GCs in {seconds:.1f} s "
            f"(longest {self.longest_ms:.1f} ms, total {self.total_ms:.0f} ms)"
        )


def read_window(path: Path, start_ns: int, end_ns: int) -> GcWindow:
    """The full collections logged in ``path`` that started in ``[start_ns, end_ns]``."""
    pauses: list[int] = []
    try:
        lines = path.read_text(encoding="ascii").splitlines()
    except FileNotFoundError:
        lines = []
    for line in lines:
        parts = line.split()
        if len(parts) < 2:
            continue  # a line still being written
        start, duration = int(parts[0]), int(parts[1])
        if start_ns <= start <= end_ns:
            pauses.append(duration)
    return GcWindow(
        count=len(pauses),
        longest_ms=max(pauses, default=0) / 1e6,
        total_ms=sum(pauses) / 1e6,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``--gc-log PATH`` then the ``pleo-export-adapter`` arguments."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 2 or args[0] != "--gc-log":
        print(
            "usage: python -m benchmarks.gc_probe_serve --gc-log PATH serve [...]", file=sys.stderr
        )
        return 2
    # Imported here so the probe is in place before the proxy allocates anything.
    log = Path(args[1]).open("a", buffering=1, encoding="ascii")  # noqa: SIM115 -- open for the process's life
    install(log)
    from adapter.__main__ import main as adapter_main

    return adapter_main(args[2:])


if __name__ == "__main__":
    sys.exit(main())
