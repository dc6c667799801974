"""Shared state: the :class:`Store` protocol and its in-memory implementation."""

from adapter.store.memory import MemoryStore
from adapter.store.protocol import Store

__all__ = ["MemoryStore", "Store"]
