"""Walk two legacy Expense objects side by side and list where they differ, leaf by leaf.

The walk follows the data (so a key the model does not know is compared too) and names
each place twice: ``field``, the concrete path (``lines[1].amountSettled``,
``tagIds[id=9f…].tagGroupId``), and ``pattern``, the path in ``expense.toml`` syntax
(``lines[].amountSettled``) by which rules and mapping rows are found.

How it decides, at each path:

* two objects: every key of either side, in the legacy side's order;
* an object against ``null`` or a missing key: the object's keys are walked against ``null``
  (or missing), so a value inside is reported on its own field, unless the path's rule says
  ``null`` and an all-absent object are the same;
* two lists: with a ``set`` rule as sets (by ``key`` for objects: membership is one
  difference on the key's path, matched elements are walked); otherwise in order, and a
  length difference is one difference for the whole list;
* ``null``, a missing key and ``[]``: different unless the path's rule lists both forms in
  ``absent``;
* values: money and timestamps by their rule, anything else by JSON equality.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from adapter import jsonio
from adapter.compare.equality import as_instant, exact_equal, money_equal, money_scale_hint
from adapter.compare.rules import Absent, Equal, EquivalenceRules, Rule
from adapter.compare.shape import expense_shape
from adapter.mapping.transforms import CurrencyTable

__all__ = ["MISSING", "RawDifference", "absent_form", "diff_expense", "is_missing"]


class _Missing:
    """The value of a key one side does not have."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()


def is_missing(value: Any) -> bool:
    return value is MISSING


@dataclass(frozen=True, slots=True)
class RawDifference:
    """One place where the two sides differ, before it is classified."""

    field: str
    pattern: str
    legacy: Any
    translated: Any
    rule: str
    hint: str | None = None


def absent_form(value: Any) -> Absent | None:
    """How a value has no value (missing, null, empty), or None when it has one."""
    if value is MISSING:
        return Absent.MISSING
    if value is None:
        return Absent.NULL
    if isinstance(value, list) and not value:
        return Absent.EMPTY
    if isinstance(value, Mapping) and all(absent_form(v) is not None for v in value.values()):
        return Absent.EMPTY
    return None


def _token(value: Any) -> Any:
    """A hashable stand-in for a set element; numbers by value (1 == 1.0)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return (type(value).__name__, value)
    if isinstance(value, int | float | Decimal):
        return ("number", Decimal(repr(value) if isinstance(value, float) else value).normalize())
    return ("json", jsonio.dumps(value))


def _time_apart(legacy: datetime, translated: datetime) -> str:
    seconds = (translated - legacy).total_seconds()
    direction = "later" if seconds > 0 else "earlier"
    amount = abs(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if amount >= size:
            return f"translated is {amount / size:.3g} {unit} {direction}"
    return f"translated is {amount:.3g} s {direction}"


def _display_key(value: Any) -> str:
    return value if isinstance(value, str) else jsonio.dumps(value).decode()


class _Walker:
    def __init__(self, rules: EquivalenceRules, currencies: CurrencyTable) -> None:
        self.rules = rules
        self.currencies = currencies
        self.shape = expense_shape()
        self.out: list[RawDifference] = []

    def report(
        self, field: str, pattern: str, a: Any, b: Any, rule: Rule | None, hint: str | None = None
    ) -> None:
        name = rule.equal.value if rule is not None else Equal.EXACT.value
        self.out.append(RawDifference(field, pattern, a, b, name, hint))

    def child_pattern(self, prefix: str, key: str, a: Any, b: Any) -> str:
        candidate = f"{prefix}{key}"
        if f"{candidate}[]" in self.shape:
            return f"{candidate}[]"
        if candidate in self.shape:
            return candidate
        return f"{candidate}[]" if isinstance(a, list) or isinstance(b, list) else candidate

    def node(self, field: str, pattern: str, a: Any, b: Any) -> None:
        rule = self.rules.rule(pattern)
        equal = rule.equal if rule is not None else Equal.EXACT
        if equal is Equal.MONEY and absent_form(a) is None and absent_form(b) is None:
            same = money_equal(a, b, self.currencies)
            if same is not None:
                if not same:
                    self.report(field, pattern, a, b, rule, money_scale_hint(a, b))
                return
        if equal is Equal.INSTANT:
            left, right = as_instant(a), as_instant(b)
            if left is not None and right is not None:
                if left != right:
                    self.report(field, pattern, a, b, rule, _time_apart(left, right))
                return
        if equal is not Equal.MONEY and isinstance(a, Mapping) and isinstance(b, Mapping):
            self.object(field, pattern, a, b)
            return
        if isinstance(a, list) and isinstance(b, list):
            self.list(field, pattern, a, b, rule)
            return
        form_a, form_b = absent_form(a), absent_form(b)
        if form_a is not None and form_b is not None:
            same_form = form_a == form_b and form_a is not Absent.EMPTY
            allowed = rule is not None and form_a in rule.absent and form_b in rule.absent
            if not (same_form or allowed):
                self.report(field, pattern, a, b, rule)
            return
        if equal is not Equal.MONEY and (form_a is not None or form_b is not None):
            present, other, form = (b, a, form_a) if form_a is not None else (a, b, form_b)
            if isinstance(present, Mapping) and not isinstance(other, list):
                # Walk the object against null (or missing) so a value inside lands on its row.
                stand_in = dict.fromkeys(present, None if form is Absent.NULL else MISSING)
                if present is a:
                    self.object(field, pattern, a, stand_in)
                else:
                    self.object(field, pattern, stand_in, b)
                return
        if isinstance(a, Mapping | list) or isinstance(b, Mapping | list):
            self.report(field, pattern, a, b, rule)
            return
        if not exact_equal(a, b):
            self.report(field, pattern, a, b, rule)

    def object(self, field: str, pattern: str, a: Mapping[str, Any], b: Mapping[str, Any]) -> None:
        prefix = f"{pattern}." if pattern else ""
        keys = list(a) + [key for key in b if key not in a]
        for key in keys:
            left, right = a.get(key, MISSING), b.get(key, MISSING)
            child_field = f"{field}.{key}" if field else key
            self.node(child_field, self.child_pattern(prefix, key, left, right), left, right)

    def list(
        self, field: str, pattern: str, a: Sequence[Any], b: Sequence[Any], rule: Rule | None
    ) -> None:
        if rule is not None and rule.equal is Equal.SET:
            if rule.key is None:
                if {_token(v) for v in a} != {_token(v) for v in b}:
                    self.report(field, pattern, a, b, rule)
            else:
                self.keyed_set(field, pattern, a, b, rule, rule.key)
            return
        if len(a) != len(b):
            self.report(field, pattern, a, b, rule)
            return
        for index, (left, right) in enumerate(zip(a, b, strict=True)):
            self.node(f"{field}[{index}]", pattern, left, right)

    def keyed_set(
        self, field: str, pattern: str, a: Sequence[Any], b: Sequence[Any], rule: Rule, key: str
    ) -> None:
        def by_key(elements: Sequence[Any]) -> dict[Any, Any]:
            found: dict[Any, Any] = {}
            for element in elements:
                name = element.get(key) if isinstance(element, Mapping) else element
                found.setdefault(_token(name), (name, element))
            return found

        left, right = by_key(a), by_key(b)
        if set(left) != set(right):
            keys_a = sorted(_display_key(name) for name, _ in left.values())
            keys_b = sorted(_display_key(name) for name, _ in right.values())
            self.report(field, f"{pattern}.{key}", keys_a, keys_b, rule)
        for token, (name, element) in left.items():
            if token in right:
                label = f"{field}[{key}={_display_key(name)}]"
                self.node(label, pattern, element, right[token][1])


def diff_expense(
    legacy: Mapping[str, Any],
    translated: Mapping[str, Any],
    rules: EquivalenceRules,
    currencies: CurrencyTable,
) -> list[RawDifference]:
    """Every difference between two JSON objects of one expense, in walk order."""
    walker = _Walker(rules, currencies)
    walker.object("", "", legacy, translated)
    return walker.out
