"""Value-level rules: JSON equality for plain values, and how the report shows each value."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from adapter.compare.equality import as_instant, exact_equal
from adapter.compare.html_values import show_value
from adapter.compare.walk import MISSING


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        (1, Decimal("1.0"), True),
        (1.5, Decimal("1.50"), True),
        (True, 1, False),
        (True, True, True),
        ("1", 1, False),
        ("CARD", "CARD", True),
        ("CARD", "card", False),
    ],
)
def test_plain_values_follow_json_equality(a: Any, b: Any, equal: bool) -> None:
    """Numbers equal by value; true is not 1; a string is not a number; case matters."""
    assert exact_equal(a, b) is equal


def test_only_strings_are_timestamps() -> None:
    """A number or a word is not an instant; a date-time without offset is UTC."""
    assert as_instant(1760092796) is None
    assert as_instant("soon") is None
    naive = as_instant("2026-10-10T10:39:56")
    assert naive is not None
    assert naive.isoformat() == "2026-10-10T10:39:56+00:00"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (MISSING, '<span class="absent">(no key)</span>'),
        (None, '<span class="absent">null</span>'),
        ([], '<span class="absent">[] (empty)</span>'),
        (
            {"value": Decimal("896.960"), "currency": "SEK"},
            '<span class="num">896.960</span> <span class="cur">SEK</span>',
        ),
        (
            {"value": 5, "currency": "JPY"},
            '<span class="num">5</span> <span class="cur">JPY</span>',
        ),
        ({"value": "5"}, '<span class="json">{&quot;value&quot;:&quot;5&quot;}</span>'),
        (["r-1", "<r-2>"], '<span class="list">r-1, &lt;r-2&gt;</span>'),
        (True, '<span class="json">true</span>'),
        (Decimal("1.50"), '<span class="json">1.50</span>'),
        (2.5, '<span class="json">2.5</span>'),
        ([{"id": "t"}], '<span class="json">[{&quot;id&quot;:&quot;t&quot;}]</span>'),
        ("CARD", '<span class="str">CARD</span>'),
    ],
)
def test_values_are_shown_readably_and_escaped(value: Any, shown: str) -> None:
    """Money as amount and currency, absent forms named, lists joined, markup escaped."""
    assert show_value(value) == shown


def test_timestamps_show_their_utc_instant() -> None:
    """A timestamp in another offset is shown as sent and as the UTC instant below it."""
    shown = show_value("2026-10-10T12:39:56.250+02:00")
    assert shown.endswith('<span class="utc">= 2026-10-10 10:39:56.25 UTC</span>')


def test_long_values_are_clipped() -> None:
    """A value longer than a cell can hold ends with an ellipsis."""
    assert show_value("x" * 500).endswith("x…</span>")


def test_money_with_a_string_amount_is_shown_as_json() -> None:
    """A value that is not a number is not dressed up as money: the raw JSON shows the quote."""
    shown = show_value({"value": "5", "currency": "JPY"})
    assert shown.startswith('<span class="json">{&quot;value&quot;:&quot;5&quot;')
