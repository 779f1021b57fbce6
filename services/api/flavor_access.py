"""Flavor access (Nova's os-flavor-access): which projects may use a non-public flavor.

A public flavor is everyone's. A non-public one is seen and booted from only by admins and
by the projects an admin gave access to; any other project is told it does not exist (404
on show, 400 "could not be found" on boot), as Nova answers.

Each grant is one key, `/stratus/v1/flavor_access/<flavor id>/<project id>`, so "may
project P use flavor F" is one read, and the grants of a flavor are one prefix. A grant is
written in a transaction that compares the flavor's and the project's revisions, so it is
never written for a flavor or a project deleted meanwhile; deleting a flavor removes its
whole prefix in the transaction that deletes it.
"""

from __future__ import annotations

from services.api import policy
from services.runtime.context import RequestContext
from services.runtime.errors import Conflict, InvalidArgument, NotFound, Unavailable
from services.state import etcd as ops
from services.state import keys
from services.state.repository import MAX_CAS_ATTEMPTS, Versioned
from services.state.store import Store
from stratus.v1 import compute_pb2
from stratus.v1 import types_pb2 as t

MAX_PROJECT_ID_LENGTH = 255  # Nova's schema for `tenant`

# oslo's strict bool_from_string, which Nova parses the is_public filter with.
_TRUE = frozenset({"1", "t", "true", "on", "y", "yes"})
_FALSE = frozenset({"0", "f", "false", "off", "n", "no"})


def parse_is_public(value: str) -> bool | None:
    """Nova's `is_public` filter: True (also when empty), False, or None for "none" (every
    flavor); InvalidArgument for anything else."""
    if value.lower() == "none":
        return None
    text = value.strip().lower()
    if not value or text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InvalidArgument(f"Invalid is_public filter [{value}]")


def access_id(flavor_id: str, project_id: str) -> str:
    return f"{flavor_id}/{project_id}"


def _check_project_id(project_id: str) -> str:
    if not project_id or len(project_id) > MAX_PROJECT_ID_LENGTH:
        raise InvalidArgument(
            f"Invalid tenant: a project id of 1 to {MAX_PROJECT_ID_LENGTH} characters."
        )
    if "/" in project_id:
        raise InvalidArgument(f"Project ID {project_id} is not a valid project.")
    return project_id


class FlavorAccessOps:
    """The flavor access operations of the service layer, and the check boot, list and
    show apply."""

    store: Store

    async def _may_use_flavor(self, ctx: RequestContext, flavor: t.Flavor) -> bool:
        """Whether the caller may see and boot from `flavor`."""
        if flavor.is_public or ctx.is_admin:
            return True
        if not ctx.project_id or "/" in ctx.project_id:
            return False
        grant = await self.store.flavor_access.get(access_id(flavor.id, ctx.project_id))
        return grant is not None

    async def _private_flavors_of(self, project_id: str) -> set[str]:
        """The ids of the non-public flavors `project_id` was given access to."""
        if not project_id:
            return set()
        kvs, _ = await self.store.etcd.list(keys.FLAVOR_ACCESS)
        suffix = "/" + project_id
        return {
            kv.key[len(keys.FLAVOR_ACCESS) : -len(suffix)] for kv in kvs if kv.key.endswith(suffix)
        }

    async def _existing_flavor(self, flavor_id: str) -> Versioned[t.Flavor]:
        found = await self.store.flavors.get(flavor_id)
        if found is None:
            raise NotFound(f"Flavor {flavor_id} could not be found.")
        return found

    async def _access_list(self, flavor_id: str) -> list[compute_pb2.FlavorAccess]:
        kvs, _ = await self.store.etcd.list(keys.key(keys.FLAVOR_ACCESS, flavor_id, ""))
        return [self.store.flavor_access.decode(kv).message for kv in kvs]

    async def list_flavor_access(
        self, ctx: RequestContext, flavor_id: str
    ) -> list[compute_pb2.FlavorAccess]:
        """The projects with access to a non-public flavor; NotFound for a public one (its
        access is everyone's, Nova answers so)."""
        policy.enforce(ctx, "compute:list_flavor_access")
        flavor = await self._existing_flavor(flavor_id)
        if flavor.message.is_public:
            raise NotFound("Access list not available for public flavors.")
        return await self._access_list(flavor_id)

    async def add_flavor_access(
        self, ctx: RequestContext, flavor_id: str, project_id: str
    ) -> list[compute_pb2.FlavorAccess]:
        """Let `project_id` use a non-public flavor. InvalidArgument for a project that does
        not exist, Conflict for a public flavor or a project that has access already."""
        policy.enforce(ctx, "compute:add_flavor_access")
        _check_project_id(project_id)
        grant_id = access_id(flavor_id, project_id)
        grant = compute_pb2.FlavorAccess(flavor_id=flavor_id, project_id=project_id)
        for _ in range(MAX_CAS_ATTEMPTS):
            project = await self.store.projects.get(project_id)
            if project is None:
                raise InvalidArgument(f"Project ID {project_id} is not a valid project.")
            flavor = await self._existing_flavor(flavor_id)
            if flavor.message.is_public:
                raise Conflict("Can not add access to a public flavor.")
            result = await self.store.etcd.txn(
                [
                    self.store.flavors.unchanged(flavor_id, flavor.mod_revision),
                    self.store.projects.unchanged(project_id, project.mod_revision),
                    self.store.flavor_access.absent(grant_id),
                ],
                [self.store.flavor_access.put_op(grant_id, grant)],
            )
            if result.succeeded:
                return await self._access_list(flavor_id)
            if await self.store.flavor_access.get(grant_id) is not None:
                raise Conflict(
                    f"Flavor access already exists for flavor {flavor_id} and project "
                    f"{project_id} combination."
                )
        raise Unavailable(f"Flavor {flavor_id} is changing too fast; try again.")

    async def remove_flavor_access(
        self, ctx: RequestContext, flavor_id: str, project_id: str
    ) -> list[compute_pb2.FlavorAccess]:
        """Take a project's access away; the project need not exist any more (Nova lets an
        admin clean up after a deleted project). NotFound when it had no access."""
        policy.enforce(ctx, "compute:remove_flavor_access")
        _check_project_id(project_id)
        await self._existing_flavor(flavor_id)
        grant_id = access_id(flavor_id, project_id)
        if not await self.store.flavor_access.delete(grant_id):
            raise NotFound(f"Flavor access not found for {flavor_id} / {project_id} combination.")
        return await self._access_list(flavor_id)

    def _delete_grants_op(self, flavor_id: str) -> object:
        """Delete every grant of a flavor, those written after it was read included."""
        return ops.delete_prefix(keys.key(keys.FLAVOR_ACCESS, flavor_id, ""))
