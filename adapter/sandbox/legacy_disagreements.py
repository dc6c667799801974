"""A fault knob for comparisons: make the legacy view disagree with the data on chosen fields.

``POST /sandbox/legacy/disagreements`` ``{"field": <path>, "expenseIds": [...], "value": <json>}``
adds a rule; every legacy answer (list, single, PUT) then shows ``value`` at ``field`` for those
expenses, while the Export API v3 and the legacy filters keep using the real data, so a
comparison meets a difference nothing explains. ``DELETE`` removes every rule; ``GET`` lists
them. Rules apply in the order they were added.

A path is dot-separated legacy field names; ``name[]`` steps into every element of a list:
``note``, ``amountSettled.value``, ``cardTransaction.state``, ``lines[].accountId``,
``tagIds[].tagGroupId``. The admin route refuses (400) a path that does not reach an existing
field of every named expense (for example ``cardTransaction.state`` of a non-card expense).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from adapter.sandbox.errors import bad_request

__all__ = ["Disagreement", "DisagreementBook"]

_SEGMENT = re.compile(r"^[A-Za-z][A-Za-z0-9]*(\[\])?$")


@dataclass(frozen=True, slots=True)
class Disagreement:
    """``value`` at ``field`` for the expenses ``expense_ids``."""

    field: str
    expense_ids: frozenset[str]
    value: Any

    @classmethod
    def from_json(cls, body: object) -> Disagreement:
        """Validate the admin POST body (the path's reach is checked by :meth:`reaches`)."""
        if not isinstance(body, dict) or "value" not in body:
            msg = "Send {field, expenseIds, value}."
            raise bad_request(msg)
        path = body.get("field")
        if not isinstance(path, str) or not all(_SEGMENT.match(s) for s in path.split(".")):
            msg = "'field' must be a legacy field path such as amountSettled.value."
            raise bad_request(msg)
        ids = body.get("expenseIds")
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
            msg = "'expenseIds' must be a non-empty list of expense ids."
            raise bad_request(msg)
        return cls(path, frozenset(ids), body["value"])

    def to_json(self) -> dict[str, Any]:
        """The admin view of the rule."""
        return {"field": self.field, "expenseIds": sorted(self.expense_ids), "value": self.value}

    def reaches(self, expense: dict[str, Any]) -> bool:
        """Whether the path names an existing field of ``expense``."""
        return _walk(expense, self.field.split("."), None)

    def apply(self, expense: dict[str, Any]) -> None:
        """Set the field in place."""
        _walk(expense, self.field.split("."), self)


def _walk(node: Any, segments: list[str], rule: Disagreement | None) -> bool:
    name, many = segments[0].removesuffix("[]"), segments[0].endswith("[]")
    if not isinstance(node, dict) or name not in node:
        return False
    if len(segments) == 1 and not many:
        if rule is not None:
            node[name] = copy.deepcopy(rule.value)
        return True
    if many:
        elements = node[name]
        if not isinstance(elements, list) or not elements:
            return False
        if len(segments) == 1:
            if rule is not None:
                node[name] = [copy.deepcopy(rule.value) for _ in elements]
            return True
        return all(_walk(element, segments[1:], rule) for element in elements)
    return _walk(node[name], segments[1:], rule)


class DisagreementBook:
    """The active rules."""

    def __init__(self) -> None:
        self.rules: list[Disagreement] = []

    def add(self, rule: Disagreement) -> None:
        """Add a rule after the others."""
        self.rules.append(rule)

    def clear(self) -> None:
        """Remove every rule."""
        self.rules.clear()

    def apply(self, expense: dict[str, Any]) -> dict[str, Any]:
        """``expense`` with every matching rule applied (in place)."""
        for rule in self.rules:
            if expense["id"] in rule.expense_ids:
                rule.apply(expense)
        return expense
