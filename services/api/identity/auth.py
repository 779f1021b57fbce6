"""From a token to the caller's RequestContext, for the gRPC interceptor and the REST gateway.

Validation is local (TokenManager): no etcd read per request. The compute API takes only
project-scoped tokens; identity routes also take unscoped ones where Keystone does.
"""

from __future__ import annotations

from services.api.identity.tokens import TokenManager, TokenPayload
from services.runtime.context import RequestContext
from services.runtime.errors import Unauthenticated

# The header (REST) and metadata key (gRPC) carrying the caller's token.
AUTH_TOKEN_HEADER = "X-Auth-Token"
AUTH_TOKEN_METADATA = "x-auth-token"
SUBJECT_TOKEN_HEADER = "X-Subject-Token"

# Paths the REST gateway serves without a compute context: identity authenticates itself.
IDENTITY_PATH_PREFIXES = ("/v3", "/identity", "/v2.0")

# gRPC methods callable without a token (the lead's interceptor lets these through).
UNAUTHENTICATED_METHODS = frozenset({"/stratus.v1.Identity/Authenticate"})

UNSCOPED = "token is not scoped to a project"
MISSING = "authentication required: send a token in X-Auth-Token"


def context_of(payload: TokenPayload, request_id: str) -> RequestContext:
    """The context a validated, project-scoped token stands for."""
    if payload.project_id is None:
        raise Unauthenticated(UNSCOPED)
    return RequestContext(
        request_id=request_id,
        user_id=payload.user_id,
        project_id=payload.project_id,
        roles=payload.roles,
    )


def context_from_token(manager: TokenManager, token: str, request_id: str) -> RequestContext:
    """The caller behind `token`; Unauthenticated if the token is missing, invalid, expired,
    revoked or not scoped to a project."""
    if not token:
        raise Unauthenticated(MISSING)
    return context_of(manager.validate(token), request_id)


def is_identity_path(path: str) -> bool:
    """True for the REST paths the identity router serves (they authenticate on their own)."""
    return any(path == prefix or path.startswith(prefix + "/") for prefix in IDENTITY_PATH_PREFIXES)
