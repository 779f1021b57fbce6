"""Tracing is on exactly when an OTLP endpoint is configured, and costs nothing otherwise.

Which tracer provider a process has is global and set once, so each case runs in a fresh
interpreter.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent import futures
from pathlib import Path

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

from services.api.config import ApiConfig
from services.runtime import config, tracing

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
from opentelemetry import trace
from services.runtime import tracing
on = tracing.configure("stratus-api", sys.argv[1])
provider = trace.get_tracer_provider()
with tracing.span("probe", request_id="req-1") as span:
    metadata = tracing.to_metadata()
    traceparent = tracing.current_traceparent()
resource = getattr(provider, "resource", None)
print(json.dumps({
    "on": on,
    "enabled": tracing.enabled(),
    "provider": type(provider).__module__ + "." + type(provider).__name__,
    "service": resource.attributes.get("service.name") if resource else None,
    "sdk_loaded": "opentelemetry.sdk.trace" in sys.modules,
    "span": span is not None,
    "metadata": [key for key, _ in metadata],
    "traceparent": traceparent,
}))
"""


def probe(otlp_endpoint: str = "", **environment: str) -> dict[str, object]:
    """What `tracing.configure` did in a fresh process with this config and environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update(environment, PYTHONPATH=f"{ROOT}{os.pathsep}{ROOT / 'protos'}")
    done = subprocess.run(
        [sys.executable, "-c", PROBE, otlp_endpoint],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_without_an_endpoint_no_sdk_provider_is_installed_and_nothing_is_recorded() -> None:
    found = probe()
    assert found["on"] is False and found["enabled"] is False
    assert found["provider"] == "opentelemetry.trace.ProxyTracerProvider"
    assert found["sdk_loaded"] is False
    assert found["span"] is False
    assert found["metadata"] == [] and found["traceparent"] == ""


def test_a_configured_endpoint_installs_an_sdk_provider_named_after_the_service() -> None:
    found = probe("http://127.0.0.1:4317")
    assert found["on"] is True and found["enabled"] is True
    assert found["provider"] == "opentelemetry.sdk.trace.TracerProvider"
    assert found["service"] == "stratus-api"
    assert found["span"] is True
    assert found["metadata"] == ["traceparent"]
    assert str(found["traceparent"]).startswith("00-")


def test_the_standard_environment_variable_turns_tracing_on_too() -> None:
    found = probe(OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:4317")
    assert found["provider"] == "opentelemetry.sdk.trace.TracerProvider"


def test_otel_sdk_disabled_keeps_tracing_off_whatever_is_configured() -> None:
    found = probe("http://127.0.0.1:4317", OTEL_SDK_DISABLED="true")
    assert found["provider"] == "opentelemetry.trace.ProxyTracerProvider"


def test_the_configured_endpoint_wins_over_the_environment() -> None:
    environ = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://general:4317",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://traces:4317",
    }
    assert tracing.endpoint_from("http://mine:4317", environ) == "http://mine:4317"
    assert tracing.endpoint_from("", environ) == "http://traces:4317"
    assert tracing.endpoint_from("", {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://g:4317"}) == (
        "http://g:4317"
    )
    assert tracing.endpoint_from("", {}) == ""


def test_every_service_reads_otlp_endpoint_like_any_other_setting() -> None:
    loaded = config.load(ApiConfig, "api", environ={"STRATUS_OTLP_ENDPOINT": "http://c:4317"})
    assert loaded.otlp_endpoint == "http://c:4317"
    assert config.load(ApiConfig, "api", environ={}).otlp_endpoint == ""


def test_an_untraced_process_ignores_a_callers_trace_context() -> None:
    assert not tracing.enabled()
    traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    assert tracing.parent_from_traceparent(traceparent) == tracing.parent_from_traceparent("")


EXPORT = """
import sys
from opentelemetry import trace
from services.runtime import tracing
assert tracing.configure("stratus-conductor", sys.argv[1])
with tracing.span("conductor build", request_id="req-exported"):
    pass
trace.get_tracer_provider().shutdown()  # flushes the batch
"""


class Collector(trace_service_pb2_grpc.TraceServiceServicer):
    """An OTLP/gRPC receiver that keeps what it is sent."""

    def __init__(self) -> None:
        self.received: list[trace_service_pb2.ExportTraceServiceRequest] = []

    def Export(
        self, request: trace_service_pb2.ExportTraceServiceRequest, context: object
    ) -> trace_service_pb2.ExportTraceServiceResponse:
        self.received.append(request)
        return trace_service_pb2.ExportTraceServiceResponse()


def test_spans_are_exported_over_otlp_grpc_to_the_configured_endpoint() -> None:
    collector = Collector()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(collector, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
        env["PYTHONPATH"] = f"{ROOT}{os.pathsep}{ROOT / 'protos'}"
        subprocess.run(
            [sys.executable, "-c", EXPORT, f"http://127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            timeout=60,
            check=True,
        )
    finally:
        server.stop(grace=None)
    (request,) = collector.received
    (resource_spans,) = request.resource_spans
    service = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
    assert service["service.name"] == "stratus-conductor"
    (span,) = [s for scope in resource_spans.scope_spans for s in scope.spans]
    assert span.name == "conductor build"
    attributes = {a.key: a.value.string_value for a in span.attributes}
    assert attributes[tracing.REQUEST_ID_ATTRIBUTE] == "req-exported"
