"""The legacy Expense's shape as paths: which path is an object, a list or a value.

Paths use the syntax of ``mappings/expense.toml``: dot-separated wire names, ``[]`` after
a list field (``lines[].tagIds[].id``, ``receiptIds[]``). The shape comes from the pydantic
model (:class:`adapter.legacy.models.Expense`), so a field added there is known here without
a code change. A money object (``LegacyAmount``) is one value, as in the mapping table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cache
from typing import Any

from pydantic import BaseModel

from adapter.legacy.models import Expense, LegacyAmount
from adapter.mapping.paths import is_nested_model, unwrap

__all__ = ["NodeKind", "PathInfo", "ValueType", "expense_shape"]


class NodeKind(StrEnum):
    OBJECT = "object"
    LIST = "list"
    VALUE = "value"


class ValueType(StrEnum):
    """What a value (or each element of a list of values) holds."""

    MONEY = "money"
    TIMESTAMP = "timestamp"
    OBJECT = "object"  # elements of a list of objects
    SCALAR = "scalar"


@dataclass(frozen=True, slots=True)
class PathInfo:
    """One path of the shape: what it is, and for lists what their elements are.

    ``fields`` lists the keys of an object, or of each element of a list of objects.
    """

    path: str
    kind: NodeKind
    value_type: ValueType
    fields: tuple[str, ...] = ()


def _value_type(core: Any) -> ValueType:
    if isinstance(core, type) and issubclass(core, LegacyAmount):
        return ValueType.MONEY
    if core is datetime:
        return ValueType.TIMESTAMP
    return ValueType.SCALAR


def _walk(model: type[BaseModel], prefix: str, out: dict[str, PathInfo]) -> None:
    for name, field in model.model_fields.items():
        ann = unwrap(field.annotation)
        path = f"{prefix}{name}{'[]' if ann.is_list else ''}"
        if is_nested_model(ann.core):
            fields = tuple(ann.core.model_fields)
            if ann.is_list:
                out[path] = PathInfo(path, NodeKind.LIST, ValueType.OBJECT, fields)
            else:
                out[path] = PathInfo(path, NodeKind.OBJECT, ValueType.OBJECT, fields)
            _walk(ann.core, f"{path}.", out)
        elif ann.is_list:
            out[path] = PathInfo(path, NodeKind.LIST, _value_type(ann.core))
        else:
            out[path] = PathInfo(path, NodeKind.VALUE, _value_type(ann.core))


@cache
def expense_shape() -> Mapping[str, PathInfo]:
    """Every path of the legacy Expense, objects and lists included, in model order."""
    out: dict[str, PathInfo] = {}
    _walk(Expense, "", out)
    return out
