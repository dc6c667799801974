"""What ``pleo-export-adapter compare`` shows on the terminal: progress and the summary.

The progress bars go to stderr and only when stderr is a terminal, so CI logs and pipes get
the summary alone. The summary goes to stdout: the counts table, then every field with
unexplained differences, its mapping row, its v3 source and one example.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from adapter.compare.engine import Comparison, DifferenceKind
from adapter.compare.sources import ProgressCallback
from adapter.compare.summary import field_counts, totals
from adapter.compare.walk import is_missing

__all__ = ["ProgressBars", "print_summary", "progress_bars"]

_MAX_FIELDS_SHOWN = 20
_FAILING = (DifferenceKind.UNEXPLAINED, DifferenceKind.PRESENCE)


class ProgressBars:
    """One bar per read; :meth:`callback` gives a source its ``on_progress``."""

    def __init__(self, progress: Progress | None) -> None:
        self._progress = progress

    def callback(self, label: str) -> ProgressCallback | None:
        progress = self._progress
        if progress is None:
            return None
        task = progress.add_task(label, total=None)

        def update(done: int, total: int | None) -> None:
            progress.update(task, completed=done, total=total)

        return update


@contextmanager
def progress_bars(stream: TextIO | None = None) -> Iterator[ProgressBars]:
    """Bars on ``stream`` (default stderr) when it is a terminal, else nothing at all."""
    stream = sys.stderr if stream is None else stream
    if not stream.isatty():
        yield ProgressBars(None)
        return
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(file=stream),
        transient=True,
    )
    with progress:
        yield ProgressBars(progress)


def _short(value: object) -> str:
    if is_missing(value):
        return "(no key)"
    text = "null" if value is None else str(value)
    return text if len(text) <= 60 else text[:59] + "…"


def print_summary(
    comparison: Comparison,
    *,
    company_id: str,
    statuses: list[str],
    max_unexplained: int,
    out: TextIO | None = None,
) -> None:
    """The counts, the verdict and the failing fields, as text tables."""
    console = Console(file=sys.stdout if out is None else out, highlight=False, soft_wrap=True)
    t = totals(comparison)
    scope = ", ".join(statuses) if statuses else "every status"
    console.print(f"Legacy API vs translation: company {company_id}, {scope}")
    table = Table(show_header=True, header_style="bold")
    for column in ("compared", "unexplained", "presence", "expected gaps", "noise"):
        table.add_column(column, justify="right")
    table.add_row(
        str(t.compared), str(t.unexplained), str(t.presence), str(t.expected_gaps), str(t.noise)
    )
    console.print(table)
    failing = [f for f in field_counts(comparison) if f.failing]
    if failing:
        console.print(
            "Unexplained differences by field (legacy field: count, mapping row <- v3 source):"
        )
    for field in failing[:_MAX_FIELDS_SHOWN]:
        row = f"{field.mapping_row or '(no mapping row)'} ({field.row_kind or '-'})"
        console.print(f"  {field.pattern}: {field.failing}, {row} <- {field.source_path or '-'}")
        example = next(d for d in field.examples if d.kind in _FAILING)
        if example.kind is DifferenceKind.PRESENCE:
            shown = f"{example.expense_id} {example.hint}"
        else:
            legacy, translated = _short(example.legacy), _short(example.translated)
            shown = (
                f"{example.expense_id} {example.field}: legacy {legacy}, translated {translated}"
            )
            if example.hint:
                shown += f" ({example.hint})"
        console.print(f"      e.g. {shown}")
    if len(failing) > _MAX_FIELDS_SHOWN:
        console.print(f"  ... and {len(failing) - _MAX_FIELDS_SHOWN} more fields")
    verdict = "PASS" if t.failing <= max_unexplained else "FAIL"
    console.print(
        f"{verdict}: {t.failing} unexplained (presence included), at most {max_unexplained} allowed"
    )
