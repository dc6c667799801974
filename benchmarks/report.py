"""One row of the table, its formatting, and the table itself (text and JSON).

A row's ``met`` is the target's verdict on this run's figures: ``True`` met, ``False`` missed,
``None`` not judged (the row could not run; ``error`` says why). Numbers never fail anything:
the harness exits non-zero only when a row could not run at all.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "RowResult",
    "fmt_bytes",
    "fmt_int",
    "fmt_ms",
    "fmt_ratio",
    "fmt_us",
    "render_table",
    "write_json",
]

_COLUMNS = ("row", "figure", "server CPU", "reference (same run)", "ratio", "target", "result")


@dataclass
class RowResult:
    """What one row measured, formatted for the table, plus raw values for ``--json``."""

    name: str
    title: str
    figure: str = "-"
    cpu: str = "-"
    reference: str = "-"
    ratio: str = "-"
    target: str = "-"
    met: bool | None = None
    details: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def verdict(self) -> str:
        if self.error is not None:
            return "ERROR"
        return {True: "met", False: "missed", None: "-"}[self.met]


def fmt_int(value: float) -> str:
    return f"{value:,.0f}"


def fmt_us(seconds: float) -> str:
    """Seconds shown in microseconds, thousands separated."""
    return f"{seconds * 1e6:,.0f} us"


def fmt_ms(ms: float) -> str:
    return f"{ms:,.1f} ms" if ms >= 10 else f"{ms:.2f} ms"


def fmt_ratio(ratio: float) -> str:
    return f"{ratio:,.2f}x" if ratio < 100 else f"{ratio:,.0f}x"


def fmt_bytes(size: float) -> str:
    if abs(size) >= 1024 * 1024:
        return f"{size / 1024 / 1024:,.1f} MB"
    if abs(size) >= 1024:
        return f"{size / 1024:,.1f} KB"
    return f"{size:,.0f} B"


def render_table(rows: list[RowResult]) -> str:
    """The table (one line per row, aligned columns), then each row's details."""
    cells = [list(_COLUMNS)]
    cells += [[r.name, r.figure, r.cpu, r.reference, r.ratio, r.target, r.verdict] for r in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(_COLUMNS))]
    lines = []
    for number, line in enumerate(cells):
        lines.append(
            " | ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        )
        if number == 0:
            lines.append("-+-".join("-" * width for width in widths))
    lines.append("")
    for row in rows:
        lines.append(f"{row.name}: {row.title}")
        if row.error is not None:
            lines.append(f"    ERROR: {row.error}")
        lines += [f"    {detail}" for detail in row.details]
    return "\n".join(lines)


def write_json(path: Path, header: dict[str, Any], rows: list[RowResult]) -> None:
    document = {"run": header, "rows": [{**asdict(r), "result": r.verdict} for r in rows]}
    path.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
