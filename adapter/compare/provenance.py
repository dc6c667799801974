"""Which mapping row produced a translated value: found by legacy path in the loaded table.

Nothing here names a field: the rows come from ``mappings/expense.toml`` as loaded
(:class:`~adapter.mapping.MappingTable`), so moving a field to another source, or marking it
``unavailable``, changes the provenance and the classification without a code change.

A path that is a row (``amountSettled``, ``tagIds[].id``) has that row. A path above rows
(an object such as ``supplier`` or a whole list such as ``lines[]``) has every row below it:
it is named by its own path, and its source is the longest source path the rows share
(``lines[]`` -> ``accountingEntryLines[]``). A path with no row below it (a key the legacy
API sends that the model does not know) has none, and its difference is always unexplained.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from adapter.mapping.model import FieldRow, MappingTable

__all__ = ["ITEM_STATUS_SOURCE", "Provenance", "ProvenanceIndex"]

# ``item_status`` rows have no Export Item path: the value is the export job item's status.
ITEM_STATUS_SOURCE = "ExportJobItemV3.status"


@dataclass(frozen=True, slots=True)
class Provenance:
    """The rows behind one legacy path, and how a report names them."""

    mapping_row: str | None
    source_path: str | None
    row_kind: str | None
    rows: tuple[FieldRow, ...]

    @property
    def unavailable(self) -> bool:
        """Every row behind the path is ``unavailable``: the Export Item cannot supply it (A.1
        '—') and the translation leaves it empty."""
        return bool(self.rows) and all(row.kind == "unavailable" for row in self.rows)

    @property
    def inferred(self) -> bool:
        """The value is the proxy's inference: some row behind the path is ``inferred`` and the
        others (if any) are ``unavailable``."""
        return any(row.inferred for row in self.rows) and all(
            row.kind == "unavailable" or row.inferred for row in self.rows
        )

    @property
    def note(self) -> str:
        return "; ".join(dict.fromkeys(row.note for row in self.rows if row.note))


def _source(row: FieldRow) -> str | None:
    if row.kind == "item_status":
        return ITEM_STATUS_SOURCE
    return row.source


def _shared_source(rows: Sequence[FieldRow]) -> str | None:
    paths = [source.split(".") for row in rows if (source := _source(row)) is not None]
    if not paths:
        return None
    shared: list[str] = []
    for parts in zip(*paths, strict=False):
        if len(set(parts)) != 1:
            break
        shared.append(parts[0])
    return ".".join(shared) or None


class ProvenanceIndex:
    """Rows by legacy path, built once from a loaded table; lookups are cached."""

    def __init__(self, table: MappingTable) -> None:
        self._rows = table.fields
        self._by_path = {row.legacy: row for row in table.fields}
        self._cache: dict[str, Provenance] = {}

    def of(self, pattern: str) -> Provenance:
        """The provenance of a legacy path in ``expense.toml`` syntax."""
        found = self._cache.get(pattern)
        if found is None:
            found = self._lookup(pattern)
            self._cache[pattern] = found
        return found

    def _lookup(self, pattern: str) -> Provenance:
        row = self._by_path.get(pattern)
        if row is not None:
            return Provenance(row.legacy, _source(row), row.kind, (row,))
        below = tuple(
            row
            for row in self._rows
            if row.legacy.startswith(f"{pattern}.") or row.legacy.startswith(f"{pattern}[].")
        )
        if not below:
            return Provenance(None, None, None, ())
        kinds = {row.kind for row in below}
        kind = kinds.pop() if len(kinds) == 1 else "mixed"
        return Provenance(pattern, _shared_source(below), kind, below)
