"""A cutover file that cannot work stops ``serve`` with one line and exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapter.cli import main
from tests.support.cutover import cutover_text, write_cutover_file


@pytest.mark.parametrize(
    ("text", "legacy_api", "mentions"),
    [
        ('default_mode = "sometimes"\n', True, "default_mode: 'sometimes'"),
        ('default_mode = "legacy"\n[companies]\n"acme" = "export"\n', True, "'acme'"),
        (cutover_text("shadow"), False, "set ADAPTER_LEGACY_API_URL"),
    ],
)
def test_serve_with_a_bad_cutover_file_exits_2_with_one_line(
    clean_env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    text: str,
    legacy_api: bool,
    mentions: str,
) -> None:
    """The line names the file and its problem; nothing is served."""
    path = write_cutover_file(tmp_path / "cutover.toml", text)
    clean_env.setenv("ADAPTER_CUTOVER_FILE", str(path))
    if legacy_api:
        clean_env.setenv("ADAPTER_LEGACY_API_URL", "https://openapi.pleo.io")

    assert main(["serve"]) == 2
    captured = capsys.readouterr()
    (line,) = captured.err.splitlines()
    assert line.startswith(f"pleo-export-adapter: cutover file {path}: ")
    assert mentions in line
    assert captured.out == ""
