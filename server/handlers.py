"""Wrapping a gRPC method handler's behaviour, keeping its kind and its (de)serializers.

Every interceptor of the server (server.interceptors, server.auth, server.metrics, server.availability,
server.read_routing) changes what a call does, not what it is: a unary call stays unary with the same
request parser and response serializer, a server stream stays a stream. grpcio has no "replace the
behaviour" call, so each used to rebuild the handler itself with `grpc.unary_unary_rpc_method_handler`
or `grpc.unary_stream_rpc_method_handler`; `wrap_handler` is that rebuilding, once. And each began the
same way (find the method's handler, pass a missing one through); `HandlerInterceptor` is that beginning.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator
from typing import Any

import grpc

__all__ = ["Deserializer", "HandlerInterceptor", "StreamBehaviour", "UnaryBehaviour", "wrap_handler"]

#: What a unary-request handler does: (request, context) → the response, or the messages of a stream.
UnaryBehaviour = Callable[[Any, grpc.ServicerContext], Any]
StreamBehaviour = Callable[[Any, grpc.ServicerContext], Iterator[Any]]
Deserializer = Callable[[bytes], Any] | None


def wrap_handler(
    handler: grpc.RpcMethodHandler[Any, Any],
    *,
    unary: Callable[[UnaryBehaviour], UnaryBehaviour] | None = None,
    stream: Callable[[StreamBehaviour], StreamBehaviour] | None = None,
    deserializer: Callable[[Deserializer], Deserializer] | None = None,
) -> grpc.RpcMethodHandler[Any, Any]:
    """`handler` with its unary-unary behaviour replaced by `unary(behaviour)`, or its unary-stream one by
    `stream(behaviour)`; the same response serializer, and the same request deserializer unless
    `deserializer` replaces it (given the old one). A handler of a kind given no wrapper (a client
    stream, or a kind the caller leaves alone) is returned as it is."""
    if handler.unary_unary is not None and unary is not None:
        return grpc.unary_unary_rpc_method_handler(
            unary(handler.unary_unary),
            request_deserializer=_request_deserializer(handler, deserializer),
            response_serializer=handler.response_serializer,
        )
    if handler.unary_stream is not None and stream is not None:
        return grpc.unary_stream_rpc_method_handler(
            stream(handler.unary_stream),
            request_deserializer=_request_deserializer(handler, deserializer),
            response_serializer=handler.response_serializer,
        )
    return handler


def _request_deserializer(
    handler: grpc.RpcMethodHandler[Any, Any], replace: Callable[[Deserializer], Deserializer] | None
) -> Deserializer:
    return handler.request_deserializer if replace is None else replace(handler.request_deserializer)


class HandlerInterceptor(grpc.ServerInterceptor):
    """An interceptor that may change the handler of each call the server has a method for: `wrap` gets
    that handler and the call's details, and answers the handler to run (itself, a wrapped one, or None to
    refuse the call as unimplemented). A call of a method the server lacks passes through untouched."""

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler[Any, Any] | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = continuation(handler_call_details)
        if handler is None:
            return None
        return self.wrap(handler, handler_call_details)

    @abc.abstractmethod
    def wrap(
        self, handler: grpc.RpcMethodHandler[Any, Any], details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        """The handler the call runs instead of `handler`."""
