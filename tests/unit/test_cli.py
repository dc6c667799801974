"""The ``pleo-export-adapter`` command line: help everywhere, readable refusal of bad settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapter.cli import main


@pytest.mark.parametrize(
    "command",
    [["serve"], ["sandbox"], ["demo"], ["mappings", "check"], ["mappings"], ["compare"], []],
    ids=["serve", "sandbox", "demo", "mappings-check", "mappings", "compare", "top-level"],
)
def test_help_works_on_every_subcommand(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """--help prints usage and exits 0 on every subcommand, without starting anything."""
    with pytest.raises(SystemExit) as caught:
        main([*command, "--help"])
    assert caught.value.code == 0
    assert capsys.readouterr().out.startswith("usage: pleo-export-adapter")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ADAPTER_EXPORT_API_URL", "https://external.pleo.io/v3"),
        ("ADAPTER_EXPORT_API_URL", "https://user:canary-pw@external.pleo.io"),
        ("ADAPTER_AUTH_MODE", "oauth"),
        ("ADAPTER_JOB_IDLE_SECONDS", "3600"),
        ("ADAPTER_STORE_URL", "redis://localhost"),
        ("ADAPTER_CREDENTIALS_FILE", "/nonexistent/tenants.toml"),
    ],
)
def test_serve_with_an_invalid_variable_exits_2_with_one_line(
    clean_env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variable: str,
    value: str,
) -> None:
    """serve with an invalid ADAPTER_* variable prints one line naming it and exits 2."""
    clean_env.setenv(variable, value)
    assert main(["serve"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1
    assert variable in lines[0]
    assert "canary" not in captured.err


def test_serve_with_a_malformed_credentials_file_exits_2_with_one_line(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """serve with a credentials row lacking company_id exits 2 with one line naming the row."""
    path = tmp_path / "tenants.toml"
    path.write_text(
        '[[tenants]]\nlegacy_token_sha256 = "' + "ab" * 32 + '"\napi_key = "canary-key"\n',
        encoding="utf-8",
    )
    clean_env.setenv("ADAPTER_AUTH_MODE", "credentials")
    clean_env.setenv("ADAPTER_CREDENTIALS_FILE", str(path))
    assert main(["serve"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1
    assert "tenant #1: company_id is required" in lines[0]
    assert "canary" not in lines[0]


def test_serve_with_a_missing_mappings_dir_exits_2_with_one_line(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """serve with ADAPTER_MAPPINGS_DIR naming no directory prints one line naming it and exits 2."""
    clean_env.setenv("ADAPTER_MAPPINGS_DIR", str(tmp_path / "absent"))
    assert main(["serve"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1
    assert "ADAPTER_MAPPINGS_DIR" in lines[0]
