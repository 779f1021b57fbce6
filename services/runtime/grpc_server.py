"""A grpc.aio server as every Stratus service runs it.

Each server gets: the request-context interceptor (request id and caller bound for the
call and its log lines), per-method metrics, StratusError mapped to its gRPC status, the
standard health service and reflection (so grpcurl can list and call everything).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from typing import Any

import grpc
import structlog
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from services.runtime import context
from services.runtime.errors import StratusError
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
            return handler  # health and reflection: no context, no metrics
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

        def unary_response(behavior: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
            async def wrapped(request: Any, servicer_context: grpc.aio.ServicerContext) -> Any:
                started = time.perf_counter()
                try:
                    ctx = caller()
                except StratusError as error:
                    finish(started, servicer_context)
                    await _abort_with(error, servicer_context)
                with context.bound(ctx):
                    await servicer_context.send_initial_metadata(
                        [(context.REQUEST_ID_KEY, ctx.request_id)]
                    )
                    try:
                        return await behavior(request, servicer_context)
                    except StratusError as error:
                        log.info("request refused", method=method, error=error.message)
                        await _abort_with(error, servicer_context)
                    finally:
                        finish(started, servicer_context)

            return wrapped

        def stream_response(behavior: Callable[..., AsyncIterator[Any]]) -> Callable[..., Any]:
            async def wrapped(
                request: Any, servicer_context: grpc.aio.ServicerContext
            ) -> AsyncIterator[Any]:
                started = time.perf_counter()
                try:
                    ctx = caller()
                except StratusError as error:
                    finish(started, servicer_context)
                    await _abort_with(error, servicer_context)
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

        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                unary_response(handler.unary_unary),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.stream_unary:
            return grpc.stream_unary_rpc_method_handler(
                unary_response(handler.stream_unary),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                stream_response(handler.unary_stream),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return grpc.stream_stream_rpc_method_handler(
            stream_response(handler.stream_stream),
            request_deserializer=handler.request_deserializer,
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
) -> GrpcServer:
    """Start a server on host:port (0: any free port) with `register` adding the servicers."""
    server = grpc.aio.server(
        interceptors=[ServiceInterceptor(authenticate)],
        options=[
            ("grpc.so_reuseport", 0),
            ("grpc.keepalive_time_ms", 20_000),
            ("grpc.http2.min_ping_interval_without_data_ms", 5_000),
            ("grpc.keepalive_permit_without_calls", 1),
        ],
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
