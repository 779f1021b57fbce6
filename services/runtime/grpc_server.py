"""A grpc.aio server as every Stratus service runs it.

Each server gets: the request-context interceptor (request id and caller bound for the
call and its log lines; a span for each call with a single answer, when tracing is on, in
the caller's trace), per-method metrics, StratusError mapped to its gRPC status, the
standard health service and reflection (so grpcurl can list and call everything).

A request message that does not decode is the caller's error: grpc.aio would answer it
with UNKNOWN, so the interceptor decodes every request itself and answers INVALID_ARGUMENT
before the method runs (for a streamed request, when the bad message arrives).
"""

from __future__ import annotations

import inspect
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from typing import Any

import grpc
import structlog
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from opentelemetry.trace import SpanKind

from services.runtime import context, tracing
from services.runtime.errors import InvalidArgument, StratusError
from services.runtime.metrics import (
    GRPC_SERVER_HANDLED,
    GRPC_SERVER_HANDLED_SECONDS,
    split_method,
)

log = structlog.get_logger(__name__)


def _code_of(servicer_context: grpc.aio.ServicerContext) -> str:
    code = servicer_context.code()
    if code is None:
        return "OK"
    if isinstance(code, grpc.StatusCode):
        return code.name
    return str(code)


async def _abort_with(error: StratusError, servicer_context: grpc.aio.ServicerContext) -> None:
    await servicer_context.abort(error.code, error.message)


class Undecodable:
    """What a request's bytes became when they are not a message of the method's type."""

    def __init__(self, problem: str) -> None:
        self.problem = problem

    def error(self) -> InvalidArgument:
        return InvalidArgument(f"Malformed request: the message does not decode ({self.problem}).")


def _tolerant(deserializer: Callable[[bytes], Any] | None) -> Callable[[bytes], Any] | None:
    """`deserializer`, answering Undecodable instead of raising."""
    if deserializer is None:
        return None
    decode = deserializer

    def deserialize(raw: bytes) -> Any:
        try:
            return decode(raw)
        except Exception as exc:  # DecodeError, and whatever a custom deserializer raises
            return Undecodable(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)

    return deserialize


def _request_checked(behavior: Callable[..., Any], streamed: bool) -> Callable[..., Any]:
    """`behavior`, refusing an undecodable request with INVALID_ARGUMENT (no context, no
    metrics: for the health and reflection services). The wrapper is of the same kind as
    `behavior` (coroutine or async generator), which is how grpc.aio tells them apart."""
    if inspect.isasyncgenfunction(behavior):

        async def stream_reply(
            request: Any, servicer_context: grpc.aio.ServicerContext
        ) -> AsyncIterator[Any]:
            if streamed:
                request = _aborting(request, servicer_context)
            elif isinstance(request, Undecodable):
                await _abort_with(request.error(), servicer_context)
            async for response in behavior(request, servicer_context):
                yield response

        return stream_reply

    async def reply(request: Any, servicer_context: grpc.aio.ServicerContext) -> Any:
        if streamed:
            request = _aborting(request, servicer_context)
        elif isinstance(request, Undecodable):
            await _abort_with(request.error(), servicer_context)
        return await behavior(request, servicer_context)

    return reply


async def _aborting(
    requests: AsyncIterator[Any], servicer_context: grpc.aio.ServicerContext
) -> AsyncIterator[Any]:
    """A request stream that ends the call with INVALID_ARGUMENT at an undecodable message,
    whatever the method does with errors of its stream."""
    async for request in requests:
        if isinstance(request, Undecodable):
            await _abort_with(request.error(), servicer_context)
        yield request


def _decoding_handler(handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
    """`handler` with its requests decoded by the tolerant deserializer and checked."""
    deserializer = _tolerant(handler.request_deserializer)
    serializer = handler.response_serializer
    if handler.unary_unary:
        return grpc.unary_unary_rpc_method_handler(
            _request_checked(handler.unary_unary, streamed=False),
            request_deserializer=deserializer,
            response_serializer=serializer,
        )
    if handler.unary_stream:
        return grpc.unary_stream_rpc_method_handler(
            _request_checked(handler.unary_stream, streamed=False),
            request_deserializer=deserializer,
            response_serializer=serializer,
        )
    if handler.stream_unary:
        return grpc.stream_unary_rpc_method_handler(
            _request_checked(handler.stream_unary, streamed=True),
            request_deserializer=deserializer,
            response_serializer=serializer,
        )
    return grpc.stream_stream_rpc_method_handler(
        _request_checked(handler.stream_stream, streamed=True),
        request_deserializer=deserializer,
        response_serializer=serializer,
    )


# Who is calling: from the call's full method name and metadata, a request context, or
# Unauthenticated. Internal services trust the context the api forwarded in metadata;
# the public api verifies the caller's token instead.
Authenticator = Callable[[str, Sequence[tuple[str, str | bytes]]], context.RequestContext]


def trusted_metadata(
    method: str, metadata: Sequence[tuple[str, str | bytes]]
) -> context.RequestContext:
    """The context another Stratus service forwarded (x-request-id, x-stratus-*)."""
    return context.RequestContext.from_metadata(metadata)


class ServiceInterceptor(grpc.aio.ServerInterceptor):
    """Binds the request context, records metrics and maps StratusError for every call."""

    def __init__(self, authenticate: Authenticator = trusted_metadata) -> None:
        self.authenticate = authenticate

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        service, method = split_method(handler_call_details.method)
        if service.startswith("grpc."):
            # Health and reflection: no context, no metrics, but the same decoding rule.
            return _decoding_handler(handler)
        metadata = tuple(handler_call_details.invocation_metadata or ())
        full_method = handler_call_details.method
        authenticate = self.authenticate

        def caller() -> context.RequestContext:
            return authenticate(full_method, metadata)

        def finish(started: float, servicer_context: grpc.aio.ServicerContext) -> None:
            GRPC_SERVER_HANDLED.labels(service, method, _code_of(servicer_context)).inc()
            GRPC_SERVER_HANDLED_SECONDS.labels(service, method).observe(
                time.perf_counter() - started
            )

        def unary_response(
            behavior: Callable[..., Awaitable[Any]], streamed: bool
        ) -> Callable[..., Any]:
            async def wrapped(request: Any, servicer_context: grpc.aio.ServicerContext) -> Any:
                started = time.perf_counter()
                try:
                    ctx = caller()
                    if isinstance(request, Undecodable):
                        raise request.error()
                except StratusError as error:
                    finish(started, servicer_context)
                    await _abort_with(error, servicer_context)
                if streamed:
                    request = _aborting(request, servicer_context)
                with (
                    context.bound(ctx),
                    tracing.span(
                        full_method.lstrip("/"),
                        kind=SpanKind.SERVER,
                        parent=tracing.parent_from_metadata(metadata),
                        request_id=ctx.request_id,
                        attributes={"rpc.system": "grpc", "rpc.service": service},
                    ) as span,
                ):
                    await servicer_context.send_initial_metadata(
                        [(context.REQUEST_ID_KEY, ctx.request_id)]
                    )
                    try:
                        return await behavior(request, servicer_context)
                    except StratusError as error:
                        log.info("request refused", method=method, error=error.message)
                        tracing.fail(span, error.message)
                        await _abort_with(error, servicer_context)
                    finally:
                        finish(started, servicer_context)

            return wrapped

        def stream_response(
            behavior: Callable[..., AsyncIterator[Any]], streamed: bool
        ) -> Callable[..., Any]:
            async def wrapped(
                request: Any, servicer_context: grpc.aio.ServicerContext
            ) -> AsyncIterator[Any]:
                started = time.perf_counter()
                try:
                    ctx = caller()
                    if isinstance(request, Undecodable):
                        raise request.error()
                except StratusError as error:
                    finish(started, servicer_context)
                    await _abort_with(error, servicer_context)
                if streamed:
                    request = _aborting(request, servicer_context)
                with context.bound(ctx):
                    try:
                        async for response in behavior(request, servicer_context):
                            yield response
                    except StratusError as error:
                        log.info("request refused", method=method, error=error.message)
                        await _abort_with(error, servicer_context)
                    finally:
                        finish(started, servicer_context)

            return wrapped

        deserializer = _tolerant(handler.request_deserializer)
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                unary_response(handler.unary_unary, streamed=False),
                request_deserializer=deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.stream_unary:
            return grpc.stream_unary_rpc_method_handler(
                unary_response(handler.stream_unary, streamed=True),
                request_deserializer=deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                stream_response(handler.unary_stream, streamed=False),
                request_deserializer=deserializer,
                response_serializer=handler.response_serializer,
            )
        return grpc.stream_stream_rpc_method_handler(
            stream_response(handler.stream_stream, streamed=True),
            request_deserializer=deserializer,
            response_serializer=handler.response_serializer,
        )


class GrpcServer:
    """A started server with its health service, so callers can mark it serving or not."""

    def __init__(self, server: grpc.aio.Server, port: int, health: health.aio.HealthServicer):
        self.server = server
        self.port = port
        self.health = health

    async def stop(self, grace_seconds: float) -> None:
        """Refuse new calls at once; let running ones finish within the grace period."""
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace_seconds)


async def start_server(
    host: str,
    port: int,
    register: Callable[[grpc.aio.Server], None],
    service_names: Iterable[str],
    *,
    authenticate: Authenticator = trusted_metadata,
    options: Sequence[tuple[str, int | str]] = (),
) -> GrpcServer:
    """Start a server on host:port (0: any free port) with `register` adding the servicers.

    `options` add to or replace the default server arguments (e.g. a shorter keepalive).
    """
    arguments: dict[str, int | str] = {
        "grpc.so_reuseport": 0,
        "grpc.keepalive_time_ms": 20_000,
        "grpc.http2.min_ping_interval_without_data_ms": 5_000,
        "grpc.keepalive_permit_without_calls": 1,
    }
    arguments.update(options)
    server = grpc.aio.server(
        interceptors=[ServiceInterceptor(authenticate)],
        options=list(arguments.items()),
    )
    register(server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    names = list(service_names)
    reflection.enable_server_reflection(
        [
            *names,
            health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
            reflection.SERVICE_NAME,
        ],
        server,
    )
    bound_port = server.add_insecure_port(f"{host}:{port}")
    await server.start()
    for name in ["", *names]:
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    return GrpcServer(server, bound_port, health_servicer)
