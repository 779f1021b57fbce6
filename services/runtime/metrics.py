"""Prometheus metrics every process shares, and the /metrics endpoint."""

from __future__ import annotations

import prometheus_client
from prometheus_client import Counter, Histogram

GRPC_SERVER_HANDLED = Counter(
    "stratus_grpc_server_handled_total",
    "gRPC calls completed by this server, by method and status code.",
    ["grpc_service", "grpc_method", "grpc_code"],
)
GRPC_SERVER_HANDLED_SECONDS = Histogram(
    "stratus_grpc_server_handled_seconds",
    "Time from receiving a gRPC call to its completion.",
    ["grpc_service", "grpc_method"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
GRPC_CLIENT_HANDLED = Counter(
    "stratus_grpc_client_handled_total",
    "gRPC calls this process made, by method and status code.",
    ["grpc_service", "grpc_method", "grpc_code"],
)
GRPC_CLIENT_HANDLED_SECONDS = Histogram(
    "stratus_grpc_client_handled_seconds",
    "Time from sending a gRPC call to its completion.",
    ["grpc_service", "grpc_method"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def split_method(full_method: str) -> tuple[str, str]:
    """'/stratus.v1.Compute/GetServer' -> ('stratus.v1.Compute', 'GetServer')."""
    service, _, method = full_method.lstrip("/").rpartition("/")
    return service, method


def serve(host: str, port: int) -> None:
    """Serve /metrics on host:port in a background thread (port 0: do nothing)."""
    if port:
        prometheus_client.start_http_server(port, addr=host)
