"""The HTML report's stylesheet, inline in the page: no font, image or sheet is fetched."""

from __future__ import annotations

__all__ = ["STYLE"]

STYLE = """
:root { --ink:#1f2933; --muted:#616e7c; --line:#d9e2ec; --bad:#b42318; --bad-bg:#fef3f2;
  --ok:#067647; --ok-bg:#ecfdf3; --gap-bg:#f0f4f8; --noise-bg:#fffaeb; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--ink); margin: 0 auto; max-width: 1240px; padding: 24px 28px 48px; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 19px; margin: 32px 0 8px;
  border-bottom: 2px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 16px; margin: 22px 0 4px; font-family: ui-monospace, Menlo, Consolas, monospace; }
p { margin: 4px 0 10px; } .meta, .why { color: var(--muted); }
code, .mono { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 13px; }
.verdict { margin: 16px 0; padding: 12px 16px; border-radius: 6px; font-size: 18px;
  font-weight: 600; }
.verdict.pass { background: var(--ok-bg); color: var(--ok); border: 1px solid #abefc6; }
.verdict.fail { background: var(--bad-bg); color: var(--bad); border: 1px solid #fecdca; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; }
th, td { border: 1px solid var(--line); padding: 6px 9px; text-align: left; vertical-align: top; }
th { background: #f5f7fa; font-weight: 600; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; width: 8em; }
#summary { width: auto; min-width: 560px; } #summary td:first-child { width: 26em; }
#summary tr.bad td { background: var(--bad-bg); color: var(--bad); font-weight: 600; }
tr.fail td:first-child { border-left: 4px solid var(--bad); }
td.zero { color: #9aa5b1; }
table.side { table-layout: fixed; } .side col.c-id { width: 24%; }
.side col.c-val { width: 29%; } .side col.c-hint { width: 18%; }
.side td.legacy { background: #f8fafc; } .side td.translated { background: #fbfbf3; }
.side td { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 13px;
  overflow-wrap: anywhere; }
.side td.id { color: var(--muted); } .side td.id .field { color: var(--ink); }
.side td.hint { font-family: inherit; color: var(--muted); font-size: 13px; }
.side td.hint.unexplained, .side td.hint.presence { color: var(--bad); }
.gaps td.why { color: var(--muted); font-size: 13px; } .gaps td.mono { font-size: 12px;
  font-family: ui-monospace, Menlo, Consolas, monospace; overflow-wrap: anywhere; }
.absent { color: #9aa5b1; font-style: italic; } .cur { color: var(--muted); }
.utc { color: var(--muted); font-size: 12px; }
.kinds { display: grid; grid-template-columns: 11em 1fr; gap: 4px 14px; margin: 8px 0; }
.kinds dt { font-weight: 600; } .kinds dd { margin: 0; }
.tag { display: inline-block; padding: 0 7px; border-radius: 10px; font-size: 12px;
  font-weight: 600; }
.tag.unexplained, .tag.presence { background: var(--bad-bg); color: var(--bad); }
.tag.expected_gap { background: var(--gap-bg); color: #334e68; }
.tag.noise { background: var(--noise-bg); color: #93370d; }
.more { color: var(--muted); font-size: 13px; }
footer { margin-top: 36px; color: var(--muted); font-size: 13px; }
"""
