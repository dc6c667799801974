"""Process settings from ``ADAPTER_*`` variables: documented defaults, one readable error each."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapter.errors import ConfigurationError
from adapter.settings import load_settings


def test_defaults_match_the_documented_table(clean_env: pytest.MonkeyPatch) -> None:
    """With no ADAPTER_* variable set: Pleo's export origin, no legacy API, auth mode auto."""
    settings = load_settings()
    assert settings.export_api_url == "https://external.pleo.io"
    assert settings.legacy_api_url is None
    assert settings.auth_mode == "auto"
    assert settings.resolved_auth_mode == "passthrough"
    assert settings.max_page_size >= 100_000
    assert settings.credentials_file is None
    assert settings.store_url == "memory://"
    assert settings.job_idle_seconds == 900
    assert settings.idle_policy == "fail"
    assert settings.default_page_size <= settings.max_page_size
    assert settings.cutover_file is None
    assert settings.cutover_check_seconds == 1
    assert (settings.shadow_timeout_seconds, settings.shadow_max_in_flight) == (10, 16)


@pytest.mark.parametrize(
    ("variable", "value", "read_as"),
    [
        (
            "ADAPTER_EXPORT_API_URL",
            "https://export.sandbox.example/",
            "https://export.sandbox.example",
        ),
        ("ADAPTER_LEGACY_API_URL", "http://127.0.0.1:8081", "http://127.0.0.1:8081"),
        ("ADAPTER_JOB_IDLE_SECONDS", "3599", 3599),
        ("ADAPTER_IDLE_POLICY", "wait", "wait"),
        ("ADAPTER_MAX_PAGE_SIZE", "5000", 5000),
        ("ADAPTER_CUTOVER_CHECK_SECONDS", "0", 0),
        ("ADAPTER_SHADOW_TIMEOUT_SECONDS", "2.5", 2.5),
        ("ADAPTER_SHADOW_MAX_IN_FLIGHT", "64", 64),
    ],
)
def test_valid_variable_is_read(
    clean_env: pytest.MonkeyPatch, variable: str, value: str, read_as: object
) -> None:
    """A valid ADAPTER_* variable overrides its default (an origin loses its trailing slash)."""
    clean_env.setenv(variable, value)
    settings = load_settings()
    assert getattr(settings, variable.removeprefix("ADAPTER_").lower()) == read_as


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ADAPTER_EXPORT_API_URL", "ftp://external.pleo.io"),
        ("ADAPTER_EXPORT_API_URL", "external.pleo.io"),
        ("ADAPTER_EXPORT_API_URL", "https://external.pleo.io/v3"),
        ("ADAPTER_EXPORT_API_URL", "https://external.pleo.io?next=evil"),
        ("ADAPTER_EXPORT_API_URL", "https://external.pleo.io#frag"),
        ("ADAPTER_LEGACY_API_URL", "https://openapi.pleo.io/v1/expenses"),
        ("ADAPTER_LEGACY_API_URL", "https://user:canary-pw@openapi.pleo.io"),
        ("ADAPTER_AUTH_MODE", "oauth"),
        ("ADAPTER_STORE_URL", "redis://localhost:6379/0"),
        ("ADAPTER_JOB_IDLE_SECONDS", "3600"),
        ("ADAPTER_JOB_IDLE_SECONDS", "7200"),
        ("ADAPTER_JOB_IDLE_SECONDS", "0"),
        ("ADAPTER_JOB_IDLE_SECONDS", "soon"),
        ("ADAPTER_IDLE_POLICY", "retry"),
        ("ADAPTER_POLL_INTERVAL_SECONDS", "0"),
        ("ADAPTER_DISCOVERY_MIN_INTERVAL_SECONDS", "-1"),
        ("ADAPTER_UPSTREAM_TIMEOUT_SECONDS", "0"),
        ("ADAPTER_UPSTREAM_MAX_IN_FLIGHT", "0"),
        ("ADAPTER_UPSTREAM_MAX_IN_FLIGHT", "257"),
        ("ADAPTER_UPSTREAM_MAX_CONNECTIONS", "1001"),
        ("ADAPTER_DEFAULT_PAGE_SIZE", "0"),
        ("ADAPTER_DEFAULT_PAGE_SIZE", "200000"),
        ("ADAPTER_MAX_PAGE_SIZE", "0"),
        ("ADAPTER_MAX_PAGE_SIZE", "1000001"),
        ("ADAPTER_LEGACY_API_URL", "openapi.pleo.io"),
        ("ADAPTER_LEGACY_MAX_RESPONSE_BYTES", "10"),
        ("ADAPTER_AUTH_MODE", "legacy"),
        ("ADAPTER_MAX_IDS_PER_PUT", "0"),
        ("ADAPTER_MAX_BODY_BYTES", "100"),
        ("ADAPTER_LOG_LEVEL", "TRACE"),
        ("ADAPTER_CREDENTIALS_FILE", "/nonexistent/tenants.toml"),
        ("ADAPTER_MAPPINGS_DIR", "/nonexistent/mappings"),
        ("ADAPTER_CUTOVER_FILE", "/nonexistent/cutover.toml"),
        ("ADAPTER_CUTOVER_CHECK_SECONDS", "-1"),
        ("ADAPTER_CUTOVER_CHECK_SECONDS", "61"),
        ("ADAPTER_SHADOW_TIMEOUT_SECONDS", "0"),
        ("ADAPTER_SHADOW_TIMEOUT_SECONDS", "301"),
        ("ADAPTER_SHADOW_MAX_IN_FLIGHT", "0"),
        ("ADAPTER_SHADOW_MAX_IN_FLIGHT", "1025"),
    ],
)
def test_invalid_variable_is_named_in_one_readable_line(
    clean_env: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    """An invalid ADAPTER_* variable stops start-up with one line naming it, echoing no secret."""
    clean_env.setenv(variable, value)
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    message = caught.value.message
    assert message.startswith(f"invalid setting {variable}: ")
    assert "\n" not in message
    assert "canary" not in message


def test_credentials_mode_without_file_names_the_file_variable(
    clean_env: pytest.MonkeyPatch,
) -> None:
    """ADAPTER_AUTH_MODE=credentials without a file is refused naming ADAPTER_CREDENTIALS_FILE."""
    clean_env.setenv("ADAPTER_AUTH_MODE", "credentials")
    with pytest.raises(ConfigurationError, match=r"^invalid setting ADAPTER_CREDENTIALS_FILE: "):
        load_settings()


def test_credentials_mode_with_a_file_is_accepted(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """ADAPTER_AUTH_MODE=credentials with an existing file is a valid configuration."""
    path = tmp_path / "tenants.toml"
    path.write_text("", encoding="utf-8")
    clean_env.setenv("ADAPTER_AUTH_MODE", "credentials")
    clean_env.setenv("ADAPTER_CREDENTIALS_FILE", str(path))
    settings = load_settings()
    assert (settings.auth_mode, settings.credentials_file) == ("credentials", path)


def test_auto_mode_is_credentials_mode_when_a_file_is_set(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The default auto mode maps legacy tokens as soon as ADAPTER_CREDENTIALS_FILE is set."""
    path = tmp_path / "tenants.toml"
    path.write_text("", encoding="utf-8")
    clean_env.setenv("ADAPTER_CREDENTIALS_FILE", str(path))
    settings = load_settings()
    assert (settings.auth_mode, settings.resolved_auth_mode) == ("auto", "credentials")


def test_an_empty_legacy_api_url_means_no_legacy_api(clean_env: pytest.MonkeyPatch) -> None:
    """ADAPTER_LEGACY_API_URL= (empty) is the same as unset: the legacy API is gone."""
    clean_env.setenv("ADAPTER_LEGACY_API_URL", "")
    assert load_settings().legacy_api_url is None


def test_idle_seconds_must_stay_below_pleo_job_expiry(clean_env: pytest.MonkeyPatch) -> None:
    """ADAPTER_JOB_IDLE_SECONDS of an hour or more is refused: Pleo would expire the job first."""
    clean_env.setenv("ADAPTER_JOB_IDLE_SECONDS", "3600")
    with pytest.raises(ConfigurationError, match="ADAPTER_JOB_IDLE_SECONDS"):
        load_settings()
