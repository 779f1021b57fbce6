"""Which servers a `ListServers` request selects: Nova's list filters over one instance.

A `ServerFilter` is built once per request (checking the request and compiling its
patterns) and then asked about each instance. Filters a caller may not use are dropped, as
Nova drops admin-only filters for other callers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from google.protobuf import timestamp_pb2

from services.api import policy
from services.api.status import KNOWN_STATUSES, server_status
from services.runtime.context import RequestContext
from services.runtime.errors import InvalidArgument
from stratus.v1 import compute_pb2
from stratus.v1 import types_pb2 as t


def _pattern(field: str, value: str) -> re.Pattern[str] | None:
    if not value:
        return None
    try:
        return re.compile(value)
    except re.error as exc:
        raise InvalidArgument(f"Invalid {field} filter {value!r}: {exc}") from exc


def _at_or_after(stamp: timestamp_pb2.Timestamp, bound: timestamp_pb2.Timestamp) -> bool:
    return (stamp.seconds, stamp.nanos) >= (bound.seconds, bound.nanos)


@dataclass(frozen=True)
class ServerFilter:
    request: compute_pb2.ListServersRequest
    everyone: bool  # every project's servers, not only the caller's
    is_admin: bool
    status: str
    name: re.Pattern[str] | None
    ip: re.Pattern[str] | None

    @classmethod
    def of(cls, ctx: RequestContext, request: compute_pb2.ListServersRequest) -> ServerFilter:
        """The filter for `request`; InvalidArgument for a status or pattern that is wrong."""
        if request.limit < 0:
            raise InvalidArgument("limit must be a positive integer.")
        status = request.status.upper()
        if status and status not in KNOWN_STATUSES:
            raise InvalidArgument(f"Invalid status value: {request.status}")
        everyone = request.all_projects and policy.allows(ctx, "compute:servers:all_projects")
        return cls(
            request=request,
            everyone=everyone,
            is_admin=ctx.is_admin,
            status=status,
            name=_pattern("name", request.name),
            ip=_pattern("ip", request.ip),
        )

    def project_matches(self, ctx: RequestContext, instance: t.Instance) -> bool:
        if not self.everyone:
            return instance.project_id == ctx.project_id
        wanted = self.request.project_id
        return not wanted or instance.project_id == wanted

    def matches(self, ctx: RequestContext, instance: t.Instance) -> bool:
        """Whether `instance` is visible to the caller and passes every filter given."""
        r = self.request
        tags = set(instance.tags)
        return (
            self.project_matches(ctx, instance)
            and (self.name is None or bool(self.name.search(instance.name)))
            and (not self.status or server_status(instance) == self.status)
            and (not r.host or not self.is_admin or instance.host == r.host)
            and (
                not r.HasField("changes_since")
                or _at_or_after(instance.updated_at, r.changes_since)
            )
            and (
                not r.HasField("changes_before")
                or _at_or_after(r.changes_before, instance.updated_at)
            )
            and (not r.image or instance.image_id == r.image)
            and (not r.flavor or instance.flavor.id == r.flavor)
            and (self.ip is None or any(self.ip.search(a.addr) for a in instance.addresses))
            and (not r.reservation_id or instance.reservation_id == r.reservation_id)
            and (not r.user_id or instance.user_id == r.user_id)
            and (not r.availability_zone or instance.availability_zone == r.availability_zone)
            and all(tag in tags for tag in r.tags)
            and (not r.tags_any or any(tag in tags for tag in r.tags_any))
            and (not r.not_tags or not all(tag in tags for tag in r.not_tags))
            and not any(tag in tags for tag in r.not_tags_any)
        )
