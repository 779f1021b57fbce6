"""Quotas per project (Nova's os-quota-sets and limits): defaults, overrides and usage.

Every project has Nova's default limits unless an admin overrides some of them; -1 means
unlimited. Enforced today: instances, cores, ram (claimed with each server, see
services.state.quotas), server_groups (claimed with each group), server_group_members
(the group's member list, compared in the boot's transaction) and metadata_items. The
other resources are listed so the set is complete; their services enforce them later.

A server that failed to build (ERROR) keeps counting until it is deleted, as in Nova:
the usage is given back by the delete flow only.
"""

from __future__ import annotations

from collections.abc import Mapping

from services.api import policy
from services.runtime.context import RequestContext
from services.runtime.errors import InvalidArgument, QuotaExceeded, Unavailable
from services.state import quotas as usage_records
from services.state.repository import MAX_CAS_ATTEMPTS
from services.state.store import Store
from stratus.v1 import compute_pb2

UNLIMITED = -1

# Nova's defaults (and Cinder's for volumes and gigabytes), in Nova's order of keys.
DEFAULT_LIMITS: dict[str, int] = {
    "instances": 10,
    "cores": 20,
    "ram": 51200,  # MiB
    "metadata_items": 128,
    "injected_files": 5,
    "injected_file_content_bytes": 10240,
    "injected_file_path_bytes": 255,
    "key_pairs": 100,
    "server_groups": 10,
    "server_group_members": 10,
    "floating_ips": 10,
    "fixed_ips": UNLIMITED,
    "security_groups": 10,
    "security_group_rules": 20,
    "volumes": 10,
    "gigabytes": 1000,
}
RESOURCES = tuple(DEFAULT_LIMITS)
# What a server counts, in the usage record.
SERVER_RESOURCES = ("instances", "cores", "ram")
# What the usage record counts; everything else is shown as 0 in use.
COUNTED = (*SERVER_RESOURCES, "server_groups")
MAX_LIMIT = 2**31 - 1

# Nova's absolute limits (GET /limits): name → the quota it shows.
ABSOLUTE_MAX = {
    "maxServerMeta": "metadata_items",
    "maxPersonality": "injected_files",
    "maxPersonalitySize": "injected_file_content_bytes",
    "maxImageMeta": "metadata_items",
    "maxTotalKeypairs": "key_pairs",
    "maxSecurityGroups": "security_groups",
    "maxSecurityGroupRules": "security_group_rules",
    "maxTotalFloatingIps": "floating_ips",
    "maxServerGroups": "server_groups",
    "maxServerGroupMembers": "server_group_members",
    "maxTotalCores": "cores",
    "maxTotalInstances": "instances",
    "maxTotalRAMSize": "ram",
}
# Nova's usage counters (GET /limits): name → the quota whose usage it shows.
ABSOLUTE_USED = {
    "totalCoresUsed": "cores",
    "totalInstancesUsed": "instances",
    "totalRAMUsed": "ram",
    "totalServerGroupsUsed": "server_groups",
    "totalFloatingIpsUsed": "floating_ips",
    "totalSecurityGroupsUsed": "security_groups",
}


def exceeded_message(
    overs: list[str],
    requested: Mapping[str, int | str],
    used: Mapping[str, int],
    limits: Mapping[str, int],
) -> str:
    """Nova's words: "Quota exceeded for instances: Requested 1, but already used 10 of 10
    instances" (several resources joined with ", ", in order of name)."""
    names = sorted(overs)

    def joined(values: Mapping[str, int] | Mapping[str, int | str]) -> str:
        return ", ".join(str(values[name]) for name in names)

    overs_text = ", ".join(names)
    return (
        f"Quota exceeded for {overs_text}: Requested {joined(requested)}, "
        f"but already used {joined(used)} of {joined(limits)} {overs_text}"
    )


def servers_that_fit(
    limits: Mapping[str, int],
    in_use: Mapping[str, int],
    per_server: Mapping[str, int],
    wanted: int,
) -> int:
    """How many of `wanted` servers, each counting `per_server`, the limits still allow."""
    fit = wanted
    for resource, amount in per_server.items():
        limit = limits.get(resource, UNLIMITED)
        if limit == UNLIMITED or amount <= 0:
            continue
        fit = min(fit, max(0, limit - in_use.get(resource, 0)) // amount)
    return fit


def over_quota(
    limits: Mapping[str, int],
    in_use: Mapping[str, int],
    per_server: Mapping[str, int],
    min_count: int,
    max_count: int,
) -> QuotaExceeded:
    """The refusal of a boot of `min_count`-`max_count` servers of which fewer than
    `min_count` fit: every resource that is over for `min_count` servers."""
    overs = [
        resource
        for resource, amount in per_server.items()
        if limits.get(resource, UNLIMITED) != UNLIMITED
        and in_use.get(resource, 0) + amount * min_count > limits[resource]
    ]
    requested: dict[str, int | str] = {
        resource: str(amount * min_count)
        if min_count == max_count
        else f"{amount * min_count}-{amount * max_count}"
        for resource, amount in per_server.items()
    }
    used = {resource: in_use.get(resource, 0) for resource in per_server}
    return QuotaExceeded(exceeded_message(overs, requested, used, limits))


def check_limits(limits: Mapping[str, int]) -> dict[str, int]:
    """Limits an admin sets: known resources, integers from -1 (unlimited) up."""
    unknown = sorted(set(limits) - set(RESOURCES))
    if unknown:
        raise InvalidArgument(f"Bad key(s) {', '.join(unknown)} in quota_set")
    checked: dict[str, int] = {}
    for resource, limit in limits.items():
        if isinstance(limit, bool) or not isinstance(limit, int):
            raise InvalidArgument(f"Quota limit of {resource} must be an integer.")
        if limit < UNLIMITED or limit > MAX_LIMIT:
            raise InvalidArgument(
                f"Quota limit {limit} for {resource} must be -1 (unlimited) or between 0 "
                f"and {MAX_LIMIT}."
            )
        checked[resource] = limit
    return checked


class QuotaOps:
    """The quota operations of the service layer, and the reads the boot checks with."""

    store: Store

    @staticmethod
    def _quota_project(ctx: RequestContext, project_id: str) -> str:
        project = project_id or ctx.project_id
        if "/" in project or len(project) > 255:
            raise InvalidArgument(f"Invalid project id {project_id!r}.")
        return project

    async def _project_limits(self, project_id: str) -> dict[str, int]:
        """The limits in force for a project: the defaults with its overrides."""
        found = await self.store.quotas.get(project_id)
        overrides = dict(found.message.limits) if found is not None else {}
        return {
            resource: overrides.get(resource, DEFAULT_LIMITS[resource]) for resource in RESOURCES
        }

    async def _project_in_use(self, project_id: str) -> dict[str, int]:
        usage = (await usage_records.usage_of(self.store, project_id)).message
        return {
            resource: usage.in_use[resource] if resource in COUNTED else 0 for resource in RESOURCES
        }

    async def _quota_response(self, project_id: str) -> compute_pb2.QuotaSetResponse:
        limits = await self._project_limits(project_id)
        in_use = await self._project_in_use(project_id)
        return compute_pb2.QuotaSetResponse(
            project_id=project_id,
            limits=limits,
            detail={
                resource: compute_pb2.QuotaDetail(
                    limit=limits[resource], in_use=in_use[resource], reserved=0
                )
                for resource in RESOURCES
            },
        )

    async def get_quota_set(
        self, ctx: RequestContext, project_id: str = ""
    ) -> compute_pb2.QuotaSetResponse:
        """A project's limits and usage; a non-admin may read only their own project's."""
        policy.enforce(ctx, "compute:get_quota_set", project_id or ctx.project_id)
        return await self._quota_response(self._quota_project(ctx, project_id))

    async def get_quota_defaults(
        self, ctx: RequestContext, project_id: str = ""
    ) -> compute_pb2.QuotaSetResponse:
        policy.enforce(ctx, "compute:get_quota_defaults")
        project = self._quota_project(ctx, project_id)
        return compute_pb2.QuotaSetResponse(project_id=project, limits=DEFAULT_LIMITS)

    async def update_quota_set(
        self,
        ctx: RequestContext,
        project_id: str,
        limits: Mapping[str, int],
        force: bool = False,
    ) -> compute_pb2.QuotaSetResponse:
        """Override some of a project's limits. Without `force` a limit may not go below
        what the project already uses (Nova's rule)."""
        policy.enforce(ctx, "compute:update_quota_set", project_id)
        if not project_id:
            raise InvalidArgument("A project id is required.")
        project = self._quota_project(ctx, project_id)
        checked = check_limits(limits)
        if not force:
            in_use = await self._project_in_use(project)
            for resource, limit in checked.items():
                if limit != UNLIMITED and limit < in_use[resource]:
                    raise InvalidArgument(
                        f"Quota limit {limit} for {resource} must be greater than or equal "
                        f"to already used and reserved {in_use[resource]}."
                    )
        for _ in range(MAX_CAS_ATTEMPTS):
            found = await self.store.quotas.get(project)
            updated = compute_pb2.QuotaSet(project_id=project)
            if found is not None:
                updated.CopyFrom(found.message)
            updated.limits.update(checked)
            result = await self.store.etcd.txn(
                [self.store.quotas.unchanged(project, found.mod_revision if found else 0)],
                [self.store.quotas.put_op(project, updated)],
            )
            if result.succeeded:
                return await self._quota_response(project)
        raise Unavailable(f"The quota of {project} is changing too fast; try again.")

    async def delete_quota_set(self, ctx: RequestContext, project_id: str) -> None:
        """Back to the defaults: the project's overrides are removed."""
        policy.enforce(ctx, "compute:delete_quota_set", project_id)
        if not project_id:
            raise InvalidArgument("A project id is required.")
        project = self._quota_project(ctx, project_id)
        for _ in range(MAX_CAS_ATTEMPTS):
            if (
                await self.store.quotas.delete(project)
                or await self.store.quotas.get(project) is None
            ):
                return
        raise Unavailable(f"The quota of {project} is changing too fast; try again.")

    async def get_limits(
        self, ctx: RequestContext, project_id: str = ""
    ) -> compute_pb2.LimitsResponse:
        """Nova's absolute limits and usage of the caller's project (an admin: any)."""
        policy.enforce(ctx, "compute:get_limits", project_id or ctx.project_id)
        project = self._quota_project(ctx, project_id)
        limits = await self._project_limits(project)
        in_use = await self._project_in_use(project)
        absolute = {name: limits[resource] for name, resource in ABSOLUTE_MAX.items()}
        absolute.update({name: in_use[resource] for name, resource in ABSOLUTE_USED.items()})
        return compute_pb2.LimitsResponse(project_id=project, absolute=absolute)
