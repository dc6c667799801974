"""The mapping's fast path: an Export Item straight to legacy Expense JSON, no pydantic on the way.

:func:`~adapter.mapping.engine.to_expense` builds a dict with the table's compiled ``build``
function and validates it into an :class:`~adapter.legacy.models.Expense`; the proxy then dumps
it back to a dict and encodes it. Here the same compiled dict is the answer:

* :func:`to_expense_data` returns what ``to_expense(table, item, status).model_dump()`` returns
  (same keys in the same order, equal values: enums, ``Decimal`` amounts, datetimes);
* :func:`to_expense_json` returns what ``jsonio.dumps(to_expense(...).model_dump())`` returns,
  byte for byte, from the table's ``build_json``: the same rows compiled with each transform's
  wire form (:mod:`adapter.mapping.wire`: amounts written as JSON once, when built);
* :func:`to_expense_wire_data` returns that function's dict (with the status fields), for a
  caller that encodes it itself;
* :func:`receipt_data` returns what ``receipt_of(file).model_dump()`` returns.

Both raise :class:`~adapter.errors.MappingError` exactly where ``to_expense`` does.

Why dropping the per-object validation keeps the legacy contract: it is checked once per
compiled row, when the table loads. :func:`~adapter.mapping.compiler.compile_fields` resolves
every row's source against the Export Item model and refuses a table in which a row could
produce a value of another type than its legacy field's (a transform's declared output type
included), a null where the legacy field cannot be null, a list where a single value belongs,
or misses a field; the dict's keys are the legacy model's fields by construction. The input is
an Export Item the client has already validated, so every value a row reads has its model's
type. ``tests/property/test_mapping_fast_path.py`` checks the equality above, and that the
output validates as an ``Expense``, on arbitrary valid items.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from adapter import jsonio
from adapter.errors import MappingError
from adapter.export.models import ExportItemFile, ExportItemV3
from adapter.mapping.engine import TRANSLATION_ERRORS, legacy_status, translation_error
from adapter.mapping.table import MappingTable
from adapter.mapping.transforms import receipt_id, url_path

__all__ = ["receipt_data", "to_expense_data", "to_expense_json", "to_expense_wire_data"]

_KB = Decimal(1024)
_CENTS = Decimal("0.01")


def to_expense_data(
    table: MappingTable, item: ExportItemV3, item_status: str | None
) -> dict[str, Any]:
    """The legacy Expense of ``item`` as plain data, equal to ``to_expense(...).model_dump()``.

    A new dict per call (the caller may pop or change keys); the status fields hold the
    :class:`~adapter.legacy.models.LegacyStatus` of ``item_status``.
    """
    return _built(table.build, table, item, item_status)


def to_expense_wire_data(
    table: MappingTable, item: ExportItemV3, item_status: str | None
) -> dict[str, Any]:
    """:func:`to_expense_data` ready to write: amounts are ``orjson.Fragment`` objects holding
    their JSON, so ``jsonio.dumps`` of it is :func:`to_expense_json`'s bytes (and of it without
    the status fields, those bytes without them). A new dict per call.
    """
    return _built(table.build_json, table, item, item_status)


def _built(
    build: Callable[[ExportItemV3], dict[str, Any]],
    table: MappingTable,
    item: ExportItemV3,
    item_status: str | None,
) -> dict[str, Any]:
    status = legacy_status(table, item_status)
    try:
        data = build(item)
    except TRANSLATION_ERRORS as exc:
        error = translation_error(item, exc)
        if error is exc:
            raise
        raise error from exc
    for name in table.status_fields:
        data[name] = status
    return data


def to_expense_json(table: MappingTable, item: ExportItemV3, item_status: str | None) -> bytes:
    """The legacy Expense JSON object of ``item``, the bytes ``to_expense`` + ``jsonio`` give."""
    data = _built(table.build_json, table, item, item_status)
    try:
        return jsonio.dumps(data)
    except TypeError as exc:  # text orjson refuses (lone surrogates); validated input has none
        msg = f"item {item.accounting_entry_id}: cannot be written as JSON ({exc})"
        raise MappingError(msg, accounting_entry_id=item.accounting_entry_id) from exc


def receipt_data(file: ExportItemFile) -> dict[str, Any]:
    """The legacy receipt of a file as plain data, equal to ``receipt_of(file).model_dump()``."""
    identifier = receipt_id(file)
    name = url_path(file.url).rsplit("/", 1)[-1] or identifier
    size_kb = (Decimal(file.size) / _KB).quantize(_CENTS)
    return {"id": identifier, "name": name, "url": file.url, "mimeType": file.type, "size": size_kb}
