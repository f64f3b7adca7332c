"""Process-wide runtime settings for a long-running server: the garbage collector.

CPython's cyclic collector runs a young-generation pass every 700 net allocations and, every so often,
a full pass over every tracked object in the process. A PostTransactions batch of a few thousand
transfers allocates hundreds of thousands of short-lived objects (request specs, postings, journal
rows, response messages), almost none of them in reference cycles, so the default thresholds make the
collector run hundreds of times per second under load, and its full passes walk every object the
server keeps alive (SQLAlchemy metadata, protobuf descriptors, the account cache). docs/performance.md
("Figures that were in code comments") has what the defaults cost and what the settings below save.

What `tune_gc` does, as Instagram and others do for request-serving CPython processes:
- `gc.freeze()` once startup is done: everything imported and built so far (modules, metadata, caches)
  moves to a permanent generation that collections no longer walk;
- a young-generation threshold of 50,000 allocations instead of 700: collections become rare, and
  garbage that is only reclaimable by the cyclic collector waits a little longer (memory is bounded by
  the same thresholds; reference counting still frees everything else at once).

`TOUDAI_GC_THRESHOLD=700` restores CPython's default young threshold (0 disables automatic collection,
not recommended).
"""

from __future__ import annotations

import gc
import logging
import os

log = logging.getLogger(__name__)

DEFAULT_YOUNG_THRESHOLD = 50_000


def tune_gc() -> tuple[int, int, int]:
    """Freeze what startup allocated and raise the young-generation threshold; returns the thresholds."""
    young = int(os.environ.get("TOUDAI_GC_THRESHOLD", DEFAULT_YOUNG_THRESHOLD))
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(young, older, oldest)
    log.debug("gc: froze %d objects, thresholds %s", gc.get_freeze_count(), gc.get_threshold())
    return gc.get_threshold()
