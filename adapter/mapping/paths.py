"""Field paths on both sides, read from the pydantic models.

A path is dot-separated wire names; ``[]`` after a name steps into each element of a list:
``accountingEntryLines[].tags[].groupCode``, ``receiptIds[]``. On the legacy side the wire
names are the attribute names; on the Export Item side they are the aliases (``_links``,
``from``, camelCase), resolved through ``model_fields``.
"""

from __future__ import annotations

import difflib
import types
from dataclasses import dataclass
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

from adapter.legacy.models import LegacyAmount

__all__ = [
    "LegacyLeaf",
    "PathError",
    "SourceSegment",
    "is_nested_model",
    "legacy_leaves",
    "legacy_objects",
    "resolve_source",
    "unwrap",
]

# Legacy models emitted whole by one transform, never field by field.
VALUE_MODELS: tuple[type[BaseModel], ...] = (LegacyAmount,)


class PathError(ValueError):
    """A source path that does not exist in the Export Item model."""


@dataclass(frozen=True, slots=True)
class Annotation:
    """A field annotation taken apart: the core type, and whether None / a list wraps it."""

    core: Any
    nullable: bool
    is_list: bool
    element_nullable: bool


def _strip_none(annotation: Any) -> tuple[Any, bool]:
    origin = get_origin(annotation)
    if origin is Union or origin is types.UnionType:
        args = [arg for arg in get_args(annotation) if arg is not type(None)]
        nullable = len(args) != len(get_args(annotation))
        inner = args[0] if len(args) == 1 else Union[tuple(args)]  # noqa: UP007 -- rebuilding a runtime union from its parts
        return inner, nullable
    return annotation, False


def unwrap(annotation: Any) -> Annotation:
    """Split ``list[X | None] | None`` into core ``X`` and its three flags."""
    inner, nullable = _strip_none(annotation)
    if get_origin(inner) is list:
        element, element_nullable = _strip_none(get_args(inner)[0])
        return Annotation(element, nullable, is_list=True, element_nullable=element_nullable)
    return Annotation(inner, nullable, is_list=False, element_nullable=False)


def is_nested_model(core: Any) -> bool:
    return (
        isinstance(core, type)
        and issubclass(core, BaseModel)
        and not issubclass(core, VALUE_MODELS)
    )


@dataclass(frozen=True, slots=True)
class LegacyLeaf:
    """One legacy field a row must fill: its path, its value type and whether null is allowed."""

    path: str
    core: Any
    nullable: bool


def legacy_leaves(model: type[BaseModel], prefix: str = "") -> list[LegacyLeaf]:
    """Every leaf path of ``model``, recursing into nested models and lists of them."""
    leaves: list[LegacyLeaf] = []
    for name, field in model.model_fields.items():
        ann = unwrap(field.annotation)
        path = f"{prefix}{name}{'[]' if ann.is_list else ''}"
        if is_nested_model(ann.core):
            leaves.extend(legacy_leaves(ann.core, f"{path}."))
        elif ann.is_list:
            leaves.append(LegacyLeaf(path, ann.core, ann.element_nullable))
        else:
            leaves.append(LegacyLeaf(path, ann.core, ann.nullable))
    return leaves


def legacy_objects(model: type[BaseModel], prefix: str = "") -> list[tuple[str, bool]]:
    """Every nested-object path of ``model`` (not the value models) and whether it may be null."""
    found: list[tuple[str, bool]] = []
    for name, field in model.model_fields.items():
        ann = unwrap(field.annotation)
        path = f"{prefix}{name}{'[]' if ann.is_list else ''}"
        if is_nested_model(ann.core):
            if not ann.is_list:
                found.append((path, ann.nullable))
            found.extend(legacy_objects(ann.core, f"{path}."))
    return found


@dataclass(frozen=True, slots=True)
class SourceSegment:
    """One step of a resolved source path: the Python attribute and what it holds."""

    wire: str
    attr: str
    is_list: bool
    nullable: bool
    element_nullable: bool
    core: Any


def _wire_names(model: type[BaseModel]) -> dict[str, str]:
    return {(field.alias or name): name for name, field in model.model_fields.items()}


def resolve_source(model: type[BaseModel], path: str) -> list[SourceSegment]:
    """Resolve a wire path against ``model``; raise :class:`PathError` saying where it breaks."""
    segments: list[SourceSegment] = []
    current: Any = model
    for raw in path.split("."):
        wire, marker = (raw[:-2], True) if raw.endswith("[]") else (raw, False)
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            where = ".".join(s.wire for s in segments)
            msg = f"{path!r}: {where!r} is a value, it has no field {wire!r}"
            raise PathError(msg)
        names = _wire_names(current)
        if wire not in names:
            hint = difflib.get_close_matches(wire, list(names), n=1)
            also = f" (did you mean {hint[0]!r}?)" if hint else ""
            msg = f"{path!r}: {current.__name__} has no field {wire!r}{also}"
            raise PathError(msg)
        attr = names[wire]
        ann = unwrap(current.model_fields[attr].annotation)
        if ann.is_list != marker:
            need = f"{wire}[]" if ann.is_list else wire
            msg = (
                f"{path!r}: {wire!r} is {'a list' if ann.is_list else 'not a list'}, write {need!r}"
            )
            raise PathError(msg)
        segments.append(
            SourceSegment(wire, attr, ann.is_list, ann.nullable, ann.element_nullable, ann.core)
        )
        current = ann.core
    return segments
