"""The ledger's one exception hierarchy.

Every error the core can raise is a `LedgerError` carrying an `ErrorKind` (which the gRPC edge maps to
a status code, in one place), a stable machine-readable `reason` (google.rpc.ErrorInfo), and where it
helps, the structured details a client needs to act: the offending fields (google.rpc.BadRequest) or
the failed preconditions (google.rpc.PreconditionFailure). The core never imports grpc.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

ERROR_DOMAIN = "toudai.ledger"
GENERIC_FIELD_REASON = "INVALID_FIELD"


class ErrorKind(enum.Enum):
    """The class of failure; mirrors the gRPC canonical codes the edge will use."""

    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    NOT_FOUND = "NOT_FOUND"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    FAILED_PRECONDITION = "FAILED_PRECONDITION"
    ABORTED = "ABORTED"
    UNAVAILABLE = "UNAVAILABLE"
    INTERNAL = "INTERNAL"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    PERMISSION_DENIED = "PERMISSION_DENIED"


@dataclass(frozen=True, slots=True)
class FieldViolation:
    """One bad field: `field` is a path such as `transactions[0].postings[1].amount.value`."""

    field: str
    description: str
    reason: str = "INVALID_FIELD"


@dataclass(frozen=True, slots=True)
class PreconditionViolation:
    """One unmet precondition: `type` is a stable code, `subject` the resource it is about."""

    type: str
    subject: str
    description: str


class LedgerError(Exception):
    """Root of every error the ledger raises on purpose."""

    kind: ErrorKind = ErrorKind.INTERNAL
    default_reason = "LEDGER_ERROR"

    def __init__(
        self,
        message: str,
        *,
        reason: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason or self.default_reason
        self.metadata: dict[str, str] = dict(metadata or {})


class InvalidArgument(LedgerError):
    """The request is malformed; the caller must change it. Carries every field violation found."""

    kind = ErrorKind.INVALID_ARGUMENT
    default_reason = "INVALID_ARGUMENT"

    def __init__(
        self,
        violations: Iterable[FieldViolation],
        *,
        message: str | None = None,
        reason: str | None = None,
    ) -> None:
        self.violations: tuple[FieldViolation, ...] = tuple(violations)
        if not self.violations:
            raise ValueError("InvalidArgument needs at least one violation")
        if message is None:
            first = self.violations[0]
            more = len(self.violations) - 1
            message = f"{first.field}: {first.description}"
            if more:
                message += f" (and {more} more problem{'s' if more > 1 else ''})"
        if reason is None and self.violations[0].reason != GENERIC_FIELD_REASON:
            # ErrorInfo carries the first problem's specific reason (UNBALANCED, INVALID_AMOUNT, ...), so a
            # client can branch on it without digging into the field violations.
            reason = self.violations[0].reason
        super().__init__(message, reason=reason)

    @classmethod
    def one(cls, field_path: str, description: str, reason: str = "INVALID_FIELD") -> InvalidArgument:
        """Shorthand for a single bad field."""
        return cls([FieldViolation(field_path, description, reason)])


class NotFound(LedgerError):
    """A named resource does not exist."""

    kind = ErrorKind.NOT_FOUND
    default_reason = "NOT_FOUND"

    def __init__(self, resource_name: str, what: str = "resource") -> None:
        super().__init__(
            f"{what} {resource_name} does not exist",
            metadata={"resource": resource_name},
        )
        self.resource_name = resource_name


class AlreadyExists(LedgerError):
    """A resource or idempotency key exists already with different content."""

    kind = ErrorKind.ALREADY_EXISTS
    default_reason = "ALREADY_EXISTS"


class FailedPrecondition(LedgerError):
    """The request is well formed but the ledger's state refuses it (e.g. insufficient funds)."""

    kind = ErrorKind.FAILED_PRECONDITION
    default_reason = "FAILED_PRECONDITION"

    def __init__(
        self,
        message: str,
        violations: Iterable[PreconditionViolation] = (),
        *,
        reason: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message, reason=reason, metadata=metadata)
        self.violations: tuple[PreconditionViolation, ...] = tuple(violations)


class InsufficientFunds(FailedPrecondition):
    """A must-not-go-negative account would fall below zero."""

    default_reason = "INSUFFICIENT_FUNDS"


class Unauthenticated(LedgerError):
    """The call carries no valid credential (missing, expired, forged or garbled token)."""

    kind = ErrorKind.UNAUTHENTICATED
    default_reason = "UNAUTHENTICATED"


class PermissionDenied(LedgerError):
    """The caller is authenticated but its role may not make this call."""

    kind = ErrorKind.PERMISSION_DENIED
    default_reason = "PERMISSION_DENIED"


class Conflict(LedgerError):
    """A concurrent writer won; the whole unit of work may be retried safely."""

    kind = ErrorKind.ABORTED
    default_reason = "CONCURRENT_UPDATE"


class StoreUnavailable(LedgerError):
    """The database cannot be reached; retry later with the same request_id."""

    kind = ErrorKind.UNAVAILABLE
    default_reason = "DATABASE_UNAVAILABLE"


class SchemaMismatch(LedgerError):
    """The database schema is at a revision this code does not know; refuse to run on it."""

    kind = ErrorKind.FAILED_PRECONDITION
    default_reason = "SCHEMA_REVISION_UNKNOWN"


@dataclass(slots=True)
class ViolationCollector:
    """Accumulates field violations so a validator can report every problem at once."""

    violations: list[FieldViolation] = field(default_factory=list)

    def add(self, field_path: str, description: str, reason: str = "INVALID_FIELD") -> None:
        self.violations.append(FieldViolation(field_path, description, reason))

    def __bool__(self) -> bool:
        return bool(self.violations)

    def raise_if_any(self, message: str | None = None) -> None:
        if self.violations:
            raise InvalidArgument(self.violations, message=message)


def request_id_reused(request_id: str) -> AlreadyExists:
    """The one error for an idempotency key sent again with a different payload (AIP-155)."""
    return AlreadyExists(
        f"request_id {request_id!r} was already used for a different request; "
        "use a new request_id for a new request, or resend the original payload to retry",
        reason="REQUEST_ID_REUSED",
        metadata={"request_id": request_id},
    )
