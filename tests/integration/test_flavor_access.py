"""Private flavors are private: flavor access as Nova has it (os-flavor-access), against a
real etcd, through the service layer, the REST gateway and the gRPC service.

A non-public flavor is seen and booted from only by admins and by the projects an admin
gave access to. Everyone else is told it does not exist: 404 on show, absent from lists,
400 "Flavor ... could not be found." on boot (Nova's FlavorNotFound as a bad request).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc
import httpx
import pytest

from services.api import grpc_service
from services.api.authn import grpc_authenticator, rest_context_factory
from services.api.consoles import ConsoleApi
from services.api.identity.service import IdentityApi
from services.api.identity.tokens import TokenManager
from services.api.rest import create_app
from services.api.service import ComputeApi
from services.runtime.context import RequestContext
from services.runtime.errors import InvalidArgument
from services.runtime.grpc_server import start_server
from services.state import keys
from services.state.store import Store
from stratus.v1 import compute_pb2, compute_pb2_grpc
from stratus.v1 import types_pb2 as t

ADMIN_CTX = RequestContext(user_id="admin", project_id="", roles=("admin",))
PUBLIC = t.Flavor(id="1", name="m1.tiny", vcpus=1, ram_mb=512, disk_gb=1, is_public=True)
PRIVATE = t.Flavor(id="gold", name="gold", vcpus=2, ram_mb=1024, disk_gb=1, is_public=False)
OTHER_PRIVATE = t.Flavor(id="silver", name="silver", vcpus=1, ram_mb=768, disk_gb=1)


@dataclass
class World:
    """Projects alpha, beta and the admin's own; a public and two private flavors."""

    store: Store
    api: ComputeApi
    tokens: TokenManager
    http: httpx.AsyncClient
    alpha: str
    beta: str
    admin_project: str

    def headers(self, project: str, *roles: str) -> dict[str, str]:
        issued = self.tokens.issue("u-" + project, "u", project, "p", list(roles), ["password"])
        return {"X-Auth-Token": issued.token}

    def member(self, project: str) -> dict[str, str]:
        return self.headers(project, "member")

    @property
    def admin(self) -> dict[str, str]:
        return self.headers(self.admin_project, "admin", "member")

    def ctx(self, project: str, *roles: str) -> RequestContext:
        return RequestContext(user_id="u-" + project, project_id=project, roles=roles)


@pytest.fixture
async def world(store: Store) -> AsyncIterator[World]:
    tokens = TokenManager(store.etcd)
    await tokens.start()
    identity = IdentityApi(store, tokens)
    alpha = (await identity.create_project(ADMIN_CTX, "alpha")).id
    beta = (await identity.create_project(ADMIN_CTX, "beta")).id
    admin_project = (await identity.create_project(ADMIN_CTX, "admin")).id
    for flavor in (PUBLIC, PRIVATE, OTHER_PRIVATE):
        await store.flavors.create(flavor.id, flavor)
    await store.images.create("cirros", t.Image(id="cirros", name="cirros", status="active"))
    api = ComputeApi(store, conductor_timeout_seconds=0.5)
    app = create_app(api, rest_context_factory(tokens))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://stratus.test") as http:
        yield World(store, api, tokens, http, alpha, beta, admin_project)
    await api.close()
    await tokens.stop()


async def grant(world: World, flavor_id: str, project: str) -> httpx.Response:
    return await world.http.post(
        f"/v2.1/flavors/{flavor_id}/action",
        json={"addTenantAccess": {"tenant": project}},
        headers=world.admin,
    )


async def revoke(world: World, flavor_id: str, project: str) -> httpx.Response:
    return await world.http.post(
        f"/v2.1/flavors/{flavor_id}/action",
        json={"removeTenantAccess": {"tenant": project}},
        headers=world.admin,
    )


async def boot(world: World, headers: dict[str, str], flavor: str) -> httpx.Response:
    return await world.http.post(
        "/v2.1/servers",
        json={"server": {"name": "s", "flavorRef": flavor, "imageRef": "cirros"}},
        headers=headers,
    )


async def listed(world: World, headers: dict[str, str], query: str = "") -> list[str]:
    response = await world.http.get(f"/v2.1/flavors/detail{query}", headers=headers)
    assert response.status_code == 200, response.text
    return [f["id"] for f in response.json()["flavors"]]


async def servers_of(store: Store, project: str) -> list[t.Instance]:
    found, _ = await store.instances.list()
    return [v.message for v in found if v.message.project_id == project]


# ---------------------------------------------------------------------------- boot


async def test_a_project_without_access_cannot_boot_from_a_private_flavor(world: World) -> None:
    refused = await boot(world, world.member(world.alpha), PRIVATE.id)
    assert refused.status_code == 400, refused.text
    assert refused.json()["badRequest"]["message"] == "Flavor gold could not be found."
    # By name neither, and nothing was written.
    assert (await boot(world, world.member(world.alpha), PRIVATE.name)).status_code == 400
    assert await servers_of(world.store, world.alpha) == []
    assert await world.store.quota_usage.get(world.alpha) is None


async def test_a_project_given_access_boots_from_it_and_loses_it_when_removed(
    world: World,
) -> None:
    assert (await grant(world, PRIVATE.id, world.alpha)).status_code == 200
    accepted = await boot(world, world.member(world.alpha), PRIVATE.id)
    assert accepted.status_code == 202, accepted.text
    (server,) = await servers_of(world.store, world.alpha)
    assert server.flavor.id == PRIVATE.id
    # Another project still cannot.
    assert (await boot(world, world.member(world.beta), PRIVATE.id)).status_code == 400

    assert (await revoke(world, PRIVATE.id, world.alpha)).status_code == 200
    assert (await boot(world, world.member(world.alpha), PRIVATE.id)).status_code == 400
    assert len(await servers_of(world.store, world.alpha)) == 1


async def test_an_admin_boots_from_any_flavor(world: World) -> None:
    accepted = await boot(world, world.admin, PRIVATE.id)
    assert accepted.status_code == 202, accepted.text


async def test_the_grpc_boot_is_refused_alike(world: World) -> None:
    request = compute_pb2.CreateServersRequest(name="s", flavor_ref="gold", image_ref="cirros")
    with pytest.raises(InvalidArgument, match="Flavor gold could not be found"):
        await world.api.create_servers(world.ctx(world.beta, "member"), request)


# ---------------------------------------------------------------------------- list and show


async def test_a_project_lists_the_public_flavors_and_the_private_ones_it_may_use(
    world: World,
) -> None:
    assert await listed(world, world.member(world.alpha)) == ["1"]
    await grant(world, PRIVATE.id, world.alpha)
    assert await listed(world, world.member(world.alpha)) == ["1", "gold"]
    assert await listed(world, world.member(world.beta)) == ["1"]
    # A non-admin's is_public is ignored, as Nova ignores it (even when it does not parse).
    for query in ("?is_public=none", "?is_public=false", "?is_public=bogus"):
        assert await listed(world, world.member(world.beta), query) == ["1"]
    brief = await world.http.get("/v2.1/flavors", headers=world.member(world.beta))
    assert [f["id"] for f in brief.json()["flavors"]] == ["1"]


async def test_an_admins_is_public_filter_means_what_novas_does(world: World) -> None:
    await grant(world, OTHER_PRIVATE.id, world.admin_project)
    # Default and true: public ones and those the admin's own project was given.
    assert await listed(world, world.admin) == ["1", "silver"]
    assert await listed(world, world.admin, "?is_public=True") == ["1", "silver"]
    assert await listed(world, world.admin, "?is_public=yes") == ["1", "silver"]
    # false: every non-public flavor; none: every flavor.
    assert await listed(world, world.admin, "?is_public=false") == ["silver", "gold"]
    assert await listed(world, world.admin, "?is_public=None") == ["1", "silver", "gold"]
    for bad in ("bogus", ""):
        refused = await world.http.get(f"/v2.1/flavors?is_public={bad}", headers=world.admin)
        assert refused.status_code == 400
        assert refused.json()["badRequest"]["message"] == f"Invalid is_public filter [{bad}]"


async def test_show_of_a_private_flavor_is_404_without_access(world: World) -> None:
    for path in ("/v2.1/flavors/gold", "/v2.1/flavors/gold/os-extra_specs"):
        hidden = await world.http.get(path, headers=world.member(world.alpha))
        assert hidden.status_code == 404, hidden.text
        assert hidden.json()["itemNotFound"]["message"] == "Flavor gold could not be found."
    await grant(world, PRIVATE.id, world.alpha)
    shown = await world.http.get("/v2.1/flavors/gold", headers=world.member(world.alpha))
    assert shown.status_code == 200
    assert shown.json()["flavor"]["os-flavor-access:is_public"] is False
    assert (
        await world.http.get("/v2.1/flavors/gold", headers=world.member(world.beta))
    ).status_code == 404


# ---------------------------------------------------------------------------- the access API


async def test_the_access_list_of_a_private_flavor(world: World) -> None:
    empty = await world.http.get("/v2.1/flavors/gold/os-flavor-access", headers=world.admin)
    assert empty.status_code == 200
    assert empty.json() == {"flavor_access": []}
    added = await grant(world, PRIVATE.id, world.alpha)
    assert added.json() == {"flavor_access": [{"flavor_id": "gold", "tenant_id": world.alpha}]}
    await grant(world, PRIVATE.id, world.beta)
    shown = await world.http.get("/v2.1/flavors/gold/os-flavor-access", headers=world.admin)
    assert sorted(a["tenant_id"] for a in shown.json()["flavor_access"]) == sorted(
        [world.alpha, world.beta]
    )
    removed = await revoke(world, PRIVATE.id, world.alpha)
    assert removed.json() == {"flavor_access": [{"flavor_id": "gold", "tenant_id": world.beta}]}


async def test_a_public_flavor_has_no_access_list_and_takes_no_grant(world: World) -> None:
    listed_access = await world.http.get("/v2.1/flavors/1/os-flavor-access", headers=world.admin)
    assert listed_access.status_code == 404
    assert listed_access.json()["itemNotFound"]["message"] == (
        "Access list not available for public flavors."
    )
    refused = await grant(world, PUBLIC.id, world.alpha)
    assert refused.status_code == 409
    assert refused.json()["conflictingRequest"]["message"] == (
        "Can not add access to a public flavor."
    )
    assert await world.store.flavor_access.get(f"1/{world.alpha}") is None


async def test_granting_twice_is_a_conflict_and_removing_a_missing_grant_is_404(
    world: World,
) -> None:
    await grant(world, PRIVATE.id, world.alpha)
    again = await grant(world, PRIVATE.id, world.alpha)
    assert again.status_code == 409
    assert again.json()["conflictingRequest"]["message"] == (
        f"Flavor access already exists for flavor gold and project {world.alpha} combination."
    )
    missing = await revoke(world, PRIVATE.id, world.beta)
    assert missing.status_code == 404
    assert missing.json()["itemNotFound"]["message"] == (
        f"Flavor access not found for gold / {world.beta} combination."
    )


async def test_a_grant_needs_an_existing_project_and_flavor(world: World) -> None:
    unknown_project = await grant(world, PRIVATE.id, "no-such-project")
    assert unknown_project.status_code == 400
    assert unknown_project.json()["badRequest"]["message"] == (
        "Project ID no-such-project is not a valid project."
    )
    for response in (
        await grant(world, "no-such-flavor", world.alpha),
        await revoke(world, "no-such-flavor", world.alpha),
        await world.http.get("/v2.1/flavors/no-such-flavor/os-flavor-access", headers=world.admin),
    ):
        assert response.status_code == 404
        assert response.json()["itemNotFound"]["message"] == (
            "Flavor no-such-flavor could not be found."
        )
    kvs, _ = await world.store.etcd.list(keys.FLAVOR_ACCESS)
    assert kvs == []


async def test_only_admins_change_or_read_flavor_access(world: World) -> None:
    await grant(world, PRIVATE.id, world.alpha)
    for roles in (("member",), ("project_manager",), ("it_security",)):
        caller = world.headers(world.alpha, *roles)
        for body in (
            {"addTenantAccess": {"tenant": world.beta}},
            {"removeTenantAccess": {"tenant": world.alpha}},
        ):
            response = await world.http.post("/v2.1/flavors/gold/action", json=body, headers=caller)
            assert response.status_code == 403, (roles, body)
        shown = await world.http.get("/v2.1/flavors/gold/os-flavor-access", headers=caller)
        assert shown.status_code == 403
    assert await world.store.flavor_access.get(f"gold/{world.alpha}") is not None
    assert await world.store.flavor_access.get(f"gold/{world.beta}") is None


async def test_concurrent_grants_of_one_project_succeed_exactly_once(world: World) -> None:
    answers = await asyncio.gather(*(grant(world, PRIVATE.id, world.alpha) for _ in range(8)))
    assert sorted(a.status_code for a in answers) == [200] + [409] * 7


async def test_deleting_a_flavor_deletes_its_grants(world: World) -> None:
    await grant(world, PRIVATE.id, world.alpha)
    await grant(world, PRIVATE.id, world.beta)
    deleted = await world.http.delete("/v2.1/flavors/gold", headers=world.admin)
    assert deleted.status_code == 202
    kvs, _ = await world.store.etcd.list(keys.key(keys.FLAVOR_ACCESS, "gold", ""))
    assert kvs == []
    # A new flavor of the same id starts with no grant.
    await world.store.flavors.create(PRIVATE.id, PRIVATE)
    assert (await boot(world, world.member(world.alpha), PRIVATE.id)).status_code == 400


# ---------------------------------------------------------------------------- gRPC


async def test_the_grpc_contract(world: World) -> None:
    server = await start_server(
        "127.0.0.1",
        0,
        lambda s: compute_pb2_grpc.add_ComputeServicer_to_server(
            grpc_service.ComputeService(world.api, ConsoleApi(world.store)), s
        ),
        ["stratus.v1.Compute"],
        authenticate=grpc_authenticator(world.tokens),
    )
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{server.port}")
    try:
        stub = compute_pb2_grpc.ComputeStub(channel)
        admin = [(key.lower(), value) for key, value in world.admin.items()]
        alpha = [(key.lower(), value) for key, value in world.member(world.alpha).items()]
        request = compute_pb2.FlavorAccessRequest(flavor_id="gold", project_id=world.alpha)

        added = await stub.AddFlavorAccess(request, metadata=admin)
        assert [(a.flavor_id, a.project_id) for a in added.access] == [("gold", world.alpha)]
        shown = await stub.ListFlavorAccess(
            compute_pb2.ListFlavorAccessRequest(flavor_id="gold"), metadata=admin
        )
        assert shown == added
        usable = await stub.ListFlavors(compute_pb2.ListFlavorsRequest(), metadata=alpha)
        assert [f.id for f in usable.flavors] == ["1", "gold"]
        private = await stub.ListFlavors(
            compute_pb2.ListFlavorsRequest(is_public="false"), metadata=admin
        )
        assert [f.id for f in private.flavors] == ["silver", "gold"]

        async def code_of(call: object) -> grpc.StatusCode:
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await call  # type: ignore[misc]
            return caught.value.code()

        assert await code_of(stub.AddFlavorAccess(request, metadata=admin)) == (
            grpc.StatusCode.FAILED_PRECONDITION
        )
        assert await code_of(stub.AddFlavorAccess(request, metadata=alpha)) == (
            grpc.StatusCode.PERMISSION_DENIED
        )
        assert await code_of(
            stub.ListFlavors(compute_pb2.ListFlavorsRequest(is_public="maybe"), metadata=admin)
        ) == (grpc.StatusCode.INVALID_ARGUMENT)
        removed = await stub.RemoveFlavorAccess(request, metadata=admin)
        assert list(removed.access) == []
        assert await code_of(stub.RemoveFlavorAccess(request, metadata=admin)) == (
            grpc.StatusCode.NOT_FOUND
        )
        assert await code_of(
            stub.GetFlavor(compute_pb2.GetFlavorRequest(id="gold"), metadata=alpha)
        ) == (grpc.StatusCode.NOT_FOUND)
    finally:
        await channel.close()
        await server.stop(0)


# ---------------------------------------------------------------------------- defaults


async def test_a_flavor_created_without_saying_is_public_as_in_nova(world: World) -> None:
    unsaid = await world.api.create_flavor(
        ADMIN_CTX, t.Flavor(id="plain", name="plain", vcpus=1, ram_mb=256, disk_gb=1)
    )
    private = await world.api.create_flavor(
        ADMIN_CTX,
        t.Flavor(id="hidden", name="hidden", vcpus=1, ram_mb=256, disk_gb=1, is_public=False),
    )
    assert unsaid.is_public and not private.is_public
    seen = await listed(world, world.member(world.alpha))
    assert "plain" in seen and "hidden" not in seen


async def test_concurrent_creates_of_one_name_make_exactly_one_flavor(world: World) -> None:
    async def create(index: int) -> t.Flavor | Exception:
        flavor = t.Flavor(id=f"race-{index}", name="raced", vcpus=1, ram_mb=256, disk_gb=1)
        try:
            return await world.api.create_flavor(ADMIN_CTX, flavor)
        except Exception as error:  # the losers' answers are what this test reads
            return error

    outcomes = await asyncio.gather(*(create(i) for i in range(12)))
    created = [o for o in outcomes if isinstance(o, t.Flavor)]
    refused = [o for o in outcomes if not isinstance(o, t.Flavor)]
    assert len(created) == 1
    assert all("Flavor with name raced already exists." in str(e) for e in refused)
    stored, _ = await world.store.flavors.list()
    assert [f.message.id for f in stored if f.message.name == "raced"] == [created[0].id]

    # Deleting it frees the name.
    await world.api.delete_flavor(ADMIN_CTX, created[0].id)
    again = t.Flavor(id="race-again", name="raced", vcpus=1, ram_mb=256, disk_gb=1)
    assert (await world.api.create_flavor(ADMIN_CTX, again)).id == "race-again"
