"""When and how long the client waits before trying a call again.

Only transient statuses are retried: the server or its database was briefly unreachable, a deadline
passed, a concurrent writer won (ABORTED), or the server shed load. Retrying a mutation is safe because
the client sends the same request_id on every attempt, so the ledger books it at most once. Backoff is
exponential with full jitter (AWS architecture blog, "Exponential Backoff And Jitter"), which keeps a
crowd of clients that failed together from retrying together.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import grpc

RETRYABLE_CODES = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.ABORTED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
    }
)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """`retries` extra attempts after the first, waiting up to `initial * multiplier**n` (capped) before each."""

    retries: int = 4
    initial_backoff: float = 0.1
    max_backoff: float = 2.0
    multiplier: float = 2.0

    def should_retry(self, code: grpc.StatusCode | None, attempt: int) -> bool:
        """Whether a call that failed with `code` on attempt `attempt` (0-based) gets another go."""
        return code in RETRYABLE_CODES and attempt < self.retries

    def backoff(self, attempt: int) -> float:
        """Seconds to sleep before attempt `attempt + 1`: uniformly random up to the capped exponential."""
        ceiling = min(self.max_backoff, self.initial_backoff * self.multiplier**attempt)
        return random.uniform(0, ceiling)
