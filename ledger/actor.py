"""Who causes a posting: the actor recorded in every transaction's metadata.

The gRPC edge verifies the caller (server.auth) and binds an `Actor` for the duration of the call with
`acting_as`. `Ledger` stamps every transaction it appends while an actor is bound with the reserved
metadata keys `toudai.principal` and `toudai.role`, whichever path posts it (LedgerService, a deal step,
an exercise, a revaluation, a captured hold). The keys are added after validation and after the
idempotency fingerprint is computed, so

* clients can never set them (`toudai.*` keys are refused from clients);
* a retry of the same request by someone else replays the original transaction (with the original
  actor) instead of being refused as a reused request_id;
* they are part of each leg's hashed document, so the hash chain covers who caused the transaction.

The binding is a context variable: it follows the call's thread and is invisible to other calls.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass

PRINCIPAL_KEY = "toudai.principal"
ROLE_KEY = "toudai.role"


@dataclass(frozen=True, slots=True)
class Actor:
    """A verified principal (a token's `sub`), its role, and the party it acts for (none for
    administrators and auditors). The party limits which books its writes may touch (see
    `Ledger` and docs/security.md, "Books a write may touch")."""

    principal: str
    role: str
    party: str = ""

    def metadata(self) -> dict[str, str]:
        return {PRINCIPAL_KEY: self.principal, ROLE_KEY: self.role}


_current: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("toudai_actor", default=None)


def current() -> Actor | None:
    """The actor bound to this call, if any."""
    return _current.get()


@contextlib.contextmanager
def acting_as(actor: Actor | None) -> Iterator[None]:
    """Bind `actor` for the code inside the block."""
    token = _current.set(actor)
    try:
        yield
    finally:
        _current.reset(token)


def stamped(metadata: dict[str, str]) -> dict[str, str]:
    """`metadata` with the bound actor's keys (unchanged when no actor is bound)."""
    actor = _current.get()
    return metadata if actor is None else {**metadata, **actor.metadata()}


def columns(prefix: str = "") -> dict[str, str]:
    """The attribution columns of a row written now: `{prefix}principal` and `{prefix}role` of the bound
    actor, or `system` for work no caller caused (an in-process job, a migration)."""
    bound = _current.get()
    return {
        f"{prefix}principal": bound.principal if bound else "system",
        f"{prefix}role": bound.role if bound else "system",
    }
