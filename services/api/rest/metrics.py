"""Prometheus metrics of the REST gateway: requests by route template, never by raw path."""

from __future__ import annotations

import time

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REST_REQUESTS = Counter(
    "stratus_rest_requests_total",
    "REST requests answered, by method, route template and HTTP status.",
    ["method", "route", "code"],
)
REST_REQUEST_SECONDS = Histogram(
    "stratus_rest_request_seconds",
    "Time to answer a REST request, by method and route template.",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)


class RestMetrics:
    """Counts and times every request; the route label is the matched template
    (`/v2.1/servers/{server_id}`), so ids never become label values."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            method = scope.get("method", "")
            REST_REQUESTS.labels(method, route, str(status)).inc()
            REST_REQUEST_SECONDS.labels(method, route).observe(time.perf_counter() - started)
