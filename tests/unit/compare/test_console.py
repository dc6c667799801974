"""Progress bars appear only on a terminal; the summary names each failing field's row."""

from __future__ import annotations

import io
from typing import Any

from adapter.cli.compare_console import print_summary, progress_bars
from adapter.compare import EquivalenceRules, compare_expenses
from adapter.mapping import MappingTable


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_no_bars_when_stderr_is_not_a_terminal() -> None:
    """Piped or in CI, a source gets no progress callback and nothing is written."""
    stream = io.StringIO()
    with progress_bars(stream) as bars:
        assert bars.callback("legacy API, read 1") is None
    assert stream.getvalue() == ""


def test_bars_on_a_terminal_follow_the_reads() -> None:
    """On a terminal each read gets a bar that its progress callback moves."""
    stream = _Terminal()
    with progress_bars(stream) as bars:
        update = bars.callback("legacy API, read 1")
        assert update is not None
        update(250, 500)
        update(500, 500)
    assert "legacy API, read 1" in stream.getvalue()


def test_the_summary_lists_failing_fields_with_row_and_source(
    table: MappingTable, rules: EquivalenceRules, pair: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    """Each failing field is printed with its count, mapping row, source and one example."""
    legacy, translated = pair
    legacy["employeeId"] = "someone-else"
    comparison = compare_expenses(
        [legacy, {**legacy, "id": "extra"}], [translated], table=table, rules=rules
    )
    out = io.StringIO()
    print_summary(comparison, company_id="c-1", statuses=[], max_unexplained=5, out=out)
    text = out.getvalue()
    assert "company c-1, every status" in text
    assert "employeeId: 1, employeeId (direct) <- user.id" in text
    assert "legacy someone-else, translated" in text
    assert "extra only in the legacy API" in text
    assert "PASS: 2 unexplained (presence included), at most 5 allowed" in text
