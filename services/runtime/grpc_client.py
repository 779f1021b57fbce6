"""Channels between Stratus services: the caller's request context (and, when tracing is
on, the current span's W3C trace context) rides along every call."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import grpc
from opentelemetry.trace import SpanKind

from services.runtime import context, tracing
from services.runtime.metrics import (
    GRPC_CLIENT_HANDLED,
    GRPC_CLIENT_HANDLED_SECONDS,
    split_method,
)

AUTH_TOKEN_KEY = "x-auth-token"


def _with_context(
    details: grpc.aio.ClientCallDetails, token: str = ""
) -> grpc.aio.ClientCallDetails:
    metadata = grpc.aio.Metadata()
    for key, value in details.metadata or ():
        metadata.add(key, value)
    present = {key for key, _ in metadata}
    extra = context.current().to_metadata() + tracing.to_metadata()
    if token:
        extra.append((AUTH_TOKEN_KEY, token))
    for key, value in extra:
        if key not in present:
            metadata.add(key, value)
    return grpc.aio.ClientCallDetails(
        details.method, details.timeout, metadata, details.credentials, details.wait_for_ready
    )


def _method_labels(details: grpc.aio.ClientCallDetails) -> tuple[str, str]:
    method = details.method.decode() if isinstance(details.method, bytes) else details.method
    return split_method(method)


class _Interceptor:
    def __init__(self, token: str = "") -> None:
        self.token = token


class _UnaryUnary(_Interceptor, grpc.aio.UnaryUnaryClientInterceptor):
    async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        service, method = _method_labels(details)
        started = time.perf_counter()
        with tracing.span(
            f"{service}/{method}",
            kind=SpanKind.CLIENT,
            attributes={"rpc.system": "grpc", "rpc.service": service},
        ) as span:
            call = await continuation(_with_context(details, self.token), request)
            try:
                await call
                code = "OK"
            except grpc.aio.AioRpcError as error:
                code = error.code().name
                tracing.fail(span, code)
        GRPC_CLIENT_HANDLED.labels(service, method, code).inc()
        GRPC_CLIENT_HANDLED_SECONDS.labels(service, method).observe(time.perf_counter() - started)
        return call


class _UnaryStream(_Interceptor, grpc.aio.UnaryStreamClientInterceptor):
    async def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(_with_context(details, self.token), request)


class _StreamStream(_Interceptor, grpc.aio.StreamStreamClientInterceptor):
    async def intercept_stream_stream(
        self, continuation: Any, details: Any, request_iterator: Any
    ) -> Any:
        return await continuation(_with_context(details, self.token), request_iterator)


def channel(
    targets: str | Sequence[str],
    token: str = "",
    *,
    options: Sequence[tuple[str, int | str]] = (),
) -> grpc.aio.Channel:
    """A channel to one or several replicas of a service, balanced round-robin.

    `targets` are host:port strings; several become one `ipv4:` target list. With `token`,
    every call carries it (the public api requires one). `options` add to or replace the
    default channel arguments (e.g. a shorter keepalive for a long-lived stream).
    """
    addresses = [targets] if isinstance(targets, str) else list(targets)
    target = addresses[0] if len(addresses) == 1 else "ipv4:" + ",".join(addresses)
    arguments: dict[str, int | str] = {
        "grpc.lb_policy_name": "round_robin",
        "grpc.keepalive_time_ms": 20_000,
        "grpc.keepalive_permit_without_calls": 1,
        "grpc.enable_retries": 1,
        # gRPC's default reconnect backoff grows to 120 s, so a replica back after a short
        # outage would wait for the caller's next dial for many seconds: redial within 1 s.
        # ("min reconnect backoff" is the least time one connection attempt is given.)
        "grpc.initial_reconnect_backoff_ms": 100,
        "grpc.min_reconnect_backoff_ms": 5_000,
        "grpc.max_reconnect_backoff_ms": 1_000,
    }
    arguments.update(options)
    return grpc.aio.insecure_channel(
        target,
        options=list(arguments.items()),
        interceptors=[_UnaryUnary(token), _UnaryStream(token), _StreamStream(token)],
    )
