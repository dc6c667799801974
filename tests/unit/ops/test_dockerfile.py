"""The Dockerfile builds what it claims: two stages, pinned base, non-root, a real healthcheck."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

from tests.support.ops_files import (
    REPO_ROOT,
    dockerfile_instructions,
    parse_command,
    served_paths,
    shell_words,
    urls_in,
)

INSTRUCTIONS = dockerfile_instructions()


def _final_stage() -> list[tuple[str, str]]:
    starts = [n for n, (instruction, _) in enumerate(INSTRUCTIONS) if instruction == "FROM"]
    return INSTRUCTIONS[starts[-1] :]


def _args(instruction: str, stage: list[tuple[str, str]] | None = None) -> list[str]:
    return [args for name, args in (stage or INSTRUCTIONS) if name == instruction]


def test_two_stages_from_one_base_pinned_to_an_exact_version() -> None:
    """A builder and a runtime stage, both from the same exactly versioned Python image."""
    (default,) = [a for a in _args("ARG") if a.startswith("PYTHON_IMAGE=")]
    assert re.fullmatch(
        r"PYTHON_IMAGE=python:\d+\.\d+\.\d+-slim-\w+(@sha256:[0-9a-f]{64})?", default
    )
    assert _args("FROM") == ["${PYTHON_IMAGE} AS builder", "${PYTHON_IMAGE} AS runtime"]


def test_dependencies_are_installed_with_the_pins_before_the_code_is_copied() -> None:
    """The pinned dependency layer comes before COPY adapter, so code edits reuse it."""
    steps = [f"{name} {args}" for name, args in INSTRUCTIONS]
    install = next(n for n, step in enumerate(steps) if "pip install -c constraints.txt" in step)
    copy_code = steps.index("COPY adapter ./adapter")
    assert install < copy_code
    assert steps[install - 1] == "COPY pyproject.toml constraints.txt ./"


def test_the_runtime_stage_runs_unbuffered_as_an_unprivileged_user() -> None:
    """The image's process is not root and writes its log lines as they happen."""
    final = _final_stage()
    (user,) = _args("USER", final)
    assert user.split(":")[0] not in ("root", "0")
    assert any("PYTHONUNBUFFERED=1" in args for args in _args("ENV", final))
    assert any(args.startswith("--from=builder /opt/venv") for args in _args("COPY", final))


def test_the_command_is_serve_and_the_healthcheck_asks_readyz_on_its_port() -> None:
    """CMD parses with the real CLI; HEALTHCHECK calls /readyz where it listens, with timings."""
    final = _final_stage()
    (cmd,) = _args("CMD", final)
    args = parse_command(json.loads(cmd))
    assert args.command == "serve"
    assert _args("EXPOSE", final) == [str(args.port)]
    (healthcheck,) = _args("HEALTHCHECK", final)
    options = dict(w.split("=", 1) for w in shell_words(healthcheck.split(" CMD ")[0]))
    assert set(options) == {"--interval", "--timeout", "--start-period", "--retries"}
    (url,) = urls_in(healthcheck)
    parts = urlsplit(url)
    assert (parts.hostname, parts.port, parts.path) == ("127.0.0.1", args.port, "/readyz")
    assert parts.path in served_paths("serve")


def test_the_build_context_leaves_out_local_state() -> None:
    """.dockerignore keeps the virtualenv, git history and caches out of the build."""
    ignored = (REPO_ROOT / ".dockerignore").read_text().splitlines()
    assert {".git", ".venv", "tests"} <= set(ignored)
