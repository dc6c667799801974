"""Process settings from ``ADAPTER_*`` variables: documented defaults, one readable error each."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from adapter.errors import ConfigurationError
from adapter.settings import Settings, load_settings


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
    assert settings.job_idle_seconds == 2700
    assert settings.stale_read_seconds == 300
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
        ("ADAPTER_STALE_READ_SECONDS", "0", 0),
        ("ADAPTER_CACHE_MAX_BYTES", "1048576", 1048576),
        ("ADAPTER_MAX_PASSTHROUGH_TENANTS", "5", 5),
        ("ADAPTER_MAINTENANCE_CONCURRENCY", "64", 64),
        ("ADAPTER_MAINTENANCE_DEADLINE_SECONDS", "600", 600),
        ("ADAPTER_CLOSE_RETRY_SECONDS", "1", 1),
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
        ("ADAPTER_STALE_READ_SECONDS", "-1"),
        ("ADAPTER_STALE_READ_SECONDS", "3601"),
        ("ADAPTER_CACHE_MAX_BYTES", "1000"),
        ("ADAPTER_MAX_PASSTHROUGH_TENANTS", "0"),
        ("ADAPTER_MAINTENANCE_CONCURRENCY", "65"),
        ("ADAPTER_MAINTENANCE_DEADLINE_SECONDS", "0"),
        ("ADAPTER_CLOSE_RETRY_SECONDS", "301"),
        ("ADAPTER_POLL_INTERVAL_SECONDS", "3601"),
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


# --- bounds: every duration and count has a finite, documented range ------------------------

# (variable, lowest accepted, highest accepted, just below, just above).
BOUNDS = [
    ("ADAPTER_JOB_IDLE_SECONDS", "1", "3599", "0", "3600"),
    ("ADAPTER_POLL_INTERVAL_SECONDS", "1", "3600", "0.999", "3600.5"),
    ("ADAPTER_DISCOVERY_MIN_INTERVAL_SECONDS", "0", "300", "-0.1", "300.5"),
    ("ADAPTER_STALE_READ_SECONDS", "0", "3600", "-1", "3601"),
    ("ADAPTER_UPSTREAM_TIMEOUT_SECONDS", "0.5", "120", "0.49", "120.5"),
    ("ADAPTER_REQUEST_DEADLINE_SECONDS", "1", "300", "0.5", "301"),
    ("ADAPTER_UPSTREAM_RETRY_ATTEMPTS", "1", "10", "0", "11"),
    ("ADAPTER_UPSTREAM_CIRCUIT_FAILURES", "1", "100", "0", "101"),
    ("ADAPTER_UPSTREAM_CIRCUIT_OPEN_SECONDS", "1", "600", "0.5", "601"),
    ("ADAPTER_SHUTDOWN_GRACE_SECONDS", "1", "120", "0.5", "121"),
    ("ADAPTER_UPSTREAM_MAX_IN_FLIGHT", "1", "64", "0", "65"),
    ("ADAPTER_UPSTREAM_MAX_CONNECTIONS", "1", "1000", "0", "1001"),
    ("ADAPTER_GC_YOUNG_THRESHOLD", "100", "1000000", "99", "1000001"),
    # The two page sizes also bound each other (default <= max), so the other one's default
    # (max 100000, default 100) narrows what a test of one alone can accept.
    ("ADAPTER_DEFAULT_PAGE_SIZE", "1", "100000", "0", "1000001"),
    ("ADAPTER_MAX_PAGE_SIZE", "100", "1000000", "0", "1000001"),
    ("ADAPTER_MAX_IDS_PER_PUT", "1", "10000", "0", "10001"),
    ("ADAPTER_MAX_BODY_BYTES", "1024", "67108864", "1023", "67108865"),
    ("ADAPTER_LEGACY_MAX_RESPONSE_BYTES", "1024", "268435456", "1023", "268435457"),
    ("ADAPTER_CACHE_MAX_BYTES", "1048576", "68719476736", "1048575", "68719476737"),
    ("ADAPTER_MAX_PASSTHROUGH_TENANTS", "1", "100000", "0", "100001"),
    ("ADAPTER_MAINTENANCE_CONCURRENCY", "1", "64", "0", "65"),
    ("ADAPTER_MAINTENANCE_DEADLINE_SECONDS", "1", "600", "0.5", "601"),
    ("ADAPTER_CLOSE_RETRY_SECONDS", "1", "300", "0.5", "301"),
    ("ADAPTER_CUTOVER_CHECK_SECONDS", "0", "60", "-0.1", "60.5"),
    ("ADAPTER_SHADOW_TIMEOUT_SECONDS", "0.1", "300", "0.05", "301"),
    ("ADAPTER_SHADOW_MAX_IN_FLIGHT", "1", "1024", "0", "1025"),
]
DURATIONS = [row[0] for row in BOUNDS if row[0].endswith("_SECONDS")]


@pytest.mark.parametrize(("variable", "lowest", "highest", "below", "above"), BOUNDS)
def test_each_bound_is_inclusive_and_enforced(
    clean_env: pytest.MonkeyPatch,
    variable: str,
    lowest: str,
    highest: str,
    below: str,
    above: str,
) -> None:
    """Both ends of a setting's range are accepted; one step beyond either end stops start-up
    with one line naming the variable."""
    for value in (lowest, highest):
        clean_env.setenv(variable, value)
        assert getattr(load_settings(), variable.removeprefix("ADAPTER_").lower()) == float(value)
    for value in (below, above):
        clean_env.setenv(variable, value)
        with pytest.raises(ConfigurationError) as caught:
            load_settings()
        assert caught.value.message.startswith(f"invalid setting {variable}: ")
        assert "\n" not in caught.value.message


# Where 0 is a valid setting (discover on every request, never serve stale), 1e-9 is too.
_ZERO_ALLOWED = {
    "ADAPTER_DISCOVERY_MIN_INTERVAL_SECONDS",
    "ADAPTER_STALE_READ_SECONDS",
    "ADAPTER_CUTOVER_CHECK_SECONDS",
}


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        (variable, value)
        for variable in DURATIONS
        for value in ("inf", "-inf", "nan", "Infinity", "1e-9", "1e999")
        if not (variable in _ZERO_ALLOWED and value == "1e-9")
    ],
)
def test_no_duration_can_be_infinite_nan_or_vanishing(
    clean_env: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    """inf, nan, overflowing and vanishing values never switch a timeout or a loop off: each
    is refused naming the variable."""
    clean_env.setenv(variable, value)
    with pytest.raises(ConfigurationError, match=f"^invalid setting {variable}: "):
        load_settings()


def test_every_duration_and_count_has_a_range() -> None:
    """No numeric setting is left out of the bounds table above."""
    numeric = {
        name for name, field in Settings.model_fields.items() if field.annotation in (int, float)
    }
    bounded = {variable.removeprefix("ADAPTER_").lower() for variable, *_ in BOUNDS}
    assert numeric == bounded


def _range_of(name: str) -> tuple[float, float]:
    """The field's inclusive (ge/gt+1, le/lt-1) bounds as declared on Settings."""
    low = high = math.nan
    for rule in Settings.model_fields[name].metadata:
        for attr, shift in (("ge", 0), ("gt", 1), ("le", 0), ("lt", -1)):
            value = getattr(rule, attr, None)
            if value is not None:
                if attr in ("ge", "gt"):
                    low = value + shift
                else:
                    high = value + shift
    return low, high


def test_the_readme_states_every_range_as_declared() -> None:
    """The README's ranges table says exactly what Settings enforces, for every variable."""
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    stated = {
        variable: (float(low), float(high))
        for variables, low, high in re.findall(
            r"^\| (`ADAPTER_[A-Z_]+`(?: / `ADAPTER_[A-Z_]+`)?) \| ([0-9.]+) to ([0-9.]+)",
            readme,
            flags=re.MULTILINE,
        )
        for variable in re.findall(r"ADAPTER_[A-Z_]+", variables)
    }
    declared = {
        f"ADAPTER_{variable.removeprefix('ADAPTER_')}": _range_of(
            variable.removeprefix("ADAPTER_").lower()
        )
        for variable, *_ in BOUNDS
    }
    assert stated == declared
