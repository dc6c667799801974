"""Responses in the legacy shapes, encoded with orjson (money kept exact)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from adapter import jsonio

__all__ = ["LegacyJSONResponse"]


class LegacyJSONResponse(Response):
    # S-GOLEG's generated client accepts "application/json; charset=utf-8".
    media_type = "application/json; charset=utf-8"

    def render(self, content: Any) -> bytes:
        return jsonio.dumps(content)
