"""The ``pleo-export-adapter`` command line: one module per subcommand, assembled here.

Each subcommand module has ``add_parser(subparsers)``, which registers it and sets ``func``.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from adapter.cli import compare, demo, mappings, sandbox, serve

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pleo-export-adapter",
        description=(
            "Serve Pleo's legacy /v1/expenses interface on top of the Export API v3, "
            "run the embedded Pleo sandbox, or compare the legacy API with the translation."
        ),
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in (serve, sandbox, demo, mappings, compare):
        command.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result
