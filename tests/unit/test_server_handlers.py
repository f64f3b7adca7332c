"""server.handlers.wrap_handler: the interceptors' one way to change what a call does. It must keep what the
call is (its kind, its request parser and response serializer), or an interceptor would break the wire
format of every method it wraps."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import grpc

from server.handlers import HandlerInterceptor, StreamBehaviour, UnaryBehaviour, wrap_handler


def _parse(data: bytes) -> str:
    return data.decode()


def _serialize(message: str) -> bytes:
    return message.encode()


def _echo(request: Any, context: Any) -> str:
    return f"echo {request}"


def _twice(request: Any, context: Any) -> Iterator[str]:
    yield from (request, request)


def _shouting(behaviour: UnaryBehaviour) -> UnaryBehaviour:
    return lambda request, context: behaviour(request, context).upper()


def _numbered(behaviour: StreamBehaviour) -> StreamBehaviour:
    return lambda request, context: (f"{i}:{m}" for i, m in enumerate(behaviour(request, context)))


def test_a_unary_handler_stays_unary_with_its_serializers() -> None:
    handler = grpc.unary_unary_rpc_method_handler(_echo, request_deserializer=_parse, response_serializer=_serialize)
    wrapped = wrap_handler(handler, unary=_shouting, stream=_numbered)
    assert wrapped.unary_unary is not None and wrapped.unary_stream is None
    assert not wrapped.request_streaming and not wrapped.response_streaming
    assert wrapped.request_deserializer is _parse and wrapped.response_serializer is _serialize
    assert wrapped.unary_unary("hi", None) == "ECHO HI"


def test_a_server_stream_stays_a_stream_with_its_serializers() -> None:
    handler = grpc.unary_stream_rpc_method_handler(_twice, request_deserializer=_parse, response_serializer=_serialize)
    wrapped = wrap_handler(handler, unary=_shouting, stream=_numbered)
    assert wrapped.unary_stream is not None and wrapped.unary_unary is None
    assert not wrapped.request_streaming and wrapped.response_streaming
    assert wrapped.request_deserializer is _parse and wrapped.response_serializer is _serialize
    assert list(wrapped.unary_stream("hi", None)) == ["0:hi", "1:hi"]


def test_the_request_deserializer_is_replaced_only_when_asked() -> None:
    handler = grpc.unary_unary_rpc_method_handler(_echo, request_deserializer=_parse, response_serializer=_serialize)
    seen = []

    def strict(old: Any) -> Any:
        seen.append(old)
        return lambda data: old(data).strip()

    wrapped = wrap_handler(handler, unary=_shouting, deserializer=strict)
    assert seen == [_parse]
    assert wrapped.request_deserializer(b" hi ") == "hi"
    assert wrapped.response_serializer is _serialize


def test_a_kind_without_a_wrapper_is_left_as_it_is() -> None:
    unary = grpc.unary_unary_rpc_method_handler(_echo)
    stream = grpc.unary_stream_rpc_method_handler(_twice)
    client_stream = grpc.stream_unary_rpc_method_handler(lambda requests, context: "done")
    assert wrap_handler(unary, stream=_numbered) is unary
    assert wrap_handler(stream, unary=_shouting) is stream
    assert wrap_handler(client_stream, unary=_shouting, stream=_numbered) is client_stream


class _Details(grpc.HandlerCallDetails):
    def __init__(self, method: str) -> None:
        self.method = method
        self.invocation_metadata = ()


class _Renaming(HandlerInterceptor):
    """Answers every call with its method's name, to show what `wrap` is given."""

    def __init__(self) -> None:
        self.wrapped: list[str] = []

    def wrap(self, handler: Any, details: grpc.HandlerCallDetails) -> Any:
        self.wrapped.append(details.method)
        return wrap_handler(handler, unary=lambda _: lambda request, context: details.method)


def test_an_interceptor_wraps_the_handlers_the_server_has() -> None:
    interceptor = _Renaming()
    handler = grpc.unary_unary_rpc_method_handler(_echo)
    wrapped = interceptor.intercept_service(lambda _: handler, _Details("/toudai.v1.X/Y"))
    assert wrapped is not None and wrapped.unary_unary is not None
    assert wrapped.unary_unary("hi", None) == "/toudai.v1.X/Y"
    assert interceptor.wrapped == ["/toudai.v1.X/Y"]


def test_a_method_the_server_lacks_passes_through_unwrapped() -> None:
    interceptor = _Renaming()
    assert interceptor.intercept_service(lambda _: None, _Details("/toudai.v1.X/Missing")) is None
    assert interceptor.wrapped == []
