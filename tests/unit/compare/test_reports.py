"""The JSON report has exactly the documented shape; the HTML report is self-contained."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import pytest

from adapter.compare import Comparison, EquivalenceRules, compare_expenses, noise_keys
from adapter.compare.report_html import render_html
from adapter.compare.report_json import render_json
from adapter.mapping import MappingTable
from tests.support.compare_scenario import realistic_scenario

WHEN = datetime(2026, 10, 10, 12, 0, tzinfo=UTC)
REQUIRED = {
    "expenseId",
    "field",
    "kind",
    "legacy",
    "translated",
    "mappingRow",
    "sourcePath",
}


@pytest.fixture(scope="module")
def comparison() -> Comparison:
    scenario = realistic_scenario(count=60)
    noise = noise_keys(
        scenario.first, scenario.second, rules=scenario.rules, currencies=scenario.table.currencies
    )
    return compare_expenses(
        scenario.first, scenario.translated, table=scenario.table, rules=scenario.rules, noise=noise
    )


def document(comparison: Comparison, max_unexplained: int = 0) -> dict[str, Any]:
    raw = render_json(
        comparison,
        company_id="c-1",
        statuses=["QUEUED"],
        generated_at=WHEN,
        max_unexplained=max_unexplained,
    )
    result: dict[str, Any] = json.loads(raw, parse_float=Decimal)
    return result


def test_json_report_has_the_documented_shape(comparison: Comparison) -> None:
    """companyId, summary with the six counts, and differences with the seven named keys."""
    doc = document(comparison)
    assert doc["companyId"] == "c-1"
    counts = {"compared", "unexplained", "expectedGaps", "inferredGaps", "noise", "presence"}
    assert counts <= set(doc["summary"])
    summary = doc["summary"]
    assert (summary["compared"], summary["unexplained"], summary["presence"]) == (60, 2, 1)
    assert summary["expectedGaps"] > 0
    assert summary["noise"] > 0
    kinds = {d["kind"] for d in doc["differences"]}
    assert kinds == {"unexplained", "expected_gap", "noise", "presence"}
    assert all(set(d) >= REQUIRED for d in doc["differences"])
    by_kind = {k: sum(d["kind"] == k for d in doc["differences"]) for k in kinds}
    assert by_kind == {
        "unexplained": summary["unexplained"],
        "expected_gap": summary["expectedGaps"],
        "noise": summary["noise"],
        "presence": summary["presence"],
    }
    assert doc["generatedAt"] == "2026-10-10T12:00:00Z"
    assert doc["passed"] is False


def test_json_report_keeps_money_exact_and_names_the_x100(comparison: Comparison) -> None:
    """The x100 difference carries exact amounts, its row, its source and the hint."""
    doc = document(comparison)
    [money] = [d for d in doc["differences"] if d["field"] == "amountSettled"]
    assert isinstance(money["legacy"]["value"], Decimal)
    assert money["translated"]["value"] == money["legacy"]["value"] * 100
    assert (money["mappingRow"], money["sourcePath"], money["rule"]) == (
        "amountSettled",
        "amount.inWalletCurrency",
        "money",
    )
    assert "100 x" in money["hint"]


def test_json_report_says_which_side_lacks_a_key(comparison: Comparison) -> None:
    """A presence difference is null on the missing side, and missingOn names that side."""
    doc = document(comparison)
    [presence] = [d for d in doc["differences"] if d["kind"] == "presence"]
    assert (presence["legacy"], presence["translated"], presence["missingOn"]) == (
        presence["expenseId"],
        None,
        "translated",
    )


def test_json_report_passes_within_the_allowance(comparison: Comparison) -> None:
    """passed follows --max-unexplained over unexplained plus presence."""
    assert document(comparison, max_unexplained=3)["passed"] is True
    assert document(comparison, max_unexplained=2)["passed"] is False


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def page(comparison: Comparison) -> str:
    return render_html(
        comparison, company_id="c-1", statuses=["QUEUED"], generated_at=WHEN, max_unexplained=0
    )


def test_html_report_fetches_nothing(comparison: Comparison) -> None:
    """No script, image, link, frame or URL: the page opens offline and runs no code."""
    html_text = page(comparison)
    parser = _Tags()
    parser.feed(html_text)
    names = {tag for tag, _ in parser.tags}
    assert not names & {"script", "img", "link", "iframe", "object", "embed", "base"}
    assert not any({"src", "href"} & set(attrs) for _, attrs in parser.tags)
    assert "url(" not in html_text
    assert "@import" not in html_text


def test_html_report_has_the_summary_and_every_section(comparison: Comparison) -> None:
    """The summary table, per-field counts, side-by-side examples, gaps, inferred fields and
    noise are there."""
    parser = _Tags()
    html_text = page(comparison)
    parser.feed(html_text)
    ids = {attrs.get("id") for _, attrs in parser.tags}
    assert {"summary", "fields", "unexplained", "presence", "gaps", "inferred", "noise"} <= ids
    assert "FAIL: 3 difference(s) need explaining" in html_text
    assert "translated is 100 x legacy" in html_text
    assert "amount.inWalletCurrency" in html_text


def test_html_report_escapes_every_value(
    table: MappingTable, rules: EquivalenceRules, pair: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    """A note holding markup is shown as text, never as markup."""
    legacy, translated = pair
    legacy["note"] = '<script>alert("x")</script><img src=x>'
    comparison = compare_expenses([legacy], [translated], table=table, rules=rules)
    html_text = render_html(
        comparison,
        company_id="<b>c</b>",
        statuses=[],
        generated_at=WHEN,
        max_unexplained=0,
    )
    assert "<script" not in html_text
    assert "<img" not in html_text
    assert "&lt;script&gt;" in html_text
    assert "&lt;b&gt;c&lt;/b&gt;" in html_text


def test_html_report_of_no_differences_says_pass(
    table: MappingTable, rules: EquivalenceRules, pair: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    """With nothing to explain the verdict is PASS and each section says so."""
    legacy, translated = pair
    comparison = compare_expenses([legacy], [translated], table=table, rules=rules)
    html_text = page(comparison)
    assert "PASS: 0 difference(s) need explaining" in html_text
    assert "No differences at all." in html_text
