"""docker-compose.yml tells the truth: its commands, ports, settings and probes are real."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from adapter.cli.serve import GRACEFUL_SHUTDOWN_SECONDS
from adapter.settings import Settings
from tests.support.ops_files import load_compose, parse_command, seconds, served_paths, urls_in

COMPOSE = load_compose()
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
# The sandbox reads no Settings; these are the variables its CLI reads, one by one.
SANDBOX_ENVIRONMENT = {"ADAPTER_SANDBOX_ADMIN_TOKEN"}
LOOPBACK = "127.0.0.1"


def _published(service: dict[str, Any]) -> list[tuple[str, int, int]]:
    """(host interface, host port, container port) of every published port."""
    published = []
    for port in service.get("ports", []):
        interface, host, container = str(port).split(":")
        published.append((interface, int(host), int(container)))
    return published


def test_only_the_sandbox_and_the_proxy_run() -> None:
    """No service that nothing uses: Redis comes back with the replicas work."""
    assert set(SERVICES) == {"sandbox", "proxy"}
    assert all(service.get("build") == "." for service in SERVICES.values())


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_command_is_one_the_cli_accepts(name: str) -> None:
    """Each service's command parses with the real CLI parser, as the one it is named for."""
    args = parse_command(SERVICES[name]["command"])
    assert args.command == {"sandbox": "sandbox", "proxy": "serve"}[name]
    assert args.host == "0.0.0.0"  # noqa: S104 - inside its container, to be reachable at all


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_ports_are_published_on_loopback_only_and_match_the_command(name: str) -> None:
    """Nothing is published on every interface; each port is the one the command binds."""
    args = parse_command(SERVICES[name]["command"])
    published = _published(SERVICES[name])
    assert published
    for interface, _host, container in published:
        assert interface == LOOPBACK
        assert container == args.port


def test_proxy_environment_names_are_settings() -> None:
    """Every ADAPTER_* variable given to the proxy is a field of Settings (a typo would be
    ignored silently)."""
    fields = {f"ADAPTER_{name.upper()}" for name in Settings.model_fields}
    environment = SERVICES["proxy"]["environment"]
    assert set(environment) <= fields
    Settings.model_validate({k.removeprefix("ADAPTER_").lower(): v for k, v in environment.items()})


def test_the_proxy_calls_the_sandbox_where_it_listens() -> None:
    """ADAPTER_EXPORT_API_URL names the sandbox service on the port its command binds."""
    url = urlsplit(SERVICES["proxy"]["environment"]["ADAPTER_EXPORT_API_URL"])
    assert (url.hostname, url.port) == (
        "sandbox",
        parse_command(SERVICES["sandbox"]["command"]).port,
    )
    assert SERVICES["proxy"]["depends_on"] == {"sandbox": {"condition": "service_healthy"}}


def test_the_sandbox_off_loopback_gets_its_admin_token_and_nothing_else() -> None:
    """The sandbox listens on every interface in its container, so its admin token is set."""
    environment = SERVICES["sandbox"]["environment"]
    assert set(environment) == SANDBOX_ENVIRONMENT
    # Compose refuses to start without it rather than run with a default everyone knows.
    assert environment["ADAPTER_SANDBOX_ADMIN_TOKEN"].startswith("${ADAPTER_SANDBOX_ADMIN_TOKEN:?")


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_healthchecks_probe_a_served_route_with_bounded_timings(name: str) -> None:
    """Each healthcheck calls a route its app serves, on its own port, and has every timing."""
    service = SERVICES[name]
    args = parse_command(service["command"])
    check = service["healthcheck"]
    (url,) = urls_in(check["test"])
    parts = urlsplit(url)
    assert (parts.hostname, parts.port) == (LOOPBACK, args.port)
    assert parts.path in served_paths(args.command)
    assert parts.path in {"/readyz", "/sandbox/healthz"}
    for timing in ("interval", "timeout", "start_period"):
        assert seconds(check[timing]) > 0, timing
    assert check["retries"] >= 1
    # The probe's own client gives up before Docker does, so a hang is reported as a failure.
    assert "timeout=2" in " ".join(check["test"])
    assert seconds(check["timeout"]) > 2


def test_the_proxy_is_given_longer_to_stop_than_it_takes() -> None:
    """stop_grace_period exceeds serve's graceful shutdown, so requests finish before SIGKILL."""
    assert seconds(SERVICES["proxy"]["stop_grace_period"]) > GRACEFUL_SHUTDOWN_SECONDS
