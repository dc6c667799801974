"""Handing a released job's memory back to the operating system (glibc only).

Loading a 10,000-item job peaks at about 65 MB above the idle process, most of it short-lived
(parsed pages, models, rendered pages). When the job is released, CPython frees those objects
but glibc's ``malloc`` keeps the freed pages of its heap mapped: without a trim, RSS stays at
the first job's peak for the life of the process (benchmarks/README.md, ``memory_across_jobs``:
+66 MB after 10 jobs). ``malloc_trim(0)`` returns every free page of glibc's heaps (since glibc
2.8 also from the middle of the heap, with ``madvise``); measured at about 23 MB per released
10,000-item job in 2-3 ms. What it cannot return is pymalloc's 1 MiB arenas that still hold a
few long-lived objects (bounded caches filled during a load), so the gain is partial by design.

Elsewhere (musl, macOS, a libc without ``malloc_trim``) this does nothing.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import sys
from collections.abc import Callable

__all__ = ["release_soon", "trim_free_heap"]


def _load_malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        trim = libc.malloc_trim  # glibc only; musl has no such symbol
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


_MALLOC_TRIM = _load_malloc_trim()
_scheduled: set[asyncio.AbstractEventLoop] = set()


def trim_free_heap() -> bool:
    """Return glibc's free heap pages to the OS now; False where that is not available."""
    if _MALLOC_TRIM is None:
        return False
    _MALLOC_TRIM(0)
    return True


def release_soon() -> None:
    """Trim at the event loop's next turn: by then the request that released a job has
    usually let go of it too (its frames are what still hold the data at release time).
    Several releases in one turn share one trim. Without a running loop, trim now."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        trim_free_heap()
        return
    if loop in _scheduled:
        return
    _scheduled.add(loop)

    def run() -> None:
        _scheduled.discard(loop)
        trim_free_heap()

    loop.call_soon(run)
