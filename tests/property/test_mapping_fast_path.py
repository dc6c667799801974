"""Hypothesis properties of the mapping's fast path: the validated path's bytes, always."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapter.errors import MappingError
from adapter.export.models import ExportItemV3, ExportJobItemStatus, MoneyModel
from adapter.jsonio import dumps, loads
from adapter.legacy.models import Expense
from adapter.mapping import (
    MappingTable,
    default_table_directory,
    load_mapping_table,
    to_expense,
    to_expense_data,
    to_expense_json,
    to_expense_wire_data,
)
from adapter.mapping.transforms import TRANSFORMS, CurrencyTable, TransformTables
from adapter.mapping.wire import WIRE_FORMS
from tests.support.export_item_strategies import CURRENCIES, export_items, text

TABLE = load_mapping_table()
ITEM_STATUSES: list[str | None] = [s.value for s in ExportJobItemStatus] + [None]
MANY = settings(
    max_examples=300,
    deadline=timedelta(milliseconds=500),
    suppress_health_check=[HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def minor_table(tmp_path_factory: pytest.TempPathFactory) -> MappingTable:
    """The shipped tables with legacy_units 'minor' (amounts passed through unscaled)."""
    target = tmp_path_factory.mktemp("minor") / "mappings"
    shutil.copytree(default_table_directory(), target)
    path = target / "currencies.toml"
    text_, count = re.subn(
        r'^legacy_units = "major"', 'legacy_units = "minor"', path.read_text(), flags=re.M
    )
    assert count == 1
    path.write_text(text_)
    return load_mapping_table(target)


def _assert_fast_path_is_the_validated_path(
    table: MappingTable, item: ExportItemV3, status: str | None
) -> None:
    try:
        validated = to_expense(table, item, status)
    except MappingError:
        with pytest.raises(MappingError):
            to_expense_json(table, item, status)
        return
    expected = dumps(validated.model_dump())
    produced = to_expense_json(table, item, status)
    assert produced == expected
    assert loads(produced) == loads(expected)
    assert dumps(to_expense_wire_data(table, item, status)) == expected
    assert dumps(to_expense_data(table, item, status)) == expected
    assert Expense.model_validate_json(produced) == validated


@MANY
@given(item=export_items(), status=st.sampled_from(ITEM_STATUSES) | text)
def test_fast_path_bytes_are_the_validated_expenses_bytes(
    item: ExportItemV3, status: str | None
) -> None:
    """For any valid item (JPY/BHD/unknown currencies, negative and fractional minor amounts,
    null blocks, files, lines, tags) the fast path writes the validated Expense's bytes."""
    _assert_fast_path_is_the_validated_path(TABLE, item, status)


@MANY
@given(item=export_items(), status=st.sampled_from(ITEM_STATUSES))
def test_fast_path_bytes_with_minor_legacy_units(
    minor_table: MappingTable, item: ExportItemV3, status: str | None
) -> None:
    """With amounts passed through in minor units the fast path still writes the same bytes."""
    _assert_fast_path_is_the_validated_path(minor_table, item, status)


@MANY
@given(item=export_items())
def test_tag_ids_are_the_lines_tags_first_seen_once(item: ExportItemV3) -> None:
    """The top-level tagIds list every (id, groupCode) of the lines' tags once, first seen first."""
    seen: dict[tuple[str, str | None], None] = {}
    for line in item.accounting_entry_lines:
        for tag in line.tags or ():
            seen.setdefault((tag.id, tag.group_code))
    expected = [{"id": tag_id, "tagGroupId": group} for tag_id, group in seen]
    assert to_expense_data(TABLE, item, "pending")["tagIds"] == expected
    assert loads(to_expense_json(TABLE, item, "pending"))["tagIds"] == expected


# Finite Decimals of every shape: whole and fractional, scientific exponents both ways, -0.
decimals = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**20), max_value=10**20),
    st.builds(
        lambda sign, digits, exponent: Decimal((sign, tuple(int(d) for d in digits), exponent)),
        st.integers(0, 1),
        st.from_regex(r"[0-9]{1,25}", fullmatch=True),
        st.integers(-30, 30),
    ),
    st.sampled_from([Decimal("-0"), Decimal("0E+3"), Decimal("-0.000"), Decimal("1E-7")]),
)
currencies = st.sampled_from(CURRENCIES) | st.text(max_size=6)


def _money_forms(units: str) -> tuple[Callable[..., Any], Callable[..., Any]]:
    tables = TransformTables(
        CurrencyTable(units, 2, {"JPY": 0, "BHD": 3, "KWD": 3, "ISK": 0}), TABLE.types
    )
    return TRANSFORMS["money"].factory(tables, {}), WIRE_FORMS["money"](tables, {})


@settings(max_examples=500, deadline=None)
@given(value=decimals, currency=currencies, units=st.sampled_from(["major", "minor"]))
def test_money_wire_form_writes_the_plain_amounts_json(
    value: Decimal, currency: str, units: str
) -> None:
    """An amount written at build time is byte for byte what jsonio writes for the plain one."""
    plain, wire = _money_forms(units)
    money = MoneyModel(currency=currency, value=value)
    assert dumps(wire(money)) == dumps(plain(money))
    assert dumps({"amount": wire(money)}) == dumps({"amount": plain(money)})


@pytest.mark.parametrize("value", ["NaN", "sNaN", "Infinity", "-Infinity"])
@pytest.mark.parametrize("units", ["major", "minor"])
@pytest.mark.parametrize("currency", ["EUR", "JPY"])
def test_money_wire_form_refuses_a_non_finite_amount(value: str, units: str, currency: str) -> None:
    """A non-finite amount is a MappingError in the wire form too, whatever the exponent."""
    _plain, wire = _money_forms(units)
    with pytest.raises(MappingError):
        wire(MoneyModel.model_construct(currency=currency, value=Decimal(value)))
