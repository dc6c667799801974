"""Secrets never reach logs, reprs or store keys (SR-4, SR-5)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from adapter.observability.logging import RedactingFilter
from adapter.tenancy import Tenant, UpstreamCredential

CANARY = "canary-token-123"


@pytest.fixture
def redacted_records() -> Iterator[list[logging.LogRecord]]:
    """Records of a logger whose handler has a RedactingFilter, as the proxy's handler has."""
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Collect()
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("tests.unit.redaction")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield records
    logger.removeHandler(handler)


def log_through_filter(records: list[logging.LogRecord], message: str, *args: object) -> str:
    logging.getLogger("tests.unit.redaction").info(message, *args)
    return records[-1].getMessage()


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
    redacted_records: list[logging.LogRecord], message: str, args: tuple[object, ...], secret: str
) -> None:
    """A bearer token, Basic credential or whsec_ secret in a log message is masked."""
    written = log_through_filter(redacted_records, message, *args)
    assert secret not in written
    assert "[redacted]" in written


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
    redacted_records: list[logging.LogRecord], message: str
) -> None:
    """A logged Authorization header keeps none of its credential."""
    written = log_through_filter(redacted_records, message)
    assert CANARY not in written


def test_messages_without_secrets_are_untouched(
    redacted_records: list[logging.LogRecord],
) -> None:
    """An ordinary message is logged exactly as written."""
    assert (
        log_through_filter(redacted_records, "job %s has %d items", "job-1", 3)
        == "job job-1 has 3 items"
    )


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
