"""Behaviour of the seeded dataset: variety, coverage and determinism."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from adapter.sandbox import SandboxConfig
from adapter.sandbox.companies import build_companies
from adapter.sandbox.dataset import EntryFactory
from adapter.sandbox.reference import CURRENCY_EXPONENTS, ITEM_TYPES
from adapter.sandbox.state import SandboxState
from tests.support.sandbox import START


def _state(**overrides: Any) -> SandboxState:
    settings: dict[str, Any] = {"seed": 7, "start_time": START, "clock_follows_real_time": False}
    settings.update(overrides)
    return SandboxState(SandboxConfig(**settings))


def test_default_dataset_covers_every_item_type_and_currency_exponent():
    """Seeded jobs contain every ExportItemTypeV3 value and currencies of exponent 0, 2 and 3."""
    state = _state()
    in_jobs = [state.entries[entry_id] for job in state.jobs.values() for entry_id in job.items]
    assert {entry.item["type"] for entry in in_jobs} == set(ITEM_TYPES)
    supplier = {entry.item["amount"]["inSupplierCurrency"]["currency"] for entry in in_jobs}
    wallet = {entry.item["amount"]["inWalletCurrency"]["currency"] for entry in in_jobs}
    assert supplier >= {"SEK", "DKK", "EUR", "GBP", "USD", "NOK", "JPY", "BHD"}
    assert {CURRENCY_EXPONENTS[currency] for currency in wallet} == {0, 2, 3}


def test_default_dataset_has_the_optional_blocks_in_every_variant():
    """Lines, tags, users, suppliers, files, reconciliation and invoices vary across entries."""
    state = _state()
    items = [entry.item for entry in state.entries.values()]
    lines = [line for item in items for line in item["accountingEntryLines"]]
    assert Counter(len(item["accountingEntryLines"]) for item in items).keys() >= {1, 2, 3}
    assert any(line["account"] is None for line in lines)
    assert any(line["tax"] is None for line in lines)
    assert any(line["tags"] is None for line in lines)
    assert any(len(line["tags"] or []) > 0 for line in lines)
    assert any(item["user"] is None for item in items)
    assert any(item["team"] is None for item in items)
    assert any("supplier" not in item for item in items)
    assert any("files" not in item for item in items)
    assert any(item.get("files") for item in items)
    assert any(
        item["amount"]["inSupplierCurrency"]["currency"]
        != item["amount"]["inWalletCurrency"]["currency"]
        for item in items
    )
    assert any("reconciledEntries" in item["additionalInformation"] for item in items)
    invoices = [item for item in items if item["type"] in ("invoice", "card_invoice")]
    assert invoices
    assert all("invoiceInformation" in item["additionalInformation"] for item in invoices)
    assert any(entry.vendor for entry in state.entries.values())


def test_jobs_are_strictly_ordered_and_vendor_bookkeeping_varies():
    """Seeded jobs have strictly increasing createdAt; some use vendor-based bookkeeping."""
    state = _state(jobs_per_company=3)
    created = [job.created_at for job in state.jobs.values()]
    assert created == sorted(created)
    assert len(set(created)) == len(created)
    assert {job.vendor_based_bookkeeping for job in state.jobs.values()} == {True, False}
    for job in state.jobs.values():
        for entry_id in job.items:
            item = state.entries[entry_id].export_item(
                vendor_based_bookkeeping=job.vendor_based_bookkeeping
            )
            assert ("bookkeeping" in item) == job.vendor_based_bookkeeping


def test_same_seed_gives_the_same_dataset_and_another_seed_differs():
    """The dataset is a function of the seed."""
    first, again, other = _state(seed=3), _state(seed=3), _state(seed=4)
    assert list(first.entries) == list(again.entries)
    assert [e.item for e in first.entries.values()] == [e.item for e in again.entries.values()]
    assert [c.api_key for c in first.companies.values()] == [
        c.api_key for c in again.companies.values()
    ]
    assert list(first.entries) != list(other.entries)


def test_a_factory_makes_as_many_distinct_entries_as_asked():
    """The factory makes 2,500 entries with 2,500 distinct ids in one call."""
    rng = random.Random(1)
    company = build_companies(rng, 1)[0]
    factory = EntryFactory(rng, datetime(2026, 1, 1, tzinfo=UTC))
    entries = factory.make(company, 2500)
    assert len({entry.id for entry in entries}) == 2500
