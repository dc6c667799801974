"""A job's item ids, packed: position -> id and id -> position without a Python object per item.

A job holds every item's id for its whole life (and a departed job keeps them for retried
PUTs). As a ``list[str]`` plus a ``{id: position}`` dict that cost about 145 B per item (an
85-byte ``str``, a list slot, a dict entry). Here the ids live in one ``bytes`` blob and the
lookup is an open-addressing hash table in an ``array('i')``:

* ids that are all canonical UUIDs (lowercase, hyphenated, as Pleo sends them) are stored as
  their 16 raw bytes: 16 B per item, plus 8 B of table;
* any other set of ids is stored as UTF-8 with an end offset per id (4 B per item).

``str`` ids are rebuilt only when asked for (an item update, a failure line), so the
round trip must be exact: an id that only *parses* as a UUID (upper case, braces, no hyphens)
puts the whole job in the UTF-8 form.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterator, Sequence
from itertools import accumulate

__all__ = ["ItemIds"]

_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_UUID_BYTES = 16
_EMPTY = -1


def _uuid_key(item_id: str) -> bytes | None:
    if _CANONICAL_UUID.fullmatch(item_id) is None:
        return None
    return bytes.fromhex(item_id.replace("-", ""))


def _uuid_text(key: bytes) -> str:
    h = key.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class ItemIds:
    """The ids of a job's items in job order; ``get`` finds an id's position.

    An id listed twice maps to its last position (as a ``dict`` built in order would).
    """

    __slots__ = ("_blob", "_count", "_ends", "_mask", "_table")

    def __init__(self, ids: Sequence[str]) -> None:
        uuid_keys = [_uuid_key(item_id) for item_id in ids]
        keys: list[bytes]
        if all(key is not None for key in uuid_keys):
            keys = [key for key in uuid_keys if key is not None]
            self._ends: array[int] | None = None
        else:
            keys = [item_id.encode() for item_id in ids]
            self._ends = array("I", accumulate(len(key) for key in keys))
        self._blob = b"".join(keys)
        self._count = len(keys)
        size = 8
        while size < 2 * self._count:  # load factor <= 1/2: short probe runs
            size *= 2
        self._mask = size - 1
        self._table = array("i", [_EMPTY]) * size
        for position, key in enumerate(keys):
            self._table[self._slot(key)] = position

    def _key_at(self, position: int) -> bytes:
        if self._ends is None:
            start = position * _UUID_BYTES
            return self._blob[start : start + _UUID_BYTES]
        start = self._ends[position - 1] if position else 0
        return self._blob[start : self._ends[position]]

    def _slot(self, key: bytes) -> int:
        """The table slot holding ``key``, or the empty slot where it would go."""
        slot = hash(key) & self._mask
        while True:
            position = self._table[slot]
            if position == _EMPTY or self._key_at(position) == key:
                return slot
            slot = (slot + 1) & self._mask

    def _key(self, item_id: str) -> bytes | None:
        return _uuid_key(item_id) if self._ends is None else item_id.encode()

    def get(self, item_id: str) -> int | None:
        """The position of ``item_id`` in the job, or None if the job does not list it."""
        key = self._key(item_id)
        if key is None:
            return None
        position = self._table[self._slot(key)]
        return None if position == _EMPTY else position

    def position(self, item_id: str) -> int:
        """The position of an id known to be listed; KeyError otherwise."""
        found = self.get(item_id)
        if found is None:
            raise KeyError(item_id)
        return found

    def __contains__(self, item_id: object) -> bool:
        return isinstance(item_id, str) and self.get(item_id) is not None

    def __getitem__(self, position: int) -> str:
        if not 0 <= position < self._count:
            raise IndexError(position)
        key = self._key_at(position)
        return _uuid_text(key) if self._ends is None else key.decode()

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[str]:
        return (self[position] for position in range(self._count))

    @property
    def nbytes(self) -> int:
        """Bytes held: the blob, the offsets and the hash table."""
        ends = 0 if self._ends is None else self._ends.buffer_info()[1] * self._ends.itemsize
        table = self._table.buffer_info()[1] * self._table.itemsize
        return len(self._blob) + ends + table
