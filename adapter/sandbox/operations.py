"""Names for the requests the sandbox serves, for the statistics and fault middleware (which run
before routing).

- Export API v3: Pleo's operationIds (``getExportJobsListV3``, ``updateExportJobItemsV3``, ...).
- Legacy API: ``legacy:`` + the legacy document's operationId (``legacy:getExpenses``,
  ``legacy:updateExpenses``, ``legacy:getAccounts``, ...), so legacy traffic never counts as
  Export API traffic: a test can assert that no v3 write arrived while a legacy client wrote.
- ``admin`` for ``/sandbox/...``; ``unknown`` for anything else.
"""

from __future__ import annotations

import re

from adapter.sandbox.legacy_operations import LEGACY_OPERATIONS, LEGACY_PREFIX

__all__ = ["ADMIN_PREFIX", "LEGACY_PREFIX", "V3_WRITES", "classify", "is_legacy_path"]

ADMIN_PREFIX = "/sandbox/"
_SEGMENT = r"[^/]+"
_V3: tuple[tuple[str, str, str], ...] = (
    ("GET", r"/v3/export-jobs", "getExportJobsListV3"),
    ("POST", r"/v3/export-jobs", "createExportJobV3"),
    ("GET", rf"/v3/export-jobs/{_SEGMENT}/items", "getExportJobItemsV3"),
    ("PUT", rf"/v3/export-jobs/{_SEGMENT}/items", "updateExportJobItemsV3"),
    ("GET", rf"/v3/export-jobs/{_SEGMENT}", "getExportJobByIdV3"),
    ("POST", r"/v3/export-job-events", "createExportJobEventV3"),
    ("GET", r"/v3/export-items", "getExportItemsV3"),
)
V3_WRITES = frozenset({"createExportJobV3", "updateExportJobItemsV3", "createExportJobEventV3"})


def _legacy_pattern(template: str) -> str:
    return LEGACY_PREFIX + re.sub(r"\{[^}]+\}", _SEGMENT, template)


_TABLE: tuple[tuple[str, re.Pattern[str], str], ...] = tuple(
    (method, re.compile(f"^{pattern}/?$"), name)
    for method, pattern, name in (
        *_V3,
        *(
            (op.method, _legacy_pattern(op.path), f"legacy:{op.operation_id}")
            for op in LEGACY_OPERATIONS
        ),
    )
)


def is_legacy_path(path: str) -> bool:
    """Whether a request path belongs to the legacy API (``/v1`` and below)."""
    return path == LEGACY_PREFIX or path.startswith(LEGACY_PREFIX + "/")


def classify(method: str, path: str) -> str:
    """The operation name of a request (see the module docstring)."""
    if path.startswith(ADMIN_PREFIX):
        return "admin"
    for op_method, pattern, name in _TABLE:
        if op_method == method and pattern.match(path):
            return name
    return "unknown"
