"""Edited copies of the shipped mapping tables, for tests of what a bad edit does."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from adapter.mapping import default_table_directory

__all__ = ["edited_tables"]


def edited_tables(directory: Path, file: str, pattern: str = "", repl: str = "") -> Path:
    """Copy the shipped tables to ``directory/mappings``, ``re.sub``-ing the one match of
    ``pattern`` (multi-line) in ``file``; return the copy's directory."""
    target = directory / "mappings"
    shutil.copytree(default_table_directory(), target)
    path = target / file
    if pattern:
        text, count = re.subn(pattern, repl, path.read_text(), count=1, flags=re.M)
        assert count == 1, f"{pattern!r} not in {file}"
        path.write_text(text)
    return target
