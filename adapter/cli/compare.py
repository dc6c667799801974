"""``pleo-export-adapter compare``: the legacy API against the translation, for CI.

Reads a company's expenses from Pleo's legacy API twice (the A/A pass that finds noise) and
its translated view from the Export API once, between the two legacy reads; compares them
with :mod:`adapter.compare`; prints a summary; writes ``--json`` / ``--html`` reports.
Read-only on both sides: only ``GET`` requests are sent.

Settings come from the environment like ``serve`` (``ADAPTER_LEGACY_API_URL`` must be set;
``ADAPTER_EXPORT_API_URL``, timeouts and ``ADAPTER_MAPPINGS_DIR`` as usual); credentials
come from the environment only, never from the command line: ``PLEO_LEGACY_TOKEN`` (the
legacy bearer token) and ``PLEO_API_KEY`` or ``PLEO_BEARER_TOKEN`` (v3).

Exit codes: 0 when the unexplained differences (presence included) are at most
``--max-unexplained``; 1 when there are more; 2 on a usage, configuration or upstream error,
with one line on stderr saying which.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from adapter.cli.compare_console import ProgressBars, print_summary, progress_bars
from adapter.compare.engine import Comparison, compare_expenses
from adapter.compare.legacy_source import LegacyApiSource
from adapter.compare.noise import noise_keys
from adapter.compare.report_html import render_html
from adapter.compare.report_json import render_json
from adapter.compare.rules import EquivalenceRules, load_equivalence_rules
from adapter.compare.translated_source import ExportApiSource
from adapter.errors import ConfigurationError, MappingTableError, UpstreamError
from adapter.export.client import ExportClient, build_http_client
from adapter.legacy.models import LegacyStatus
from adapter.mapping import MappingTable, load_mapping_table
from adapter.settings import Settings, load_settings
from adapter.tenancy import UpstreamCredential

__all__ = ["add_parser", "run"]

_PROG = "pleo-export-adapter compare"
_LEGACY_URL = "ADAPTER_LEGACY_API_URL"


def _count(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        msg = f"must be a whole number of at least 0, not {raw!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``compare`` subcommand."""
    parser = subparsers.add_parser(
        "compare",
        help="compare Pleo's legacy API with the translation of the Export API (read-only)",
        description=(
            "Read a company's expenses from Pleo's legacy API (twice, to find noise) and from "
            "the Export API translated by the mapping table, compare them field by field and "
            "report. Only GET requests are sent. Credentials from the environment: "
            "PLEO_LEGACY_TOKEN, and PLEO_API_KEY or PLEO_BEARER_TOKEN. Exit 0: unexplained "
            "differences within --max-unexplained; 1: more; 2: usage, configuration or "
            "upstream error."
        ),
    )
    parser.add_argument("--company-id", required=True, metavar="ID", help="the company")
    parser.add_argument(
        "--status",
        action="append",
        default=[],
        metavar="STATUS",
        help="legacy status to compare (repeat or comma-separate; default: every status)",
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="write the JSON report here")
    parser.add_argument("--html", type=Path, metavar="PATH", help="write the HTML report here")
    parser.add_argument(
        "--max-unexplained",
        type=_count,
        default=0,
        metavar="N",
        help="unexplained differences (presence included) allowed before exit 1 (default: 0)",
    )
    parser.add_argument(
        "--jobs",
        choices=("current", "eligible"),
        default="eligible",
        help="translated view: every pending and started job (default; the legacy API lists "
        "their expenses together), or only the one job the proxy serves now",
    )
    parser.set_defaults(func=run)


@dataclass(frozen=True, slots=True)
class _Config:
    settings: Settings
    legacy_url: str
    legacy_token: str
    credential: UpstreamCredential
    table: MappingTable
    rules: EquivalenceRules


def _statuses(raw: list[str]) -> list[str]:
    statuses = [part.strip() for value in raw for part in value.split(",") if part.strip()]
    known = [status.value for status in LegacyStatus]
    for status in statuses:
        if status not in known:
            msg = f"unknown --status {status!r} (known: {', '.join(known)})"
            raise ConfigurationError(msg)
    return list(dict.fromkeys(statuses))


def _config(environ: Mapping[str, str]) -> _Config:
    settings = load_settings()
    if settings.legacy_api_url is None:
        msg = f"set {_LEGACY_URL} to the legacy API origin, e.g. https://openapi.pleo.io"
        raise ConfigurationError(msg)
    token = environ.get("PLEO_LEGACY_TOKEN", "")
    if not token:
        msg = "set PLEO_LEGACY_TOKEN to the legacy API token (never on the command line)"
        raise ConfigurationError(msg)
    api_key, bearer = environ.get("PLEO_API_KEY", ""), environ.get("PLEO_BEARER_TOKEN", "")
    if bool(api_key) == bool(bearer):
        msg = "set exactly one of PLEO_API_KEY or PLEO_BEARER_TOKEN (the v3 credential)"
        raise ConfigurationError(msg)
    if api_key:
        credential = UpstreamCredential.api_key(api_key)
    else:
        credential = UpstreamCredential.bearer(bearer)
    try:
        table = load_mapping_table(settings.mappings_dir)
        rules = load_equivalence_rules(settings.mappings_dir)
    except MappingTableError as exc:
        first = exc.problems[0] if exc.problems else "unknown problem"
        msg = f"{len(exc.problems)} problem(s) in the mapping tables, first: {first}"
        raise ConfigurationError(msg) from None
    return _Config(settings, settings.legacy_api_url, token, credential, table, rules)


async def _compare(
    config: _Config, company_id: str, statuses: list[str], jobs: str, bars: ProgressBars
) -> Comparison:
    settings = config.settings
    async with build_http_client(
        timeout_seconds=settings.upstream_timeout_seconds,
        max_connections=settings.upstream_max_connections,
    ) as http:

        def legacy(label: str) -> LegacyApiSource:
            return LegacyApiSource(
                http,
                base_url=config.legacy_url,
                token=config.legacy_token,
                on_progress=bars.callback(label),
            )

        translated = ExportApiSource(
            ExportClient(
                http,
                base_url=settings.export_api_url,
                max_in_flight=settings.upstream_max_in_flight,
            ),
            config.table,
            credential=config.credential,
            company_id=company_id,
            jobs="eligible" if jobs == "eligible" else "current",
            on_progress=bars.callback("translation (Export API)"),
        )
        # The translated read sits between the two legacy reads, so whatever moves in the
        # legacy API while it runs shows up as noise.
        first = await legacy("legacy API, read 1").read_all(statuses)
        mapped = await translated.read_all(statuses)
        second = await legacy("legacy API, read 2").read_all(statuses)
    noise = noise_keys(first, second, rules=config.rules, currencies=config.table.currencies)
    hints = {
        expense_id: f"the Export Item cannot be translated: {reason}"
        for expense_id, reason in translated.untranslatable.items()
    }
    return compare_expenses(
        first, mapped, table=config.table, rules=config.rules, noise=noise, presence_hints=hints
    )


def _write_reports(
    args: argparse.Namespace, comparison: Comparison, statuses: list[str], generated_at: datetime
) -> None:
    if args.json is not None:
        document = render_json(
            comparison,
            company_id=args.company_id,
            statuses=statuses,
            generated_at=generated_at,
            max_unexplained=args.max_unexplained,
        )
        args.json.write_bytes(document)
    if args.html is not None:
        page = render_html(
            comparison,
            company_id=args.company_id,
            statuses=statuses,
            generated_at=generated_at,
            max_unexplained=args.max_unexplained,
        )
        args.html.write_text(page, encoding="utf-8")


def _fail(message: str) -> int:
    print(f"{_PROG}: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    """Compare, report, and return the exit code (0, 1 or 2)."""
    try:
        statuses = _statuses(args.status)
        config = _config(os.environ)
    except ConfigurationError as exc:
        return _fail(exc.message)
    try:
        with progress_bars() as bars:
            comparison = asyncio.run(_compare(config, args.company_id, statuses, args.jobs, bars))
    except (UpstreamError, ConfigurationError) as exc:
        return _fail(exc.message)
    generated_at = datetime.now(UTC)
    try:
        _write_reports(args, comparison, statuses, generated_at)
    except OSError as exc:
        return _fail(f"cannot write the report: {exc.strerror or type(exc).__name__}")
    print_summary(
        comparison,
        company_id=args.company_id,
        statuses=statuses,
        max_unexplained=args.max_unexplained,
    )
    return 0 if comparison.failing <= args.max_unexplained else 1
