"""``KeyedLocks``: one holder per key at a time, and no lock kept once nobody needs it."""

from __future__ import annotations

import asyncio

import pytest

from adapter.workflow.keyed_locks import KeyedLocks


async def yield_to_others(times: int = 5) -> None:
    for _ in range(times):
        await asyncio.sleep(0)


async def test_holders_of_one_key_are_serialised() -> None:
    """A second holder of a key waits until the first has let go."""
    locks = KeyedLocks()
    release_first = asyncio.Event()
    events: list[str] = []

    async def first() -> None:
        async with locks.hold("tenant-a"):
            events.append("first in")
            await release_first.wait()
            events.append("first out")

    async def second() -> None:
        async with locks.hold("tenant-a"):
            events.append("second in")

    tasks = [asyncio.create_task(first())]
    await yield_to_others()
    tasks.append(asyncio.create_task(second()))
    await yield_to_others()
    assert events == ["first in"]
    release_first.set()
    await asyncio.gather(*tasks)
    assert events == ["first in", "first out", "second in"]


async def test_holders_of_different_keys_run_concurrently() -> None:
    """Holding one key never blocks a holder of another key."""
    locks = KeyedLocks()
    release = asyncio.Event()
    inside: set[str] = set()

    async def hold(key: str) -> None:
        async with locks.hold(key):
            inside.add(key)
            await release.wait()

    tasks = [asyncio.create_task(hold(k)) for k in ("tenant-a", "tenant-b")]
    await yield_to_others()
    assert inside == {"tenant-a", "tenant-b"}
    assert len(locks) == 2
    release.set()
    await asyncio.gather(*tasks)


async def test_map_is_empty_after_use() -> None:
    """Once every holder and waiter is done no lock is kept, so the map cannot grow."""
    locks = KeyedLocks()
    release = asyncio.Event()

    async def hold(key: str) -> None:
        async with locks.hold(key):
            await release.wait()

    tasks = [asyncio.create_task(hold(k)) for k in ("a", "a", "a", "b")]
    await yield_to_others()
    assert len(locks) == 2
    release.set()
    await asyncio.gather(*tasks)
    assert len(locks) == 0


async def test_lock_is_released_when_the_holder_fails() -> None:
    """An exception inside a hold releases the key for the next holder and leaves no lock."""
    locks = KeyedLocks()

    async def fail_while_holding() -> None:
        async with locks.hold("k"):
            msg = "boom"
            raise RuntimeError(msg)

    with pytest.raises(RuntimeError, match="boom"):
        await fail_while_holding()
    assert len(locks) == 0
    async with locks.hold("k"):
        assert len(locks) == 1
    assert len(locks) == 0


async def test_cancelled_waiter_leaves_no_lock_behind() -> None:
    """A waiter cancelled before it gets the key does not block others or leak its lock."""
    locks = KeyedLocks()
    release = asyncio.Event()

    async def holder() -> None:
        async with locks.hold("k"):
            await release.wait()

    async def waiter() -> None:
        async with locks.hold("k"):
            pytest.fail("a cancelled waiter must never get the key")

    holding = asyncio.create_task(holder())
    await yield_to_others()
    waiting = asyncio.create_task(waiter())
    await yield_to_others()
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    release.set()
    await holding
    assert len(locks) == 0
