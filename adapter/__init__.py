"""Pleo export adapter: Pleo's legacy Expenses API served over the Export API v3.

The public pieces live in their packages (``adapter.app.create_app``, ``adapter.settings``,
``adapter.cli``); importing this package loads nothing else.
"""

from importlib import metadata

__all__ = ["__version__"]

try:
    __version__ = metadata.version("pleo-export-adapter")
except metadata.PackageNotFoundError:  # pragma: no cover - a tree never installed
    __version__ = "0+unknown"
