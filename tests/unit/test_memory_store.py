"""``MemoryStore``: the single-replica store's contract, driven by a fake clock."""

from __future__ import annotations

import pytest

from adapter.store.memory import MemoryStore
from tests.support.clocks import FakeClock


@pytest.fixture
def store(clock: FakeClock) -> MemoryStore:
    return MemoryStore(clock=clock)


async def test_get_returns_what_was_set(store: MemoryStore) -> None:
    """A value set without TTL is read back until deleted, and an unknown key reads as None."""
    assert await store.get("k") is None
    await store.set("k", b"v1")
    await store.set("k", b"v2")
    assert await store.get("k") == b"v2"
    await store.delete("k")
    assert await store.get("k") is None


async def test_delete_of_absent_key_is_harmless(store: MemoryStore) -> None:
    """Deleting a key that is not there does nothing."""
    await store.delete("never-set")
    assert await store.get("never-set") is None


async def test_value_expires_after_its_ttl(store: MemoryStore, clock: FakeClock) -> None:
    """A value with a TTL is readable before the TTL passes and gone once it has."""
    await store.set("k", b"v", ttl_seconds=10)
    clock.advance(9.9)
    assert await store.get("k") == b"v"
    clock.advance(0.1)
    assert await store.get("k") is None


async def test_value_without_ttl_never_expires(store: MemoryStore, clock: FakeClock) -> None:
    """A value set without TTL survives any amount of time."""
    await store.set("k", b"v")
    clock.advance(10 * 365 * 86_400)
    assert await store.get("k") == b"v"


async def test_compare_and_set_on_absent_key(store: MemoryStore) -> None:
    """compare_and_set with expected None creates an absent key and fails on a present one."""
    assert await store.compare_and_set("k", None, b"first") is True
    assert await store.compare_and_set("k", None, b"second") is False
    assert await store.get("k") == b"first"


async def test_compare_and_set_on_present_key(store: MemoryStore) -> None:
    """compare_and_set replaces a value only when the caller saw the current one."""
    await store.set("k", b"v1")
    assert await store.compare_and_set("k", b"stale", b"v2") is False
    assert await store.get("k") == b"v1"
    assert await store.compare_and_set("k", b"v1", b"v2") is True
    assert await store.get("k") == b"v2"


async def test_compare_and_set_sees_an_expired_value_as_absent(
    store: MemoryStore, clock: FakeClock
) -> None:
    """Once a value's TTL has passed, compare_and_set treats the key as absent."""
    await store.set("k", b"old", ttl_seconds=5)
    clock.advance(5)
    assert await store.compare_and_set("k", b"old", b"new") is False
    assert await store.compare_and_set("k", None, b"new", ttl_seconds=5) is True
    assert await store.get("k") == b"new"


async def test_lease_is_exclusive_to_its_holder(store: MemoryStore) -> None:
    """A second owner cannot take a held lease; the holder may take it again."""
    assert await store.acquire_lease("lease", "a", ttl_seconds=30) is True
    assert await store.acquire_lease("lease", "b", ttl_seconds=30) is False
    assert await store.acquire_lease("lease", "a", ttl_seconds=30) is True


async def test_only_the_holder_renews_a_lease(store: MemoryStore, clock: FakeClock) -> None:
    """renew_lease extends the holder's lease and refuses anyone else."""
    await store.acquire_lease("lease", "a", ttl_seconds=30)
    assert await store.renew_lease("lease", "b", ttl_seconds=30) is False
    clock.advance(20)
    assert await store.renew_lease("lease", "a", ttl_seconds=30) is True
    clock.advance(20)
    assert await store.acquire_lease("lease", "b", ttl_seconds=30) is False


async def test_renewing_an_expired_or_absent_lease_fails(
    store: MemoryStore, clock: FakeClock
) -> None:
    """A holder whose lease expired learns it on renew and cannot revive it."""
    assert await store.renew_lease("lease", "a", ttl_seconds=30) is False
    await store.acquire_lease("lease", "a", ttl_seconds=30)
    clock.advance(30)
    assert await store.renew_lease("lease", "a", ttl_seconds=30) is False


async def test_only_the_holder_releases_a_lease(store: MemoryStore) -> None:
    """release_lease by another owner leaves the lease held; by the holder it frees it."""
    await store.acquire_lease("lease", "a", ttl_seconds=30)
    assert await store.release_lease("lease", "b") is False
    assert await store.acquire_lease("lease", "b", ttl_seconds=30) is False
    assert await store.release_lease("lease", "a") is True
    assert await store.release_lease("lease", "a") is False
    assert await store.acquire_lease("lease", "b", ttl_seconds=30) is True


async def test_expired_lease_can_be_taken_by_another_owner(
    store: MemoryStore, clock: FakeClock
) -> None:
    """After its TTL a lease is free; the old holder can then neither renew nor release it."""
    await store.acquire_lease("lease", "a", ttl_seconds=30)
    clock.advance(29)
    assert await store.acquire_lease("lease", "b", ttl_seconds=30) is False
    clock.advance(1)
    assert await store.acquire_lease("lease", "b", ttl_seconds=30) is True
    assert await store.renew_lease("lease", "a", ttl_seconds=30) is False
    assert await store.release_lease("lease", "a") is False
    assert await store.acquire_lease("lease", "a", ttl_seconds=30) is False


async def test_add_to_set_dedupes_until_the_member_expires(
    store: MemoryStore, clock: FakeClock
) -> None:
    """add_to_set is True the first time a member is seen, False again until its TTL passes."""
    assert await store.add_to_set("seen", "msg-1", ttl_seconds=100) is True
    clock.advance(50)
    assert await store.add_to_set("seen", "msg-1", ttl_seconds=100) is False
    assert await store.add_to_set("seen", "msg-2", ttl_seconds=100) is True
    clock.advance(50)
    assert await store.add_to_set("seen", "msg-1", ttl_seconds=100) is True
    assert await store.add_to_set("seen", "msg-2", ttl_seconds=100) is False


async def test_sets_are_separate_per_key(store: MemoryStore) -> None:
    """The same member in two different sets is new to each."""
    assert await store.add_to_set("tenant-a:seen", "m", ttl_seconds=10) is True
    assert await store.add_to_set("tenant-b:seen", "m", ttl_seconds=10) is True
    assert await store.get("tenant-a:seen") is None


async def test_maxsize_bounds_the_entries(clock: FakeClock) -> None:
    """Beyond maxsize the least recently used entry is evicted, so memory stays bounded."""
    store = MemoryStore(maxsize=3, clock=clock)
    for key in ("a", "b", "c"):
        await store.set(key, key.encode())
    assert await store.get("a") == b"a"  # "a" is now the most recently used
    await store.set("d", b"d")
    assert [await store.get(k) for k in ("a", "b", "c", "d")] == [b"a", None, b"c", b"d"]


async def test_aclose_forgets_everything(store: MemoryStore) -> None:
    """After aclose nothing stored before can be read."""
    await store.set("k", b"v")
    await store.acquire_lease("lease", "a", ttl_seconds=30)
    await store.aclose()
    assert await store.get("k") is None
    assert await store.acquire_lease("lease", "b", ttl_seconds=30) is True
