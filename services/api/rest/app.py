"""The REST gateway: Nova's Compute v2.1 and Glance v2's image reads over the service layer.

`create_app` builds the FastAPI application. One middleware resolves the caller's context
for each request, binds its request id to every log line, stamps the request id and the
microversion on every response, and turns anything unexpected into Nova's 500 fault.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from opentelemetry.trace import Span, SpanKind
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.api.rest import (
    aggregates,
    consoles,
    errors,
    flavors,
    hosts,
    images,
    microversions,
    quotas,
    scheduler,
    server_groups,
    servers,
    versions,
)
from services.api.rest.deps import ComputeApiLike
from services.api.rest.metrics import RestMetrics
from services.runtime import context as request_contexts
from services.runtime import tracing
from services.runtime.context import RequestContext, new_request_id
from services.runtime.errors import StratusError

log = structlog.get_logger(__name__)

REQUEST_ID_HEADER = "X-Openstack-Request-Id"
COMPUTE_REQUEST_ID_HEADER = "X-Compute-Request-Id"

# A client's own request id is kept only if it is a plain token (no spaces or control bytes).
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

ContextFactory = Callable[[Request], RequestContext | Awaitable[RequestContext]]


def request_context(request: Request) -> RequestContext:
    """An anonymous caller (no user, project or role) with the request id the client sent
    in `X-Openstack-Request-Id`, or a fresh one. Who the caller is comes from the factory
    the api passes to create_app (its token); this default grants nothing."""
    given = request.headers.get(REQUEST_ID_HEADER, "").strip()
    request_id = given if given and _REQUEST_ID.match(given) else new_request_id()
    return RequestContext(request_id=request_id, user_id="", project_id="", roles=())


class GatewayMiddleware:
    """Context, request id headers, microversion headers and the last-resort fault."""

    def __init__(self, app: ASGIApp, context_factory: ContextFactory) -> None:
        self.app = app
        self.context_factory = context_factory

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        compute = scope["path"] == "/v2.1" or scope["path"].startswith("/v2.1/")
        extra_headers: list[tuple[bytes, bytes]] = []
        version, refusal = microversions.MIN, None
        if compute:
            try:
                version = microversions.negotiate(request.headers)
            except microversions.Refused as exc:
                refusal = exc
            extra_headers += microversions.response_headers(version)
        scope.setdefault("state", {})["microversion"] = version

        try:
            resolved = self.context_factory(request)
            ctx = await resolved if inspect.isawaitable(resolved) else resolved
        except StratusError as exc:
            status = errors.http_status(exc)
            await self._fault(send, new_request_id(), extra_headers, status, exc.message)
            return
        scope.setdefault("state", {})["context"] = ctx
        ids = ctx.request_id.encode()
        extra_headers += [
            (REQUEST_ID_HEADER.lower().encode(), ids),
            (COMPUTE_REQUEST_ID_HEADER.lower().encode(), ids),
        ]

        if refusal is not None:
            await self._fault(send, ctx.request_id, extra_headers, refusal.status, refusal.message)
            return

        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message = {**message, "headers": [*message.get("headers", []), *extra_headers]}
                _describe_span(span, scope, message["status"])
            await send(message)

        with (
            request_contexts.bound(ctx),
            # The request's trace starts here (or continues the client's `traceparent`).
            tracing.span(
                str(scope.get("method", "HTTP")),
                kind=SpanKind.SERVER,
                parent=tracing.parent_from_metadata(request.headers.items()),
                request_id=ctx.request_id,
                attributes={"http.request.method": scope.get("method", "")},
            ) as span,
        ):
            try:
                await self.app(scope, receive, send_with_headers)
            except Exception:
                log.exception(
                    "rest_request_failed", method=scope.get("method"), path=scope.get("path")
                )
                if started:
                    raise
                await self._fault(
                    send,
                    ctx.request_id,
                    extra_headers,
                    500,
                    errors.unexpected_message(ctx.request_id),
                )

    @staticmethod
    async def _fault(
        send: Send,
        request_id: str,
        extra_headers: list[tuple[bytes, bytes]],
        status: int,
        message: str,
    ) -> None:
        response = errors.fault_response(status, message)
        for name, value in extra_headers:
            if name.decode() not in (REQUEST_ID_HEADER.lower(), COMPUTE_REQUEST_ID_HEADER.lower()):
                response.headers.append(name.decode(), value.decode())
        response.headers[REQUEST_ID_HEADER] = request_id
        response.headers[COMPUTE_REQUEST_ID_HEADER] = request_id
        await response({"type": "http"}, _no_receive, send)


def _describe_span(span: Span | None, scope: Scope, status: int) -> None:
    """Name a request's span after its route template (ids stay out of span names)."""
    if span is None:
        return
    route = getattr(scope.get("route"), "path", None)
    if route:
        span.update_name(f"{scope.get('method', 'HTTP')} {route}")
        span.set_attribute("http.route", route)
    span.set_attribute("http.response.status_code", status)
    if status >= 500:
        tracing.fail(span, f"HTTP {status}")


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}


# What every compute error answers (Nova's fault: one key, the fault's name) and what every
# identity error answers (Keystone's `error`).
_FAULT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "minProperties": 1,
    "maxProperties": 1,
    "additionalProperties": {
        "type": "object",
        "required": ["code", "message"],
        "properties": {"code": {"type": "integer"}, "message": {"type": "string"}},
    },
}
_IDENTITY_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "integer"}, "message": {"type": "string"}},
        }
    },
}
_IDENTITY_PREFIXES = ("/identity", "/v3", "/v2.0")
# The refusals any operation may answer: the request (400), the caller (401, 403), what it
# names (404), the microversion (406), the state it meets (409), the body's size and type
# (413, 415), what Stratus does not serve (501) and a dependency that is down (503).
FAULT_RESPONSES = {
    "400": "Bad request: the message says what is wrong.",
    "401": "No valid token.",
    "403": "Policy does not allow this, or a quota is exceeded.",
    "404": "No such resource.",
    "406": "The requested microversion is not supported.",
    "409": "The resource's state does not allow this now.",
    "413": "The request body is too large.",
    "415": "The body is not JSON.",
    "501": "Not implemented by Stratus.",
    "503": "A service Stratus depends on is unavailable; try again.",
}


def openapi_document(app: FastAPI) -> dict[str, Any]:
    """The served OpenAPI document: FastAPI's, with the faults every operation may answer
    in Nova's (or, for identity, Keystone's) error shape instead of FastAPI's 422, which
    the gateway never answers (it answers 400, as Nova does)."""
    if app.openapi_schema:
        return app.openapi_schema
    document = get_openapi(title=app.title, version=app.version, routes=app.routes)
    for path, operations in document.get("paths", {}).items():
        schema = _IDENTITY_ERROR_SCHEMA if path.startswith(_IDENTITY_PREFIXES) else _FAULT_SCHEMA
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            for status, description in FAULT_RESPONSES.items():
                responses.setdefault(
                    status,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": schema}},
                    },
                )
    schemas = document.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    if "components" in document and not schemas:
        document["components"].pop("schemas", None)
        if not document["components"]:
            del document["components"]
    app.openapi_schema = document
    return document


def create_app(
    api: ComputeApiLike,
    context_factory: ContextFactory = request_context,
    *,
    public_url: str = "",
) -> FastAPI:
    """The gateway over `api`.

    `context_factory` turns a request into the caller's RequestContext (sync or async; a
    StratusError it raises, such as Unauthenticated, becomes the matching fault). Links
    point at `public_url` when given, else at the URL the client used.
    """
    app = FastAPI(
        title="Stratus Compute API",
        version=str(microversions.MAX),
        redirect_slashes=False,
    )
    app.state.compute_api = api
    app.state.public_url = public_url
    errors.install(app)
    for module in (
        versions,
        servers,
        flavors,
        images,
        hosts,
        consoles,
        server_groups,
        aggregates,
        scheduler,
        quotas,
    ):
        app.include_router(module.router)
    app.openapi = lambda: openapi_document(app)  # type: ignore[method-assign]
    app.add_middleware(GatewayMiddleware, context_factory=context_factory)
    app.add_middleware(RestMetrics)  # outermost: also counts what the gateway refuses
    return app
