"""The placement API against a real cloud: flavor extra specs, server groups, aggregates,
availability zones, boot hints and the scheduler's explain, over REST and gRPC.

Every refused request is checked twice: the status it answers, and that nothing it would
have changed did change.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import grpc
import httpx
import pytest

from stratus.v1 import compute_pb2
from stratus.v1 import types_pb2 as t
from tests.integration.cloud import Cloud
from tests.integration.helpers import Stub, wait_gone

Metadata = list[tuple[str, str]]
BOOT = {"name": "placed", "flavorRef": "1", "imageRef": "cirros"}


@pytest.fixture
async def rest(cloud: Cloud, seeded: Stub) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=cloud.rest_url + "/v2.1", timeout=10, headers={"X-Auth-Token": cloud.admin.token}
    ) as client:
        yield client


@pytest.fixture
def other(cloud: Cloud) -> Metadata:
    """The gRPC metadata of a member of another project (project "other"): no admin role."""
    return [("x-auth-token", cloud.token_for("other", "member", user="bob").token)]


def fault(reply: httpx.Response, status: int) -> str:
    """The message of Nova's fault body; fails unless the reply is that status."""
    assert reply.status_code == status, reply.text
    (body,) = reply.json().values()
    assert body["code"] == status
    message: str = body["message"]
    return message


async def refused(call: Any, code: grpc.StatusCode) -> str:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call
    assert raised.value.code() == code, raised.value.details()
    return raised.value.details() or ""


# ---------------------------------------------------------------------------- extra specs


async def test_flavor_extra_specs_over_rest(rest: httpx.AsyncClient, seeded: Stub) -> None:
    await seeded.CreateFlavor(
        compute_pb2.CreateFlavorRequest(
            flavor=t.Flavor(id="specs", name="specs", vcpus=1, ram_mb=256, disk_gb=1)
        )
    )
    base = "/flavors/specs/os-extra_specs"
    reply = await rest.post(base, json={"extra_specs": {"hw:cpu_policy": "dedicated"}})
    assert reply.status_code == 200, reply.text
    assert reply.json() == {"extra_specs": {"hw:cpu_policy": "dedicated"}}
    reply = await rest.put(f"{base}/trait:CUSTOM_GPU", json={"trait:CUSTOM_GPU": "required"})
    assert reply.json() == {"trait:CUSTOM_GPU": "required"}
    listed = (await rest.get(base)).json()
    assert listed == {"extra_specs": {"hw:cpu_policy": "dedicated", "trait:CUSTOM_GPU": "required"}}
    assert (await rest.get(f"{base}/hw:cpu_policy")).json() == {"hw:cpu_policy": "dedicated"}
    # The flavor shows no extra_specs at microversion 2.1.
    assert "extra_specs" not in (await rest.get("/flavors/specs")).json()["flavor"]

    refusals = [
        (rest.post(base, json={"extra_specs": {"k": "v" * 256}}), 400),
        (rest.post(base, json={"extra_specs": {"k": 1}}), 400),
        (rest.post(base, json={"extra_specs": {"k" * 256: "v"}}), 400),
        (rest.post(base, json={"extra_specs": ["k"]}), 400),
        (rest.put(f"{base}/a", json={"b": "1"}), 400),
        (rest.put(f"{base}/a", json={"a": "1", "b": "2"}), 400),
        (rest.post("/flavors/nope/os-extra_specs", json={"extra_specs": {"a": "b"}}), 404),
        (rest.get(f"{base}/missing"), 404),
        (rest.delete(f"{base}/missing"), 404),
    ]
    for call, status in refusals:
        fault(await call, status)
    assert (await rest.get(base)).json() == listed

    assert (await rest.delete(f"{base}/trait:CUSTOM_GPU")).status_code == 200
    assert (await rest.get(base)).json() == {"extra_specs": {"hw:cpu_policy": "dedicated"}}


async def test_flavor_extra_specs_over_grpc(seeded: Stub, other: Metadata) -> None:
    await seeded.CreateFlavor(
        compute_pb2.CreateFlavorRequest(
            flavor=t.Flavor(id="specs-grpc", name="specs-grpc", vcpus=1, ram_mb=256, disk_gb=1)
        )
    )
    flavor = await seeded.SetFlavorExtraSpecs(
        compute_pb2.SetFlavorExtraSpecsRequest(flavor_id="specs-grpc", extra_specs={"a": "1"})
    )
    assert dict(flavor.extra_specs) == {"a": "1"}
    await refused(
        seeded.SetFlavorExtraSpecs(
            compute_pb2.SetFlavorExtraSpecsRequest(flavor_id="specs-grpc", extra_specs={"b": "2"}),
            metadata=other,
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    await refused(
        seeded.DeleteFlavorExtraSpec(
            compute_pb2.DeleteFlavorExtraSpecRequest(flavor_id="specs-grpc", key="zzz")
        ),
        grpc.StatusCode.NOT_FOUND,
    )
    current = await seeded.GetFlavor(compute_pb2.GetFlavorRequest(id="specs-grpc"))
    assert dict(current.extra_specs) == {"a": "1"}
    flavor = await seeded.DeleteFlavorExtraSpec(
        compute_pb2.DeleteFlavorExtraSpecRequest(flavor_id="specs-grpc", key="a")
    )
    assert dict(flavor.extra_specs) == {}


# ---------------------------------------------------------------------------- server groups


async def group_ids(rest: httpx.AsyncClient) -> set[str]:
    reply = await rest.get("/os-server-groups", params={"all_projects": "True"})
    return {g["id"] for g in reply.json()["server_groups"]}


# The soft policies exist from 2.15, a group's owner is shown from 2.13.
AT_2_15 = {"OpenStack-API-Version": "compute 2.15"}


async def test_server_groups_over_rest(cloud: Cloud, rest: httpx.AsyncClient) -> None:
    reply = await rest.post(
        "/os-server-groups",
        json={"server_group": {"name": "web", "policies": ["anti-affinity"]}},
        headers=AT_2_15,
    )
    assert reply.status_code == 200, reply.text
    group = reply.json()["server_group"]
    assert group["name"] == "web" and group["policies"] == ["anti-affinity"]
    assert group["members"] == [] and group["metadata"] == {}
    assert group["project_id"] == cloud.admin.info.project_id
    reply = await rest.post(
        "/os-server-groups",
        json={
            "server_group": {
                "name": "spread",
                "policy": "anti-affinity",
                "rules": {"max_server_per_host": 2},
            }
        },
        headers={"OpenStack-API-Version": "compute 2.64"},
    )
    assert reply.status_code == 200, reply.text
    spread = reply.json()["server_group"]
    assert (spread["policy"], spread["rules"]) == ("anti-affinity", {"max_server_per_host": 2})

    before = await group_ids(rest)
    for body in (
        {"server_group": {"name": "x", "policies": ["affinity", "anti-affinity"]}},
        {"server_group": {"name": "x", "policies": ["best-effort"]}},
        {"server_group": {"name": "x", "policies": []}},
        {"server_group": {"name": "x"}},
        {"server_group": {"name": "", "policies": ["affinity"]}},
        {"server_group": {"name": "x", "policy": "affinity", "rules": {"max_server_per_host": 2}}},
        {
            "server_group": {
                "name": "x",
                "policy": "anti-affinity",
                "rules": {"max_server_per_host": 0},
            }
        },
        {"server_group": {"name": "x", "policies": ["affinity"], "color": "red"}},
    ):
        fault(await rest.post("/os-server-groups", json=body), 400)
    assert await group_ids(rest) == before

    shown = await rest.get(f"/os-server-groups/{group['id']}", headers=AT_2_15)
    assert shown.json()["server_group"] == group
    assert {group["id"], spread["id"]} <= {
        g["id"] for g in (await rest.get("/os-server-groups")).json()["server_groups"]
    }
    assert (await rest.delete(f"/os-server-groups/{group['id']}")).status_code == 204
    fault(await rest.get(f"/os-server-groups/{group['id']}"), 404)
    fault(await rest.delete(f"/os-server-groups/{group['id']}"), 404)
    assert (await rest.delete(f"/os-server-groups/{spread['id']}")).status_code == 204


async def test_server_groups_over_grpc_belong_to_their_project(
    cloud: Cloud, seeded: Stub, other: Metadata
) -> None:
    mine = await seeded.CreateServerGroup(
        compute_pb2.CreateServerGroupRequest(name="mine", policy="affinity")
    )
    theirs = await seeded.CreateServerGroup(
        compute_pb2.CreateServerGroupRequest(
            name="theirs", policy="anti-affinity", rules={"max_server_per_host": "3"}
        ),
        metadata=other,
    )
    assert theirs.project_id == cloud.project_id("other") and dict(theirs.rules) == {
        "max_server_per_host": "3"
    }
    listed = await seeded.ListServerGroups(
        compute_pb2.ListServerGroupsRequest(all_projects=True), metadata=other
    )
    assert {g.id for g in listed.server_groups} == {theirs.id}  # all_projects: admins only
    everyone = await seeded.ListServerGroups(compute_pb2.ListServerGroupsRequest(all_projects=True))
    assert {mine.id, theirs.id} <= {g.id for g in everyone.server_groups}
    own = await seeded.ListServerGroups(compute_pb2.ListServerGroupsRequest())
    assert theirs.id not in {g.id for g in own.server_groups}

    for call in (
        seeded.GetServerGroup(compute_pb2.GetServerGroupRequest(id=mine.id), metadata=other),
        seeded.DeleteServerGroup(compute_pb2.DeleteServerGroupRequest(id=mine.id), metadata=other),
    ):
        await refused(call, grpc.StatusCode.NOT_FOUND)
    assert (await seeded.GetServerGroup(compute_pb2.GetServerGroupRequest(id=mine.id))).id
    await refused(
        seeded.CreateServerGroup(compute_pb2.CreateServerGroupRequest(name="x", policy="nope")),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    await seeded.DeleteServerGroup(compute_pb2.DeleteServerGroupRequest(id=theirs.id))
    await seeded.DeleteServerGroup(compute_pb2.DeleteServerGroupRequest(id=mine.id))


# ---------------------------------------------------------------------------- aggregates


async def aggregates(rest: httpx.AsyncClient) -> list[dict[str, Any]]:
    reply = await rest.get("/os-aggregates")
    assert reply.status_code == 200, reply.text
    found: list[dict[str, Any]] = reply.json()["aggregates"]
    return found


async def test_aggregates_over_rest(rest: httpx.AsyncClient) -> None:
    reply = await rest.post(
        "/os-aggregates",
        json={"aggregate": {"name": "rack-1"}},
        headers={"OpenStack-API-Version": "compute 2.41"},  # `uuid` from 2.41
    )
    assert reply.status_code == 200, reply.text
    rack = reply.json()["aggregate"]
    assert rack["name"] == "rack-1" and rack["availability_zone"] is None
    assert rack["uuid"] == rack["id"] and rack["deleted"] is False and "hosts" not in rack
    reply = await rest.post(
        "/os-aggregates", json={"aggregate": {"name": "zone-x", "availability_zone": "az-x"}}
    )
    zoned = reply.json()["aggregate"]
    assert zoned["availability_zone"] == "az-x"
    rack_url, zoned_url = f"/os-aggregates/{rack['id']}", f"/os-aggregates/{zoned['id']}"
    try:
        added = await rest.post(f"{rack_url}/action", json={"add_host": {"host": "node-1"}})
        assert added.status_code == 200, added.text
        assert added.json()["aggregate"]["hosts"] == ["node-1"]
        reply = await rest.post(
            f"{rack_url}/action",
            json={"set_metadata": {"metadata": {"ssd": "true", "cpu_allocation_ratio": "2.0"}}},
        )
        assert reply.json()["aggregate"]["metadata"] == {
            "ssd": "true",
            "cpu_allocation_ratio": "2.0",
        }
        await rest.post(f"{zoned_url}/action", json={"add_host": {"host": "node-2"}})

        before = await aggregates(rest)
        refusals = [
            (rest.post("/os-aggregates", json={"aggregate": {"name": "rack-1"}}), 409),
            (rest.post("/os-aggregates", json={"aggregate": {}}), 400),
            (rest.post("/os-aggregates", json={"aggregate": {"name": "a", "x": 1}}), 400),
            (
                rest.post(
                    "/os-aggregates", json={"aggregate": {"name": "a", "availability_zone": "a:b"}}
                ),
                400,
            ),
            (rest.post(f"{rack_url}/action", json={"add_host": {"host": "node-404"}}), 404),
            (rest.post(f"{rack_url}/action", json={"add_host": {"host": "node-1"}}), 409),
            # node-2 is in az-x; rack-1 taking a zone would put it... not node-2: node-1
            # joining az-x while rack-1 gives it another zone is the clash below.
            (rest.post(f"{rack_url}/action", json={"remove_host": {"host": "node-3"}}), 404),
            (
                rest.post(
                    f"{rack_url}/action",
                    json={"set_metadata": {"metadata": {"ram_allocation_ratio": "-1"}}},
                ),
                400,
            ),
            (
                rest.post(
                    f"{rack_url}/action",
                    json={"set_metadata": {"metadata": {"disk_allocation_ratio": "lots"}}},
                ),
                400,
            ),
            (rest.post(f"{rack_url}/action", json={"set_metadata": {"metadata": {"a": 1}}}), 400),
            (rest.post(f"{rack_url}/action", json={"explode": {}}), 400),
            (rest.post(f"{rack_url}/action", json={"add_host": {}}), 400),
            (rest.put(rack_url, json={"aggregate": {}}), 400),
            (rest.put(rack_url, json={"aggregate": {"name": "zone-x"}}), 409),
            (rest.delete(rack_url), 400),
            (rest.get("/os-aggregates/nope"), 404),
        ]
        for call, status in refusals:
            fault(await call, status)
        assert await aggregates(rest) == before

        # A host is in one zone only: node-1 (in rack-1) joins az-x; then rack-1 may not
        # take another zone, by update or by metadata, and node-2 may not join az-y.
        await rest.post(f"{zoned_url}/action", json={"add_host": {"host": "node-1"}})
        before = await aggregates(rest)
        fault(await rest.put(rack_url, json={"aggregate": {"availability_zone": "az-y"}}), 400)
        fault(
            await rest.post(
                f"{rack_url}/action",
                json={"set_metadata": {"metadata": {"availability_zone": "az-y"}}},
            ),
            400,
        )
        reply = await rest.post("/os-aggregates", json={"aggregate": {"name": "zone-y"}})
        zone_y = reply.json()["aggregate"]["id"]
        await rest.post(
            f"/os-aggregates/{zone_y}/action",
            json={"set_metadata": {"metadata": {"availability_zone": "az-y"}}},
        )
        before = await aggregates(rest)
        message = fault(
            await rest.post(
                f"/os-aggregates/{zone_y}/action", json={"add_host": {"host": "node-2"}}
            ),
            409,
        )
        assert "az-x" in message
        assert await aggregates(rest) == before
        assert (await rest.delete(f"/os-aggregates/{zone_y}")).status_code == 200

        # The same zone is fine; the zone shows in the metadata too.
        reply = await rest.put(
            rack_url, json={"aggregate": {"name": "rack-one", "availability_zone": "az-x"}}
        )
        assert reply.status_code == 200, reply.text
        shown = reply.json()["aggregate"]
        assert shown["name"] == "rack-one" and shown["availability_zone"] == "az-x"
        assert shown["metadata"]["availability_zone"] == "az-x"
        assert shown["updated_at"] is not None
        # null removes a key, and the zone.
        reply = await rest.post(
            f"{rack_url}/action",
            json={"set_metadata": {"metadata": {"ssd": None, "availability_zone": None}}},
        )
        shown = reply.json()["aggregate"]
        assert shown["availability_zone"] is None
        assert shown["metadata"] == {"cpu_allocation_ratio": "2.0"}
        assert (await rest.get(rack_url)).json()["aggregate"] == shown
    finally:
        for url in (rack_url, zoned_url):
            for host in ("node-1", "node-2"):
                await rest.post(f"{url}/action", json={"remove_host": {"host": host}})
            await rest.delete(url)
    assert {a["id"] for a in await aggregates(rest)}.isdisjoint({rack["id"], zoned["id"]})


async def test_aggregates_over_grpc_are_for_admins(seeded: Stub, other: Metadata) -> None:
    created = await seeded.CreateAggregate(
        compute_pb2.CreateAggregateRequest(name="grpc-agg", availability_zone="az-g")
    )
    try:
        for call in (
            seeded.ListAggregates(compute_pb2.ListAggregatesRequest(), metadata=other),
            seeded.CreateAggregate(compute_pb2.CreateAggregateRequest(name="x"), metadata=other),
            seeded.AddAggregateHost(
                compute_pb2.AggregateHostRequest(id=created.id, host="node-3"), metadata=other
            ),
            seeded.DeleteAggregate(
                compute_pb2.DeleteAggregateRequest(id=created.id), metadata=other
            ),
        ):
            await refused(call, grpc.StatusCode.PERMISSION_DENIED)
        added = await seeded.AddAggregateHost(
            compute_pb2.AggregateHostRequest(id=created.id, host="node-3")
        )
        assert list(added.hosts) == ["node-3"]
        updated = await seeded.UpdateAggregate(
            compute_pb2.UpdateAggregateRequest(id=created.id, name="grpc-agg-2")
        )
        assert updated.name == "grpc-agg-2" and updated.availability_zone == "az-g"
        tagged = await seeded.SetAggregateMetadata(
            compute_pb2.SetAggregateMetadataRequest(id=created.id, metadata={"gpu": "yes"})
        )
        assert dict(tagged.metadata) == {"gpu": "yes"}
        await refused(
            seeded.DeleteAggregate(compute_pb2.DeleteAggregateRequest(id=created.id)),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
        zones = await seeded.ListAvailabilityZones(
            compute_pb2.ListAvailabilityZonesRequest(detail=True)
        )
        by_name = {z.name: list(z.hosts) for z in zones.zones}
        assert by_name["az-g"] == ["node-3"]
        assert "node-3" not in by_name.get("nova", [])
        removed = await seeded.RemoveAggregateHost(
            compute_pb2.AggregateHostRequest(id=created.id, host="node-3")
        )
        assert list(removed.hosts) == []
        listed = await seeded.ListAggregates(compute_pb2.ListAggregatesRequest())
        assert created.id in {a.id for a in listed.aggregates}
    finally:
        await seeded.DeleteAggregate(compute_pb2.DeleteAggregateRequest(id=created.id))
    await refused(
        seeded.GetAggregate(compute_pb2.GetAggregateRequest(id=created.id)),
        grpc.StatusCode.NOT_FOUND,
    )


# ---------------------------------------------------------------------------- zones


async def test_availability_zones_list_the_zones_that_have_hosts(
    rest: httpx.AsyncClient,
) -> None:
    reply = await rest.get("/os-availability-zone")
    assert reply.json() == {
        "availabilityZoneInfo": [
            {"zoneName": "nova", "zoneState": {"available": True}, "hosts": None}
        ]
    }
    created = (
        await rest.post(
            "/os-aggregates", json={"aggregate": {"name": "edge", "availability_zone": "edge"}}
        )
    ).json()["aggregate"]
    url = f"/os-aggregates/{created['id']}"
    try:
        # A zone without hosts is not listed.
        names = [
            z["zoneName"]
            for z in (await rest.get("/os-availability-zone")).json()["availabilityZoneInfo"]
        ]
        assert names == ["nova"]
        await rest.post(f"{url}/action", json={"add_host": {"host": "node-3"}})
        detail = (await rest.get("/os-availability-zone/detail")).json()["availabilityZoneInfo"]
        zones = {z["zoneName"]: z for z in detail}
        assert set(zones["edge"]["hosts"]) == {"node-3"}
        assert set(zones["nova"]["hosts"]) == {"node-1", "node-2"}
        service = zones["edge"]["hosts"]["node-3"]["nova-compute"]
        assert service["available"] is True and service["active"] is True
        assert "stratus-scheduler" in next(iter(zones["internal"]["hosts"].values()))
    finally:
        await rest.post(f"{url}/action", json={"remove_host": {"host": "node-3"}})
        await rest.delete(url)


# ---------------------------------------------------------------------------- boot


async def server_count(rest: httpx.AsyncClient) -> int:
    return len((await rest.get("/servers")).json()["servers"])


async def test_boot_stores_zone_hints_and_group(rest: httpx.AsyncClient, seeded: Stub) -> None:
    group = (
        await rest.post(
            "/os-server-groups",
            json={"server_group": {"name": "boot", "policies": ["soft-anti-affinity"]}},
            headers=AT_2_15,
        )
    ).json()["server_group"]
    first = await rest.post("/servers", json={"server": {**BOOT, "name": "anchor"}})
    anchor = first.json()["server"]["id"]
    query = json.dumps([">=", "$free_ram_mb", 256])
    reply = await rest.post(
        "/servers",
        json={
            "server": {**BOOT, "availability_zone": "nova", "min_count": 2},
            "os:scheduler_hints": {
                "group": group["id"],
                "different_host": anchor,
                "build_near_host_ip": "10.0.0.1",
                "cidr": "/24",
                "query": query,
            },
        },
    )
    assert reply.status_code == 202, reply.text
    listed = await seeded.ListServers(compute_pb2.ListServersRequest(name="^placed"))
    assert len(listed.servers) == 2
    ids = {s.id for s in listed.servers}
    for server in listed.servers:
        assert server.availability_zone == "nova"
        assert server.server_group_id == group["id"]
        assert list(server.scheduler_hints.different_host) == [anchor]
        assert server.scheduler_hints.query == query
        assert server.scheduler_hints.cidr == "/24"
        shown = (await rest.get(f"/servers/{server.id}")).json()["server"]
        assert shown["OS-EXT-AZ:availability_zone"] == "nova"
    members = (await rest.get(f"/os-server-groups/{group['id']}")).json()["server_group"]
    assert set(members["members"]) == ids

    # The other hint name Nova accepts, and a list for same_host.
    reply = await rest.post(
        "/servers",
        json={
            "server": {**BOOT, "name": "near"},
            "OS-SCH-HNT:scheduler_hints": {"same_host": [anchor]},
        },
    )
    assert reply.status_code == 202, reply.text
    near = reply.json()["server"]["id"]
    stored = await seeded.GetServer(compute_pb2.GetServerRequest(id=near))
    assert list(stored.scheduler_hints.same_host) == [anchor]
    assert stored.availability_zone == ""
    shown = (await rest.get(f"/servers/{near}")).json()["server"]
    # No zone asked for: Nova shows the zone of its host once it has one, "" until then.
    # The build goes on meanwhile, so the host is read again after the show.
    after = await seeded.GetServer(compute_pb2.GetServerRequest(id=near))
    assert shown["OS-EXT-AZ:availability_zone"] in ("", "nova")
    if shown["OS-EXT-AZ:availability_zone"] == "nova":
        assert after.host

    for server_id in [anchor, near, *ids]:
        await rest.delete(f"/servers/{server_id}")
    for server_id in [anchor, near, *ids]:
        await wait_gone(seeded, server_id)
    await rest.delete(f"/os-server-groups/{group['id']}")


async def test_boot_refuses_bad_zones_and_hints_and_creates_nothing(
    rest: httpx.AsyncClient, seeded: Stub, other: Metadata
) -> None:
    before = await server_count(rest)
    groups_before = await group_ids(rest)
    own_group = await seeded.CreateServerGroup(
        compute_pb2.CreateServerGroupRequest(name="ours", policy="affinity")
    )
    hint_cases: list[tuple[dict[str, Any], dict[str, Any], int]] = [
        ({"availability_zone": "atlantis"}, {}, 400),
        ({"availability_zone": "nova:node-1"}, {}, 400),
        ({"availability_zone": 7}, {}, 400),
        ({}, {"group": "no-such-group"}, 400),
        ({}, {"different_host": [1]}, 400),
        ({}, {"build_near_host_ip": "10.0.0.300"}, 400),
        ({}, {"build_near_host_ip": "10.0.0.1", "cidr": "24"}, 400),
        ({}, {"build_near_host_ip": "10.0.0.1", "cidr": "/33"}, 400),
        ({}, {"build_near_host_ip": "10.0.0.1", "cidr": "/255.0.255.0"}, 400),
        ({}, {"query": "[not json"}, 400),
    ]
    for server_fields, hints, status in hint_cases:
        body: dict[str, Any] = {"server": {**BOOT, **server_fields}}
        if hints:
            body["os:scheduler_hints"] = hints
        fault(await rest.post("/servers", json=body), status)
    fault(await rest.post("/servers", json={"server": BOOT, "os:scheduler_hints": "group"}), 400)
    assert await server_count(rest) == before
    # Forcing a host is for admins (403 to others, not supported yet for admins).
    await refused(
        seeded.CreateServers(
            compute_pb2.CreateServersRequest(
                name="forced", flavor_ref="1", image_ref="cirros", availability_zone="nova:node-1"
            ),
            metadata=other,
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    for group_id, metadata in (("missing", None), (own_group.id, other)):
        # Another project's group is as unknown as a missing one.
        await refused(
            seeded.CreateServers(
                compute_pb2.CreateServersRequest(
                    name="grouped",
                    flavor_ref="1",
                    image_ref="cirros",
                    hints=t.SchedulerHints(group=group_id),
                ),
                metadata=metadata,
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
    assert await server_count(rest) == before
    everyone = await seeded.ListServers(compute_pb2.ListServersRequest(all_projects=True))
    assert not [s for s in everyone.servers if s.name == "grouped"]
    assert (
        list(
            (
                await seeded.GetServerGroup(compute_pb2.GetServerGroupRequest(id=own_group.id))
            ).members
        )
        == []
    )
    await seeded.DeleteServerGroup(compute_pb2.DeleteServerGroupRequest(id=own_group.id))
    assert await group_ids(rest) == groups_before


async def test_hints_nova_accepts_reach_the_scheduler(rest: httpx.AsyncClient) -> None:
    """Servers named by same_host/different_host need not exist (Nova checks their shape
    only: the scheduler finds them on no host), and cidr may be a netmask."""
    unknown = str(uuid.uuid4())
    cases: list[tuple[dict[str, Any], str | None]] = [
        ({"same_host": [unknown]}, "SameHostFilter"),  # on no host: every host fails
        ({"same_host": unknown}, "SameHostFilter"),
        ({"different_host": unknown}, None),  # on no host: every host passes
        ({"different_host": [unknown, str(uuid.uuid4())]}, None),
        ({"build_near_host_ip": "127.0.0.9", "cidr": "/255.255.255.0"}, None),
        ({"build_near_host_ip": "127.0.0.9", "cidr": "/24"}, None),
        ({"build_near_host_ip": "127.0.1.9", "cidr": "/255.255.255.0"}, "SimpleCIDRAffinity"),
    ]
    for hints, removed_by in cases:
        reply = await rest.post(
            "/os-scheduler/explain", json={"server": BOOT, "os:scheduler_hints": hints}
        )
        assert reply.status_code == 200, (hints, reply.text)
        explain = reply.json()["explain"]
        if removed_by is None:
            assert explain["no_valid_host_reason"] is None, hints
            assert len(explain["weighed"]) == explain["hosts_total"], hints
        else:
            assert removed_by in explain["no_valid_host_reason"], hints
            assert explain["weighed"] == [], hints


# ---------------------------------------------------------------------------- explain

KNOWN_FILTERS = {"ComputeFilter", "RamFilter", "CoreFilter", "DiskFilter"}


async def test_explain_shows_each_filter_and_the_weighed_hosts(rest: httpx.AsyncClient) -> None:
    before = await server_count(rest)
    reply = await rest.post("/os-scheduler/explain", json={"server": BOOT})
    assert reply.status_code == 200, reply.text
    explain = reply.json()["explain"]
    assert explain["hosts_total"] == 3
    assert explain["no_valid_host_reason"] is None
    names = [f["filter"] for f in explain["filters"]]
    assert KNOWN_FILTERS <= set(names)
    for result in explain["filters"]:
        assert set(result) == {
            "filter",
            "hosts_before",
            "hosts_removed",
            "reason",
            "hosts_left_sample",
        }
        assert result["hosts_removed"] == 0
    assert {w["host"] for w in explain["weighed"]} == {"node-1", "node-2", "node-3"}
    assert all("RAMWeigher" in w["parts"] for w in explain["weighed"])
    weights = [w["weight"] for w in explain["weighed"]]
    assert weights == sorted(weights, reverse=True)
    assert await server_count(rest) == before  # nothing booted, nothing claimed


async def test_explain_says_why_no_host_fits(rest: httpx.AsyncClient) -> None:
    reply = await rest.post("/os-scheduler/explain", json={"server": {**BOOT, "flavorRef": "huge"}})
    explain = reply.json()["explain"]
    assert explain["weighed"] == []
    assert "RamFilter" in explain["no_valid_host_reason"]
    ram = next(f for f in explain["filters"] if f["filter"] == "RamFilter")
    assert ram["hosts_removed"] == 3 and ram["hosts_left_sample"] == []


async def test_explain_checks_the_request_like_a_boot(
    rest: httpx.AsyncClient, seeded: Stub, other: Metadata
) -> None:
    fault(
        await rest.post(
            "/os-scheduler/explain", json={"server": {**BOOT, "availability_zone": "nowhere"}}
        ),
        400,
    )
    fault(await rest.post("/os-scheduler/explain", json={"server": {"name": "x"}}), 400)
    fault(
        await rest.post("/os-scheduler/explain", json={"server": {**BOOT, "flavorRef": "9"}}), 400
    )
    await refused(
        seeded.ExplainPlacement(
            compute_pb2.CreateServersRequest(name="x", flavor_ref="1", image_ref="cirros"),
            metadata=other,
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    group = await seeded.CreateServerGroup(
        compute_pb2.CreateServerGroupRequest(name="explained", policy="affinity")
    )
    answer = await seeded.ExplainPlacement(
        compute_pb2.CreateServersRequest(
            name="x", flavor_ref="1", image_ref="cirros", hints=t.SchedulerHints(group=group.id)
        )
    )
    assert answer.hosts_total == 3 and len(answer.weighed) == 3
    assert KNOWN_FILTERS <= {f.filter for f in answer.filters}
    await seeded.DeleteServerGroup(compute_pb2.DeleteServerGroupRequest(id=group.id))
