"""The licence the package declares is the one the repository ships."""

from __future__ import annotations

import tomllib

from tests.support.ops_files import REPO_ROOT


def test_license_file_matches_the_declared_license() -> None:
    """pyproject.toml says MIT and LICENSE is the MIT text for the project's contributors."""
    declared = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["license"]
    text = (REPO_ROOT / "LICENSE").read_text()
    assert declared == "MIT"
    assert text.startswith("MIT License\n")
    assert "pleo-export-adapter contributors" in text
    assert 'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND' in text
