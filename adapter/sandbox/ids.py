"""Deterministic identifiers and per-record facts for the seeded world.

``random_uuid`` draws from the sandbox's one seeded PRNG (so it moves the sequence).
``stable_uuid`` and ``stable_fraction`` hash their parts instead: data added after the v3 dataset
was designed (the legacy-only facts, the legacy reference records) uses them, so it is fixed by
the seed through the record ids without shifting any value the PRNG gives the v3 data.
"""

from __future__ import annotations

import hashlib
import random
import uuid

__all__ = ["random_uuid", "stable_fraction", "stable_uuid"]

_NAMESPACE = uuid.UUID("6f9c1f9e-4b8d-4f3a-9d55-5a4d1b0c7e21")


def random_uuid(rng: random.Random) -> str:
    """A version-4 UUID from the seeded PRNG."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def stable_uuid(*parts: str) -> str:
    """A UUID that depends only on ``parts``."""
    return str(uuid.uuid5(_NAMESPACE, "/".join(parts)))


def stable_fraction(*parts: str) -> float:
    """A number in ``[0, 1)`` that depends only on ``parts``."""
    digest = hashlib.sha256("/".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64
