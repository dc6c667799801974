"""Names for the requests the sandbox serves: Pleo's operationIds and the legacy operations.

Used by the statistics and fault middleware, which run before routing.
"""

from __future__ import annotations

import re

__all__ = ["ADMIN_PREFIX", "classify"]

ADMIN_PREFIX = "/sandbox/"
_UUIDISH = r"[^/]+"
_TABLE: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("GET", re.compile(r"^/v3/export-jobs/?$"), "getExportJobsListV3"),
    ("POST", re.compile(r"^/v3/export-jobs/?$"), "createExportJobV3"),
    ("GET", re.compile(rf"^/v3/export-jobs/{_UUIDISH}/items/?$"), "getExportJobItemsV3"),
    ("PUT", re.compile(rf"^/v3/export-jobs/{_UUIDISH}/items/?$"), "updateExportJobItemsV3"),
    ("GET", re.compile(rf"^/v3/export-jobs/{_UUIDISH}/?$"), "getExportJobByIdV3"),
    ("POST", re.compile(r"^/v3/export-job-events/?$"), "createExportJobEventV3"),
    ("GET", re.compile(r"^/v3/export-items/?$"), "getExportItemsV3"),
    ("GET", re.compile(r"^/v1/expenses/?$"), "legacyGetExpenses"),
    ("PUT", re.compile(r"^/v1/expenses/?$"), "legacyUpdateExpenses"),
    ("GET", re.compile(rf"^/v1/expenses/{_UUIDISH}/?$"), "legacyGetExpense"),
    ("PUT", re.compile(rf"^/v1/expenses/{_UUIDISH}/?$"), "legacyUpdateExpense"),
)


def classify(method: str, path: str) -> str:
    """The operation name of a request, ``admin`` for ``/sandbox/...``, else ``unknown``."""
    if path.startswith(ADMIN_PREFIX):
        return "admin"
    for op_method, pattern, name in _TABLE:
        if op_method == method and pattern.match(path):
            return name
    return "unknown"
