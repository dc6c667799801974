"""The `pleo-export-adapter` command line: one subcommand per operator task.

Each subcommand lives beside the code it drives and registers itself through an
``add_parser(subparsers)`` function, so this module only assembles them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from adapter import cli_demo, cli_serve
from adapter.mapping import cli as mapping_cli
from adapter.sandbox import cli as sandbox_cli


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pleo-export-adapter",
        description=(
            "Serve Pleo's legacy /v1/expenses interface on top of the Export API v3, "
            "or run the embedded Pleo sandbox."
        ),
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    cli_serve.add_parser(subparsers)
    sandbox_cli.add_parser(subparsers)
    cli_demo.add_parser(subparsers)
    mapping_cli.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
