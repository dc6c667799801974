"""Side by side: Pleo's legacy API against the proxy's translation of the Export API.

Pure functions over two lists of legacy Expense JSON objects (:func:`compare_expenses`),
with the equivalence rules as data (``mappings/equivalence.toml``, :mod:`.rules`), the A/A
noise pass (:func:`noise_keys`), provenance from the mapping table (:mod:`.provenance`) and
two reports (:mod:`.report_json`, :mod:`.report_html`). The two read-only sources
(:mod:`.sources`) and ``pleo-export-adapter compare`` (:mod:`adapter.cli.compare`) do the I/O.
"""

from __future__ import annotations

from adapter.compare.engine import Comparison, Difference, DifferenceKind, compare_expenses
from adapter.compare.noise import noise_keys
from adapter.compare.rules import EquivalenceRules, check_rules, load_equivalence_rules

__all__ = [
    "Comparison",
    "Difference",
    "DifferenceKind",
    "EquivalenceRules",
    "check_rules",
    "compare_expenses",
    "load_equivalence_rules",
    "noise_keys",
]
