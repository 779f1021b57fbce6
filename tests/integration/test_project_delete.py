"""A project that owns servers cannot be deleted, against a real etcd.

Stratus owns identity and compute both, so deleting a project that still owns servers or
server groups answers 409 naming them and changes nothing; the bootstrap admin project can
never be deleted (nor disabled): 403, as Keystone answers for an immutable resource. The
check cannot race a boot: the delete compares the project's quota usage, which every boot
writes, and leaves it marked deleted so a boot with a token not yet revoked is refused.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI

from services.api.identity.bootstrap import ensure_bootstrap
from services.api.identity.rest import router_for
from services.api.identity.service import IdentityApi
from services.api.identity.tokens import TokenManager
from services.api.service import ComputeApi
from services.runtime.context import RequestContext
from services.runtime.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    QuotaExceeded,
    StratusError,
    Unauthenticated,
)
from services.state import keys
from services.state import quotas as usage_records
from services.state.store import Store
from stratus.v1 import compute_pb2
from stratus.v1 import identity_pb2 as ident
from stratus.v1 import types_pb2 as t

ADMIN_PASSWORD = "admin-secret"
ADMIN = RequestContext(user_id="test-admin", project_id="", roles=("admin",))
FLAVOR = t.Flavor(id="1", name="m1.tiny", vcpus=1, ram_mb=512, disk_gb=1, is_public=True)
PRIVATE = t.Flavor(id="gold", name="gold", vcpus=1, ram_mb=512, disk_gb=1, is_public=False)


@dataclass
class World:
    store: Store
    identity: IdentityApi
    compute: ComputeApi
    http: httpx.AsyncClient
    admin_token: str
    admin_project: ident.Project

    async def project(self, name: str) -> ident.Project:
        return await self.identity.create_project(ADMIN, name)

    async def boot(self, project_id: str, count: int = 1) -> list[str]:
        ctx = RequestContext(user_id="dev", project_id=project_id, roles=("member",))
        reply = await self.compute.create_servers(
            ctx,
            compute_pb2.CreateServersRequest(
                name="web", flavor_ref="1", image_ref="cirros", min_count=count
            ),
        )
        return [server.id for server in reply.servers]

    async def finish_deleting(self, server_id: str) -> None:
        """What the conductor's delete flow ends with: the record goes in the transaction
        that gives its quota back."""
        await usage_records.release(
            self.store, server_id, also=[self.store.instances.delete_op(server_id)]
        )

    async def rest_delete(self, project_id: str) -> httpx.Response:
        return await self.http.delete(
            f"/v3/projects/{project_id}", headers={"X-Auth-Token": self.admin_token}
        )


@pytest.fixture
async def world(store: Store) -> AsyncIterator[World]:
    tokens = TokenManager(store.etcd)
    await tokens.start()
    _, admin_project = await ensure_bootstrap(store, ADMIN_PASSWORD)
    identity = IdentityApi(store, tokens)
    await store.flavors.create(FLAVOR.id, FLAVOR)
    await store.flavors.create(PRIVATE.id, PRIVATE)
    await store.images.create("cirros", t.Image(id="cirros", name="cirros", status="active"))
    compute = ComputeApi(store, conductor_timeout_seconds=0.5)
    app = FastAPI()
    app.include_router(router_for(identity, tokens))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://stratus.test") as http:
        login = await http.post(
            "/v3/auth/tokens",
            json={
                "auth": {
                    "identity": {
                        "methods": ["password"],
                        "password": {
                            "user": {
                                "name": "admin",
                                "domain": {"name": "Default"},
                                "password": ADMIN_PASSWORD,
                            }
                        },
                    },
                    "scope": {"project": {"name": "admin", "domain": {"id": "default"}}},
                }
            },
        )
        assert login.status_code == 201, login.text
        yield World(
            store,
            identity,
            compute,
            http,
            login.headers["X-Subject-Token"],
            admin_project,
        )
    await compute.close()
    await tokens.stop()


async def test_a_project_that_owns_servers_is_not_deleted(world: World) -> None:
    project = await world.project("web")
    user = await world.identity.create_user(ADMIN, "dev", "dev-password")
    await world.identity.assign_role(ADMIN, project.id, user.id, "member")
    await world.boot(project.id, count=2)

    refused = await world.rest_delete(project.id)

    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["message"] == (
        f"Project {project.id} still owns 2 servers; delete them before the project."
    )
    # Nothing changed: the project, its name, its members and their access.
    assert (await world.identity.get_project(ADMIN, project.id)) == project
    assert await world.identity.roles_of(user.id, project.id) == ["member"]
    await world.identity.authenticate(user_name="dev", password="dev-password", project_name="web")


async def test_a_project_that_owns_a_server_group_is_not_deleted(world: World) -> None:
    project = await world.project("grouped")
    ctx = RequestContext(user_id="dev", project_id=project.id, roles=("member",))
    group = await world.compute.create_server_group(
        ctx, compute_pb2.CreateServerGroupRequest(name="g", policy="anti-affinity")
    )
    with pytest.raises(Conflict, match="still owns 1 server group;"):
        await world.identity.delete_project(ADMIN, project.id)

    await world.compute.delete_server_group(ctx, group.id)
    await world.identity.delete_project(ADMIN, project.id)
    with pytest.raises(NotFound):
        await world.identity.get_project(ADMIN, project.id)


async def test_servers_and_groups_are_named_together(world: World) -> None:
    project = await world.project("busy")
    ctx = RequestContext(user_id="dev", project_id=project.id, roles=("member",))
    await world.compute.create_server_group(
        ctx, compute_pb2.CreateServerGroupRequest(name="g", policy="affinity")
    )
    await world.boot(project.id)
    with pytest.raises(Conflict) as refused:
        await world.identity.delete_project(ADMIN, project.id)
    assert refused.value.message == (
        f"Project {project.id} still owns 1 server and 1 server group; "
        "delete them before the project."
    )


async def test_once_its_servers_are_gone_the_project_and_everything_of_it_goes(
    world: World,
) -> None:
    project = await world.project("short-lived")
    user = await world.identity.create_user(ADMIN, "temp", "temp-password")
    await world.identity.assign_role(ADMIN, project.id, user.id, "member")
    await world.compute.update_quota_set(ADMIN, project.id, {"instances": 5})
    await world.compute.add_flavor_access(ADMIN, PRIVATE.id, project.id)
    (server_id,) = await world.boot(project.id)
    assert (await world.rest_delete(project.id)).status_code == 409

    await world.finish_deleting(server_id)
    deleted = await world.rest_delete(project.id)

    assert deleted.status_code == 204, deleted.text
    for prefix in (
        keys.key(keys.PROJECTS, project.id),
        keys.key(keys.ROLE_ASSIGNMENTS, project.id, ""),
        keys.key(keys.QUOTAS, project.id),
        keys.key(keys.FLAVOR_ACCESS, PRIVATE.id, project.id),
    ):
        kvs, _ = await world.store.etcd.list(prefix)
        assert kvs == [], prefix
    assert await world.identity.list_role_assignments(ADMIN, user_id=user.id) == []
    # The name is free again.
    assert (await world.project("short-lived")).id != project.id


async def test_the_bootstrap_admin_project_can_never_be_deleted_nor_disabled(
    world: World,
) -> None:
    admin_project = world.admin_project
    assert admin_project.immutable

    refused = await world.rest_delete(admin_project.id)

    assert refused.status_code == 403, refused.text
    assert "immutable" in refused.json()["error"]["message"]
    with pytest.raises(PermissionDenied, match="Unable to disable immutable project"):
        await world.identity.update_project(ADMIN, admin_project.id, enabled=False)
    stored = await world.identity.get_project(ADMIN, admin_project.id)
    assert stored.enabled and stored.immutable
    shown = await world.http.get(
        f"/v3/projects/{admin_project.id}", headers={"X-Auth-Token": world.admin_token}
    )
    assert shown.json()["project"]["options"] == {"immutable": True}
    # Even without servers, and with the admin still able to log in afterwards.
    await world.identity.authenticate(
        user_name="admin", password=ADMIN_PASSWORD, project_name="admin"
    )


async def test_bootstrap_makes_an_existing_admin_project_immutable(world: World) -> None:
    def unprotect(project: ident.Project) -> None:
        project.immutable = False

    await world.store.projects.update(world.admin_project.id, unprotect)
    _, project = await ensure_bootstrap(world.store, ADMIN_PASSWORD)
    assert project.id == world.admin_project.id and project.immutable


async def test_a_boot_after_the_delete_is_refused(world: World) -> None:
    """A token of the project is revoked only after the delete commits; a boot with it in
    between must not create a server nobody owns."""
    project = await world.project("gone")
    await world.identity.delete_project(ADMIN, project.id)

    with pytest.raises(Unauthenticated, match="has been deleted"):
        await world.boot(project.id)
    ctx = RequestContext(user_id="dev", project_id=project.id, roles=("member",))
    with pytest.raises(Unauthenticated, match="has been deleted"):
        await world.compute.create_server_group(
            ctx, compute_pb2.CreateServerGroupRequest(name="g", policy="affinity")
        )
    found, _ = await world.store.instances.list()
    assert [i for i in found if i.message.project_id == project.id] == []


async def test_a_delete_racing_boots_never_leaves_a_server_without_its_project(
    world: World,
) -> None:
    """Either the boot lands first and the delete answers 409, or the delete does and the
    boot is refused; never both succeed."""

    async def boot(project_id: str) -> bool:
        try:
            await world.boot(project_id)
        except (Unauthenticated, QuotaExceeded):
            return False
        return True

    async def delete(project_id: str) -> bool:
        try:
            await world.identity.delete_project(ADMIN, project_id)
        except Conflict:
            return False
        return True

    for round_number in range(12):
        project = await world.project(f"race-{round_number}")
        booted, deleted = await asyncio.gather(boot(project.id), delete(project.id))
        assert booted != deleted, f"round {round_number}: booted={booted} deleted={deleted}"
        found, _ = await world.store.instances.list()
        owned = [i for i in found if i.message.project_id == project.id]
        exists = await world.store.projects.get(project.id) is not None
        assert len(owned) == (1 if booted else 0)
        assert exists == booted


async def test_only_an_admin_deletes_a_project(world: World) -> None:
    project = await world.project("kept")
    manager = RequestContext(user_id="pm", project_id=project.id, roles=("project_manager",))
    with pytest.raises(StratusError) as refused:
        await world.identity.delete_project(manager, project.id)
    assert isinstance(refused.value, PermissionDenied)
    assert await world.store.projects.get(project.id) is not None
