"""Process settings, read once from ``ADAPTER_*`` environment variables (pydantic-settings).

Invalid settings stop start-up with one readable line naming the variable; the CLI turns the
:class:`~adapter.errors.ConfigurationError` raised here into exit code 2.

Every duration and count has a finite range, wide enough for tests (a one-second poll, a
one-second deadline) and for operators, and narrow enough that no value turns a safeguard off:
``inf`` and ``nan`` are refused everywhere (``allow_inf_nan=False``), and the lower bounds keep
``1e-9`` from meaning "poll Pleo in a busy loop". The README's settings table lists the ranges.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from adapter.errors import ConfigurationError

__all__ = ["Settings", "load_settings"]

_ENV_PREFIX = "ADAPTER_"
# Pleo expires a job one hour after its last update; the idle policy must act before that.
_PLEO_JOB_EXPIRY_SECONDS = 3600
# A page is held in memory whole; beyond this a setting is a mistake, not a need.
_PAGE_SIZE_CEILING = 1_000_000


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=_ENV_PREFIX, extra="ignore", frozen=True, allow_inf_nan=False
    )

    export_api_url: str = Field(
        default="https://external.pleo.io",
        description="Origin of Pleo's Export API v3; credentials are sent nowhere else.",
    )
    legacy_api_url: str | None = Field(
        default=None,
        description="Origin of Pleo's legacy API, where the legacy routes the proxy does not "
        "translate are passed through; unset (the legacy API is gone): those routes answer 501.",
    )
    auth_mode: Literal["auto", "passthrough", "credentials"] = Field(
        default="auto",
        description="passthrough: forward the client's Authorization; credentials: map legacy "
        "tokens to v3 credentials with ADAPTER_CREDENTIALS_FILE; auto: credentials when "
        "ADAPTER_CREDENTIALS_FILE is set, else passthrough.",
    )
    credentials_file: Path | None = Field(
        default=None, description="TOML file of tenants (required in credentials mode)."
    )
    store_url: str = Field(default="memory://", description="memory:// (one replica).")
    mappings_dir: Path | None = Field(
        default=None, description="Directory of mapping tables; default: the shipped tables."
    )
    job_idle_seconds: int = Field(
        default=2700,
        ge=1,
        lt=_PLEO_JOB_EXPIRY_SECONDS,
        description="A claimed job whose legacy client made no call (GET included) this long "
        "gets the idle policy (1 to 3599 s: it must act before Pleo's one-hour expiry).",
    )
    idle_policy: Literal["fail", "wait"] = Field(
        default="fail",
        description="fail: unreported items are failed and the job closed before Pleo's expiry; "
        "wait: leave them to Pleo's one-hour expiry.",
    )
    poll_interval_seconds: float = Field(
        default=60.0, ge=1, le=3600, description="How often known companies' jobs are polled."
    )
    cache_max_bytes: int = Field(
        default=256 * 1024 * 1024,
        ge=1024 * 1024,
        le=64 * 1024**3,
        description="Memory for cached company views (job state and mapped expenses).",
    )
    max_passthrough_tenants: int = Field(
        default=1000,
        ge=1,
        le=100_000,
        description="Passthrough credentials (and their companies) remembered, once Pleo "
        "accepted them.",
    )
    maintenance_concurrency: int = Field(
        default=8, ge=1, le=64, description="Companies worked on at once by scheduled rounds."
    )
    maintenance_deadline_seconds: float = Field(
        default=30, ge=1, le=600, description="Time allowed for one company's scheduled round."
    )
    close_retry_seconds: float = Field(
        default=5,
        ge=1,
        le=300,
        description="Delay before retrying a job closure Pleo did not confirm.",
    )
    discovery_min_interval_seconds: float = Field(
        default=2.0,
        ge=0,
        le=300,
        description="Minimum time between two on-demand job discoveries for one tenant.",
    )
    stale_read_seconds: float = Field(
        default=300.0,
        ge=0,
        le=3600,
        description="How old a tenant's last good view of Pleo may be when it is served "
        "while Pleo cannot be reached.",
    )
    upstream_timeout_seconds: float = Field(
        default=15.0,
        ge=0.5,
        le=120,
        description="Timeout of each phase of one attempt towards Pleo (connect, send, read).",
    )
    request_deadline_seconds: float = Field(
        default=30.0,
        ge=1,
        le=300,
        description="One legacy request's total time for every call to Pleo, retries and "
        "waits included; also bounds each call of the scheduled work.",
    )
    upstream_retry_attempts: int = Field(
        default=3, ge=1, le=10, description="Attempts per call that is safe to repeat."
    )
    upstream_circuit_failures: int = Field(
        default=5,
        ge=1,
        le=100,
        description="Consecutive failures (5xx, no answer) that open the circuit breaker.",
    )
    upstream_circuit_open_seconds: float = Field(
        default=30.0,
        ge=1,
        le=600,
        description="How long the breaker stays open, times the consecutive openings (at most "
        "ten times this).",
    )
    shutdown_grace_seconds: float = Field(
        default=20.0,
        ge=1,
        le=120,
        description="On SIGTERM, time given to requests in progress before they are cut.",
    )
    upstream_max_in_flight: int = Field(default=16, ge=1, le=64)
    gc_young_threshold: int = Field(
        default=10_000,
        ge=100,
        le=1_000_000,
        description="Allocations between young garbage collections in `serve` (CPython's "
        "default is 700; see benchmarks/README.md for why 10,000).",
    )
    gc_freeze_after_startup: bool = Field(
        default=True,
        description="In `serve`, move what start-up left alive out of the collector's reach "
        "(gc.freeze()).",
    )
    upstream_max_connections: int = Field(default=20, ge=1, le=1000)
    default_page_size: int = Field(default=100, ge=1, le=_PAGE_SIZE_CEILING)
    # The proxy's view is one export job, so a page as large as a job loses nothing; a
    # published client sends pageSize=100000 and never pages.
    max_page_size: int = Field(default=100_000, ge=1, le=_PAGE_SIZE_CEILING)
    max_ids_per_put: int = Field(default=1000, ge=1, le=10_000)
    max_body_bytes: int = Field(default=1_048_576, ge=1024, le=64 * 1_048_576)
    legacy_max_response_bytes: int = Field(
        default=16 * 1_048_576,
        ge=1024,
        le=256 * 1_048_576,
        description="Largest answer read from the legacy API; a larger one is a 502.",
    )
    cutover_file: Path | None = Field(
        default=None,
        description="TOML file of per-company modes (legacy, shadow, export); unset: every "
        "company is served in export mode.",
    )
    cutover_check_seconds: float = Field(
        default=1.0,
        ge=0,
        le=60,
        description="The cutover file's modification time is checked at most this often.",
    )
    shadow_timeout_seconds: float = Field(
        default=10.0,
        ge=0.1,
        le=300,
        description="Time limit of one shadow comparison (the translated read included).",
    )
    shadow_max_in_flight: int = Field(
        default=16,
        ge=1,
        le=1024,
        description="Shadow comparisons running at once; more are dropped and counted.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["auto", "json", "console"] = Field(
        default="auto",
        description="json: one JSON object per line; console: aligned text for people; "
        "auto: console when stdout is a terminal, else json.",
    )

    @property
    def resolved_auth_mode(self) -> Literal["passthrough", "credentials"]:
        """``auto`` resolved: credentials mode exactly when a credentials file is configured."""
        if self.auth_mode == "auto":
            return "credentials" if self.credentials_file is not None else "passthrough"
        return self.auth_mode

    @field_validator("legacy_api_url", mode="before")
    @classmethod
    def _unset(cls, value: object) -> object:
        # ADAPTER_LEGACY_API_URL= (empty) means "no legacy API", like leaving it out.
        return None if value == "" else value

    @field_validator("export_api_url", "legacy_api_url")
    @classmethod
    def _origin(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            msg = "must be an http(s) origin such as https://external.pleo.io"
            raise ValueError(msg)
        if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
            msg = "must be an origin only (scheme, host, port), without path or credentials"
            raise ValueError(msg)
        return value.rstrip("/")

    @field_validator("store_url")
    @classmethod
    def _store(cls, value: str) -> str:
        if value != "memory://":
            msg = "only memory:// is supported in this version"
            raise ValueError(msg)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.auth_mode == "credentials" and self.credentials_file is None:
            msg = "credentials_file: required when ADAPTER_AUTH_MODE=credentials"
            raise ValueError(msg)
        if self.credentials_file is not None and not self.credentials_file.is_file():
            msg = f"credentials_file: {self.credentials_file} is not a readable file"
            raise ValueError(msg)
        if self.cutover_file is not None and not self.cutover_file.is_file():
            msg = f"cutover_file: {self.cutover_file} is not a readable file"
            raise ValueError(msg)
        if self.mappings_dir is not None and not self.mappings_dir.is_dir():
            msg = f"mappings_dir: {self.mappings_dir} is not a directory"
            raise ValueError(msg)
        if self.default_page_size > self.max_page_size:
            msg = "default_page_size: must not exceed ADAPTER_MAX_PAGE_SIZE"
            raise ValueError(msg)
        return self


def load_settings() -> Settings:
    """Read the environment, or raise one readable :class:`ConfigurationError`."""
    try:
        return Settings()
    except ValidationError as exc:
        raise ConfigurationError(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    first = exc.errors()[0]
    location = [str(part) for part in first["loc"]]
    message = first["msg"].removeprefix("Value error, ")
    if not location and ":" in message:
        # Model-level checks name their field at the front of the message.
        field_name, _, message = message.partition(":")
        location = [field_name.strip()]
        message = message.strip()
    variable = _ENV_PREFIX + "_".join(location).upper() if location else "settings"
    return f"invalid setting {variable}: {message}"
