"""The admin routes' token: required off loopback, open on loopback, healthz always open."""

from __future__ import annotations

import argparse

import pytest

from adapter.cli import sandbox as cli
from adapter.sandbox.admin_auth import ADMIN_TOKEN_ENV, admin_token_for
from tests.support.openapi import assert_exception_info
from tests.support.sandbox import basic, bearer, client_for, make_app

TOKEN = "admin-token-for-tests"
ALL_INTERFACES = "0.0.0.0"  # noqa: S104  # the value under test; nothing binds it here


async def test_admin_routes_need_the_bearer_token_when_one_is_configured():
    """With an admin token, /sandbox/ routes answer 401 without it or with a wrong one."""
    async with client_for(make_app(admin_token=TOKEN)) as client:
        for headers in ({}, bearer("wrong"), {"Authorization": TOKEN}, basic(TOKEN)):
            response = await client.get("/sandbox/companies", headers=headers)
            assert_exception_info(response, 401, "UNAUTHORIZED")
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
        refused = await client.post("/sandbox/clock", json={"advanceSeconds": 5})
        assert refused.status_code == 401
        allowed = await client.get("/sandbox/companies", headers=bearer(TOKEN))
        assert allowed.status_code == 200
        assert len(allowed.json()) == 2


async def test_healthz_and_the_apis_do_not_need_the_admin_token():
    """Health checks and the Export API work without the admin token."""
    async with client_for(make_app(admin_token=TOKEN)) as client:
        assert (await client.get("/sandbox/healthz")).status_code == 200
        companies = (await client.get("/sandbox/companies", headers=bearer(TOKEN))).json()
        jobs = await client.get("/v3/export-jobs", headers=basic(companies[0]["apiKey"]))
        assert jobs.status_code == 200


async def test_admin_routes_are_open_without_a_configured_token(client):
    """The default (loopback) sandbox serves /sandbox/ routes without credentials."""
    assert (await client.get("/sandbox/companies")).status_code == 200


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "[::1]", "localhost", "127.0.0.2"])
def test_loopback_hosts_need_no_admin_token(host):
    """On a loopback address the CLI starts with open admin routes."""
    assert admin_token_for(host, {}) is None


@pytest.mark.parametrize("host", [ALL_INTERFACES, "::", "192.168.1.10", "sandbox.example"])
def test_non_loopback_hosts_take_the_token_from_the_environment(host):
    """Off loopback the CLI uses ADAPTER_SANDBOX_ADMIN_TOKEN and refuses to run without it."""
    assert admin_token_for(host, {ADMIN_TOKEN_ENV: TOKEN}) == TOKEN
    for environ in ({}, {ADMIN_TOKEN_ENV: ""}):
        with pytest.raises(ValueError, match=ADMIN_TOKEN_ENV):
            admin_token_for(host, environ)


def test_a_token_set_on_loopback_is_enforced_too():
    """A token in the environment protects a loopback sandbox as well."""
    assert admin_token_for("127.0.0.1", {ADMIN_TOKEN_ENV: TOKEN}) == TOKEN


def test_cli_refuses_a_public_host_without_a_token_in_one_line(capsys):
    """``sandbox --host 0.0.0.0`` without the token prints one line and exits 2."""
    parser = argparse.ArgumentParser()
    cli.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["sandbox", "--host", ALL_INTERFACES])
    assert cli.run(args, environ={}) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert ADMIN_TOKEN_ENV in captured.err


def test_blank_admin_token_is_refused():
    """A blank admin token is a configuration error, not an open door."""
    with pytest.raises(ValueError, match="admin_token"):
        make_app(admin_token="  ")
