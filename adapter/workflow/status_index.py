"""Where the items of each legacy status sit in a job, so a page costs the page.

One Fenwick tree (binary indexed tree) per legacy status over the job's positions: moving an
item to another status is O(log n), counting the items of some statuses is O(1), and finding
the k-th item of a set of statuses is O(log n). A ``GET ?status=QUEUED&pageSize=100`` therefore
costs about the same from a 10,000-item job as from a 100-item job. Each tree is an
``array('i')``: 4 bytes per item and status.
"""

from __future__ import annotations

from array import array
from collections.abc import Collection, Sequence

__all__ = ["HIDDEN", "StatusIndex"]

HIDDEN = 255
"""The bucket of an item that is in no status list (unmappable, or an unknown item status)."""


class StatusIndex:
    """Positions ``0..n-1``, each in one of ``buckets`` buckets or :data:`HIDDEN`."""

    __slots__ = ("_bucket", "_n", "_top", "_totals", "_trees")

    def __init__(self, bucket_of: Sequence[int], buckets: int) -> None:
        n = len(bucket_of)
        self._n = n
        self._bucket = bytearray(bucket_of)
        self._trees = [array("i", bytes(4 * (n + 1))) for _ in range(buckets)]
        self._totals = [0] * buckets
        for position, bucket in enumerate(self._bucket):
            if bucket != HIDDEN:
                self._trees[bucket][position + 1] += 1
                self._totals[bucket] += 1
        # Linear-time build: push each node's count to its parent once.
        for tree in self._trees:
            for i in range(1, n + 1):
                parent = i + (i & -i)
                if parent <= n:
                    tree[parent] += tree[i]
        self._top = 1 << (n.bit_length() - 1) if n else 0

    def __len__(self) -> int:
        return self._n

    def bucket(self, position: int) -> int:
        return self._bucket[position]

    @property
    def buckets(self) -> Sequence[int]:
        """Every position's bucket (read only: move items with :meth:`move`)."""
        return self._bucket

    def move(self, position: int, bucket: int) -> None:
        """Put the item at ``position`` into ``bucket`` (or :data:`HIDDEN`)."""
        old = self._bucket[position]
        if old == bucket:
            return
        if old != HIDDEN:
            self._add(old, position, -1)
        if bucket != HIDDEN:
            self._add(bucket, position, 1)
        self._bucket[position] = bucket

    def count(self, buckets: Collection[int]) -> int:
        return sum(self._totals[b] for b in buckets)

    def page(self, buckets: Collection[int], offset: int, size: int) -> list[int]:
        """Positions of the items ``offset .. offset+size-1`` among those in ``buckets``,
        in position order."""
        total = self.count(buckets)
        if offset >= total or size <= 0:
            return []
        wanted = min(size, total - offset)
        first = self._select(buckets, offset)
        end = first + wanted
        chosen = set(buckets)
        # The common page: the next ``wanted`` positions all belong (every item QUEUED, say).
        # Counting bytes is done in C, so this costs far less than the walk below.
        if end <= self._n:
            window = self._bucket[first:end]
            if sum(window.count(bucket) for bucket in chosen) == wanted:
                return list(range(first, end))
        found = [first]
        # Neighbours usually share a status: walk forward, but never more than a few pages'
        # worth of other items before falling back to a logarithmic search per item.
        budget = 4 * wanted + 64
        position = first + 1
        while len(found) < wanted and budget > 0 and position < self._n:
            if self._bucket[position] in chosen:
                found.append(position)
            position += 1
            budget -= 1
        while len(found) < wanted:
            found.append(self._select(buckets, offset + len(found)))
        return found

    def _add(self, bucket: int, position: int, delta: int) -> None:
        tree = self._trees[bucket]
        i = position + 1
        while i <= self._n:
            tree[i] += delta
            i += i & -i
        self._totals[bucket] += delta

    def _select(self, buckets: Collection[int], k: int) -> int:
        """The position of the ``k``-th (0-based) item in ``buckets``; ``k`` < count."""
        trees = [self._trees[b] for b in buckets]
        position = 0
        remaining = k + 1
        step = self._top
        while step:
            candidate = position + step
            if candidate <= self._n:
                below = sum(tree[candidate] for tree in trees)
                if below < remaining:
                    position = candidate
                    remaining -= below
            step >>= 1
        return position
