"""The valuation package's exceptions.

Pricing fails for one reason the caller can act on: an input is out of the model's domain (a negative
volatility, an unknown share class, a round price no equity value can reproduce). That error names the
offending field so that the gRPC edge can translate it once into INVALID_ARGUMENT with a
google.rpc.BadRequest field violation, without this package ever importing grpc.
"""

from __future__ import annotations

__all__ = ["ValuationError", "ValuationInputError"]


class ValuationError(Exception):
    """Root of every error the valuation package raises on purpose."""

    reason: str = "VALUATION_ERROR"


class ValuationInputError(ValuationError, ValueError):
    """An input is outside the model's domain; `field` names it (e.g. `volatility`, `classes[2].shares`).

    It is a `ValueError` too, so plain Python callers can catch it the usual way.
    """

    reason = "INVALID_VALUATION_INPUT"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
