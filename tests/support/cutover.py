"""Cutover files for tests, and reading what the proxy did with them."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import httpx

__all__ = ["MODE_HEADER", "cutover_text", "mode_of", "write_cutover_file"]

MODE_HEADER = "X-Adapter-Mode"


def cutover_text(
    default_mode: str = "legacy",
    companies: Mapping[str, str] | None = None,
    *,
    extra: str = "",
    comments: Mapping[str, str] | None = None,
) -> str:
    """A cutover file: ``default_mode``, one line per company (with an optional comment)."""
    lines = [f'default_mode = "{default_mode}"', extra, "[companies]"]
    for company_id, mode in (companies or {}).items():
        comment = (comments or {}).get(company_id)
        lines.append(f'"{company_id}" = "{mode}"' + (f"  # {comment}" if comment else ""))
    return "\n".join(lines) + "\n"


def write_cutover_file(path: Path, text: str) -> Path:
    """Replace ``path`` at once (write beside it, rename), as an editor saving it would."""
    staging = path.with_name(path.name + ".saving")
    staging.write_text(text, encoding="utf-8")
    os.replace(staging, path)
    return path


def mode_of(response: httpx.Response) -> str:
    """The mode the proxy says served ``response``."""
    return response.headers[MODE_HEADER]
