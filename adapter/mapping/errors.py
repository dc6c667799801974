"""The two errors of the mapping: a table that cannot work, and an item it cannot translate."""

from __future__ import annotations

from dataclasses import dataclass

from adapter.errors import AdapterError, ConfigurationError

__all__ = ["MappingError", "MappingTableError", "TableProblem"]


@dataclass(frozen=True, slots=True)
class TableProblem:
    """One thing wrong with the tables: which file, which row (None: the file itself), why."""

    file: str
    row: str | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.row is None else f"{self.file} row {self.row!r}"
        return f"{where}: {self.message}"


class MappingTableError(ConfigurationError):
    """The mapping tables failed validation; start-up stops and every problem is listed."""

    error_type = "MAPPING_TABLE_ERROR"

    def __init__(self, problems: list[TableProblem]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"the mapping tables have {len(self.problems)} problem(s):\n{lines}")


class MappingError(AdapterError):
    """An Export Item (or item status) the table cannot translate: the one error an item raises."""

    status_code = 502
    error_type = "MAPPING_ERROR"

    def __init__(
        self, message: str, *, accounting_entry_id: str | None = None, field: str | None = None
    ) -> None:
        super().__init__(message)
        self.accounting_entry_id = accounting_entry_id
        self.field = field
