"""Server groups and host aggregates."""

from __future__ import annotations

from typing import Any

from services.api.rest import microversions as mv
from services.api.rest.microversions import Microversion
from services.api.rest.views.common import strtime
from stratus.v1 import types_pb2

# ---------------------------------------------------------------------------- server groups


def server_group(group: types_pb2.ServerGroup, version: Microversion = mv.MIN) -> dict[str, Any]:
    """A server group: its one policy as `policies` (with an empty `metadata`) before
    2.64, as `policy` with its `rules` from it; its owner from 2.13."""
    view: dict[str, Any] = {
        "id": group.id,
        "name": group.name,
        "members": list(group.members),
    }
    if version >= mv.SERVER_GROUP_POLICY:
        view["policy"] = group.policy
        view["rules"] = {key: int(value) for key, value in sorted(group.rules.items())}
    else:
        view["policies"] = [group.policy] if group.policy else []
        view["metadata"] = {}
    if version >= mv.SERVER_GROUP_OWNER:
        view["project_id"] = group.project_id
        view["user_id"] = group.user_id
    return view


# ---------------------------------------------------------------------------- aggregates


def aggregate(
    aggregate: types_pb2.Aggregate, version: Microversion = mv.MIN, *, created: bool = False
) -> dict[str, Any]:
    """An aggregate as Nova shows it; the zone is also the `availability_zone` metadata key.

    Nova's ids are integers; ours are the aggregate's UUID, so `id` and `uuid` (2.41) agree.
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
    }
    if version >= mv.AGGREGATE_UUID:
        view["uuid"] = aggregate.id
    if created:
        del view["hosts"], view["metadata"]
    return view
