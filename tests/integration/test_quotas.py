"""Quotas and roles against a real cloud: concurrent boots never pass a quota, deletes give
it back exactly once, and each role may do what the policy table says, over gRPC."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import grpc
import httpx
import pytest

from stratus.v1 import compute_pb2
from tests.integration.cloud import Cloud
from tests.integration.helpers import Stub, wait_gone, wait_status
from tests.waiting import eventually

Metadata = list[tuple[str, str]]


def as_(cloud: Cloud, project: str, *roles: str) -> Metadata:
    """The gRPC metadata of a token holding `roles` in project `project` (a name)."""
    return [("x-auth-token", cloud.token_for(project, *roles).token)]


# The stubs of the fixtures call as the bootstrap admin unless a call names other metadata.


async def set_quota(stub: Stub, project_id: str, **limits: int) -> None:
    await stub.UpdateQuotaSet(
        compute_pb2.UpdateQuotaSetRequest(project_id=project_id, limits=limits, force=True)
    )


async def in_use(stub: Stub, project_id: str) -> dict[str, int]:
    reply = await stub.GetQuotaSet(compute_pb2.GetQuotaSetRequest(project_id=project_id))
    return {name: detail.in_use for name, detail in reply.detail.items()}


async def boot(
    stub: Stub,
    who: Metadata,
    name: str,
    *,
    min_count: int = 1,
    max_count: int = 0,
    flavor: str = "1",
    group: str = "",
) -> list[str]:
    reply = await stub.CreateServers(
        compute_pb2.CreateServersRequest(
            name=name,
            flavor_ref=flavor,
            image_ref="cirros",
            min_count=min_count,
            max_count=max_count or min_count,
            hints={"group": group} if group else None,
        ),
        metadata=who,
    )
    return [s.id for s in reply.servers]


async def refused(call: object) -> grpc.aio.AioRpcError:
    """The error an awaited call failed with."""
    assert asyncio.iscoroutine(call) or isinstance(call, grpc.aio.UnaryUnaryCall)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call  # type: ignore[misc]
    return caught.value


async def delete_all(stub: Stub, server_ids: list[str]) -> None:
    for server_id in server_ids:
        await stub.DeleteServer(compute_pb2.DeleteServerRequest(id=server_id))
    for server_id in server_ids:
        await wait_gone(stub, server_id)


# ---------------------------------------------------------------------------- quotas


async def test_fifty_concurrent_boots_against_a_quota_of_ten(cloud: Cloud, seeded: Stub) -> None:
    project = cloud.project_id("race")
    member = as_(cloud, "race", "member")
    await set_quota(seeded, project, instances=10)

    async def one(index: int) -> list[str] | grpc.aio.AioRpcError:
        try:
            return await boot(seeded, member, f"race-{index}")
        except grpc.aio.AioRpcError as error:
            return error

    outcomes = await asyncio.gather(*(one(i) for i in range(50)))
    booted = [ids[0] for ids in outcomes if isinstance(ids, list)]
    errors = [e for e in outcomes if isinstance(e, grpc.aio.AioRpcError)]
    assert len(booted) == 10
    assert len(errors) == 40
    for error in errors:
        assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert error.details() == (
            "Quota exceeded for instances: Requested 1, but already used 10 of 10 instances"
        )
    assert (await in_use(seeded, project))["instances"] == 10
    listed = await seeded.ListServers(compute_pb2.ListServersRequest(), metadata=member)
    assert sorted(s.id for s in listed.servers) == sorted(booted)

    await delete_all(seeded, booted)
    usage = await in_use(seeded, project)
    assert (usage["instances"], usage["cores"], usage["ram"]) == (0, 0, 0)


async def test_cores_and_ram_quotas(cloud: Cloud, seeded: Stub) -> None:
    project = cloud.project_id("sized")
    member = as_(cloud, "sized", "member")
    await set_quota(seeded, project, cores=3, ram=4096)
    error = await refused(boot(seeded, member, "wide", min_count=4))
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert error.details() == (
        "Quota exceeded for cores: Requested 4, but already used 0 of 3 cores"
    )
    ids = await boot(seeded, member, "big", flavor="2", min_count=2)  # 2 x 2048 MiB
    error = await refused(boot(seeded, member, "one-more", flavor="1"))
    assert error.details() == (
        "Quota exceeded for ram: Requested 512, but already used 4096 of 4096 ram"
    )
    assert (await in_use(seeded, project))["ram"] == 4096
    await delete_all(seeded, ids)
    assert (await in_use(seeded, project))["ram"] == 0


async def test_as_many_as_fit_between_min_and_max_count(cloud: Cloud, seeded: Stub) -> None:
    project = cloud.project_id("partial")
    member = as_(cloud, "partial", "member")
    await set_quota(seeded, project, instances=3)
    ids = await boot(seeded, member, "part", min_count=2, max_count=5)
    assert len(ids) == 3
    error = await refused(boot(seeded, member, "none", min_count=1, max_count=2))
    assert error.details() == (
        "Quota exceeded for instances: Requested 1-2, but already used 3 of 3 instances"
    )
    await delete_all(seeded, ids)
    assert (await in_use(seeded, project))["instances"] == 0


async def test_server_group_quotas(cloud: Cloud, seeded: Stub) -> None:
    project = cloud.project_id("grouped")
    member = as_(cloud, "grouped", "member")
    await set_quota(seeded, project, server_groups=1, server_group_members=2)

    def new_group(name: str) -> object:
        return seeded.CreateServerGroup(
            compute_pb2.CreateServerGroupRequest(name=name, policy="soft-anti-affinity"),
            metadata=member,
        )

    group = await new_group("g1")  # type: ignore[misc]
    error = await refused(new_group("g2"))
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert error.details() == "Quota exceeded, too many server groups."
    assert (await in_use(seeded, project))["server_groups"] == 1

    error = await refused(boot(seeded, member, "crowd", min_count=3, group=group.id))
    assert error.details() == "Quota exceeded, too many servers in group"
    ids = await boot(seeded, member, "pair", min_count=1, max_count=3, group=group.id)
    assert len(ids) == 2
    await delete_all(seeded, ids)

    await seeded.DeleteServerGroup(
        compute_pb2.DeleteServerGroupRequest(id=group.id), metadata=member
    )
    assert (await in_use(seeded, project))["server_groups"] == 0
    replacement = await new_group("g3")  # type: ignore[misc]
    await seeded.DeleteServerGroup(
        compute_pb2.DeleteServerGroupRequest(id=replacement.id), metadata=member
    )


async def test_quota_reads_and_writes_follow_the_policy(cloud: Cloud, seeded: Stub) -> None:
    reader = cloud.token_for("reader", "member")
    mine = [("x-auth-token", reader.token)]
    other = cloud.project_id("other")
    reply = await seeded.GetQuotaSet(compute_pb2.GetQuotaSetRequest(), metadata=mine)
    assert reply.project_id == reader.info.project_id
    assert reply.limits["instances"] == 10
    error = await refused(
        seeded.GetQuotaSet(compute_pb2.GetQuotaSetRequest(project_id=other), metadata=mine)
    )
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    error = await refused(
        seeded.UpdateQuotaSet(
            compute_pb2.UpdateQuotaSetRequest(
                project_id=reader.info.project_id, limits={"instances": 99}
            ),
            metadata=mine,
        )
    )
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "compute:update_quota_set" in (error.details() or "")
    limits = await seeded.GetLimits(compute_pb2.GetLimitsRequest(), metadata=mine)
    assert limits.absolute["maxTotalInstances"] == 10


# ---------------------------------------------------------------------------- REST shapes


@pytest.fixture
async def rest(cloud: Cloud, seeded: Stub) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=cloud.rest_url + "/v2.1", timeout=10, headers={"X-Auth-Token": cloud.admin.token}
    ) as client:
        yield client


async def test_quota_sets_and_limits_over_rest(cloud: Cloud, rest: httpx.AsyncClient) -> None:
    shapes = cloud.project_id("shapes")
    reply = await rest.get(f"/os-quota-sets/{shapes}")
    assert reply.status_code == 200, reply.text
    quota_set = reply.json()["quota_set"]
    assert quota_set["id"] == shapes
    assert quota_set["instances"] == 10 and quota_set["ram"] == 51200

    reply = await rest.put(f"/os-quota-sets/{shapes}", json={"quota_set": {"instances": 7}})
    assert reply.status_code == 200, reply.text
    assert reply.json()["quota_set"]["instances"] == 7
    assert "id" not in reply.json()["quota_set"]

    reply = await rest.get(f"/os-quota-sets/{shapes}/detail")
    assert reply.json()["quota_set"]["instances"] == {"in_use": 0, "limit": 7, "reserved": 0}

    reply = await rest.get(f"/os-quota-sets/{shapes}/defaults")
    assert reply.json()["quota_set"]["instances"] == 10

    reply = await rest.put(f"/os-quota-sets/{shapes}", json={"quota_set": {"instances": -2}})
    assert reply.status_code == 400
    assert list(reply.json()) == ["badRequest"]

    reply = await rest.delete(f"/os-quota-sets/{shapes}")
    assert reply.status_code == 202
    assert (await rest.get(f"/os-quota-sets/{shapes}")).json()["quota_set"]["instances"] == 10

    reply = await rest.get("/limits")
    assert reply.status_code == 200
    absolute = reply.json()["limits"]["absolute"]
    assert reply.json()["limits"]["rate"] == []
    for key in (
        "maxTotalInstances",
        "maxTotalCores",
        "maxTotalRAMSize",
        "totalInstancesUsed",
        "totalCoresUsed",
        "totalRAMUsed",
        "maxServerGroups",
        "totalServerGroupsUsed",
        "maxServerGroupMembers",
        "maxServerMeta",
    ):
        assert isinstance(absolute[key], int), key


# ---------------------------------------------------------------------------- roles


async def test_each_role_does_what_the_seed_gives_it(cloud: Cloud, seeded: Stub) -> None:
    member_a = as_(cloud, "proj-a", "member")
    member_b = as_(cloud, "proj-b", "member")
    security = as_(cloud, "security-team", "it_security")
    network = as_(cloud, "proj-a", "network_manager")
    manager = as_(cloud, "proj-a", "project_manager")
    project_a = cloud.project_id("proj-a")

    (server_id,) = await boot(seeded, member_a, "a-web")
    await wait_status(seeded, server_id, "ACTIVE")

    # Another project's server does not exist for a member of project B.
    for call in (
        seeded.GetServer(compute_pb2.GetServerRequest(id=server_id), metadata=member_b),
        seeded.DeleteServer(compute_pb2.DeleteServerRequest(id=server_id), metadata=member_b),
        seeded.ServerAction(
            compute_pb2.ServerActionRequest(id=server_id, action="stop"), metadata=member_b
        ),
    ):
        assert (await refused(call)).code() == grpc.StatusCode.NOT_FOUND
    listed = await seeded.ListServers(
        compute_pb2.ListServersRequest(all_projects=True), metadata=member_b
    )
    assert server_id not in {s.id for s in listed.servers}

    # IT security sees every project's servers and isolates them, but neither boots nor
    # deletes.
    listed = await seeded.ListServers(
        compute_pb2.ListServersRequest(all_projects=True), metadata=security
    )
    assert server_id in {s.id for s in listed.servers}
    await seeded.ServerAction(
        compute_pb2.ServerActionRequest(id=server_id, action="pause"), metadata=security
    )
    await wait_status(seeded, server_id, "PAUSED")
    await seeded.ServerAction(
        compute_pb2.ServerActionRequest(id=server_id, action="unpause"), metadata=security
    )
    await wait_status(seeded, server_id, "ACTIVE")
    await seeded.ServerAction(
        compute_pb2.ServerActionRequest(id=server_id, action="stop"), metadata=security
    )
    await wait_status(seeded, server_id, "SHUTOFF")
    error = await refused(
        seeded.ServerAction(
            compute_pb2.ServerActionRequest(id=server_id, action="reboot", reboot_type="SOFT"),
            metadata=security,
        )
    )
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    error = await refused(boot(seeded, security, "nope"))
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    assert error.details() == (
        "Policy doesn't allow compute:create_server to be performed. "
        "Rule: role:admin or role:project_manager or role:member"
    )
    error = await refused(
        seeded.DeleteServer(compute_pb2.DeleteServerRequest(id=server_id), metadata=security)
    )
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED

    # The network manager sees the project's servers but does not run them.
    listed = await seeded.ListServers(compute_pb2.ListServersRequest(), metadata=network)
    assert server_id in {s.id for s in listed.servers}
    error = await refused(boot(seeded, network, "nope"))
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED

    # The project manager runs and terminates the project's servers.
    (managed,) = await boot(seeded, manager, "pm-web")
    await seeded.DeleteServer(compute_pb2.DeleteServerRequest(id=managed), metadata=manager)
    await seeded.DeleteServer(compute_pb2.DeleteServerRequest(id=server_id), metadata=manager)
    await wait_gone(seeded, managed)
    await wait_gone(seeded, server_id)

    async def released() -> bool:
        return (await in_use(seeded, project_a))["instances"] == 0

    await eventually(released)
