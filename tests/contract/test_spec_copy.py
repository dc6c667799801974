"""The contract tests read an unchanged copy of Pleo's published OpenAPI documents."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.contract.openapi import API_SPEC, ITEMS_SPEC, SPEC_DIR

_SHARED = Path(__file__).resolve().parents[3] / "shared" / "pleo-openapi"
# Byte sizes of Pleo's files as published (the README gives character counts; the items file
# has multi-byte characters, so its byte size is larger).
_PUBLISHED_SIZES = {API_SPEC: 36093, ITEMS_SPEC: 40757}


@pytest.mark.parametrize("name", [API_SPEC, ITEMS_SPEC])
def test_the_copy_is_pleos_document_unchanged(name: str) -> None:
    """The vendored spec has the published size and equals the team's shared copy when present."""
    copy = (SPEC_DIR / name).read_bytes()
    assert len(copy) == _PUBLISHED_SIZES[name]
    shared = _SHARED / name
    if shared.is_file():
        assert copy == shared.read_bytes()
