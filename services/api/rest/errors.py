"""Errors as Nova's JSON faults: `{"<name>": {"code": <http status>, "message": "..."}}`.

A StratusError's gRPC code decides the HTTP status; the HTTP status decides the fault name,
from Nova's own table. Anything unexpected becomes a 500 `computeFault` without a traceback.
"""

from __future__ import annotations

from typing import Any

import grpc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.runtime.errors import StratusError, from_rpc_error

# Nova's names for fault bodies by HTTP status (nova/api/openstack/wsgi.py); others: computeFault.
FAULT_NAMES = {
    400: "badRequest",
    401: "unauthorized",
    403: "forbidden",
    404: "itemNotFound",
    405: "badMethod",
    409: "conflictingRequest",
    413: "overLimit",
    415: "badMediaType",
    429: "overLimit",
    501: "notImplemented",
    503: "serviceUnavailable",
}

HTTP_STATUS_BY_CODE = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 403,  # Nova answers an exceeded quota with 403
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 503,
}

_DEFAULT_MESSAGES = {
    400: "The server could not comply with the request since it is either malformed or "
    "otherwise incorrect.",
    401: "The request you have made requires authentication.",
    403: "Policy doesn't allow this operation to be performed.",
    404: "The resource could not be found.",
    405: "The method is not allowed for the requested URL.",
    406: "The requested version of the API is not supported.",
    409: "There was a conflict when trying to complete your request.",
    415: "Unsupported Content-Type.",
    503: "The service is unavailable at the moment; try again later.",
}


class ApiError(Exception):
    """An error the gateway itself decides: the HTTP status and the message for the client."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class BadRequest(ApiError):
    def __init__(self, message: str) -> None:
        super().__init__(400, message)


def fault_name(status: int) -> str:
    return FAULT_NAMES.get(status, "computeFault")


def fault_body(status: int, message: str) -> dict[str, Any]:
    """Nova's fault JSON for an HTTP status and a message."""
    return {fault_name(status): {"code": status, "message": message}}


def fault_response(status: int, message: str) -> JSONResponse:
    return JSONResponse(fault_body(status, message), status_code=status)


def http_status(error: StratusError) -> int:
    """The HTTP status Nova would answer for a service error."""
    return HTTP_STATUS_BY_CODE.get(error.code, 500)


def unexpected_message(request_id: str) -> str:
    return f"Unexpected API Error. The api log has the details under request id {request_id}."


async def _stratus_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StratusError)
    status = http_status(exc)
    if status == 500:
        raise exc  # the middleware logs it and answers computeFault
    return fault_response(status, exc.message or _DEFAULT_MESSAGES.get(status, ""))


async def _rpc_error(request: Request, exc: Exception) -> JSONResponse:
    """A gRPC error that reached the gateway unconverted: answered as the error it carries."""
    assert isinstance(exc, grpc.aio.AioRpcError)
    return await _stratus_error(request, from_rpc_error(exc))


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return fault_response(exc.status, exc.message)


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "request"


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        f"Invalid input for field/attribute {_location(e.get('loc', ()))}: {e.get('msg', '')}"
        for e in exc.errors()
    ]
    return fault_response(400, "; ".join(problems) or _DEFAULT_MESSAGES[400])


async def _http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    detail = exc.detail if isinstance(exc.detail, str) else ""
    # Starlette's own details ("Not Found", "Method Not Allowed") are its reason phrases.
    if not detail or detail in ("Not Found", "Method Not Allowed", "Bad Request"):
        detail = _DEFAULT_MESSAGES.get(status, detail)
    response = fault_response(status, detail)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def install(app: FastAPI) -> None:
    """Register the handlers that turn every known error into Nova's fault JSON."""
    app.add_exception_handler(StratusError, _stratus_error)
    app.add_exception_handler(grpc.aio.AioRpcError, _rpc_error)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_exception)
