"""Load the mapping tables (TOML), validate them against both models, compile them.

Validation collects every problem before failing, so one ``mappings check`` run lists them
all. Compilation turns each field row into a small closure (walk the source attributes, apply
the transform) once, at load time, so mapping an item is only closure calls and dict building.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from adapter.export.models import (
    ExportItemType,
    ExportItemV3,
    ExportJobItemFailureReasonType,
    ExportJobItemStatus,
)
from adapter.legacy.models import Expense, ExpenseType, LegacyStatus
from adapter.mapping.errors import MappingTableError, TableProblem
from adapter.mapping.paths import (
    LegacyLeaf,
    PathError,
    SourceSegment,
    is_nested_model,
    legacy_leaves,
    resolve_source,
    unwrap,
)
from adapter.mapping.transforms import (
    AGGREGATES,
    TRANSFORMS,
    CurrencyTable,
    TransformTables,
    TypeRow,
    TypeTable,
    same_or_null,
)

__all__ = [
    "EXPORT_ITEM_TYPES_V3",
    "FIELD_KINDS",
    "FieldRow",
    "MappingTable",
    "StatusRule",
    "StatusTable",
    "TableReport",
    "check_tables",
    "default_table_directory",
    "load_mapping_table",
]

EXPENSE_FILE = "expense.toml"
STATUS_FILE = "statuses.toml"
TYPES_FILE = "types.toml"
CURRENCY_FILE = "currencies.toml"

# pleo-api.md B §2.8.1: every value of ExportItemTypeV3 must have a row in types.toml.
EXPORT_ITEM_TYPES_V3 = tuple(t.value for t in ExportItemType)

FIELD_KINDS = ("direct", "transformed", "resolved", "unavailable", "item_status")
_NO_SOURCE_KINDS = frozenset({"unavailable", "item_status"})


# --- the table as loaded ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldRow:
    """One row of ``expense.toml``."""

    legacy: str
    source: str | None
    kind: str
    transform: str | None
    aggregate: str | None
    note: str


@dataclass(frozen=True, slots=True)
class StatusRule:
    """One ``legacy_to_item`` row: what a legacy PUT of ``legacy`` does to an item."""

    legacy: LegacyStatus
    item: ExportJobItemStatus | None
    allowed_from: frozenset[ExportJobItemStatus]
    exported_at_now: bool
    failure_reason_type: ExportJobItemFailureReasonType | None
    failure_reason: str | None
    conflict: str
    note: str


@dataclass(frozen=True, slots=True)
class StatusTable:
    """``statuses.toml``."""

    missing_item_status: ExportJobItemStatus
    item_to_legacy: Mapping[str, LegacyStatus]
    item_notes: Mapping[str, str]
    legacy_to_item: Mapping[LegacyStatus, StatusRule]


@dataclass(frozen=True, slots=True)
class MappingTable:
    """The validated, compiled tables. Build one with :func:`load_mapping_table`."""

    directory: Path
    fields: tuple[FieldRow, ...]
    statuses: StatusTable
    types: TypeTable
    currencies: CurrencyTable
    # item -> the Expense as a plain dict, every key but the item_status fields
    build: Callable[[ExportItemV3], dict[str, Any]] = field(repr=False, compare=False)
    status_fields: tuple[str, ...] = ()

    def row(self, legacy: str) -> FieldRow:
        """The row of one legacy field path, e.g. ``"tagIds[].tagGroupId"``."""
        for row in self.fields:
            if row.legacy == legacy:
                return row
        raise KeyError(legacy)


@dataclass(frozen=True, slots=True)
class TableReport:
    """What ``mappings check`` shows: the rows read (even from a broken table) and problems."""

    directory: Path
    fields: tuple[FieldRow, ...]
    problems: tuple[TableProblem, ...]
    table: MappingTable | None


# --- finding and reading ---------------------------------------------------------------------


def default_table_directory() -> Path:
    """The shipped tables: ``adapter/_mappings`` in a wheel, else ``<repo>/mappings``."""
    package = Path(__file__).resolve().parent.parent
    installed = package / "_mappings"
    if (installed / EXPENSE_FILE).is_file():
        return installed
    return package.parent / "mappings"


class _Problems:
    def __init__(self) -> None:
        self.items: list[TableProblem] = []

    def add(self, file: str, row: str | None, message: str) -> None:
        self.items.append(TableProblem(file, row, message))


def _read(directory: Path, name: str, problems: _Problems) -> dict[str, Any] | None:
    path = directory / name
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        problems.add(name, None, f"file not found in {directory}")
    except tomllib.TOMLDecodeError as exc:
        problems.add(name, None, f"not valid TOML: {exc}")
    return None


def _rows(
    doc: Mapping[str, Any], key: str, file: str, problems: _Problems
) -> list[Mapping[str, Any]]:
    raw = doc.get(key)
    if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
        problems.add(file, None, f"{key!r} must be an array of tables, one per row")
        return []
    return raw


def _text(
    row: Mapping[str, Any], key: str, file: str, name: str, problems: _Problems
) -> str | None:
    value = row.get(key)
    if value is None or isinstance(value, str):
        return value
    problems.add(file, name, f"{key!r} must be a string, not {type(value).__name__}")
    return None


def _unknown_keys(
    row: Mapping[str, Any], allowed: frozenset[str], file: str, name: str, problems: _Problems
) -> None:
    for key in sorted(set(row) - allowed):
        problems.add(file, name, f"unknown key {key!r} (allowed: {', '.join(sorted(allowed))})")


# --- expense.toml ----------------------------------------------------------------------------

_FIELD_KEYS = frozenset({"legacy", "source", "kind", "transform", "aggregate", "note"})


def _parse_fields(doc: Mapping[str, Any], problems: _Problems) -> list[FieldRow]:
    rows: list[FieldRow] = []
    for index, raw in enumerate(_rows(doc, "fields", EXPENSE_FILE, problems)):
        legacy_name = raw.get("legacy")
        name = legacy_name if isinstance(legacy_name, str) else f"#{index + 1}"
        _unknown_keys(raw, _FIELD_KEYS, EXPENSE_FILE, name, problems)
        legacy = _text(raw, "legacy", EXPENSE_FILE, name, problems)
        kind = _text(raw, "kind", EXPENSE_FILE, name, problems)
        if not legacy:
            problems.add(EXPENSE_FILE, name, "'legacy' (the legacy field path) is required")
            continue
        if not kind:
            problems.add(EXPENSE_FILE, name, f"'kind' is required: one of {', '.join(FIELD_KINDS)}")
            kind = ""
        rows.append(
            FieldRow(
                legacy=legacy,
                source=_text(raw, "source", EXPENSE_FILE, name, problems),
                kind=kind,
                transform=_text(raw, "transform", EXPENSE_FILE, name, problems),
                aggregate=_text(raw, "aggregate", EXPENSE_FILE, name, problems),
                note=_text(raw, "note", EXPENSE_FILE, name, problems) or "",
            )
        )
    return rows


def _check_row_shape(row: FieldRow, problems: _Problems) -> bool:
    """Kind/source/transform/aggregate agree; True when the row needs a source resolved."""
    ok = True

    def bad(message: str) -> None:
        nonlocal ok
        ok = False
        problems.add(EXPENSE_FILE, row.legacy, message)

    if row.kind not in FIELD_KINDS:
        bad(f"unknown kind {row.kind!r} (known: {', '.join(FIELD_KINDS)})")
        return False
    if row.kind in _NO_SOURCE_KINDS:
        for key in ("source", "transform", "aggregate"):
            if getattr(row, key) is not None:
                bad(f"kind {row.kind!r} takes no {key!r}")
        return False
    if row.source is None:
        bad(f"kind {row.kind!r} needs a 'source' path in the Export Item")
    if row.kind == "direct" and row.transform is not None:
        bad("kind 'direct' takes no 'transform' (use 'transformed' or 'resolved')")
    if row.kind == "transformed" and row.transform is None:
        bad("kind 'transformed' needs a 'transform'")
    if row.transform is not None and row.transform not in TRANSFORMS:
        bad(f"unknown transform {row.transform!r} (known: {', '.join(sorted(TRANSFORMS))})")
    if row.aggregate is not None and row.aggregate not in AGGREGATES:
        bad(f"unknown aggregate {row.aggregate!r} (known: {', '.join(sorted(AGGREGATES))})")
    return ok


# --- compiling the field rows ----------------------------------------------------------------

Getter = Callable[[Any], Any]


@dataclass(slots=True)
class _Resolved:
    row: FieldRow
    leaf: LegacyLeaf
    chunks: tuple[tuple[SourceSegment, ...], ...]  # each ends with a list segment
    tail: tuple[SourceSegment, ...]
    transform: Getter | None

    @property
    def legacy_depth(self) -> int:
        return self.row.legacy.count("[]")


def _split_chunks(
    segments: list[SourceSegment],
) -> tuple[tuple[tuple[SourceSegment, ...], ...], tuple[SourceSegment, ...]]:
    chunks: list[tuple[SourceSegment, ...]] = []
    start = 0
    for i, seg in enumerate(segments):
        if seg.is_list:
            chunks.append(tuple(segments[start : i + 1]))
            start = i + 1
    return tuple(chunks), tuple(segments[start:])


def _freeze(value: Any) -> Any:
    """A hashable stand-in for a produced legacy value (dicts and lists inside)."""
    if type(value) is dict:
        key = tuple(value.values())
        try:
            hash(key)
        except TypeError:
            return tuple(_freeze(v) for v in value.values())
        return key
    if type(value) is list:
        return tuple(_freeze(v) for v in value)
    return value


def _union(values: list[Any]) -> list[Any]:
    """Keep the first of equal values, in order (A.2 'ordered, without duplicates').

    Every element comes from the same legacy list, so they share keys in the same order and
    their values alone tell them apart.
    """
    if len(values) < 2:
        return values
    seen: set[Any] = set()
    out: list[Any] = []
    for value in values:
        key = _freeze(value)
        if key not in seen:
            seen.add(key)
            out.append(value)
    return out


_NULL = "None"


class _Compiler:
    """Turns the resolved rows into the source of one function ``build(item) -> dict``.

    Generated code, not closures: one dict display per legacy object, one comprehension per
    list, attribute access with a None check only where the model allows None. Every name in
    the generated source is a model attribute (checked by :func:`resolve_source`) or a
    compiler-made temporary; transforms are passed in through the namespace.
    """

    def __init__(
        self,
        resolved: Mapping[str, _Resolved],
        rows: Mapping[str, FieldRow],
        problems: _Problems,
    ) -> None:
        self.resolved = resolved
        self.rows = rows
        self.problems = problems
        self.status_fields: list[str] = []
        self.namespace: dict[str, Any] = {"_same_or_null": same_or_null, "_union": _union}
        self.counter = 0

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def bad(self, row: str, message: str) -> None:
        self.problems.add(EXPENSE_FILE, row, message)

    def function(self) -> Getter:
        body = self.model(Expense, "", 0, 0, "item")
        source = f"def build(item):\n    return {body}\n"
        exec(compile(source, "<mapping table>", "exec"), self.namespace)  # noqa: S102 -- source built only from model attribute names and compiler temporaries
        build: Getter = self.namespace["build"]
        return build

    def walk(self, ctx: str, segments: tuple[SourceSegment, ...]) -> str:
        expr = ctx
        for i, seg in enumerate(segments):
            expr = f"{expr}.{seg.attr}"
            if seg.nullable and i < len(segments) - 1:
                tmp = self.fresh("_v")
                rest = self.walk(tmp, segments[i + 1 :])
                return f"(None if ({tmp} := {expr}) is None else {rest})"
        return expr

    def loops(self, ctx: str, chunks: tuple[tuple[SourceSegment, ...], ...]) -> tuple[str, str]:
        """``for`` clauses walking ``chunks`` from ``ctx``, and the element variable."""
        clauses = []
        for chunk in chunks:
            var = self.fresh("_e")
            clauses.append(f"for {var} in ({self.walk(ctx, chunk)} or ())")
            ctx = var
        return " ".join(clauses), ctx

    def model(
        self, model: type[BaseModel], prefix: str, depth: int, consumed: int, ctx: str
    ) -> str:
        parts: list[str] = []
        for name, info in model.model_fields.items():
            ann = unwrap(info.annotation)
            path = f"{prefix}{name}{'[]' if ann.is_list else ''}"
            is_leaf = not is_nested_model(ann.core)
            if ann.is_list:
                expr = self.list(path, ann.core, is_leaf, depth, consumed, ctx)
            elif is_leaf:
                expr = self.leaf(path, depth, consumed, ctx)
            else:
                expr = self.model(ann.core, f"{path}.", depth, consumed, ctx)
            parts.append(f"{name!r}: {expr}")
        return "{" + ", ".join(parts) + "}"

    def list(self, path: str, core: Any, leaf: bool, depth: int, consumed: int, ctx: str) -> str:
        under = [r for p, r in self.resolved.items() if p == path or p.startswith(f"{path}.")]
        level = depth + 1
        specs: dict[tuple[tuple[str, ...], ...], list[str]] = {}
        flatten_rows: list[_Resolved] = []
        usable: list[_Resolved] = []
        for res in under:
            if res.legacy_depth > len(res.chunks):
                self.bad(
                    res.row.legacy,
                    f"source {res.row.source!r} has {len(res.chunks)} list level(s), "
                    f"the legacy field has {res.legacy_depth}: add '[]' to the source",
                )
                continue
            usable.append(res)
            remaining = res.chunks[consumed:]
            taken = remaining[:1] if res.legacy_depth > level else remaining
            if res.legacy_depth == level and len(taken) > 1:
                flatten_rows.append(res)
            key = tuple(tuple(s.wire for s in chunk) for chunk in taken)
            specs.setdefault(key, []).append(res.row.legacy)
        if len(specs) > 1:
            detail = "; ".join(
                f"{', '.join(rows)} -> {'.'.join('.'.join(c) for c in key)}"
                for key, rows in specs.items()
            )
            self.bad(path, f"rows of {path} read different source lists: {detail}")
        for res in flatten_rows:
            if res.row.aggregate != "union":
                self.bad(
                    res.row.legacy,
                    "the source has more list levels than the legacy field; "
                    "say how to combine them with aggregate = 'union'",
                )
        if not usable:
            return "[]"
        remaining = usable[0].chunks[consumed:]
        taken_chunks = remaining[:1] if usable[0].legacy_depth > level else remaining
        clauses, var = self.loops(ctx, taken_chunks)
        inner = consumed + len(taken_chunks)
        if leaf:
            element = self.leaf(path, level, inner, var)
        else:
            element = self.model(core, f"{path}.", level, inner, var)
        comprehension = f"[{element} {clauses}]"
        return f"_union({comprehension})" if flatten_rows else comprehension

    def leaf(self, path: str, depth: int, consumed: int, ctx: str) -> str:
        row = self.rows.get(path)
        if row is None or row.kind == "unavailable":
            return _NULL
        if row.kind == "item_status":
            if depth != 0:
                self.bad(path, "kind 'item_status' is only possible on a top-level field")
            self.status_fields.append(path)
            return _NULL
        res = self.resolved.get(path)
        if res is None:  # already reported
            return _NULL
        remaining = res.chunks[consumed:]
        if remaining:
            if res.row.aggregate != "same_or_null":
                self.bad(
                    path,
                    "a single legacy value from a list source needs aggregate = 'same_or_null'",
                )
            clauses, var = self.loops(ctx, remaining)
            return f"_same_or_null([{self.value(res, var)} {clauses}])"
        if res.row.aggregate is not None and res.legacy_depth == 0:
            self.bad(path, f"aggregate {res.row.aggregate!r} given but the source is not a list")
        return self.value(res, ctx)

    def value(self, res: _Resolved, ctx: str) -> str:
        expr = self.walk(ctx, res.tail)
        if res.transform is None:
            return expr
        fn = self.fresh("_f")
        self.namespace[fn] = res.transform
        may_be_null = any(s.nullable for s in res.tail) if res.tail else False
        if not may_be_null:
            return f"{fn}({expr})"
        tmp = self.fresh("_v")
        return f"(None if ({tmp} := {expr}) is None else {fn}({tmp}))"


def _compatible(produced: Any, wanted: Any) -> bool:
    if produced is wanted:
        return True
    return isinstance(produced, type) and isinstance(wanted, type) and issubclass(produced, wanted)


def _resolve_row(
    row: FieldRow, leaf: LegacyLeaf, tables: TransformTables, problems: _Problems
) -> _Resolved | None:
    assert row.source is not None  # noqa: S101 -- _check_row_shape returned True
    try:
        segments = resolve_source(ExportItemV3, row.source)
    except PathError as exc:
        problems.add(EXPENSE_FILE, row.legacy, f"source does not exist: {exc}")
        return None
    chunks, tail = _split_chunks(segments)
    last = segments[-1]
    source_core = last.core
    may_be_null = any(s.nullable for s in tail) if tail else last.element_nullable
    if row.aggregate == "same_or_null":
        may_be_null = True
    produced = source_core
    transform = None
    if row.transform is not None:
        spec = TRANSFORMS[row.transform]
        if not _compatible(source_core, spec.accepts):
            problems.add(
                EXPENSE_FILE,
                row.legacy,
                f"transform {spec.name!r} takes {spec.accepts.__name__}, "
                f"source {row.source!r} is {getattr(source_core, '__name__', source_core)}",
            )
            return None
        produced = spec.produces
        transform = spec.factory(tables)
    if row.aggregate is not None and row.aggregate in AGGREGATES:
        shape = AGGREGATES[row.aggregate].shape
        if (shape == "list") != ("[]" in row.legacy):
            problems.add(
                EXPENSE_FILE,
                row.legacy,
                f"aggregate {row.aggregate!r} makes a {shape}, the legacy field is "
                f"{'a list' if '[]' in row.legacy else 'a single value'}",
            )
    if not _compatible(produced, leaf.core):
        problems.add(
            EXPENSE_FILE,
            row.legacy,
            f"source {row.source!r} gives {getattr(produced, '__name__', produced)}, "
            f"the legacy field needs {getattr(leaf.core, '__name__', leaf.core)}"
            + ("" if row.transform else " (a transform is missing?)"),
        )
        return None
    if may_be_null and not leaf.nullable:
        problems.add(
            EXPENSE_FILE,
            row.legacy,
            f"source {row.source!r} can be null but the legacy field cannot",
        )
        return None
    return _Resolved(row, leaf, chunks, tail, transform)


def _compile_fields(
    rows: list[FieldRow], tables: TransformTables, problems: _Problems
) -> tuple[Getter, tuple[str, ...]]:
    leaves = {leaf.path: leaf for leaf in legacy_leaves(Expense)}
    by_path: dict[str, FieldRow] = {}
    for row in rows:
        if row.legacy in by_path:
            problems.add(EXPENSE_FILE, row.legacy, "two rows for the same legacy field")
            continue
        if row.legacy not in leaves:
            problems.add(
                EXPENSE_FILE, row.legacy, "no such legacy field in Expense (see README for paths)"
            )
            continue
        by_path[row.legacy] = row
    for path, leaf in leaves.items():
        if path not in by_path:
            problems.add(EXPENSE_FILE, path, "legacy field has no row")
        elif by_path[path].kind == "unavailable" and not leaf.nullable:
            problems.add(EXPENSE_FILE, path, "kind 'unavailable' emits null, the field cannot be")
        elif by_path[path].kind == "item_status" and leaf.core is not LegacyStatus:
            problems.add(EXPENSE_FILE, path, "kind 'item_status' only fits a LegacyStatus field")
    resolved: dict[str, _Resolved] = {}
    for path, row in by_path.items():
        if _check_row_shape(row, problems):
            res = _resolve_row(row, leaves[path], tables, problems)
            if res is not None:
                resolved[path] = res
    compiler = _Compiler(resolved, by_path, problems)
    build = compiler.function()
    return build, tuple(compiler.status_fields)


# --- statuses.toml ---------------------------------------------------------------------------

_ITEM_ROW_KEYS = frozenset({"item", "legacy", "note"})
_LEGACY_ROW_KEYS = frozenset(
    {
        "legacy",
        "item",
        "allowed_from",
        "exported_at",
        "failure_reason_type",
        "failure_reason",
        "conflict",
        "note",
    }
)


def _enum(enum: Any, value: Any, file: str, row: str, what: str, problems: _Problems) -> Any:
    try:
        return enum(value)
    except ValueError:
        known = ", ".join(m.value for m in enum)
        problems.add(file, row, f"unknown {what} {value!r} (known: {known})")
        return None


def _parse_statuses(doc: Mapping[str, Any], problems: _Problems) -> StatusTable | None:
    f = STATUS_FILE
    missing = _enum(
        ExportJobItemStatus,
        doc.get("missing_item_status"),
        f,
        "missing_item_status",
        "item status",
        problems,
    )
    item_to_legacy: dict[str, LegacyStatus] = {}
    item_notes: dict[str, str] = {}
    for raw in _rows(doc, "item_to_legacy", f, problems):
        name = f"item_to_legacy {raw.get('item')}"
        _unknown_keys(raw, _ITEM_ROW_KEYS, f, name, problems)
        item = _enum(ExportJobItemStatus, raw.get("item"), f, name, "item status", problems)
        legacy = _enum(LegacyStatus, raw.get("legacy"), f, name, "legacy status", problems)
        if item is None or legacy is None:
            continue
        if item.value in item_to_legacy:
            problems.add(f, name, "two rows for the same item status")
        item_to_legacy[item.value] = legacy
        item_notes[item.value] = str(raw.get("note", ""))
    for status in ExportJobItemStatus:
        if status.value not in item_to_legacy:
            problems.add(f, f"item_to_legacy {status.value}", "item status is unmapped")

    rules: dict[LegacyStatus, StatusRule] = {}
    for raw in _rows(doc, "legacy_to_item", f, problems):
        name = f"legacy_to_item {raw.get('legacy')}"
        _unknown_keys(raw, _LEGACY_ROW_KEYS, f, name, problems)
        legacy = _enum(LegacyStatus, raw.get("legacy"), f, name, "legacy status", problems)
        item = None
        if raw.get("item") is not None:
            item = _enum(ExportJobItemStatus, raw.get("item"), f, name, "item status", problems)
        allowed_raw = raw.get("allowed_from", [])
        allowed: set[ExportJobItemStatus] = set()
        for value in allowed_raw if isinstance(allowed_raw, list) else [allowed_raw]:
            status = _enum(ExportJobItemStatus, value, f, name, "item status", problems)
            if status is None:
                continue
            if status.is_terminal:
                problems.add(f, name, f"allowed_from names terminal status {status.value!r} (A.3)")
            allowed.add(status)
        if allowed and item is None:
            problems.add(f, name, "allowed_from is not empty, so 'item' (the new status) is needed")
        if item is not None and legacy is not None and item_to_legacy.get(item.value) != legacy:
            problems.add(
                f,
                name,
                f"item status {item.value!r} reads back as "
                f"{item_to_legacy.get(item.value)!r}, not {legacy.value!r} (no round trip)",
            )
        exported_at = raw.get("exported_at")
        if exported_at not in (None, "now"):
            problems.add(f, name, "exported_at can only be 'now'")
        reason_type = None
        if raw.get("failure_reason_type") is not None:
            reason_type = _enum(
                ExportJobItemFailureReasonType,
                raw.get("failure_reason_type"),
                f,
                name,
                "failure reason type",
                problems,
            )
        if legacy is None:
            continue
        if legacy in rules:
            problems.add(f, name, "two rows for the same legacy status")
        rules[legacy] = StatusRule(
            legacy=legacy,
            item=item,
            allowed_from=frozenset(allowed),
            exported_at_now=exported_at == "now",
            failure_reason_type=reason_type,
            failure_reason=_text(raw, "failure_reason", f, name, problems),
            conflict=_text(raw, "conflict", f, name, problems) or "status change not allowed",
            note=_text(raw, "note", f, name, problems) or "",
        )
    for legacy_status in LegacyStatus:
        if legacy_status not in rules:
            problems.add(f, f"legacy_to_item {legacy_status.value}", "legacy status is unmapped")
    if missing is None:
        return None
    return StatusTable(missing, item_to_legacy, item_notes, rules)


# --- types.toml and currencies.toml ----------------------------------------------------------


def _parse_types(doc: Mapping[str, Any], problems: _Problems) -> TypeTable | None:
    f = TYPES_FILE
    default = _enum(ExpenseType, doc.get("default"), f, "default", "legacy type", problems)
    rows: list[TypeRow] = []
    seen: set[str] = set()
    for raw in _rows(doc, "types", f, problems):
        name = f"types {raw.get('v3')}"
        _unknown_keys(raw, frozenset({"v3", "legacy", "note"}), f, name, problems)
        v3 = raw.get("v3")
        legacy = _enum(ExpenseType, raw.get("legacy"), f, name, "legacy type", problems)
        if not isinstance(v3, str) or not v3:
            problems.add(f, name, "'v3' (the Export Item type) must be a non-empty string")
            continue
        if v3 in seen:
            problems.add(f, name, "two rows for the same v3 type")
        seen.add(v3)
        if legacy is not None:
            rows.append(TypeRow(v3, legacy, str(raw.get("note", ""))))
    for v3_type in EXPORT_ITEM_TYPES_V3:
        if v3_type not in seen:
            problems.add(f, f"types {v3_type}", "ExportItemTypeV3 value has no row")
    if default is None:
        return None
    return TypeTable(tuple(rows), default, str(doc.get("default_note", "")))


def _parse_currencies(doc: Mapping[str, Any], problems: _Problems) -> CurrencyTable | None:
    f = CURRENCY_FILE
    units = doc.get("legacy_units")
    ok = True
    if units not in ("major", "minor"):
        problems.add(f, "legacy_units", f"must be 'major' or 'minor', not {units!r}")
        ok = False
    default = doc.get("default_exponent")
    if not isinstance(default, int) or isinstance(default, bool) or not 0 <= default <= 4:
        problems.add(f, "default_exponent", "must be an integer from 0 to 4")
        ok = False
    exponents: dict[str, int] = {}
    raw = doc.get("exponents", {})
    if not isinstance(raw, dict):
        problems.add(f, "exponents", "must be a table of CODE = exponent")
        raw = {}
    for code, exponent in raw.items():
        if not (len(code) == 3 and code.isascii() and code.isalpha() and code.isupper()):
            problems.add(f, f"exponents {code}", "not an ISO 4217 code (three capital letters)")
        elif not isinstance(exponent, int) or isinstance(exponent, bool) or not 0 <= exponent <= 4:
            problems.add(f, f"exponents {code}", "exponent must be an integer from 0 to 4")
        else:
            exponents[code] = exponent
    if not ok:
        return None
    assert isinstance(units, str)  # noqa: S101 -- narrowed by the check above
    assert isinstance(default, int)  # noqa: S101 -- narrowed by the check above
    return CurrencyTable(units, default, exponents)


# --- entry points ----------------------------------------------------------------------------


def check_tables(directory: Path | None = None) -> TableReport:
    """Read and validate the tables in ``directory``; never raises for a bad table."""
    directory = default_table_directory() if directory is None else directory
    if directory.is_file():
        directory = directory.parent
    problems = _Problems()
    expense_doc = _read(directory, EXPENSE_FILE, problems)
    status_doc = _read(directory, STATUS_FILE, problems)
    types_doc = _read(directory, TYPES_FILE, problems)
    currency_doc = _read(directory, CURRENCY_FILE, problems)
    fields = _parse_fields(expense_doc, problems) if expense_doc is not None else []
    statuses = _parse_statuses(status_doc, problems) if status_doc is not None else None
    types = _parse_types(types_doc, problems) if types_doc is not None else None
    currencies = _parse_currencies(currency_doc, problems) if currency_doc is not None else None
    table = None
    if types is not None and currencies is not None and expense_doc is not None:
        build, status_fields = _compile_fields(fields, TransformTables(currencies, types), problems)
        if not problems.items and statuses is not None:
            table = MappingTable(
                directory=directory,
                fields=tuple(fields),
                statuses=statuses,
                types=types,
                currencies=currencies,
                build=build,
                status_fields=status_fields,
            )
    return TableReport(directory, tuple(fields), tuple(problems.items), table)


def load_mapping_table(directory: Path | None = None) -> MappingTable:
    """Load and validate the tables (default: the shipped ones); raise MappingTableError."""
    report = check_tables(directory)
    if report.table is None:
        raise MappingTableError(list(report.problems))
    return report.table
