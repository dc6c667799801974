"""Value equality under the rules: money at the currency's exponent, timestamps as instants.

Each function answers ``None`` when a value is not of the expected shape (a money object
without ``currency``, a timestamp that does not parse); the walk then compares it exactly,
so a malformed value is reported, never silently equal.
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from adapter.mapping.transforms import CurrencyTable

__all__ = ["as_instant", "exact_equal", "money_equal", "money_scale_hint"]

# Wide enough that quantizing an amount of any realistic size never overflows the context.
_CONTEXT = decimal.Context(prec=200, rounding=decimal.ROUND_HALF_EVEN)


def _number(value: Any) -> Decimal | None:
    # bool is an int in Python, but true is not a JSON number.
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        # The shortest repr is the JSON text the number came from.
        return Decimal(repr(value))
    return None


def _money(value: Any) -> tuple[Decimal, str] | None:
    if not isinstance(value, Mapping) or set(value) != {"value", "currency"}:
        return None
    number = _number(value["value"])
    currency = value["currency"]
    if number is None or not isinstance(currency, str):
        return None
    return number, currency


def _exponent(currency: str, currencies: CurrencyTable) -> int:
    # With legacy_units = "minor" the legacy value is already an integer count of minor units.
    return currencies.exponent(currency) if currencies.legacy_units == "major" else 0


def money_equal(a: Any, b: Any, currencies: CurrencyTable) -> bool | None:
    """Same currency and the same value rounded to the currency's exponent; None: not money."""
    left, right = _money(a), _money(b)
    if left is None or right is None:
        return None
    if left[1] != right[1]:
        return False
    quantum = Decimal(1).scaleb(-_exponent(left[1], currencies))
    try:
        return _CONTEXT.quantize(left[0], quantum) == _CONTEXT.quantize(right[0], quantum)
    except decimal.InvalidOperation:
        return left[0] == right[0]


def money_scale_hint(a: Any, b: Any) -> str | None:
    """Name a power-of-ten disagreement (A.2: 'flags a x100 disagreement by name')."""
    left, right = _money(a), _money(b)
    if left is None or right is None or left[1] != right[1] or not left[0] or not right[0]:
        return None
    ratio = right[0] / left[0]
    for power in range(1, 5):
        factor = Decimal(10) ** power
        if ratio == factor:
            return f"translated is {factor} x legacy: check legacy_units in currencies.toml"
        if ratio * factor == 1:
            return f"legacy is {factor} x translated: check legacy_units in currencies.toml"
    return None


def as_instant(value: Any) -> datetime | None:
    """An RFC 3339 / ISO 8601 timestamp as an aware UTC datetime; naive means UTC."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def exact_equal(a: Any, b: Any) -> bool:
    """JSON equality: numbers by value (1 == 1.0), but true is not 1 and "1" is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    left, right = _number(a), _number(b)
    if left is not None and right is not None:
        return left == right
    if isinstance(a, str) or isinstance(b, str):
        return type(a) is type(b) and a == b
    return bool(a == b)
