"""The proxy's credentials file, written for a sandbox's seeded companies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from adapter.auth import hash_legacy_token

__all__ = ["write_credentials_file"]


def write_credentials_file(path: Path, companies: list[dict[str, Any]]) -> Path:
    """The proxy's TOML tenants file: each legacy token's SHA-256 -> its company's API key."""
    rows = [
        "[[tenants]]\n"
        f'company_id = "{c["companyId"]}"\n'
        f'legacy_token_sha256 = "{hash_legacy_token(c["legacyToken"])}"\n'
        f'api_key = "{c["apiKey"]}"\n'
        for c in companies
    ]
    path.write_text("\n".join(rows), encoding="utf-8")
    return path
