"""Named transforms and aggregates: the only code a table row can call by name.

A transform turns one non-null source value into one legacy value; the engine passes null
through without calling it. Each declares the source type it accepts and the legacy type it
produces, so the table check can reject a row that wires it to the wrong fields. A transform
may also take extra source values (a row's ``args``, possibly null) and fixed ``options``
from the row (each a value of the type it produces). A factory receives the data tables it
needs (currencies, types) and the row's options once, at load time, and returns the function
used per item.
"""

from __future__ import annotations

import decimal
import functools
import hashlib
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from adapter.errors import MappingError
from adapter.export.models import ExportItemFile, MoneyModel
from adapter.legacy.models import CardTransactionState, ExpenseType, LegacyAmount, Receipt

__all__ = [
    "AGGREGATES",
    "TRANSFORMS",
    "Aggregate",
    "CurrencyTable",
    "Transform",
    "TransformTables",
    "TypeTable",
    "money_to_legacy",
    "receipt_id",
    "receipt_of",
    "same_or_null",
    "url_path",
]

# Enough precision that moving the decimal point never rounds.
_EXACT = decimal.Context(
    prec=decimal.MAX_PREC, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN, traps=[decimal.Inexact]
)


@dataclass(frozen=True, slots=True)
class CurrencyTable:
    """``currencies.toml``: the legacy money unit and the ISO 4217 exponent per currency."""

    legacy_units: str
    default_exponent: int
    exponents: Mapping[str, int]

    def exponent(self, currency: str) -> int:
        return self.exponents.get(currency, self.default_exponent)


@dataclass(frozen=True, slots=True)
class TypeRow:
    """One ``types.toml`` row; ``sub_type`` None matches any subType of ``v3``."""

    v3: str
    legacy: ExpenseType
    note: str
    sub_type: str | None = None
    departure: str | None = None


@dataclass(frozen=True, slots=True)
class TypeTable:
    """``types.toml``: v3 item type (and subType) -> legacy ExpenseType, default for the unknown."""

    rows: tuple[TypeRow, ...]
    default: ExpenseType
    default_note: str

    def lookup(self, v3_type: str, sub_type: str | None = None) -> ExpenseType:
        """The row of (type, subType) if there is one, else of the type alone, else default."""
        mapping = self.as_mapping()
        if sub_type is not None and (v3_type, sub_type) in mapping:
            return mapping[(v3_type, sub_type)]
        return mapping.get((v3_type, None), self.default)

    def as_mapping(self) -> dict[tuple[str, str | None], ExpenseType]:
        return {(row.v3, row.sub_type): row.legacy for row in self.rows}


@dataclass(frozen=True, slots=True)
class TransformTables:
    """The data tables a transform factory may read."""

    currencies: CurrencyTable
    types: TypeTable


def money_to_legacy(money: MoneyModel, currencies: CurrencyTable) -> dict[str, Any]:
    """A v3 amount (minor units) as a legacy ``{value, currency}`` in the table's unit, exactly."""
    value = money.value
    if not value.is_finite():
        msg = f"amount {value!r} {money.currency} is not a finite number"
        raise MappingError(msg)
    if currencies.legacy_units == "major":
        exponent = currencies.exponent(money.currency)
        if exponent:
            value = value.scaleb(-exponent, _EXACT)
    return {"value": value, "currency": money.currency}


def receipt_id(file: ExportItemFile) -> str:
    """The file's id if it has one, else a UUIDv5 of its URL path (never the signed URL)."""
    if file.id:
        return file.id
    return _url_path_uuid5(url_path(file.url))


# An absolute http(s) URL whose host part needs none of urlsplit's special cases (IPv6
# brackets, non-ASCII host names): its path is the text up to the first "?" or "#".
_PLAIN_URL = re.compile(r"https?://[A-Za-z0-9.:@_~%!$&'()*+,;=-]*(?=[/?#]|\Z)([^?#]*)")


def url_path(url: str) -> str:
    """``urlsplit(url).path``, without urlsplit's general parsing for a plain http(s) URL."""
    plain = _PLAIN_URL.match(url) if url.isascii() and url.isprintable() else None
    if plain is None:
        return urlsplit(url).path
    return plain.group(1)


_URL_NAMESPACE = uuid.NAMESPACE_URL.bytes


@functools.lru_cache(maxsize=4096)
def _url_path_uuid5(path: str) -> str:
    """``str(uuid.uuid5(uuid.NAMESPACE_URL, path))`` without building a UUID object.

    Same bytes as RFC 4122 section 4.3 (SHA-1 of namespace + name, version 5, variant 10);
    a third of the cost, and a job read twice (a restart, a re-discovery) hits the cache,
    keyed by the path, which holds no signature.
    """
    digest = bytearray(hashlib.sha1(_URL_NAMESPACE + path.encode()).digest()[:16])  # noqa: S324 -- RFC 4122 UUIDv5 is defined on SHA-1; an identifier, not a security digest
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def receipt_of(file: ExportItemFile) -> Receipt:
    """The legacy receipt of an export item's file; its id is the one ``receiptIds`` lists."""
    name = url_path(file.url).rsplit("/", 1)[-1] or receipt_id(file)
    size_kb = (Decimal(file.size) / 1024).quantize(Decimal("0.01"))
    return Receipt(id=receipt_id(file), name=name, url=file.url, mimeType=file.type, size=size_kb)


def same_or_null(values: Iterable[Any]) -> Any:
    """One value, or several equal values: that value. Different values or none: null."""
    it = iter(values)
    first = next(it, None)
    for value in it:
        if value != first:
            return None
    return first


def _money(tables: TransformTables, _options: Mapping[str, str]) -> Callable[..., Any]:
    currencies = tables.currencies
    if currencies.legacy_units == "minor":

        def minor(money: MoneyModel) -> dict[str, Any]:
            if not money.value.is_finite():
                return money_to_legacy(money, currencies)  # raises the MappingError
            return {"value": money.value, "currency": money.currency}

        return minor
    exponents = dict(currencies.exponents)
    default = currencies.default_exponent

    def money(money: MoneyModel) -> dict[str, Any]:
        value = money.value
        exponent = exponents.get(money.currency, default)
        if exponent:
            if not value.is_finite():
                return money_to_legacy(money, currencies)  # raises the MappingError
            value = value.scaleb(-exponent, _EXACT)
        return {"value": value, "currency": money.currency}

    return money


def _expense_type(tables: TransformTables, _options: Mapping[str, str]) -> Callable[..., Any]:
    lookup = tables.types.as_mapping()
    default = tables.types.default

    def expense_type(v3_type: str, sub_type: str | None = None) -> ExpenseType:
        exact = lookup.get((v3_type, sub_type)) if sub_type is not None else None
        return exact or lookup.get((v3_type, None), default)

    return expense_type


def _receipt_id(_tables: TransformTables, _options: Mapping[str, str]) -> Callable[..., Any]:
    return receipt_id


def _card_state(_tables: TransformTables, options: Mapping[str, str]) -> Callable[..., Any]:
    by_type = {
        "chargeback": CardTransactionState(options["chargeback"]),
        "refund": CardTransactionState(options["refund"]),
    }
    negative = CardTransactionState(options["negative"])
    otherwise = CardTransactionState(options["otherwise"])

    def card_state(money: MoneyModel, item_type: str | None = None) -> CardTransactionState:
        known = by_type.get(item_type) if item_type is not None else None
        if known is not None:
            return known
        return negative if money.value < 0 else otherwise

    return card_state


@dataclass(frozen=True, slots=True)
class Transform:
    """A named transform: what it accepts, what it produces, and how to build it.

    ``extra`` types the optional extra source values (a row's ``args``, each may be null);
    ``options`` names the row options it requires, each a value of ``produces``.
    """

    name: str
    accepts: type
    produces: type
    factory: Callable[[TransformTables, Mapping[str, str]], Callable[..., Any]]
    doc: str
    extra: tuple[type, ...] = ()
    options: frozenset[str] = frozenset()


TRANSFORMS: Mapping[str, Transform] = {
    t.name: t
    for t in (
        Transform(
            "money",
            MoneyModel,
            LegacyAmount,
            _money,
            "MoneyModel (minor units) -> {value, currency} in currencies.toml legacy_units",
        ),
        Transform(
            "expense_type",
            str,
            ExpenseType,
            _expense_type,
            "v3 item type (+ optional subType arg) -> legacy ExpenseType via types.toml "
            "(the (type, subType) row, else the type's row, else the default)",
            extra=(str,),
        ),
        Transform(
            "card_state",
            MoneyModel,
            CardTransactionState,
            _card_state,
            "MoneyModel (+ the item's type arg) -> options.chargeback for a chargeback item, "
            "options.refund for a refund item, else options.negative when the value is below "
            "zero, else options.otherwise",
            extra=(str,),
            options=frozenset({"chargeback", "refund", "negative", "otherwise"}),
        ),
        Transform(
            "receipt_id",
            ExportItemFile,
            str,
            _receipt_id,
            "file -> its id, else UUIDv5(NAMESPACE_URL, URL path without query)",
        ),
    )
}


@dataclass(frozen=True, slots=True)
class Aggregate:
    """How values from several lines become one legacy value (``scalar``) or one list."""

    name: str
    shape: str  # "scalar": many values -> one; "list": nested lists -> one flat list
    doc: str


AGGREGATES: Mapping[str, Aggregate] = {
    a.name: a
    for a in (
        Aggregate("same_or_null", "scalar", "one value or all equal -> it; else null (A.2)"),
        Aggregate("union", "list", "flatten over lines, keep first occurrence order (A.2)"),
    )
}
