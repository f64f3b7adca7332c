"""Server interceptors: error translation and one structured log line per call.

Servicers raise domain errors; this is the one place they become gRPC statuses (see server.errors).
Every call, successful or not, logs one JSON line with method, status, duration and request_id, which
is what an operator greps for when a branch says "my posting did not go through".
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

import grpc

from ledger.errors import LedgerError
from server.errors import STATUS_OF_KIND, abort_with, internal_status, to_status

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


class ErrorAndLogInterceptor(grpc.ServerInterceptor):
    """Wraps every unary handler: domain errors → rich statuses, bugs → INTERNAL, and an access log line."""

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler[Any, Any] | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler
        method = handler_call_details.method
        behaviour = handler.unary_unary

        def wrapped(request: Any, context: grpc.ServicerContext) -> Any:
            started = time.perf_counter()
            status = "OK"
            request_id = request_id_of(request)
            try:
                return behaviour(request, context)
            except LedgerError as error:
                status = STATUS_OF_KIND[error.kind].name
                abort_with(context, to_status(error))
            except Exception:
                if getattr(context, "_state", None) is not None and context._state.aborted:  # type: ignore[attr-defined]
                    raise
                status = "INTERNAL"
                log.exception("unhandled error in %s (request_id=%s)", method, request_id)
                abort_with(context, internal_status(request_id))
            finally:
                access_log.info(
                    json.dumps(
                        {
                            "method": method,
                            "status": status,
                            "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                            "request_id": request_id,
                            "peer": context.peer(),
                        },
                        ensure_ascii=False,
                    )
                )
            return None  # pragma: no cover - abort_with always raises

        return grpc.unary_unary_rpc_method_handler(
            wrapped,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
