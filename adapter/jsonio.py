"""JSON encoding for everything the proxy writes: orjson, with money kept exact.

orjson has no ``Decimal`` support, and a float would drift (0.1 + 0.2). A ``Decimal`` is
written as a raw JSON number through :class:`orjson.Fragment`, so ``Decimal("896.96")``
becomes the six bytes ``896.96`` and nothing is rounded on the way out.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson

__all__ = ["dumps", "loads"]

_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS


def _default(value: object) -> Any:
    if isinstance(value, Decimal):
        if not value.is_finite():
            msg = f"cannot encode non-finite amount {value!r} as JSON"
            raise TypeError(msg)
        return orjson.Fragment(format(value, "f"))
    msg = f"cannot encode {type(value).__name__} as JSON"
    raise TypeError(msg)


def dumps(value: Any) -> bytes:
    """Encode ``value`` (plain data, datetimes, Decimals) as compact UTF-8 JSON."""
    return orjson.dumps(value, default=_default, option=_OPTIONS)


def loads(data: bytes | str) -> Any:
    return orjson.loads(data)
