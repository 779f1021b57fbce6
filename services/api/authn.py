"""Who is calling the api: every request carries a token, but the few that get one.

The public api never trusts a caller's own say of who it is (the `x-stratus-*` metadata
the internal services pass along): it validates the token locally with the process's
TokenManager. Identity authenticates on its own routes and methods (a password, or the
token it is asked to check); version documents are open, as in Nova and Keystone.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import Request

from services.api.identity.auth import (
    AUTH_TOKEN_HEADER,
    AUTH_TOKEN_METADATA,
    context_from_token,
    is_identity_path,
)
from services.api.identity.tokens import TokenManager
from services.api.rest.app import request_context
from services.runtime.context import REQUEST_ID_KEY, RequestContext, new_request_id
from services.runtime.grpc_server import Authenticator

# Identity's gRPC methods check credentials themselves.
IDENTITY_METHOD_PREFIX = "/stratus.v1.Identity/"
# REST paths anyone may read: Nova's and Glance's version documents.
OPEN_PATHS = frozenset({"/", "/v2.1", "/v2.1/", "/image", "/image/"})


def anonymous(request_id: str) -> RequestContext:
    """A caller not (yet) known: no user, no project, no role."""
    return RequestContext(request_id=request_id, user_id="", project_id="", roles=())


def _bearer(value: str) -> str:
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def grpc_authenticator(tokens: TokenManager) -> Authenticator:
    """The api's gRPC callers: a token in `x-auth-token` or `authorization: Bearer`."""

    def authenticate(method: str, metadata: Sequence[tuple[str, str | bytes]]) -> RequestContext:
        values = {key: value for key, value in metadata if isinstance(value, str)}
        request_id = values.get(REQUEST_ID_KEY) or new_request_id()
        if method.startswith(IDENTITY_METHOD_PREFIX):
            return anonymous(request_id)
        token = values.get(AUTH_TOKEN_METADATA) or _bearer(values.get("authorization", ""))
        return context_from_token(tokens, token, request_id)

    return authenticate


def rest_context_factory(tokens: TokenManager):  # type: ignore[no-untyped-def]
    """The REST gateway's callers: a token in X-Auth-Token."""

    def context(request: Request) -> RequestContext:
        request_id = request_context(request).request_id  # the client's id, if it is sane
        path = request.url.path
        if path in OPEN_PATHS or is_identity_path(path):
            return anonymous(request_id)
        return context_from_token(tokens, request.headers.get(AUTH_TOKEN_HEADER, ""), request_id)

    return context
