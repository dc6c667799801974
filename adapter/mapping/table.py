"""Load the mapping tables (TOML), validate them against both models, compile them.

Validation collects every problem before failing, so one ``mappings check`` run lists them
all. Compilation turns the field rows into one generated ``build`` function once, at load
time, so mapping an item is attribute reads, transform calls and dict building.

The work is split by job: :mod:`~adapter.mapping.model` (the loaded tables),
:mod:`~adapter.mapping.reading` (TOML and the problems collector),
:mod:`~adapter.mapping.field_rows` (``expense.toml`` rows), :mod:`~adapter.mapping.compiler`
(the generated ``build`` function) and :mod:`~adapter.mapping.lookup_tables` (statuses, types,
currencies). This module holds the entry points and re-exports the loaded-table types.
"""

from __future__ import annotations

from pathlib import Path

from adapter.errors import MappingTableError
from adapter.mapping.compiler import compile_fields
from adapter.mapping.field_rows import FIELD_KINDS, parse_fields, parse_objects
from adapter.mapping.lookup_tables import (
    EXPORT_ITEM_TYPES_V3,
    parse_currencies,
    parse_statuses,
    parse_types,
)
from adapter.mapping.model import (
    Departure,
    FieldRow,
    MappingTable,
    ObjectRule,
    StatusRule,
    StatusTable,
    TableReport,
)
from adapter.mapping.reading import (
    CURRENCY_FILE,
    EXPENSE_FILE,
    STATUS_FILE,
    TYPES_FILE,
    Problems,
    read,
)
from adapter.mapping.transforms import TransformTables, TypeRow

__all__ = [
    "EXPORT_ITEM_TYPES_V3",
    "FIELD_KINDS",
    "Departure",
    "FieldRow",
    "MappingTable",
    "ObjectRule",
    "StatusRule",
    "StatusTable",
    "TableReport",
    "check_tables",
    "default_table_directory",
    "load_mapping_table",
]


# --- finding the tables ----------------------------------------------------------------------


def default_table_directory() -> Path:
    """The shipped tables: ``adapter/_mappings`` in a wheel, else ``<repo>/mappings``."""
    package = Path(__file__).resolve().parent.parent
    installed = package / "_mappings"
    if (installed / EXPENSE_FILE).is_file():
        return installed
    return package.parent / "mappings"


# --- entry points ----------------------------------------------------------------------------


def check_tables(directory: Path | None = None) -> TableReport:
    """Read and validate the tables in ``directory``; never raises for a bad table."""
    directory = default_table_directory() if directory is None else directory
    if directory.is_file():
        directory = directory.parent
    problems = Problems()
    expense_doc = read(directory, EXPENSE_FILE, problems)
    status_doc = read(directory, STATUS_FILE, problems)
    types_doc = read(directory, TYPES_FILE, problems)
    currency_doc = read(directory, CURRENCY_FILE, problems)
    fields = parse_fields(expense_doc, problems) if expense_doc is not None else []
    objects = parse_objects(expense_doc, problems) if expense_doc is not None else []
    statuses = parse_statuses(status_doc, problems) if status_doc is not None else None
    types = parse_types(types_doc, problems) if types_doc is not None else None
    currencies = parse_currencies(currency_doc, problems) if currency_doc is not None else None
    table = None
    if types is not None and currencies is not None and expense_doc is not None:
        compiled = compile_fields(fields, TransformTables(currencies, types), problems, objects)
        if not problems.items and statuses is not None:
            table = MappingTable(
                directory=directory,
                fields=tuple(fields),
                statuses=statuses,
                types=types,
                currencies=currencies,
                objects=tuple(objects),
                build=compiled.build,
                build_json=compiled.build_json,
                status_fields=compiled.status_fields,
            )
    departures = _departures(fields, objects, types.rows if types is not None else ())
    return TableReport(directory, tuple(fields), tuple(problems.items), table, departures)


def _departures(
    fields: list[FieldRow], objects: list[ObjectRule], type_rows: tuple[TypeRow, ...]
) -> tuple[Departure, ...]:
    """Every row that says it departs from the seed table, in file order."""
    found = [Departure(EXPENSE_FILE, f.legacy, f.departure) for f in fields if f.departure]
    found += [
        Departure(EXPENSE_FILE, f"objects {o.legacy}", o.departure) for o in objects if o.departure
    ]
    found += [
        Departure(
            TYPES_FILE,
            f"types {r.v3}" + (f" subType {r.sub_type}" if r.sub_type else ""),
            r.departure,
        )
        for r in type_rows
        if r.departure
    ]
    return tuple(found)


def load_mapping_table(directory: Path | None = None) -> MappingTable:
    """Load and validate the tables (default: the shipped ones); raise MappingTableError."""
    report = check_tables(directory)
    if report.table is None:
        raise MappingTableError(list(report.problems))
    return report.table
