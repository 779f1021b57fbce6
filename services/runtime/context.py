"""The request context: who asks and under which request id, carried through every hop.

The api fills it from the client's request; every gRPC hop carries it in metadata
(`x-request-id`, `x-stratus-user`, `x-stratus-project`, `x-stratus-roles`), and the
server side binds it to a contextvar and to every log line.
"""

from __future__ import annotations

import contextlib
import contextvars
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import structlog

from stratus.v1 import types_pb2

REQUEST_ID_KEY = "x-request-id"
USER_KEY = "x-stratus-user"
PROJECT_KEY = "x-stratus-project"
ROLES_KEY = "x-stratus-roles"

# Until identity exists every request runs as this user in this project.
DEFAULT_PROJECT_ID = "default"
DEFAULT_USER_ID = "admin"
DEFAULT_ROLES = ("admin", "member")


def new_request_id() -> str:
    """A request id in Nova's shape: `req-<uuid>`."""
    return f"req-{uuid.uuid4()}"


@dataclass(frozen=True)
class RequestContext:
    request_id: str = field(default_factory=new_request_id)
    user_id: str = DEFAULT_USER_ID
    project_id: str = DEFAULT_PROJECT_ID
    roles: tuple[str, ...] = DEFAULT_ROLES

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    def to_metadata(self) -> list[tuple[str, str]]:
        return [
            (REQUEST_ID_KEY, self.request_id),
            (USER_KEY, self.user_id),
            (PROJECT_KEY, self.project_id),
            (ROLES_KEY, ",".join(self.roles)),
        ]

    @classmethod
    def from_metadata(cls, metadata: Iterable[tuple[str, str | bytes]] | None) -> RequestContext:
        values = {key: value for key, value in (metadata or ()) if isinstance(value, str)}
        roles = values.get(ROLES_KEY)
        return cls(
            request_id=values.get(REQUEST_ID_KEY) or new_request_id(),
            user_id=values.get(USER_KEY, DEFAULT_USER_ID),
            project_id=values.get(PROJECT_KEY, DEFAULT_PROJECT_ID),
            roles=tuple(r for r in roles.split(",") if r) if roles is not None else DEFAULT_ROLES,
        )

    def to_proto(self) -> types_pb2.RequestContext:
        return types_pb2.RequestContext(
            request_id=self.request_id,
            user_id=self.user_id,
            project_id=self.project_id,
            roles=list(self.roles),
        )

    @classmethod
    def from_proto(cls, message: types_pb2.RequestContext) -> RequestContext:
        return cls(
            request_id=message.request_id or new_request_id(),
            user_id=message.user_id,
            project_id=message.project_id,
            roles=tuple(message.roles),
        )

    def with_roles(self, roles: Sequence[str]) -> RequestContext:
        return RequestContext(self.request_id, self.user_id, self.project_id, tuple(roles))


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "stratus_request_context", default=None
)


def current() -> RequestContext:
    """The context of the request being served, or a fresh default one outside any request."""
    return _current.get() or RequestContext()


@contextlib.contextmanager
def bound(ctx: RequestContext) -> Iterator[RequestContext]:
    """Make `ctx` current, and its request id part of every log line, inside the block."""
    log_tokens = structlog.contextvars.bind_contextvars(request_id=ctx.request_id)
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
        structlog.contextvars.reset_contextvars(**log_tokens)
