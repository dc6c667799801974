"""Reading the ops files (Dockerfile, docker-compose.yml) the way Docker would, for static tests.

Docker cannot run in CI, so the tests check these files against what they name: each command
against the real CLI parser, each health-check URL against the routes the apps serve, each
environment name against the settings.
"""

from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]  # PyYAML has no inline types
from starlette.routing import BaseRoute, Mount, Route

from adapter.app import create_app
from adapter.cli import build_parser
from adapter.sandbox.app import create_sandbox_app
from adapter.sandbox.config import SandboxConfig
from adapter.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
PROGRAM = "pleo-export-adapter"
_URL = re.compile(r"https?://[^'\"\s]+")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def load_compose() -> dict[str, Any]:
    compose: dict[str, Any] = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    return compose


def parse_command(argv: list[str]) -> argparse.Namespace:
    """``argv`` as the image runs it, parsed by the real CLI (SystemExit if it would not start)."""
    assert argv[0] == PROGRAM, argv
    return build_parser().parse_args(argv[1:])


def _paths(routes: list[BaseRoute], prefix: str = "") -> set[str]:
    paths: set[str] = set()
    for route in routes:
        if isinstance(route, Mount):
            paths |= _paths(list(route.routes), prefix + route.path)
        elif isinstance(route, Route):
            paths.add(prefix + route.path)
    return paths


def served_paths(command: str) -> set[str]:
    """The route templates the ``serve`` or ``sandbox`` app answers."""
    if command == "serve":
        return _paths(list(create_app(Settings()).routes))
    assert command == "sandbox", command
    return _paths(list(create_sandbox_app(SandboxConfig(companies=1, jobs_per_company=0)).routes))


def urls_in(command: list[str] | str) -> list[str]:
    text = command if isinstance(command, str) else " ".join(command)
    return _URL.findall(text)


def seconds(duration: str) -> float:
    """A compose duration (``1m30s``, ``5s``, ``500ms``) in seconds."""
    parts = _DURATION.findall(duration)
    assert "".join(n + u for n, u in parts) == duration, duration
    return sum(float(n) * _UNIT_SECONDS[u] for n, u in parts)


def dockerfile_instructions() -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` in order, continuation lines joined, comments dropped."""
    logical: list[str] = []
    pending = ""
    for raw in (REPO_ROOT / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    assert not pending, "the Dockerfile ends inside a continued line"
    return [(words[0].upper(), words[1].strip()) for words in (x.split(None, 1) for x in logical)]


def shell_words(arguments: str) -> list[str]:
    return shlex.split(arguments)
