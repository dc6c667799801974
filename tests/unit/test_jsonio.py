"""JSON written by the proxy: money as exact numbers, times in UTC with ``Z``."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from adapter import jsonio


@pytest.mark.parametrize(
    ("amount", "written"),
    [
        (Decimal("896.96"), b"896.96"),
        (Decimal("0.1") + Decimal("0.2"), b"0.3"),
        (Decimal("100"), b"100"),
        (Decimal("1E+2"), b"100"),
        (Decimal("-12.50"), b"-12.50"),
        (Decimal("0.0000001"), b"0.0000001"),
        (Decimal("12345678901234567890.123456789"), b"12345678901234567890.123456789"),
    ],
)
def test_decimal_is_written_as_the_exact_json_number(amount: Decimal, written: bytes) -> None:
    """A Decimal amount is written digit for digit as a JSON number, never through a float."""
    assert jsonio.dumps(amount) == written
    assert jsonio.dumps({"value": amount}) == b'{"value":' + written + b"}"


def test_decimal_reads_back_to_the_same_value() -> None:
    """An amount written and parsed again as Decimal is unchanged."""
    amounts = [Decimal("896.96"), Decimal("0.1") + Decimal("0.2"), Decimal("-0.01")]
    document = jsonio.dumps({"amounts": amounts})
    assert json.loads(document, parse_float=Decimal) == {"amounts": amounts}


@pytest.mark.parametrize(
    "amount", [Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"), Decimal("-Infinity")]
)
def test_non_finite_decimal_is_refused(amount: Decimal) -> None:
    """A NaN or infinite amount cannot be written as JSON and raises TypeError."""
    with pytest.raises(TypeError):
        jsonio.dumps({"value": amount})


def test_unknown_object_is_refused() -> None:
    """Anything that is not plain data raises TypeError instead of being stringified."""
    with pytest.raises(TypeError):
        jsonio.dumps({"value": object()})


@pytest.mark.parametrize(
    ("moment", "written"),
    [
        (datetime(2024, 3, 1, 12, 30, tzinfo=UTC), b'"2024-03-01T12:30:00Z"'),
        (datetime(2024, 3, 1, 12, 30, 0, 123000, tzinfo=UTC), b'"2024-03-01T12:30:00.123000Z"'),
        (datetime(2024, 3, 1, 12, 30, tzinfo=timezone(timedelta(0))), b'"2024-03-01T12:30:00Z"'),
    ],
)
def test_utc_datetime_is_written_with_z(moment: datetime, written: bytes) -> None:
    """A UTC datetime is written in ISO 8601 with a Z suffix."""
    assert jsonio.dumps(moment) == written


def test_loads_reads_what_dumps_wrote() -> None:
    """Plain data survives dumps and loads unchanged."""
    data = {"a": [1, "two", None, True], "b": {"c": 1.5}}
    assert jsonio.loads(jsonio.dumps(data)) == data
    assert jsonio.loads(jsonio.dumps(data).decode()) == data
