"""``python -m adapter``: the same command line as ``pleo-export-adapter``."""

from __future__ import annotations

import sys

from adapter.cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
