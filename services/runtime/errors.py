"""Errors that cross service boundaries, each bound to the gRPC status code it means."""

from __future__ import annotations

import grpc


class StratusError(Exception):
    """Base of every error a service answers with; `code` is the gRPC status."""

    code: grpc.StatusCode = grpc.StatusCode.INTERNAL

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidArgument(StratusError):
    code = grpc.StatusCode.INVALID_ARGUMENT


class NotFound(StratusError):
    code = grpc.StatusCode.NOT_FOUND


class AlreadyExists(StratusError):
    code = grpc.StatusCode.ALREADY_EXISTS


class Conflict(StratusError):
    """The request does not fit the resource's current state (Nova's 409)."""

    code = grpc.StatusCode.FAILED_PRECONDITION


class PermissionDenied(StratusError):
    code = grpc.StatusCode.PERMISSION_DENIED


class Unauthenticated(StratusError):
    code = grpc.StatusCode.UNAUTHENTICATED


class QuotaExceeded(StratusError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED


class Unavailable(StratusError):
    """Retryable: a dependency is down or a race was lost too many times."""

    code = grpc.StatusCode.UNAVAILABLE


_BY_CODE: dict[grpc.StatusCode, type[StratusError]] = {
    cls.code: cls
    for cls in (
        InvalidArgument,
        NotFound,
        AlreadyExists,
        Conflict,
        PermissionDenied,
        Unauthenticated,
        QuotaExceeded,
        Unavailable,
    )
}


def from_rpc_error(error: grpc.aio.AioRpcError) -> StratusError:
    """The StratusError a remote service raised, rebuilt from its gRPC status."""
    cls = _BY_CODE.get(error.code(), StratusError)
    return cls(error.details() or str(error.code()))
