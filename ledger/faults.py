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
import threading
from collections.abc import Sequence

STOP_DIR_ENV = "TOUDAI_TEST_STOP_HOLDING_LOCKS"
_STOP_DIR = os.environ.get(STOP_DIR_ENV) or None


def holding_book_locks(parties: Sequence[str] = ()) -> None:
    """Called by the write path right after the books of `parties` are locked (ledger.posting_state).

    Before stopping, it writes which books it holds and which thread it is into `stopped`, so a test that
    sees the other writers not blocked can say what the stopped process was holding."""
    if _STOP_DIR is None:
        return
    stopped = os.path.join(_STOP_DIR, "stopped")
    try:
        os.rename(os.path.join(_STOP_DIR, "arm"), stopped)
    except FileNotFoundError:  # not armed, or another writer won the rename
        return
    with open(stopped, "w") as note:
        note.write(f"holding the books of {', '.join(parties)} in thread {threading.current_thread().name}\n")
    # To this thread, not the process: a process-directed signal may be taken by another thread, and this
    # one may run on (seen under load: it committed its write before the stop), which is not the stall
    # the test means. Sent to the current thread, the stop happens before this call returns.
    signal.pthread_kill(threading.get_ident(), signal.SIGSTOP)
