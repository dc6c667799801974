"""Hypothesis strategies of schema-valid Export Items v3, for the mapping's property tests.

Amounts in minor units are whole or with up to three decimals, negative too, in currencies
with exponent 2, 0 (JPY, ISK), 3 (BHD, KWD) and unknown ones; every optional block is
present or null; lines carry tags from a small shared pool so unions see duplicates.
"""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from adapter.export.models import ExportItemV3
from adapter.mapping import load_mapping_table

__all__ = ["CURRENCIES", "TAG_POOL", "TYPES", "export_items", "ids", "minor", "text"]

CURRENCIES = ["SEK", "EUR", "JPY", "BHD", "KWD", "ISK", "UNDEFINED", "XYZ"]
TYPES = [*(r.v3 for r in load_mapping_table().types.rows), "overdraft", "brand_new_type"]

ids = st.uuids().map(str)
text = st.text(max_size=12)
minor = st.one_of(
    st.integers(min_value=-(10**15), max_value=10**15).map(Decimal),
    st.decimals(
        allow_nan=False, allow_infinity=False, places=3, min_value=-(10**9), max_value=10**9
    ),
)


@st.composite
def money(draw: st.DrawFn, currency: str | None = None) -> dict[str, Any]:
    return {"currency": currency or draw(st.sampled_from(CURRENCIES)), "value": draw(minor)}


@st.composite
def amount(draw: st.DrawFn) -> dict[str, Any]:
    return {"inSupplierCurrency": draw(money()), "inWalletCurrency": draw(money())}


TAG_POOL = [{"id": f"tag-{i}", "code": f"T{i}", "groupCode": f"G{i % 2}"} for i in range(5)]


@st.composite
def line(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "accountingEntryLineId": draw(ids),
        "lineAmount": draw(amount()),
        "netAmount": draw(amount()),
        "account": draw(
            st.none() | st.sampled_from(["a1", "a2"]).map(lambda a: {"id": a, "name": "A"})
        ),
        "tax": draw(
            st.none()
            | st.builds(
                lambda t, a: {"id": t, "rate": "0.25", "type": "inclusive", "amount": a},
                st.sampled_from(["t1", "t2"]),
                amount(),
            )
        ),
        "tags": draw(st.none() | st.lists(st.sampled_from(TAG_POOL), max_size=4)),
    }


@st.composite
def export_items(draw: st.DrawFn) -> ExportItemV3:
    """Export Items valid against the v3 model: every optional block present or null."""

    def maybe(strategy: st.SearchStrategy[Any]) -> Any:
        return draw(st.none() | strategy)

    data = {
        "accountingEntryId": draw(ids),
        "companyId": draw(ids),
        "type": draw(st.sampled_from(TYPES) | text),
        "date": draw(st.datetimes(timezones=st.just(UTC))).isoformat(),
        "note": maybe(text),
        "amount": draw(amount()),
        "accountingEntryLines": draw(st.lists(line(), max_size=4)),
        "additionalInformation": {
            "reconciliationId": draw(text),
            "reconciledEntries": maybe(st.lists(text, max_size=3, unique=True)),
        },
        "files": maybe(
            st.lists(
                st.builds(
                    lambda fid, path, sig: {
                        "id": fid,
                        "url": f"https://files.example/{path}?sig={sig}",
                        "type": "image/jpeg",
                        "size": 1,
                    },
                    st.none() | ids,
                    st.from_regex(r"[a-z0-9/]{1,12}", fullmatch=True),
                    text,
                ),
                max_size=3,
            )
        ),
        "supplier": maybe(
            st.builds(
                lambda t, n: {"taxIdentifier": t, "name": n}, st.none() | text, st.none() | text
            )
        ),
        "team": maybe(st.builds(lambda i: {"id": i, "name": "T"}, ids)),
        "user": maybe(
            st.builds(lambda i, c: {"id": i, "name": "U", "code": c}, ids, st.none() | text)
        ),
        "vendor": maybe(st.builds(lambda i: {"id": i, "name": "V", "defaultCurrency": "SEK"}, ids)),
    }
    return ExportItemV3.model_validate(data)
