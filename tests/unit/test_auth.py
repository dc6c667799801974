"""Who a legacy request acts for: passthrough and credentials-file authentication (A.6)."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest

from adapter.auth import CredentialsFileAuthenticator, PassthroughAuthenticator
from adapter.errors import ConfigurationError, Unauthorized

LEGACY_TOKEN_A = "canary-legacy-token-a"
LEGACY_TOKEN_B = "canary-legacy-token-b"
API_KEY_A = "canary-v3-api-key-a"
BEARER_B = "canary-v3-bearer-b"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def basic_of(api_key: str) -> str:
    return "Basic " + base64.b64encode(f"{api_key}:".encode()).decode()


VALID_FILE = f"""
[[tenants]]
company_id = "company-a"
legacy_token_sha256 = "{sha256(LEGACY_TOKEN_A)}"
api_key = "{API_KEY_A}"

[[tenants]]
company_id = "company-b"
legacy_token_sha256 = "{sha256(LEGACY_TOKEN_B).upper()}"
bearer_token = "{BEARER_B}"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tenants.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def credentials(tmp_path: Path) -> CredentialsFileAuthenticator:
    return CredentialsFileAuthenticator.from_file(write(tmp_path, VALID_FILE))


# --- passthrough ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "forwarded"),
    [
        ("Bearer v3-token", "Bearer v3-token"),
        ("bearer v3-token", "Bearer v3-token"),
        ("  Bearer   v3-token  ", "Bearer v3-token"),
        ("Basic djMta2V5Og==", "Basic djMta2V5Og=="),
        ("BASIC djMta2V5Og==", "Basic djMta2V5Og=="),
    ],
)
def test_passthrough_forwards_bearer_or_basic(header: str, forwarded: str) -> None:
    """Passthrough accepts a Bearer or Basic header and forwards it, scheme normalised."""
    tenant = PassthroughAuthenticator().authenticate(header)
    assert tenant.credential.authorization == forwarded
    assert tenant.company_id is None


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "   ",
        "Bearer",
        "Bearer ",
        "Basic",
        "Digest username=x",
        "Token abc",
        "v3-token",
        "Bearer two words",
        "Bearer\tv3-token",
        "Bearer " + "x" * 8200,
    ],
    ids=[
        "missing",
        "empty",
        "blank",
        "bearer-alone",
        "bearer-empty",
        "basic-alone",
        "digest",
        "token-scheme",
        "no-scheme",
        "spaces-in-value",
        "tab-separator",
        "oversized",
    ],
)
def test_passthrough_refuses_missing_or_malformed_header(header: str | None) -> None:
    """Passthrough refuses a missing, empty, other-scheme, malformed or oversized header: 401."""
    with pytest.raises(Unauthorized) as caught:
        PassthroughAuthenticator().authenticate(header)
    assert caught.value.status_code == 401


def test_passthrough_tenants_differ_per_credential() -> None:
    """Two different credentials never share a tenant key (SR-5)."""
    auth = PassthroughAuthenticator()
    first = auth.authenticate("Bearer token-one")
    second = auth.authenticate("Bearer token-two")
    assert first.key != second.key
    assert auth.authenticate("bearer token-one").key == first.key


# --- credentials file -------------------------------------------------------------------------


def test_credentials_file_maps_legacy_token_to_api_key_tenant(
    credentials: CredentialsFileAuthenticator,
) -> None:
    """A known legacy token yields its company and the api_key as an HTTP Basic credential."""
    tenant = credentials.authenticate(f"Bearer {LEGACY_TOKEN_A}")
    assert tenant.company_id == "company-a"
    assert tenant.credential.authorization == basic_of(API_KEY_A)


def test_credentials_file_maps_legacy_token_to_bearer_tenant(
    credentials: CredentialsFileAuthenticator,
) -> None:
    """A known legacy token (hash listed in upper case) yields its company and bearer_token."""
    tenant = credentials.authenticate(f"bearer {LEGACY_TOKEN_B}")
    assert tenant.company_id == "company-b"
    assert tenant.credential.authorization == f"Bearer {BEARER_B}"


@pytest.mark.parametrize(
    "header",
    [
        "Bearer unknown-token",
        f"Bearer {LEGACY_TOKEN_A}x",
        f"Bearer {sha256(LEGACY_TOKEN_A)}",
        f"Basic {LEGACY_TOKEN_A}",
        f"Basic {base64.b64encode(LEGACY_TOKEN_A.encode()).decode()}",
        f"Bearer {API_KEY_A}",
        None,
        "",
    ],
    ids=[
        "unknown",
        "near-miss",
        "the-hash-itself",
        "basic-raw",
        "basic-encoded",
        "upstream-key",
        "missing",
        "empty",
    ],
)
def test_credentials_file_refuses_unknown_or_basic_credentials(
    credentials: CredentialsFileAuthenticator, header: str | None
) -> None:
    """An unknown token, the hash itself, or any Basic header is refused with 401."""
    with pytest.raises(Unauthorized):
        credentials.authenticate(header)


def test_tenant_repr_and_key_never_show_a_secret(
    credentials: CredentialsFileAuthenticator,
) -> None:
    """Neither repr(tenant) nor its key contains the legacy token or the upstream credential."""
    for token, secret in [(LEGACY_TOKEN_A, API_KEY_A), (LEGACY_TOKEN_B, BEARER_B)]:
        tenant = credentials.authenticate(f"Bearer {token}")
        shown = repr(tenant) + str(tenant) + tenant.key
        for leaked in (token, secret, tenant.credential.authorization, "canary"):
            assert leaked not in shown


ROW = 'company_id = "c"\nlegacy_token_sha256 = "{hash}"\napi_key = "canary-api-key"\n'
GOOD_ROW = ROW.format(hash=sha256("first"))


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("", "expected one or more [[tenants]]"),
        ("tenants = []", "expected one or more [[tenants]]"),
        ('tenants = "canary-api-key"', "expected one or more [[tenants]]"),
        ('tenants = ["canary-api-key"]', "tenant #1: expected a table"),
        (
            f'[[tenants]]\n{GOOD_ROW}\n[[tenants]]\nlegacy_token_sha256 = "{sha256("x")}"\n'
            'api_key = "canary-api-key"\n',
            "tenant #2: company_id is required",
        ),
        (
            f'[[tenants]]\ncompany_id = ""\nlegacy_token_sha256 = "{sha256("x")}"\n'
            'api_key = "canary-api-key"\n',
            "tenant #1: company_id is required",
        ),
        ('[[tenants]]\ncompany_id = "c"\napi_key = "canary-api-key"\n', "tenant #1: legacy_token"),
        ("[[tenants]]\n" + ROW.format(hash="ab" * 31), "tenant #1: legacy_token_sha256 must be 64"),
        ("[[tenants]]\n" + ROW.format(hash="ab" * 33), "tenant #1: legacy_token_sha256 must be 64"),
        ("[[tenants]]\n" + ROW.format(hash="zz" * 32), "tenant #1: legacy_token_sha256 must be 64"),
        (
            f'[[tenants]]\n{GOOD_ROW}bearer_token = "canary-bearer"\n',
            "tenant #1: give exactly one of api_key or bearer_token",
        ),
        (
            f'[[tenants]]\ncompany_id = "c"\nlegacy_token_sha256 = "{sha256("x")}"\n',
            "tenant #1: give exactly one of api_key or bearer_token",
        ),
        (
            f'[[tenants]]\ncompany_id = "c"\nlegacy_token_sha256 = "{sha256("x")}"\napi_key = ""\n',
            "tenant #1: give exactly one of api_key or bearer_token",
        ),
        (
            f"[[tenants]]\n{GOOD_ROW}\n[[tenants]]\n"
            + ROW.format(hash=sha256("first").upper()).replace('"c"', '"d"'),
            "tenant #2: the same legacy token is listed twice",
        ),
        ('[[tenants]\ncompany_id = "canary-api-key"', "cannot read it"),
    ],
    ids=[
        "empty-file",
        "no-tenants",
        "tenants-not-a-list",
        "row-not-a-table",
        "missing-company-id",
        "empty-company-id",
        "missing-hash",
        "short-hash",
        "long-hash",
        "non-hex-hash",
        "both-credentials",
        "no-credential",
        "empty-api-key",
        "duplicate-token",
        "invalid-toml",
    ],
)
def test_malformed_credentials_file_names_the_row_and_hides_secrets(
    tmp_path: Path, text: str, named: str
) -> None:
    """A malformed credentials file is refused naming the file and row, never a secret."""
    path = write(tmp_path, text)
    with pytest.raises(ConfigurationError) as caught:
        CredentialsFileAuthenticator.from_file(path)
    message = caught.value.message
    assert named in message
    assert str(path) in message
    assert "canary" not in message


def test_unreadable_credentials_file_is_a_configuration_error(tmp_path: Path) -> None:
    """A credentials file that cannot be read is a ConfigurationError naming the path."""
    missing = tmp_path / "absent.toml"
    with pytest.raises(ConfigurationError, match="cannot read it") as caught:
        CredentialsFileAuthenticator.from_file(missing)
    assert str(missing) in caught.value.message


@pytest.mark.parametrize(
    "content",
    [b"\xff\xfe[[tenants]]\n", b'company_id = "caf\xe9"\n'],
    ids=["utf-16-bom", "latin-1"],
)
def test_a_credentials_file_that_is_not_utf8_is_a_configuration_error(
    tmp_path: Path, content: bytes
) -> None:
    """A credentials file that is not UTF-8 text is a one-line ConfigurationError naming it."""
    path = tmp_path / "tenants.toml"
    path.write_bytes(content)
    with pytest.raises(ConfigurationError, match="not UTF-8") as caught:
        CredentialsFileAuthenticator.from_file(path)
    assert str(path) in caught.value.message
    assert "\n" not in caught.value.message


def test_a_directory_as_credentials_file_is_a_configuration_error(tmp_path: Path) -> None:
    """A directory given as the credentials file is a ConfigurationError naming it."""
    with pytest.raises(ConfigurationError, match="cannot read it") as caught:
        CredentialsFileAuthenticator.from_file(tmp_path)
    assert str(tmp_path) in caught.value.message


def test_hash_with_whitespace_is_not_64_hex_characters() -> None:
    """A legacy_token_sha256 of 64 characters that are not all hex digits is refused."""
    padded = " " + sha256("first")[:62] + " "
    document = {
        "tenants": [{"company_id": "c", "legacy_token_sha256": padded, "api_key": "k"}],
    }
    with pytest.raises(ConfigurationError, match="64 hex characters"):
        CredentialsFileAuthenticator.from_document(document, source="inline")
