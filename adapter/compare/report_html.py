"""The comparison as one self-contained HTML page a finance engineer can read without docs.

One file: inline CSS, no script, no image, no font or stylesheet from anywhere, so it opens
offline and can be attached to a ticket. Every value is escaped. Sections, in reading
order: the verdict, the summary table (``id="summary"``), what the four kinds mean,
differences per field, side-by-side examples of each unexplained field, expenses on one
side only, the expected gaps (the fields left empty and the fields the proxy infers, one
table each) and the noise.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime

from adapter.compare.engine import Comparison, Difference, DifferenceKind
from adapter.compare.html_values import show_value
from adapter.compare.report_style import STYLE
from adapter.compare.summary import FieldCounts, field_counts, totals

__all__ = ["render_html"]

_BAD = ' class="bad"'
_FAIL = ' class="fail"'
_NOT_IN_V3 = "not in the Export API"

_KINDS_EXPLAINED = (
    (
        DifferenceKind.UNEXPLAINED,
        "unexplained",
        "The translation shows a different value than the legacy API and nothing explains "
        "it. Investigate: the mapping row, its transform, or the data.",
    ),
    (
        DifferenceKind.PRESENCE,
        "presence",
        "The expense is listed on one side only. Counted with the unexplained.",
    ),
    (
        DifferenceKind.EXPECTED_GAP,
        "expected gap",
        "Pleo's Export API does not carry this field, so the translation cannot reproduce the "
        "legacy value: it leaves the field empty (mapping row 'unavailable') or, where Pleo's "
        "legacy document requires a value, infers one (mapping row marked 'inferred'). Known "
        "and accepted.",
    ),
    (
        DifferenceKind.NOISE,
        "noise",
        "The legacy API itself gave this field different values on two reads moments apart, "
        "so a difference here says nothing about the translation.",
    ),
)
_COLUMN_LABELS = ("Unexplained", "Presence", "Expected gaps", "Noise")
_COLUMNS = (
    DifferenceKind.UNEXPLAINED,
    DifferenceKind.PRESENCE,
    DifferenceKind.EXPECTED_GAP,
    DifferenceKind.NOISE,
)


def _e(text: object) -> str:
    return html.escape(str(text))


def _code(text: str | None, empty: str) -> str:
    return f"<code>{_e(text)}</code>" if text else f'<span class="absent">{_e(empty)}</span>'


def _verdict(comparison: Comparison, max_unexplained: int) -> str:
    t = totals(comparison)
    passed = t.failing <= max_unexplained
    label = "PASS" if passed else "FAIL"
    detail = (
        f"{t.failing} difference(s) need explaining ({t.unexplained} unexplained value(s), "
        f"{t.presence} expense(s) on one side only); this run allows {max_unexplained}."
    )
    return f'<div class="verdict {"pass" if passed else "fail"}">{label}: {_e(detail)}</div>'


def _summary(comparison: Comparison) -> str:
    t = totals(comparison)
    rows = (
        ("Expenses in the legacy API", t.legacy_count, False),
        ("Expenses in the translation", t.translated_count, False),
        ("Expenses compared field by field (on both sides)", t.compared, False),
        ("Unexplained differences", t.unexplained, t.unexplained > 0),
        ("Expenses on one side only (presence)", t.presence, t.presence > 0),
        ("Expected gaps (field not in the Export API)", t.expected_gaps, False),
        ("of which the proxy infers the value", t.inferred_gaps, False),
        ("Noise (legacy API disagrees with itself)", t.noise, False),
    )
    body = "".join(
        f'<tr{_BAD if bad else ""}><td>{_e(label)}</td><td class="n">{value}</td></tr>'
        for label, value, bad in rows
    )
    return (
        '<h2>Summary</h2><table id="summary"><thead><tr><th>What</th><th class="n">Count</th>'
        f"</tr></thead><tbody>{body}</tbody></table>"
    )


def _legend() -> str:
    items = "".join(
        f'<dt><span class="tag {kind.value}">{_e(label)}</span></dt><dd>{_e(text)}</dd>'
        for kind, label, text in _KINDS_EXPLAINED
    )
    return (
        "<h2>How to read this report</h2><p>Each expense the legacy API lists is matched by id "
        "with its translation and compared field by field. Money is compared at the "
        "currency's decimals (896.96 = 896.960), timestamps as instants (10:39:56Z = "
        "12:39:56+02:00), tags and receipts as sets (order does not matter). Every "
        f'difference is one of:</p><dl class="kinds">{items}</dl>'
    )


def _fields_table(fields: Sequence[FieldCounts]) -> str:
    if not fields:
        return '<h2 id="fields">Differences per field</h2><p>No differences at all.</p>'
    head = (
        "<tr><th>Legacy field</th><th>Mapping row (kind)</th><th>Export API source</th>"
        + "".join(f'<th class="n">{_e(label)}</th>' for label in _COLUMN_LABELS)
        + "</tr>"
    )
    rows = []
    for field in fields:
        kind = f" ({_e(field.row_kind)})" if field.row_kind else ""
        counts = "".join(
            f'<td class="n{"" if field.counts[k] else " zero"}">{field.counts[k]}</td>'
            for k in _COLUMNS
        )
        rows.append(
            f"<tr{_FAIL if field.failing else ''}><td><code>{_e(field.pattern)}</code></td>"
            f"<td>{_code(field.mapping_row, 'no mapping row')}{kind}</td>"
            f"<td>{_code(field.source_path, _NOT_IN_V3)}</td>{counts}</tr>"
        )
    return (
        '<h2 id="fields">Differences per field</h2>'
        f"<table><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _provenance(field: FieldCounts) -> str:
    kind = f" ({_e(field.row_kind)})" if field.row_kind else ""
    note = f' <span class="why">{_e(field.note)}</span>' if field.note else ""
    return (
        f"<p>Mapping row {_code(field.mapping_row, 'none')}{kind}, "
        f"Export API source {_code(field.source_path, _NOT_IN_V3)}.{note}</p>"
    )


def _side_by_side(differences: Sequence[Difference], limit: int) -> str:
    rows = "".join(
        f'<tr><td class="id">{_e(d.expense_id)}<br><span class="field">{_e(d.field)}</span></td>'
        f'<td class="legacy">{show_value(d.legacy)}</td>'
        f'<td class="translated">{show_value(d.translated)}</td>'
        f'<td class="hint {d.kind.value}">{_e(d.hint or "")}</td></tr>'
        for d in differences[:limit]
    )
    more = ""
    if len(differences) > limit:
        more = (
            f'<p class="more">… and {len(differences) - limit} more of this field '
            "(every one is in the JSON report).</p>"
        )
    return (
        '<table class="side"><colgroup><col class="c-id"><col class="c-val"><col class="c-val">'
        '<col class="c-hint"></colgroup><thead><tr><th>Expense and field</th><th>Legacy API</th>'
        f"<th>Translation</th><th>Note</th></tr></thead><tbody>{rows}</tbody></table>{more}"
    )


def _examples(
    anchor: str, title: str, intro: str, fields: Sequence[FieldCounts], kind: DifferenceKind
) -> str:
    parts = [f'<h2 id="{anchor}">{_e(title)}</h2><p>{_e(intro)}</p>']
    for field in fields:
        differences = [d for d in field.examples if d.kind is kind]
        if differences:
            parts.append(
                f'<h3>{_e(field.pattern)} <span class="more">({len(differences)})</span></h3>'
                + _provenance(field)
                + _side_by_side(differences, 20 if kind is DifferenceKind.PRESENCE else 5)
            )
    if len(parts) == 1:
        parts.append("<p>None.</p>")
    return "".join(parts)


_GAP_TABLES = {
    False: (
        "gaps",
        "Expected gaps: left empty",
        "Fields Pleo's Export API does not carry (mapping row 'unavailable'): the translation "
        "sends null where the legacy API had a value. Accepted; listed so nobody relies on "
        "them by mistake.",
    ),
    True: (
        "inferred",
        "Expected gaps: inferred by the proxy",
        "Fields Pleo's Export API does not carry but the legacy document requires: the proxy "
        "infers them as the mapping row's note says. Where the legacy API knew better they "
        "differ. Accepted; listed so nobody relies on them by mistake.",
    ),
}


def _gaps(fields: Sequence[FieldCounts], *, inferred: bool) -> str:
    """The expected gaps left empty, or those the proxy infers: field, count, why, example."""
    anchor, title, intro = _GAP_TABLES[inferred]
    rows = []
    for field in fields:
        found = [
            d
            for d in field.examples
            if d.kind is DifferenceKind.EXPECTED_GAP and d.inferred is inferred
        ]
        if found:
            example = found[0]
            rows.append(
                f"<tr><td><code>{_e(field.pattern)}</code></td>"
                f'<td class="n">{len(found)}</td><td class="why">{_e(field.note)}</td>'
                f'<td class="mono">{_e(example.expense_id)}<br>{show_value(example.legacy)} '
                f"→ {show_value(example.translated)}</td></tr>"
            )
    heading = f'<h2 id="{anchor}">{_e(title)}</h2><p>{_e(intro)}</p>'
    if not rows:
        return f"{heading}<p>None.</p>"
    return (
        f'{heading}<table class="gaps"><thead><tr>'
        '<th>Legacy field</th><th class="n">Differences</th><th>Why (mapping row note)</th>'
        "<th>Example: legacy → translation</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def render_html(
    comparison: Comparison,
    *,
    company_id: str,
    statuses: Sequence[str],
    generated_at: datetime,
    max_unexplained: int,
) -> str:
    """The report as one HTML document (a string), with nothing to fetch."""
    fields = field_counts(comparison)
    status_text = ", ".join(statuses) if statuses else "every status"
    when = generated_at.strftime("%Y-%m-%d %H:%M:%S %Z").strip()
    body = "".join(
        [
            "<header><h1>Legacy Expenses API compared with the Export API translation</h1>",
            f'<p class="meta">Company <code>{_e(company_id)}</code> · expenses with status '
            f"{_e(status_text)} · generated {_e(when)}</p></header>",
            _verdict(comparison, max_unexplained),
            _summary(comparison),
            _legend(),
            _fields_table(fields),
            _examples(
                "unexplained",
                "Unexplained differences, side by side",
                "Each field that disagrees, the mapping row that produced the translated "
                "value, and up to 5 examples.",
                [f for f in fields if f.pattern != "id"],
                DifferenceKind.UNEXPLAINED,
            ),
            _examples(
                "presence",
                "Expenses on one side only",
                "Listed by the legacy API but missing from the translation, or the other way.",
                fields,
                DifferenceKind.PRESENCE,
            ),
            _gaps(fields, inferred=False),
            _gaps(fields, inferred=True),
            _examples(
                "noise",
                "Noise",
                "Fields the legacy API itself changed between two reads; not held against "
                "the translation.",
                fields,
                DifferenceKind.NOISE,
            ),
            "<footer>Made by <code>pleo-export-adapter compare</code>. Equivalence rules: "
            "<code>mappings/equivalence.toml</code>; mapping rows: "
            "<code>mappings/expense.toml</code>. The JSON report (<code>--json</code>) lists "
            "every difference.</footer>",
        ]
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(f'Legacy API vs translation: company {company_id}')}</title>"
        f"<style>{STYLE}</style></head><body>{body}</body></html>\n"
    )
