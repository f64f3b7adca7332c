"""Typed exceptions raised by `ToudaiClient`, one class per gRPC status, built from rich error details.

The server answers every refusal with a google.rpc.Status carrying BadRequest field violations,
PreconditionFailure violations and an ErrorInfo with a stable `reason`. This module turns that status
into one exception a caller can catch by class (`except NotFoundError`) or branch on by `reason`, and
whose `field_violations` say exactly which input to fix, so nobody has to parse a message string.
"""

from __future__ import annotations

from collections.abc import Mapping

import grpc
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

FieldViolation = tuple[str, str]
"""(field path, description), e.g. ("transactions[0].postings[0].amount.value", "has 3 decimal places ...")."""

PreconditionViolation = tuple[str, str, str]
"""(type, subject, description), e.g. ("INSUFFICIENT_FUNDS", "parties/p/accounts/cash", "...")."""


class ToudaiError(Exception):
    """Root of every error the client raises for a failed call."""

    def __init__(
        self,
        code: grpc.StatusCode,
        message: str,
        *,
        reason: str = "",
        field_violations: list[FieldViolation] | None = None,
        precondition_violations: list[PreconditionViolation] | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason
        self.field_violations: list[FieldViolation] = list(field_violations or [])
        self.precondition_violations: list[PreconditionViolation] = list(precondition_violations or [])
        self.metadata: dict[str, str] = dict(metadata or {})

    def __str__(self) -> str:
        return f"{self.code.name}: {self.message}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code.name}, message={self.message!r}, reason={self.reason!r})"


class InvalidArgumentError(ToudaiError):
    """The request is malformed; `field_violations` names every field to fix."""


class NotFoundError(ToudaiError):
    """A named resource does not exist."""


class AlreadyExistsError(ToudaiError):
    """The resource exists, or the request_id was already used for a different payload."""


class FailedPreconditionError(ToudaiError):
    """The request is well formed but the ledger's state refuses it."""


class InsufficientFundsError(FailedPreconditionError):
    """A must-not-go-negative account would fall below zero."""


class AbortedError(ToudaiError):
    """A concurrent writer won; retrying with the same request_id is safe."""


class UnavailableError(ToudaiError):
    """The server (or its database) cannot be reached."""


class DeadlineExceededError(ToudaiError):
    """The call did not finish within its deadline."""


class ResourceExhaustedError(ToudaiError):
    """The server is out of a resource or a quota; back off and retry."""


class PermissionDeniedError(ToudaiError):
    """The caller is authenticated but not allowed to do this."""


class UnauthenticatedError(ToudaiError):
    """The caller sent no credentials or invalid ones."""


class InternalError(ToudaiError):
    """The server failed; it has logged the cause. Retrying with the same request_id is safe."""


ERROR_CLASS_OF_CODE: dict[grpc.StatusCode, type[ToudaiError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgumentError,
    grpc.StatusCode.NOT_FOUND: NotFoundError,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExistsError,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPreconditionError,
    grpc.StatusCode.ABORTED: AbortedError,
    grpc.StatusCode.UNAVAILABLE: UnavailableError,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceededError,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhaustedError,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDeniedError,
    grpc.StatusCode.UNAUTHENTICATED: UnauthenticatedError,
    grpc.StatusCode.INTERNAL: InternalError,
}

#: ErrorInfo reasons that deserve a narrower class than their status code's.
ERROR_CLASS_OF_REASON: dict[str, type[ToudaiError]] = {
    "INSUFFICIENT_FUNDS": InsufficientFundsError,
}


def from_rpc_error(error: grpc.RpcError) -> ToudaiError:
    """The typed exception for a failed call, with the rich details the server attached."""
    code: grpc.StatusCode = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
    message: str = (error.details() if hasattr(error, "details") else None) or str(error)
    reason = ""
    field_violations: list[FieldViolation] = []
    precondition_violations: list[PreconditionViolation] = []
    metadata: dict[str, str] = {}
    status = _rich_status(error)
    if status is not None:
        message = status.message or message
        for detail in status.details:
            if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad_request = error_details_pb2.BadRequest()
                detail.Unpack(bad_request)
                field_violations.extend((v.field, v.description) for v in bad_request.field_violations)
            elif detail.Is(error_details_pb2.PreconditionFailure.DESCRIPTOR):
                failure = error_details_pb2.PreconditionFailure()
                detail.Unpack(failure)
                precondition_violations.extend((v.type, v.subject, v.description) for v in failure.violations)
            elif detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                reason = info.reason
                metadata.update(info.metadata)
    error_class = ERROR_CLASS_OF_CODE.get(code, ToudaiError)
    narrower = ERROR_CLASS_OF_REASON.get(reason)
    if narrower is not None and issubclass(narrower, error_class):
        error_class = narrower
    return error_class(
        code,
        message,
        reason=reason,
        field_violations=field_violations,
        precondition_violations=precondition_violations,
        metadata=metadata,
    )


def _rich_status(error: grpc.RpcError) -> status_pb2.Status | None:
    """The google.rpc.Status in the call's trailers, or None when the server sent only a code and message."""
    if not isinstance(error, grpc.Call):
        return None
    try:
        return rpc_status.from_call(error)
    except ValueError:  # the trailer's code or message disagrees with the call's: ignore the details
        return None
