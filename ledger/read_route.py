"""Which engine the reads of the current call run on: the primary's own, or a hot standby's.

The read side of the ledger (ledger.journal, ledger.balances, ledger.catalog, ledger.journal_reader, the
export) reads through `Engines.reader`. To serve one call from a standby (ledger.replicas chooses it,
server.read_routing decides per call), the server wraps the call in `reads_on(primary, standby)`:
for the duration, on this thread only, `Engines.reader` of the engines whose reader is `primary`
answers `standby`. Writes never look here (they use `Engines.writer`), and engines of another database
in the same process are left alone, which is why the primary is part of the key.

A thread-local rather than a parameter threaded through every read method: the read API stays as it
is, and a call that is not routed (every write, every read of a server without standbys) pays one
attribute look-up.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

__all__ = ["reads_on", "routed"]

_route = threading.local()


@contextmanager
def reads_on(primary: sa.Engine, standby: sa.Engine) -> Iterator[None]:
    """Within the block, on this thread, reads meant for `primary` run on `standby`."""
    previous = getattr(_route, "pair", None)
    _route.pair = (primary, standby)
    try:
        yield
    finally:
        _route.pair = previous


def routed(primary: sa.Engine) -> sa.Engine:
    """The engine a read meant for `primary` runs on now: a standby inside `reads_on`, else `primary`."""
    pair = getattr(_route, "pair", None)
    if pair is not None and pair[0] is primary:
        return pair[1]  # type: ignore[no-any-return]
    return primary
