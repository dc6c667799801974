"""Compiling the field rows of ``expense.toml`` into one generated ``build(item) -> dict``.

Each row's source paths (``source``, ``fallback``, ``args``) are resolved against the Export
Item model and type-checked against its legacy field, each ``objects`` rule against the legacy
model, then :class:`_Compiler` writes the source of a single function (one dict display per
legacy object, one comprehension per list, a conditional where an object rule says when the
object is present) and compiles it once, at load time, so mapping an item is one call.
Problems go to the shared collector.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pydantic import BaseModel

from adapter.export.models import ExportItemV3
from adapter.legacy.models import Expense, LegacyStatus
from adapter.mapping.field_rows import check_row_shape
from adapter.mapping.model import FieldRow, ObjectRule
from adapter.mapping.paths import (
    LegacyLeaf,
    PathError,
    SourceSegment,
    is_nested_model,
    legacy_leaves,
    legacy_objects,
    resolve_source,
    unwrap,
)
from adapter.mapping.reading import EXPENSE_FILE, Problems
from adapter.mapping.transforms import AGGREGATES, TRANSFORMS, TransformTables, same_or_null
from adapter.mapping.wire import WIRE_FORMS

__all__ = ["CompiledFields", "Getter", "compile_fields"]

Getter = Callable[[Any], Any]


@dataclass(slots=True)
class _Resolved:
    row: FieldRow
    leaf: LegacyLeaf
    chunks: tuple[tuple[SourceSegment, ...], ...]  # each ends with a list segment
    tail: tuple[SourceSegment, ...]
    transform: Getter | None
    wire: Getter | None  # the transform's wire form (JSON already written), if it has one
    # paths read from the item root: the fallbacks of ``source``, the transform's extra args
    fallbacks: tuple[tuple[SourceSegment, ...], ...] = ()
    args: tuple[tuple[SourceSegment, ...], ...] = ()

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
        problems: Problems,
        conditions: Mapping[str, list[tuple[tuple[SourceSegment, ...], frozenset[str]]]],
        *,
        wire: bool = False,
    ) -> None:
        self.resolved = resolved
        self.wire = wire
        self.rows = rows
        self.problems = problems
        self.conditions = conditions
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
        name = "build_json" if self.wire else "build"
        source = f"def {name}(item):\n    return {body}\n"
        exec(compile(source, "<mapping table>", "exec"), self.namespace)  # noqa: S102 -- source built only from model attribute names and compiler temporaries
        build: Getter = self.namespace[name]
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
        parts = self.fields(model, prefix, depth, consumed, ctx)
        return "{" + ", ".join(f"{name!r}: {expr}" for name, expr in parts) + "}"

    def fields(
        self, model: type[BaseModel], prefix: str, depth: int, consumed: int, ctx: str
    ) -> list[tuple[str, str]]:
        """Each field of the legacy ``model`` and the expression of its value."""
        parts: list[tuple[str, str]] = []
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
                if path in self.conditions:
                    expr = f"({expr} if {self.condition(path)} else None)"
            parts.append((name, expr))
        return parts

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
        elif flatten_rows and _scalar_fields(core):
            return self.union_of_scalars(core, path, level, inner, var, clauses)
        else:
            element = self.model(core, f"{path}.", level, inner, var)
        comprehension = f"[{element} {clauses}]"
        return f"_union({comprehension})" if flatten_rows else comprehension

    def union_of_scalars(
        self, core: type[BaseModel], path: str, level: int, inner: int, var: str, clauses: str
    ) -> str:
        """``_union`` of objects whose fields are all hashable scalars, without a call per
        object: the tuples of their values, first of equal ones kept (``dict.fromkeys``), made
        into objects; the same objects ``_union`` keeps, as it compares those tuples."""
        parts = self.fields(core, f"{path}.", level, inner, var)
        values = "".join(f"{expr}, " for _, expr in parts)
        key = self.fresh("_k")
        element = ", ".join(f"{name!r}: {key}[{i}]" for i, (name, _) in enumerate(parts))
        return f"[{{{element}}} for {key} in dict.fromkeys([({values}) {clauses}])]"

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

    def condition(self, path: str) -> str:
        """All of the object rule's tests: each source value is one of the listed values."""
        tests = []
        for segments, values in self.conditions[path]:
            name = self.fresh("_c")
            self.namespace[name] = values
            tests.append(f"({self.walk('item', segments)} in {name})")
        # A rule whose every test was refused (already a problem) compiles to "present".
        return " and ".join(tests) or "True"

    def value(self, res: _Resolved, ctx: str) -> str:
        expr = self.walk(ctx, res.tail)
        may_be_null = any(s.nullable for s in res.tail) if res.tail else False
        for fallback in res.fallbacks:
            # The fallbacks are read from the item root (checked: the row has no list level).
            tmp = self.fresh("_v")
            expr = f"({tmp} if ({tmp} := {expr}) is not None else {self.walk('item', fallback)})"
            may_be_null = any(s.nullable for s in fallback)
        if res.transform is not None:
            fn = self.fresh("_f")
            self.namespace[fn] = res.wire if self.wire and res.wire is not None else res.transform
            extra = "".join(f", {self.walk('item', arg)}" for arg in res.args)
            if may_be_null:
                tmp = self.fresh("_v")
                expr = f"(None if ({tmp} := {expr}) is None else {fn}({tmp}{extra}))"
            else:
                expr = f"{fn}({expr}{extra})"
        if res.row.default is None:
            return expr
        default = self.fresh("_d")
        self.namespace[default] = res.row.default
        tmp = self.fresh("_v")
        return f"({default} if ({tmp} := {expr}) is None else {tmp})"


def _scalar_fields(model: type[BaseModel]) -> bool:
    """Whether every field of the legacy ``model`` holds one hashable, non-model value."""
    for info in model.model_fields.values():
        ann = unwrap(info.annotation)
        core = ann.core
        if ann.is_list or not isinstance(core, type) or issubclass(core, BaseModel):
            return False
        if core.__hash__ is None:
            return False
    return True


def _compatible(produced: Any, wanted: Any) -> bool:
    if produced is wanted:
        return True
    return isinstance(produced, type) and isinstance(wanted, type) and issubclass(produced, wanted)


def _resolve_row(
    row: FieldRow, leaf: LegacyLeaf, tables: TransformTables, problems: Problems
) -> _Resolved | None:
    assert row.source is not None  # noqa: S101 -- check_row_shape returned True
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
    rooted = _rooted_paths(row, chunks, source_core, problems)
    if rooted is None:
        return None
    fallbacks, args = rooted
    if fallbacks:
        may_be_null = any(s.nullable for s in fallbacks[-1])
    produced = source_core
    transform = wire = None
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
        for arg, wanted in zip(args, spec.extra, strict=False):
            if not _compatible(arg[-1].core, wanted):
                problems.add(
                    EXPENSE_FILE,
                    row.legacy,
                    f"transform {spec.name!r} takes {wanted.__name__} as an extra source, "
                    f"{'.'.join(s.wire for s in arg)!r} is not",
                )
                return None
        produced = spec.produces
        transform = spec.factory(tables, row.options)
        wire_form = WIRE_FORMS.get(spec.name)
        wire = wire_form(tables, row.options) if wire_form is not None else None
    if row.default is not None:
        if not _compatible(produced, str) or (
            isinstance(produced, type)
            and issubclass(produced, Enum)
            and row.default not in {m.value for m in produced}
        ):
            problems.add(
                EXPENSE_FILE,
                row.legacy,
                f"default {row.default!r} is not a value of "
                f"{getattr(produced, '__name__', produced)}",
            )
            return None
        may_be_null = False
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
    return _Resolved(row, leaf, chunks, tail, transform, wire, fallbacks, args)


def _rooted_paths(
    row: FieldRow,
    chunks: tuple[tuple[SourceSegment, ...], ...],
    source_core: Any,
    problems: Problems,
) -> tuple[tuple[tuple[SourceSegment, ...], ...], tuple[tuple[SourceSegment, ...], ...]] | None:
    """Resolve ``fallback`` and ``args``: plain paths from the item root, on a row without lists."""
    if not (row.fallback or row.args):
        return (), ()
    if chunks or "[]" in row.legacy:
        problems.add(
            EXPENSE_FILE, row.legacy, "'fallback' and 'args' are only possible without list levels"
        )
        return None
    resolved: dict[str, list[tuple[SourceSegment, ...]]] = {"fallback": [], "args": []}
    for key in ("fallback", "args"):
        for path in getattr(row, key):
            try:
                segments = tuple(resolve_source(ExportItemV3, path))
            except PathError as exc:
                problems.add(EXPENSE_FILE, row.legacy, f"{key} does not exist: {exc}")
                return None
            if any(s.is_list for s in segments):
                problems.add(EXPENSE_FILE, row.legacy, f"{key} {path!r} steps into a list")
                return None
            if key == "fallback" and not _compatible(segments[-1].core, source_core):
                problems.add(
                    EXPENSE_FILE,
                    row.legacy,
                    f"fallback {path!r} is not the same kind of value as source {row.source!r}",
                )
                return None
            resolved[key].append(segments)
    return tuple(resolved["fallback"]), tuple(resolved["args"])


def _object_conditions(
    rules: list[ObjectRule], known_values: Mapping[str, frozenset[str]], problems: Problems
) -> dict[str, list[tuple[tuple[SourceSegment, ...], frozenset[str]]]]:
    """Check each ``objects`` rule against both models; the compiled tests by legacy path."""
    objects = {path: nullable for path, nullable in legacy_objects(Expense) if "[]" not in path}
    conditions: dict[str, list[tuple[tuple[SourceSegment, ...], frozenset[str]]]] = {}
    for rule in rules:
        where = f"objects {rule.legacy}"
        if rule.legacy in conditions:
            problems.add(EXPENSE_FILE, where, "two rules for the same legacy object")
            continue
        if rule.legacy not in objects:
            problems.add(EXPENSE_FILE, where, "not a legacy object (outside lists) of Expense")
            continue
        if not objects[rule.legacy]:
            problems.add(EXPENSE_FILE, where, "the legacy object cannot be null")
            continue
        tests = []
        for path, values in rule.present_when.items():
            try:
                segments = tuple(resolve_source(ExportItemV3, path))
            except PathError as exc:
                problems.add(EXPENSE_FILE, where, f"present_when source does not exist: {exc}")
                continue
            if any(s.is_list for s in segments) or not _compatible(segments[-1].core, str):
                problems.add(EXPENSE_FILE, where, f"present_when {path!r} is not a text value")
                continue
            unknown = sorted(values - known_values.get(path, values))
            if unknown:
                problems.add(
                    EXPENSE_FILE, where, f"present_when {path!r}: unknown value(s) {unknown}"
                )
            tests.append((segments, values))
        conditions[rule.legacy] = tests
    return conditions


@dataclass(frozen=True, slots=True)
class CompiledFields:
    """The generated functions of a table: both map an Export Item to the Expense's dict
    (every key but ``status_fields``, which hold the item status).

    ``build`` gives the legacy values (``Decimal`` amounts, as ``model_dump`` does);
    ``build_json`` the same with each transform's wire form where it has one, so
    ``jsonio.dumps`` of either is the same bytes.
    """

    build: Getter
    build_json: Getter
    status_fields: tuple[str, ...]


def compile_fields(
    rows: list[FieldRow],
    tables: TransformTables,
    problems: Problems,
    objects: list[ObjectRule] | None = None,
) -> CompiledFields:
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
        if check_row_shape(row, problems):
            res = _resolve_row(row, leaves[path], tables, problems)
            if res is not None:
                resolved[path] = res
    # The item types table names every v3 type the proxy knows; a rule on ``type`` must too.
    known = {"type": frozenset(row.v3 for row in tables.types.rows)}
    conditions = _object_conditions(objects or [], known, problems)
    compiler = _Compiler(resolved, by_path, problems, conditions)
    build = compiler.function()
    # The same rows again with the transforms' wire forms; every problem is already reported.
    wire = _Compiler(resolved, by_path, Problems(), conditions, wire=True)
    return CompiledFields(build, wire.function(), tuple(compiler.status_fields))
