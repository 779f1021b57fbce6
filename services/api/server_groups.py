"""Server groups (Nova's os-server-groups): servers placed together or apart.

A group belongs to its project: another project's group answers NotFound, except to a
global reader (admin, it_security). Each group counts against its project's server_groups
quota; booting into a group counts against server_group_members. Members are added by the
boot that names the group (in the transaction that writes the server) and removed by the
delete flow; deleting a group leaves its servers alone.
"""

from __future__ import annotations

import uuid

from services.api import policy, quotas
from services.api.validation import check_name
from services.runtime.context import RequestContext
from services.runtime.errors import InvalidArgument, NotFound, QuotaExceeded, Unavailable
from services.state import actions
from services.state import quotas as usage_records
from services.state.repository import MAX_CAS_ATTEMPTS, Versioned
from services.state.store import Store
from stratus.v1 import compute_pb2
from stratus.v1 import types_pb2 as t

HARD_POLICIES = ("affinity", "anti-affinity")
POLICIES = (*HARD_POLICIES, "soft-affinity", "soft-anti-affinity")
MAX_SERVER_PER_HOST = "max_server_per_host"


def check_policy(policy: str, rules: dict[str, str]) -> None:
    """Nova's rules: one known policy; max_server_per_host (a positive integer) only with
    anti-affinity, and no other rule."""
    if policy not in POLICIES:
        raise InvalidArgument(
            f"Invalid server group policy {policy!r}: expected one of {', '.join(POLICIES)}."
        )
    for key, value in rules.items():
        if key != MAX_SERVER_PER_HOST:
            raise InvalidArgument(f"Unknown server group rule {key!r}.")
        if policy != "anti-affinity":
            raise InvalidArgument(f"Only anti-affinity policy supports {MAX_SERVER_PER_HOST} rule.")
        if not value.isdigit() or int(value) < 1 or int(value) > 2**31 - 1:
            raise InvalidArgument(f"{MAX_SERVER_PER_HOST} must be a positive integer.")


class ServerGroupOps(quotas.QuotaOps):
    """The server group operations of the service layer (on the quota operations)."""

    store: Store

    async def _visible_group(self, ctx: RequestContext, group_id: str) -> Versioned[t.ServerGroup]:
        found = await self.store.server_groups.get(group_id)
        if found is None or not (
            found.message.project_id == ctx.project_id
            or policy.allows(ctx, "compute:servers:all_projects")
        ):
            raise NotFound(f"Instance group {group_id} could not be found.")
        return found

    async def create_server_group(
        self, ctx: RequestContext, request: compute_pb2.CreateServerGroupRequest
    ) -> t.ServerGroup:
        """A new group, counted against the project's server_groups quota in the same
        transaction (compared on the usage's revision: concurrent creates cannot pass it)."""
        policy.enforce(ctx, "compute:create_server_group")
        check_name("Server group", request.name)
        rules = dict(request.rules)
        check_policy(request.policy, rules)
        if MAX_SERVER_PER_HOST in rules:
            rules[MAX_SERVER_PER_HOST] = str(int(rules[MAX_SERVER_PER_HOST]))
        group = t.ServerGroup(
            id=str(uuid.uuid4()),
            name=request.name,
            policy=request.policy,
            rules=rules,
            project_id=ctx.project_id,
            user_id=ctx.user_id,
            created_at=actions.now(),
        )
        limit = (await self._project_limits(ctx.project_id))["server_groups"]
        for _ in range(MAX_CAS_ATTEMPTS):
            usage = await usage_records.usage_of(self.store, ctx.project_id)
            if limit != quotas.UNLIMITED and usage.message.in_use["server_groups"] + 1 > limit:
                raise QuotaExceeded("Quota exceeded, too many server groups.")
            result = await self.store.etcd.txn(
                [
                    self.store.quota_usage.unchanged(ctx.project_id, usage.mod_revision),
                    self.store.server_groups.absent(group.id),
                ],
                [
                    self.store.server_groups.put_op(group.id, group),
                    self.store.quota_usage.put_op(
                        ctx.project_id, usage_records.added(usage.message, {"server_groups": 1})
                    ),
                ],
            )
            if result.succeeded:
                return group
        raise Unavailable("Server groups of this project are changing too fast; try again.")

    async def list_server_groups(
        self, ctx: RequestContext, all_projects: bool = False
    ) -> list[t.ServerGroup]:
        """The caller's project's groups; every project's for a global reader asking
        all_projects."""
        policy.enforce(ctx, "compute:list_server_groups")
        everyone = all_projects and policy.allows(ctx, "compute:servers:all_projects")
        found, _ = await self.store.server_groups.list()
        groups = [g.message for g in found if everyone or g.message.project_id == ctx.project_id]
        return sorted(groups, key=lambda g: (g.created_at.seconds, g.created_at.nanos, g.id))

    async def get_server_group(self, ctx: RequestContext, group_id: str) -> t.ServerGroup:
        policy.enforce(ctx, "compute:get_server_group")
        return (await self._visible_group(ctx, group_id)).message

    async def delete_server_group(self, ctx: RequestContext, group_id: str) -> None:
        """Delete the group, its placement record, and give back its quota in one
        transaction (exactly once)."""
        policy.enforce(ctx, "compute:delete_server_group")
        for _ in range(MAX_CAS_ATTEMPTS):
            current = await self._visible_group(ctx, group_id)
            project_id = current.message.project_id
            usage = await usage_records.usage_of(self.store, project_id)
            result = await self.store.etcd.txn(
                [
                    self.store.server_groups.unchanged(group_id, current.mod_revision),
                    self.store.quota_usage.unchanged(project_id, usage.mod_revision),
                ],
                [
                    self.store.server_groups.delete_op(group_id),
                    # Where its members are claimed goes with it (a claim never rewrites it:
                    # it creates the record only while the group exists).
                    self.store.server_group_placements.delete_op(group_id),
                    self.store.quota_usage.put_op(
                        project_id,
                        usage_records.added(usage.message, {"server_groups": 1}, -1),
                    ),
                ],
            )
            if result.succeeded:
                return
        raise Unavailable(f"Instance group {group_id} is changing too fast; try again.")
