"""Server groups and host aggregates."""

from __future__ import annotations

from typing import Any

from services.api.rest.views.common import strtime
from stratus.v1 import types_pb2

# ---------------------------------------------------------------------------- server groups


def server_group(group: types_pb2.ServerGroup) -> dict[str, Any]:
    """A server group in Nova 2.1's shape: its one policy as the `policies` list."""
    return {
        "id": group.id,
        "name": group.name,
        "policies": [group.policy] if group.policy else [],
        "members": list(group.members),
        "metadata": {},
        "project_id": group.project_id,
        "user_id": group.user_id,
    }


# ---------------------------------------------------------------------------- aggregates


def aggregate(aggregate: types_pb2.Aggregate, *, created: bool = False) -> dict[str, Any]:
    """An aggregate as Nova shows it; the zone is also the `availability_zone` metadata key.

    Nova's ids are integers; ours are the aggregate's UUID, so `id` and `uuid` agree.
    `POST /os-aggregates` (created) answers without hosts and metadata, as Nova does.
    """
    metadata = dict(sorted(aggregate.metadata.items()))
    if aggregate.availability_zone:
        metadata["availability_zone"] = aggregate.availability_zone
    view: dict[str, Any] = {
        "id": aggregate.id,
        "name": aggregate.name,
        "availability_zone": aggregate.availability_zone or None,
        "hosts": list(aggregate.hosts),
        "metadata": metadata,
        "created_at": strtime(aggregate.created_at),
        "updated_at": strtime(aggregate.updated_at),
        "deleted": False,
        "deleted_at": None,
        "uuid": aggregate.id,
    }
    if created:
        del view["hosts"], view["metadata"]
    return view
