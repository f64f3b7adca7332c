"""Server interceptors: error translation and one structured log line per call.

Servicers raise domain errors; this is the one place they become gRPC statuses (see server.errors).
Every unary call, successful or not, logs one access record with method, status, duration, request_id,
peer and the verified caller's principal and role (server.logs: the auth interceptor, which runs inside
this one, notes the caller), which is what an operator greps for when a branch says "my posting did not
go through".
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

import grpc

from ledger.errors import InvalidArgument, LedgerError
from server.errors import STATUS_OF_KIND, abort_with, internal_status, to_status
from server.handlers import Deserializer, HandlerInterceptor, StreamBehaviour, UnaryBehaviour, wrap_handler
from server.logs import CallRecord, recording

access_log = logging.getLogger("toudai.access")
log = logging.getLogger(__name__)


def request_id_of(request: Any) -> str:
    """The request_id a call carries, for logs; a batch logs its first id and its size."""
    request_id = getattr(request, "request_id", "")
    if request_id:
        return str(request_id)
    transactions = getattr(request, "transactions", None)
    if transactions:
        first = transactions[0].request_id
        return f"{first} (+{len(transactions) - 1} more)" if len(transactions) > 1 else str(first)
    return ""


def log_access(fields: dict[str, Any], caller: CallRecord | None = None) -> None:
    """One access log record: `fields` plus the caller's principal and role (null when unknown).

    The message is the same fields as JSON text, for handlers without server.logs.JsonFormatter.
    """
    fields["principal"] = caller.principal if caller is not None else None
    fields["role"] = caller.role if caller is not None else None
    # The JSON text only if a handler asks for the message: server.logs.JsonFormatter writes `fields` itself,
    # so encoding them here as well cost every call a second json.dumps for nothing.
    access_log.info("%s", _JsonText(fields), extra={"fields": fields})


class _JsonText:
    """`fields` as JSON text, encoded when a log handler formats the message (never, under JsonFormatter)."""

    __slots__ = ("fields",)

    def __init__(self, fields: dict[str, Any]) -> None:
        self.fields = fields

    def __str__(self) -> str:
        return json.dumps(self.fields, ensure_ascii=False)


class _Undecodable:
    """Stands in for a request whose bytes did not parse, so the call is refused INVALID_ARGUMENT.

    Left to itself grpcio answers an unparseable request INTERNAL ("Exception deserializing request!"),
    which would read as a server bug; it is the client's.
    """

    def __init__(self, error: Exception) -> None:
        self.error = error


def _tolerant(deserializer: Deserializer) -> Deserializer:
    if deserializer is None:
        return None

    def deserialize(data: bytes) -> Any:
        try:
            return deserializer(data)
        except Exception as error:
            return _Undecodable(error)

    return deserialize


def _refuse_undecodable(context: grpc.ServicerContext, request: _Undecodable) -> None:
    error = InvalidArgument.one("request", f"is not a valid serialized protobuf message ({request.error})")
    abort_with(context, to_status(error))


class InFlight:
    """Counts the calls a server is working on, until gRPC reports each one terminated.

    Draining on SIGTERM waits for this to reach zero before stopping the server: `grpc.Server.stop(grace)`
    alone can tear a connection down while a finished call's answer is still being written to it (seen
    with a 3 MB PostTransactions answer: the client got UNAVAILABLE for a call that had committed).
    """

    def __init__(self) -> None:
        self._count = 0
        self._idle = threading.Condition()

    def enter(self, context: grpc.ServicerContext) -> None:
        with self._idle:
            self._count += 1
        if not context.add_callback(self._leave):  # already over: count it out now
            self._leave()

    def _leave(self) -> None:
        with self._idle:
            self._count -= 1
            if self._count == 0:
                self._idle.notify_all()

    @property
    def count(self) -> int:
        return self._count

    def wait_idle(self, timeout: float) -> bool:
        """Block until no call is in flight (True) or `timeout` seconds pass (False)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._count == 0, timeout=max(0.0, timeout))


class ErrorAndLogInterceptor(HandlerInterceptor):
    """Wraps every unary handler: domain errors → rich statuses, bugs → INTERNAL, and an access log line."""

    def __init__(self, in_flight: InFlight | None = None) -> None:
        self._in_flight = in_flight

    def wrap(
        self, handler: grpc.RpcMethodHandler[Any, Any], details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        method = details.method
        return wrap_handler(
            handler,
            unary=lambda behaviour: self._translated_and_logged(method, behaviour),
            stream=self._guarded_stream,
            deserializer=_tolerant,
        )

    def _guarded_stream(self, streaming: StreamBehaviour) -> StreamBehaviour:
        """A server stream: counted in flight and refused if its request did not parse. This interceptor
        leaves its errors as they are raised and logs no access line for it."""

        def stream_wrapped(request: Any, context: grpc.ServicerContext) -> Any:
            if self._in_flight is not None:
                self._in_flight.enter(context)
            if isinstance(request, _Undecodable):
                _refuse_undecodable(context, request)
            return streaming(request, context)

        return stream_wrapped

    def _translated_and_logged(self, method: str, behaviour: UnaryBehaviour) -> UnaryBehaviour:
        def wrapped(request: Any, context: grpc.ServicerContext) -> Any:
            if self._in_flight is not None:
                self._in_flight.enter(context)
            started = time.perf_counter()
            status = "OK"
            if isinstance(request, _Undecodable):
                log_access({"method": method, "status": "INVALID_ARGUMENT", "undecodable": True})
                _refuse_undecodable(context, request)
            request_id = request_id_of(request)
            remaining = context.time_remaining()
            if remaining is not None and remaining <= 0:  # the client has given up: do not start the work
                log_access({"method": method, "status": "DEADLINE_EXCEEDED", "request_id": request_id})
                context.abort(grpc.StatusCode.DEADLINE_EXCEEDED, "the call's deadline passed before it started")
            with recording() as caller:
                try:
                    return behaviour(request, context)
                except LedgerError as error:
                    status = STATUS_OF_KIND[error.kind].name
                    abort_with(context, to_status(error))
                except Exception:
                    if getattr(context, "_state", None) is not None and context._state.aborted:  # type: ignore[attr-defined]
                        code = context.code()  # type: ignore[attr-defined]
                        status = code.name if isinstance(code, grpc.StatusCode) else "UNKNOWN"
                        raise
                    status = "INTERNAL"
                    log.exception("unhandled error in %s (request_id=%r)", method, request_id)
                    abort_with(context, internal_status(request_id))
                finally:
                    log_access(
                        {
                            "method": method,
                            "status": status,
                            "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                            "request_id": request_id,
                            "peer": context.peer(),
                        },
                        caller,
                    )
            return None  # pragma: no cover - abort_with always raises

        return wrapped
