"""Micro benchmark of the mapping: 10,000 varied Export Items -> legacy Expense JSON, one core.

Run: ``python -m benchmarks.bench_mapping`` (``--items N``, ``--runs R``, ``--json`` for the
harness); see benchmarks/README.md for what is measured.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import orjson

from adapter import jsonio
from adapter.export.models import ExportItemV3
from adapter.mapping import load_mapping_table, to_expense, to_expense_json

N_ITEMS = 10_000
RUNS = 7
TYPES = ["card_purchase", "out_of_pocket", "invoice", "fee", "mileage", "overdraft"]
CURRENCIES = ["SEK", "EUR", "JPY", "BHD", "GBP", "DKK"]
ITEM_STATUSES = ["pending", "in_progress", "successful", "failed", "abandoned", None]


def _money(rng: random.Random, currency: str) -> dict[str, Any]:
    return {"currency": currency, "value": rng.randint(-50_000, 5_000_000)}


def _amount(rng: random.Random, supplier: str, wallet: str) -> dict[str, Any]:
    return {"inSupplierCurrency": _money(rng, supplier), "inWalletCurrency": _money(rng, wallet)}


def make_item(rng: random.Random, n: int) -> dict[str, Any]:
    """One deterministic, varied Export Item as wire JSON (0-4 lines, optional blocks)."""
    supplier, wallet = rng.choice(CURRENCIES), rng.choice(CURRENCIES)
    tag_pool = [{"id": f"tag-{i}", "code": f"T{i}", "groupCode": f"G{i % 3}"} for i in range(6)]
    lines = []
    for j in range(rng.randint(0, 4)):
        lines.append(
            {
                "accountingEntryLineId": f"line-{n}-{j}",
                "lineAmount": _amount(rng, supplier, wallet),
                "netAmount": _amount(rng, supplier, wallet),
                "account": rng.choice([None, {"id": f"acc-{rng.randint(1, 3)}", "name": "A"}]),
                "tax": rng.choice(
                    [
                        None,
                        {
                            "id": "tax-1",
                            "rate": "0.25",
                            "type": "inclusive",
                            "amount": _amount(rng, supplier, wallet),
                        },
                    ]
                ),
                "tags": rng.sample(tag_pool, rng.randint(0, 3)),
            }
        )
    person = {"id": f"user-{n % 50}", "name": "U", "code": rng.choice([None, "E1"])}
    return {
        "accountingEntryId": f"00000000-0000-0000-0000-{n:012d}",
        "companyId": "company-1",
        "type": rng.choice(TYPES),
        "date": "2025-12-10T15:46:34Z",
        "note": rng.choice([None, "Printer ink"]),
        "amount": _amount(rng, supplier, wallet),
        "accountingEntryLines": lines,
        "additionalInformation": {
            "reconciliationId": f"rec-{n}",
            "reconciledEntries": rng.choice([None, [], ["r1", "r2"]]),
        },
        "files": rng.choice(
            [None, [{"url": f"https://files.example/r/{n}.pdf?sig=abc", "type": "pdf", "size": 1}]]
        ),
        "supplier": rng.choice([None, {"name": "Target", "taxIdentifier": "GB123"}]),
        "team": rng.choice([None, {"id": "team-1", "name": "Ops"}]),
        "user": rng.choice([None, person]),
        "vendor": rng.choice([None, {"id": "v-1", "name": "Target", "defaultCurrency": "GBP"}]),
    }


def _time(fn: Callable[[], object], runs: int) -> tuple[list[float], list[float]]:
    """Wall and CPU (this process) seconds of each of ``runs`` calls."""
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    return walls, cpus


def measure(n_items: int = N_ITEMS, runs: int = RUNS) -> dict[str, float]:
    """Median wall and CPU microseconds per item of each step, keyed ``<step>_us``/``_cpu_us``."""
    rng = random.Random(20260101)
    raw = [make_item(rng, n) for n in range(n_items)]
    payloads = [orjson.dumps(item) for item in raw]
    statuses = [ITEM_STATUSES[n % len(ITEM_STATUSES)] for n in range(n_items)]
    items = [ExportItemV3.model_validate_json(p) for p in payloads]
    table = load_mapping_table()
    pairs = list(zip(items, statuses, strict=True))

    def fast_all() -> None:
        for item, status in pairs:
            to_expense_json(table, item, status)

    def map_all() -> None:
        for item, status in pairs:
            to_expense(table, item, status)

    def encode_all() -> None:
        for item, status in pairs:
            jsonio.dumps(to_expense(table, item, status).model_dump())

    def validate_all() -> None:
        for payload in payloads:
            ExportItemV3.model_validate_json(payload)

    def both() -> None:
        for payload, status in zip(payloads, statuses, strict=True):
            to_expense_json(table, ExportItemV3.model_validate_json(payload), status)

    figures: dict[str, float] = {"items": n_items, "runs": runs}
    steps = (
        ("fast", fast_all),
        ("to_expense", map_all),
        ("validated_json", encode_all),
        ("validate", validate_all),
        ("both", both),
    )
    for key, fn in steps:
        walls, cpus = _time(fn, runs)
        figures[f"{key}_us"] = statistics.median(walls) / n_items * 1e6
        figures[f"{key}_cpu_us"] = statistics.median(cpus) / n_items * 1e6
    return figures


LABELS = {
    "fast": "to_expense_json (the proxy's path)",
    "to_expense": "to_expense (validated Expense out)",
    "validated_json": "to_expense + model_dump + jsonio.dumps",
    "validate": "ExportItemV3.model_validate_json",
    "both": "JSON bytes -> Expense JSON (fast path)",
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--items", type=int, default=N_ITEMS)
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    args = parser.parse_args(argv)
    figures = measure(args.items, args.runs)
    if args.json:
        print(json.dumps(figures))
        return 0
    print(
        f"python {sys.version.split()[0]}, {args.items} items, median of {args.runs} runs, one core"
    )
    for key, label in LABELS.items():
        print(f"  {label:<40} {figures[key + '_us']:6.2f} us/item")
    return 0


if __name__ == "__main__":
    sys.exit(main())
