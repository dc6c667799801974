"""Wire forms of transforms: a transform's legacy value already written as JSON.

The fast path (:func:`~adapter.mapping.documents.to_expense_json`) compiles a second build
function whose transforms return, where they have one, their value's JSON as an
:class:`orjson.Fragment`: orjson copies the text and never calls :mod:`adapter.jsonio`'s
``Decimal`` hook, and an amount is one small object instead of a dict and a ``Decimal``.

:data:`WIRE_FORMS` holds them by transform name (a transform without one is called as it is).
The contract of a wire form: ``jsonio.dumps(wire(x)) == jsonio.dumps(plain(x))`` byte for byte,
where ``plain`` is the transform's ordinary form, and it raises where ``jsonio.dumps`` of the
ordinary value would (a non-finite amount is a :class:`~adapter.errors.MappingError`).
``tests/property/test_mapping_fast_path.py`` checks that on generated items.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from adapter.errors import MappingError
from adapter.export.models import MoneyModel
from adapter.mapping.transforms import TransformTables

__all__ = ["WIRE_FORMS", "money_fragment"]

# Enough precision that moving the decimal point never rounds (as the ordinary transform).
_EXACT = decimal.Context(
    prec=decimal.MAX_PREC, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN, traps=[decimal.Inexact]
)

# Currencies seen so far -> the JSON after the value; bounded, as currency codes are input.
_MAX_CURRENCIES = 512


def money_fragment(
    tables: TransformTables, _options: Mapping[str, str]
) -> Callable[[MoneyModel], orjson.Fragment]:
    """The wire form of ``money``: ``{"value":<exact number>,"currency":<JSON string>}``.

    The number is ``format(value, "f")`` of the legacy value, as ``jsonio`` writes a Decimal.
    """
    currencies = tables.currencies
    exponents = dict(currencies.exponents) if currencies.legacy_units == "major" else {}
    default = currencies.default_exponent if currencies.legacy_units == "major" else 0
    tails: dict[str, str] = {}
    fragment = orjson.Fragment

    def money(money: MoneyModel) -> orjson.Fragment:
        value = money.value
        if not value.is_finite():
            msg = f"amount {value!r} {money.currency} is not a finite number"
            raise MappingError(msg)
        currency = money.currency
        exponent = exponents.get(currency, default)
        if exponent:
            value = value.scaleb(-exponent, _EXACT)
        tail = tails.get(currency)
        if tail is None:
            tail = ',"currency":' + orjson.dumps(currency).decode() + "}"
            if len(tails) < _MAX_CURRENCIES:
                tails[currency] = tail
        # str() is format(value, "f") unless it chose scientific notation (then it says E).
        text = str(value)
        if "E" in text:
            text = format(value, "f")
        return fragment(f'{{"value":{text}{tail}')

    return money


WireFactory = Callable[[TransformTables, Mapping[str, str]], Callable[..., Any]]

WIRE_FORMS: Mapping[str, WireFactory] = {"money": money_fragment}
"""Transform name -> factory of its wire form (same arguments as the transform's factory)."""
