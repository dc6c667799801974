"""Legacy JSON values as short, escaped HTML for the report's side-by-side cells.

A finance reader sees ``896.96 SEK`` for a money object, ``2026-10-10 10:39:56 UTC`` under
a timestamp as sent, ``(no key)`` for a key one side does not send and ``null`` greyed;
everything else is compact JSON. Every piece of text goes through :func:`html.escape`.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from adapter import jsonio
from adapter.compare.equality import as_instant
from adapter.compare.walk import is_missing

__all__ = ["show_value"]

_MAX_CHARS = 160


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return value
    return jsonio.dumps(value).decode()


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_CHARS else text[: _MAX_CHARS - 1] + "…"


def _money(value: Mapping[str, Any]) -> str | None:
    if set(value) != {"value", "currency"} or not isinstance(value["currency"], str):
        return None
    amount = value["value"]
    if isinstance(amount, bool) or not isinstance(amount, int | float | Decimal):
        return None
    return (
        f'<span class="num">{html.escape(_text(amount))}</span> '
        f'<span class="cur">{html.escape(value["currency"])}</span>'
    )


def show_value(value: Any) -> str:
    """One value as an HTML fragment, escaped and clipped."""
    if is_missing(value):
        return '<span class="absent">(no key)</span>'
    if value is None:
        return '<span class="absent">null</span>'
    if isinstance(value, Mapping):
        money = _money(value)
        if money is not None:
            return money
    if isinstance(value, list) and not value:
        return '<span class="absent">[] (empty)</span>'
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        items = ", ".join(html.escape(_clip(v)) for v in value)
        return f'<span class="list">{items}</span>'
    if isinstance(value, str):
        instant = as_instant(value)
        shown = f'<span class="str">{html.escape(_clip(value))}</span>'
        if instant is not None and "T" in value:
            utc = instant.strftime("%Y-%m-%d %H:%M:%S") + (
                f".{instant.microsecond:06d}".rstrip("0") if instant.microsecond else ""
            )
            shown += f'<br><span class="utc">= {html.escape(utc)} UTC</span>'
        return shown
    return f'<span class="json">{html.escape(_clip(_text(value)))}</span>'
