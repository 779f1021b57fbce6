"""Traces: one OpenTelemetry trace per client request, across api, conductor, scheduler and
agent.

A request's trace starts at the api (REST gateway or gRPC) with a span that carries the
request id (`stratus.request_id`). Every gRPC hop carries the W3C `traceparent` in metadata
beside `x-request-id`; what outlives a call carries it in its message instead: a conductor
task (`Task.traceparent`, so a flow run after a restart still joins the request's trace) and
an agent command (`Command.traceparent`, down the long-lived stream).

Tracing is off unless an OTLP endpoint is configured (`otlp_endpoint`, or the standard
`OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`): then no SDK tracer
provider is installed, and every helper here returns before touching OpenTelemetry, so
an untraced process pays one boolean test per hop. When on, log lines inside a span carry
its `trace_id`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import structlog
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

TRACEPARENT_KEY = "traceparent"
TRACESTATE_KEY = "tracestate"
REQUEST_ID_ATTRIBUTE = "stratus.request_id"
SERVICE_ATTRIBUTE = "stratus.service"
ENDPOINT_ENVIRONMENT = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")

_propagator = TraceContextTextMapPropagator()
_tracer = trace.get_tracer("stratus")
_enabled = False
_NO_PARENT = otel_context.Context()
_UNTRACED: contextlib.nullcontext[None] = contextlib.nullcontext(None)


def enabled() -> bool:
    """Whether this process records spans (an SDK provider was installed here)."""
    return _enabled


def endpoint_from(configured: str, environ: Mapping[str, str] | None = None) -> str:
    """The OTLP endpoint to export to: the configured one, else the standard environment
    variables; "" (tracing off) when none is set or `OTEL_SDK_DISABLED` is true."""
    environ = os.environ if environ is None else environ
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return ""
    if configured:
        return configured
    return next((environ[name] for name in ENDPOINT_ENVIRONMENT if environ.get(name)), "")


def configure(
    service_name: str, otlp_endpoint: str = "", environ: Mapping[str, str] | None = None
) -> bool:
    """Install a tracer provider exporting over OTLP/gRPC in batches when an endpoint is
    configured; with none, install nothing (the API's no-op tracer stays). True if on."""
    endpoint = endpoint_from(otlp_endpoint, environ)
    if not endpoint:
        return False
    # Imported here: an untraced process never loads the SDK or the exporter.
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    # An explicit endpoint wins over the environment; without one the exporter reads the
    # standard variables itself (including their TLS and header settings).
    exporter = OTLPSpanExporter(endpoint=otlp_endpoint or None)
    provider.add_span_processor(BatchSpanProcessor(exporter))
    install(provider)
    return True


def install(provider: trace.TracerProvider) -> None:
    """Make `provider` this process's tracer provider and turn span recording on (also how
    a test collects spans in memory)."""
    global _enabled
    trace.set_tracer_provider(provider)
    _enabled = True


def _carrier(metadata: Iterable[tuple[str, str | bytes]] | None) -> dict[str, str]:
    return {
        key: value
        for key, value in (metadata or ())
        if key in (TRACEPARENT_KEY, TRACESTATE_KEY) and isinstance(value, str)
    }


def to_metadata() -> list[tuple[str, str]]:
    """The current span's context as gRPC metadata (none when untraced)."""
    if not _enabled:
        return []
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return list(carrier.items())


def current_traceparent() -> str:
    """The current span's context as a W3C traceparent string, for a message that outlives
    the call ("" when untraced)."""
    return dict(to_metadata()).get(TRACEPARENT_KEY, "")


def parent_from_metadata(
    metadata: Iterable[tuple[str, str | bytes]] | None,
) -> otel_context.Context:
    """The caller's span context from gRPC metadata or HTTP headers (an empty context, so a
    new trace, when it sent none)."""
    if not _enabled:
        return _NO_PARENT
    return _propagator.extract(_carrier(metadata), context=otel_context.Context())


def parent_from_traceparent(traceparent: str) -> otel_context.Context:
    """The span context a message carried (an empty context, so a new trace, for "")."""
    if not _enabled or not traceparent:
        return _NO_PARENT
    return _propagator.extract({TRACEPARENT_KEY: traceparent}, context=otel_context.Context())


def span(
    name: str,
    *,
    kind: SpanKind = SpanKind.INTERNAL,
    parent: otel_context.Context | None = None,
    request_id: str = "",
    attributes: Mapping[str, Any] | None = None,
) -> contextlib.AbstractContextManager[Span | None]:
    """A current span for the block (None when untraced), a child of `parent` when given,
    else of the current span. An exception escaping the block marks the span failed."""
    if not _enabled:
        return _UNTRACED
    return _recording(name, kind, parent, request_id, attributes)


@contextlib.contextmanager
def _recording(
    name: str,
    kind: SpanKind,
    parent: otel_context.Context | None,
    request_id: str,
    attributes: Mapping[str, Any] | None,
) -> Iterator[Span]:
    values = dict(attributes or {})
    if request_id:
        values[REQUEST_ID_ATTRIBUTE] = request_id
    with (
        _tracer.start_as_current_span(
            name, context=parent, kind=kind, attributes=values, record_exception=True
        ) as current,
        # Log lines name the trace, so an operator can go from one to the other.
        structlog.contextvars.bound_contextvars(
            trace_id=format(current.get_span_context().trace_id, "032x")
        ),
    ):
        yield current


def fail(current: Span | None, description: str) -> None:
    """Mark `current` failed without an exception (e.g. a gRPC status other than OK)."""
    if current is not None:
        current.set_status(Status(StatusCode.ERROR, description))
