"""A fault-injection point for the reliability tests: a writer that stops while it holds books' locks.

Off unless the environment variable TOUDAI_TEST_STOP_HOLDING_LOCKS names a directory when the process
starts (read once, at import; production never sets it, and then the check is one module-global test per
write). With it set, the first write to lock books' heads after a file `arm` appears in that directory
renames `arm` to `stopped` (atomic: one writer wins) and stops its own process with SIGSTOP, exactly
where an operating-system pause (SIGSTOP, a swapped-out VM, a debugger) hurts most: inside the database
transaction, holding the locks every other writer of those books needs. The test then sees `stopped`,
observes the other servers, and resumes the process with SIGCONT (tests/reliability/test_stalled_writer.py).
"""

from __future__ import annotations

import os
import signal

STOP_DIR_ENV = "TOUDAI_TEST_STOP_HOLDING_LOCKS"
_STOP_DIR = os.environ.get(STOP_DIR_ENV) or None


def holding_book_locks() -> None:
    """Called by the write path right after its books' heads are locked (ledger.posting_state)."""
    if _STOP_DIR is None:
        return
    try:
        os.rename(os.path.join(_STOP_DIR, "arm"), os.path.join(_STOP_DIR, "stopped"))
    except FileNotFoundError:  # not armed, or another writer won the rename
        return
    os.kill(os.getpid(), signal.SIGSTOP)
