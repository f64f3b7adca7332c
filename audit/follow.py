"""Following the journal live: poll each book for legs after the last sequence sent.

A position is a map book → last sequence sent. Legs are sent in sequence order per book and each leg's
cursor encodes the whole map *after* that leg, so a follower that stores the cursor of the last leg it
processed resumes with no gap and no duplicate, whichever book the next leg is in. Per-book sequences
are gapless and a leg becomes visible together with its book's head, so polling `seq > last` misses
nothing (unlike a global timestamp, which concurrent writers can commit out of order).
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator, Mapping

from audit.model import LegRow
from ledger.errors import InvalidArgument
from ledger.journal_reader import JournalReader

CURSOR_VERSION = 1


def encode_cursor(after: Mapping[str, int]) -> str:
    """An opaque, URL-safe cursor for the position `after` (book → last sequence sent)."""
    text = json.dumps({"v": CURSOR_VERSION, "after": dict(sorted(after.items()))}, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> dict[str, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        document = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        if document.get("v") != CURSOR_VERSION:
            raise ValueError("unknown cursor version")
        return {str(b): int(s) for b, s in document["after"].items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        raise InvalidArgument.one("cursor", "is not a cursor returned by SubscribeJournal") from None


def follow(
    reader: JournalReader,
    after: Mapping[str, int],
    *,
    parties: frozenset[str] = frozenset(),
    start_after: int = 0,
    stop_when_caught_up: bool = False,
    poll_seconds: float = 0.25,
    active: Callable[[], bool] = lambda: True,
) -> Iterator[tuple[LegRow, str]]:
    """Yield (leg, cursor after it) forever (or until caught up), polling for new legs."""
    position = dict(after)
    while active():
        sent = 0
        for book, head_seq, _ in reader.heads():
            if parties and book not in parties:
                continue
            last = position.setdefault(book, start_after)
            if head_seq <= last:
                continue
            for row in reader.legs(book, last + 1, head_seq):
                position[book] = row.seq
                sent += 1
                yield row, encode_cursor(position)
                if not active():
                    return
        if sent == 0:
            if stop_when_caught_up:
                return
            time.sleep(poll_seconds)
