"""The serving process's garbage-collector policy (adapter.gc_policy)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from adapter.gc_policy import settle_after_startup


@pytest.fixture
def restored_gc() -> Iterator[None]:
    """The test process's collector as it was, whatever the test did to it."""
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("restored_gc")
def test_the_young_threshold_is_set_and_the_start_up_heap_frozen() -> None:
    """After start-up the young threshold is the configured one and what is alive is frozen."""
    _, older, oldest = gc.get_threshold()
    survivor = [object()]

    settle_after_startup(young_threshold=12_345, freeze=True)

    assert gc.get_threshold() == (12_345, older, oldest)
    assert gc.get_freeze_count() > 0
    assert all(obj is not survivor for obj in gc.get_objects())


@pytest.mark.usefixtures("restored_gc")
def test_without_freeze_nothing_is_frozen() -> None:
    """freeze=False only moves the threshold; every object stays in the collector's reach."""
    settle_after_startup(young_threshold=700, freeze=False)

    assert gc.get_threshold()[0] == 700
    assert gc.get_freeze_count() == 0
