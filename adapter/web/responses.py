"""Responses in the legacy shapes, encoded with orjson (money kept exact)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from starlette.responses import Response

from adapter import jsonio

__all__ = ["LegacyJSONResponse", "json_array"]


class LegacyJSONResponse(Response):
    # Pleo's legacy document serves JSON as "application/json; charset=utf-8".
    media_type = "application/json; charset=utf-8"

    def render(self, content: Any) -> bytes:
        return jsonio.dumps(content)


def json_array(encoded: Sequence[bytes]) -> list[orjson.Fragment]:
    """Already-encoded JSON objects, to be embedded as they are in a larger document."""
    return [orjson.Fragment(item) for item in encoded]
