"""The garbage collector's settings for a serving process, applied once start-up is done.

CPython's cyclic collector runs a young collection every ``threshold0`` net allocations of
container objects (700 by default) and, every so many of those, a full one that walks every
tracked object. A proxy holding many small long-lived objects (parsed Export Items, cached
models) pays for them on every full walk: ~35 full collections in 6 s, the longest ~30 ms
(issue #11). Two settings, each measured before it was adopted (benchmarks/README.md, "GC"):

* ``young_threshold``: collect the young generation less often, so fewer objects get
  promoted only to be examined again by full collections;
* ``freeze``: after start-up, ``gc.collect()`` then ``gc.freeze()`` moves everything alive
  (modules, classes, the mapping table, settings, clients) to the permanent generation, which
  no later collection walks. Start-up objects live as long as the process anyway.

The lasting fix is fewer long-lived tracked objects in the caches (bytes, not models).
"""

from __future__ import annotations

import gc

__all__ = ["settle_after_startup"]


def settle_after_startup(*, young_threshold: int, freeze: bool) -> None:
    """Apply the young-generation threshold and, if asked, freeze what start-up left alive."""
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(young_threshold, older, oldest)
    if freeze:
        gc.collect()
        gc.freeze()
