"""The cutover file, re-read when it changes, without a restart.

:meth:`PolicyFile.current` is called on every expense request. At most once per
``check_seconds`` (by the injected monotonic clock) it looks at the file's modification time,
size and inode; when any of them moved it parses the file again. A version that parses
becomes the policy at once; one that does not (or a file that went away) keeps the last good
policy and writes one error line per bad version, so a half-saved edit never takes the proxy
down and never floods the log. The file parsed at start-up must be good: a bad one raises
:class:`~adapter.errors.ConfigurationError` from the constructor (exit 2 from ``serve``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import structlog

from adapter.cutover.policy import CutoverPolicy
from adapter.errors import ConfigurationError

__all__ = ["FixedPolicy", "PolicyFile", "PolicySource"]

_log = structlog.stdlib.get_logger("adapter.cutover")

_Version = tuple[int, int, int]


class PolicySource(Protocol):
    def current(self) -> CutoverPolicy:
        """The policy to route this request by."""


class FixedPolicy:
    """A policy that never changes (no cutover file: every company in export mode)."""

    def __init__(self, policy: CutoverPolicy) -> None:
        self._policy = policy

    def current(self) -> CutoverPolicy:
        return self._policy


def _version(path: Path) -> _Version | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)


class PolicyFile:
    """The policy in ``path``, reloaded on change; ``load`` reads and parses one version."""

    def __init__(
        self,
        path: Path,
        *,
        load: Callable[[Path], CutoverPolicy],
        check_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._path = path
        self._load = load
        self._check_seconds = check_seconds
        self._clock = clock
        self._version = _version(path)
        self._policy = load(path)
        self._checked = clock()
        self._bad: _Version | None = None
        self._gone_reported = False

    @property
    def path(self) -> Path:
        return self._path

    def current(self) -> CutoverPolicy:
        now = self._clock()
        if now - self._checked < self._check_seconds:
            return self._policy
        self._checked = now
        version = _version(self._path)
        if version is None:
            if not self._gone_reported:
                self._gone_reported = True
                _log.error(
                    "cutover file cannot be read; keeping the last good policy",
                    path=str(self._path),
                )
            return self._policy
        self._gone_reported = False
        if version == self._version or version == self._bad:
            return self._policy
        try:
            policy = self._load(self._path)
        except ConfigurationError as exc:
            self._bad = version
            _log.error(
                "cutover file refused; keeping the last good policy",
                path=str(self._path),
                problem=exc.message,
            )
            return self._policy
        self._policy, self._version, self._bad = policy, version, None
        _log.info("cutover file reloaded", path=str(self._path))
        return policy
