"""What the harness reads about a server process from ``/proc``, and where it runs.

CPU time is ``utime + stime`` of the whole process (every thread) from ``/proc/<pid>/stat``,
in clock ticks (usually 10 ms): read it before and after a measured window. Unlike wall time
it does not grow when another process holds the core. Memory is ``VmRSS`` from
``/proc/<pid>/status``.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CorePlan", "cpu_seconds", "pin", "rss_bytes"]

_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used so far, in seconds."""
    stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    # The command name sits in parentheses and may hold spaces: split after its ')'.
    fields = stat[stat.rindex(")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / _TICKS_PER_SECOND


def rss_bytes(pid: int) -> int:
    """The process's resident set size (``VmRSS``) in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    msg = f"no VmRSS for process {pid}"
    raise RuntimeError(msg)


def pin(pid: int, cores: frozenset[int]) -> None:
    """Move every thread of ``pid`` to ``cores``; a no-op when ``cores`` is empty.

    ``sched_setaffinity(pid)`` moves one thread only, so each task under
    ``/proc/<pid>/task`` is moved; threads started later inherit the affinity.
    """
    if not cores:
        return
    for task in Path(f"/proc/{pid}/task").iterdir():
        # A thread may end meanwhile; a container may refuse affinity: run unpinned then.
        with contextlib.suppress(OSError):
            os.sched_setaffinity(int(task.name), cores)


@dataclass(frozen=True, slots=True)
class CorePlan:
    """Which cores the server under measurement gets, and which the rest (load, sandbox) get.

    With two or more usable cores the server gets the first one alone; with one core nothing
    is pinned (both sets are empty) and figures are noisier.
    """

    server: frozenset[int]
    load: frozenset[int]

    @classmethod
    def detect(cls) -> CorePlan:
        cores = sorted(os.sched_getaffinity(0))
        if len(cores) < 2:
            return cls(server=frozenset(), load=frozenset())
        return cls(server=frozenset(cores[:1]), load=frozenset(cores[1:]))

    @property
    def pinned(self) -> bool:
        return bool(self.server)

    def describe(self) -> str:
        if not self.pinned:
            return "one usable core: nothing pinned"
        return (
            f"server on core {_cores(self.server)}; "
            f"load generator, sandbox and harness on {_cores(self.load)}"
        )


def _cores(cores: frozenset[int]) -> str:
    return ",".join(str(core) for core in sorted(cores))
