"""Secrets never reach logs, reprs or store keys (SR-4, SR-5)."""

from __future__ import annotations

import logging

import pytest
import structlog

from adapter.tenancy import Tenant, UpstreamCredential
from tests.support.log_fixtures import CapturedLogs

CANARY = "canary-token-123"


def log_both_ways(message: str, *args: object) -> None:
    """Write ``message`` once through the standard library and once through structlog."""
    logging.getLogger("tests.unit.redaction").info(message, *args)
    structlog.stdlib.get_logger("tests.unit.redaction").info(message % args if args else message)


@pytest.mark.parametrize(
    ("message", "args", "secret"),
    [
        ("Bearer canary-token-123", (), CANARY),
        ("sent Bearer %s upstream", (CANARY,), CANARY),
        ("credential Basic abc== refused", (), "abc=="),
        ("webhook secret whsec_xyz loaded", (), "xyz"),
        ("secret=%s", ("whsec_c2VjcmV0Y2FuYXJ5",), "c2VjcmV0Y2FuYXJ5"),
    ],
)
def test_credentials_in_log_messages_are_redacted(
    logs: CapturedLogs, message: str, args: tuple[object, ...], secret: str
) -> None:
    """A bearer token, Basic credential or whsec_ secret in a log message is masked."""
    log_both_ways(message, *args)
    assert len(logs.lines()) == 2
    assert secret not in logs.text
    assert all("[redacted]" in line["event"] for line in logs.lines())


@pytest.mark.parametrize(
    "message",
    [
        "Authorization: Bearer canary-token-123",
        "authorization=Bearer canary-token-123",
        "headers={'authorization': 'Bearer canary-token-123'}",
        "Authorization: Basic canary-token-123",
        "got Authorization: Bearer canary-token-123, Basic abc==, whsec_xyz",
    ],
)
def test_authorization_header_in_a_log_message_is_redacted(
    logs: CapturedLogs, message: str
) -> None:
    """A logged Authorization header keeps none of its credential."""
    log_both_ways(message)
    assert CANARY not in logs.text


def test_fields_named_like_credentials_are_masked_whatever_they_hold(logs: CapturedLogs) -> None:
    """A field called authorization, api_key, token or secret never shows its value, nested too."""
    structlog.stdlib.get_logger("tests").info(
        "sending",
        authorization=CANARY,
        api_key=CANARY,
        bearer_token=CANARY,
        webhook_secret=CANARY,
        headers={"Authorization": CANARY, "Accept": "application/json"},
        attempts=[{"apiKey": CANARY}],
    )
    logging.getLogger("tests").info("sending", extra={"token": CANARY})
    assert CANARY not in logs.text
    first, second = logs.lines()
    assert first["headers"] == {"Authorization": "[redacted]", "Accept": "application/json"}
    assert second["token"] == "[redacted]"


def test_a_traceback_carrying_a_credential_is_redacted(logs: CapturedLogs) -> None:
    """An exception whose text holds a bearer token is logged with the token masked."""
    error = RuntimeError(f"upstream said: Authorization: Bearer {CANARY}")
    logging.getLogger("tests").error("failed", exc_info=error)
    (line,) = logs.lines()
    assert "RuntimeError" in line["exception"]
    assert CANARY not in logs.text


def test_messages_without_secrets_are_untouched(logs: CapturedLogs) -> None:
    """An ordinary message is logged exactly as written."""
    logging.getLogger("tests.unit.redaction").info("job %s has %d items", "job-1", 3)
    assert logs.lines()[0]["event"] == "job job-1 has 3 items"


@pytest.mark.parametrize(
    "credential",
    [
        UpstreamCredential.bearer("canary"),
        UpstreamCredential.api_key("canary"),
        UpstreamCredential.from_header("Bearer canary"),
    ],
    ids=["bearer", "api-key", "header"],
)
def test_upstream_credential_never_shows_its_secret(credential: UpstreamCredential) -> None:
    """repr and str of an UpstreamCredential, and of a Tenant holding it, never show the secret."""
    tenant = Tenant(credential=credential, company_id="company-1")
    for shown in (repr(credential), str(credential), repr(tenant), str(tenant), f"{tenant}"):
        assert "canary" not in shown
        assert credential.authorization not in shown


def test_api_key_is_sent_as_basic_with_empty_password() -> None:
    """A Pleo API key becomes HTTP Basic with the key as user name and an empty password."""
    assert UpstreamCredential.api_key("key").authorization == "Basic a2V5Og=="


def test_tenant_key_names_the_company_and_hides_the_token() -> None:
    """The tenant key contains the company id and a credential hash, never the raw token."""
    tenant = Tenant(credential=UpstreamCredential.bearer(CANARY), company_id="company-1")
    assert tenant.key.startswith("company-1:")
    assert CANARY not in tenant.key
    assert "Bearer" not in tenant.key


def test_tenant_key_separates_credentials_of_one_company() -> None:
    """Two credentials of the same company get different keys; the same credential the same key."""
    first = Tenant(credential=UpstreamCredential.bearer("one"), company_id="c")
    second = Tenant(credential=UpstreamCredential.bearer("two"), company_id="c")
    again = Tenant(credential=UpstreamCredential.bearer("one"), company_id="c")
    assert first.key != second.key
    assert first.key == again.key


def test_tenant_key_without_company_still_separates_credentials() -> None:
    """In passthrough (no company id) the key still depends on the credential alone."""
    first = Tenant(credential=UpstreamCredential.bearer("one"))
    second = Tenant(credential=UpstreamCredential.bearer("two"))
    assert first.key != second.key
    assert "one" not in first.key
