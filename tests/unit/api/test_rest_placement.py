"""How the placement routes read their bodies and shape their answers: flavor extra specs,
server groups, aggregates, availability zones, boot hints and explain."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from rest_fakes import FakeComputeApi

from services.runtime.errors import NotFound, PermissionDenied
from stratus.v1 import compute_pb2, scheduler_pb2, types_pb2

BOOT = {"server": {"name": "web", "flavorRef": "1", "imageRef": "img-1"}}


def fault(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    (body,) = response.json().values()
    assert body["code"] == status
    message: str = body["message"]
    return message


# ---------------------------------------------------------------------------- extra specs


async def test_extra_specs_are_listed_from_the_flavor(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    compute.flavors = [types_pb2.Flavor(id="1", extra_specs={"b": "2", "a": "1"})]
    response = await client.get("/v2.1/flavors/1/os-extra_specs")
    assert response.json() == {"extra_specs": {"a": "1", "b": "2"}}
    assert (await client.get("/v2.1/flavors/1/os-extra_specs/a")).json() == {"a": "1"}


async def test_a_missing_extra_spec_is_not_found(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    compute.flavors = [types_pb2.Flavor(id="1")]
    message = fault(await client.get("/v2.1/flavors/1/os-extra_specs/nope"), 404)
    assert message == "Flavor 1 has no extra specs with key nope."


async def test_extra_specs_post_merges_and_answers_with_the_body(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    body = {"extra_specs": {"hw:cpu_policy": "dedicated"}}
    response = await client.post("/v2.1/flavors/1/os-extra_specs", json=body)
    assert response.status_code == 200
    assert response.json() == body
    assert compute.last("set_flavor_extra_specs") == ("1", {"hw:cpu_policy": "dedicated"})


@pytest.mark.parametrize(
    "body",
    [
        {"extra_specs": {"k": 1}},
        {"extra_specs": {"k": None}},
        {"extra_specs": {"k": "v" * 256}},
        {"extra_specs": {"k" * 256: "v"}},
        {"extra_specs": ["k"]},
        {"specs": {}},
    ],
)
async def test_bad_extra_specs_are_refused_before_the_service(
    client: httpx.AsyncClient, compute: FakeComputeApi, body: dict[str, Any]
) -> None:
    fault(await client.post("/v2.1/flavors/1/os-extra_specs", json=body), 400)
    assert compute.calls == []


async def test_extra_spec_put_takes_exactly_the_key_of_the_url(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    response = await client.put("/v2.1/flavors/1/os-extra_specs/a", json={"a": "x"})
    assert response.json() == {"a": "x"}
    assert compute.last("set_flavor_extra_specs") == ("1", {"a": "x"})
    url = "/v2.1/flavors/1/os-extra_specs/a"
    assert fault(await client.put(url, json={"b": "x"}), 400) == "Request body and URI mismatch"
    message = fault(await client.put(url, json={"a": "x", "b": "y"}), 400)
    assert message == "Request body contains too many items"
    fault(await client.put(url, json={"a": 3}), 400)


async def test_extra_spec_delete_answers_200_without_a_body(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    response = await client.delete("/v2.1/flavors/1/os-extra_specs/a")
    assert (response.status_code, response.content) == (200, b"")
    assert compute.last("delete_flavor_extra_spec") == ("1", "a")


async def test_non_admins_get_nova_forbidden(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    compute.error = PermissionDenied("Policy doesn't allow x to be performed.")
    response = await client.post("/v2.1/flavors/1/os-extra_specs", json={"extra_specs": {}})
    assert response.json() == {
        "forbidden": {"code": 403, "message": "Policy doesn't allow x to be performed."}
    }


# ---------------------------------------------------------------------------- server groups

AT_2_64 = {"OpenStack-API-Version": "compute 2.64"}


async def test_server_group_create_takes_the_2_1_policies_list(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    body = {"server_group": {"name": "web", "policies": ["anti-affinity"]}}
    response = await client.post("/v2.1/os-server-groups", json=body)
    assert response.status_code == 200, response.text
    (request,) = compute.last("create_server_group")
    assert (request.name, request.policy, dict(request.rules)) == ("web", "anti-affinity", {})
    assert response.json() == {
        "server_group": {
            "id": "group-1",
            "name": "web",
            "policies": ["anti-affinity"],
            "members": [],
            "metadata": {},
        }
    }


async def test_server_group_create_takes_the_2_64_policy_and_rules(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    body = {
        "server_group": {
            "name": "web",
            "policy": "anti-affinity",
            "rules": {"max_server_per_host": "2"},
        }
    }
    response = await client.post("/v2.1/os-server-groups", json=body, headers=AT_2_64)
    assert response.status_code == 200, response.text
    (request,) = compute.last("create_server_group")
    assert dict(request.rules) == {"max_server_per_host": "2"}
    shown = response.json()["server_group"]
    assert (shown["policy"], "policies" in shown, "metadata" in shown) == (
        "anti-affinity",
        False,
        False,
    )
    assert (shown["project_id"], shown["user_id"]) == ("default", "admin")


async def test_server_group_bodies_follow_the_microversion(client: httpx.AsyncClient) -> None:
    old_style = {"server_group": {"name": "web", "policies": ["affinity"]}}
    new_style = {"server_group": {"name": "web", "policy": "affinity"}}
    soft = {"server_group": {"name": "web", "policies": ["soft-affinity"]}}
    path = "/v2.1/os-server-groups"
    assert (await client.post(path, json=new_style)).status_code == 400
    assert (await client.post(path, json=old_style, headers=AT_2_64)).status_code == 400
    assert (await client.post(path, json=soft)).status_code == 400  # soft policies: 2.15
    at_2_15 = {"OpenStack-API-Version": "compute 2.15"}
    assert (await client.post(path, json=soft, headers=at_2_15)).status_code == 200


@pytest.mark.parametrize(
    "group",
    [
        {"name": "g"},
        {"name": "g", "policies": []},
        {"name": "g", "policies": ["affinity", "anti-affinity"]},
        {"name": "g", "policies": ["spread"]},
        {"name": "g", "policies": "affinity"},
        {"name": "g", "policy": "affinity", "policies": ["affinity"]},
        {"name": "g", "policy": "anti-affinity", "rules": {"max_server_per_host": 0}},
        {"name": "g", "policy": "anti-affinity", "rules": {"max_server_per_host": "two"}},
        {"name": "g", "policy": "anti-affinity", "rules": {"other": 1}},
        {"name": "g", "policy": "anti-affinity", "rules": []},
        {"name": 5, "policies": ["affinity"]},
        {"policies": ["affinity"]},
        {"name": "g", "policies": ["affinity"], "extra": True},
    ],
)
async def test_bad_server_group_bodies_are_400(
    client: httpx.AsyncClient, compute: FakeComputeApi, group: dict[str, Any]
) -> None:
    response = await client.post("/v2.1/os-server-groups", json={"server_group": group})
    fault(response, 400)
    assert compute.calls == []


async def test_server_groups_list_show_and_delete(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    compute.groups = [
        types_pb2.ServerGroup(id="g1", name="a", policy="affinity", members=["s1", "s2"])
    ]
    listed = (await client.get("/v2.1/os-server-groups")).json()["server_groups"]
    assert [g["members"] for g in listed] == [["s1", "s2"]]
    assert compute.last("list_server_groups") == (False,)
    await client.get("/v2.1/os-server-groups?all_projects=True")
    assert compute.last("list_server_groups") == (True,)
    shown = (await client.get("/v2.1/os-server-groups/g1")).json()["server_group"]
    assert shown["policies"] == ["affinity"]
    response = await client.delete("/v2.1/os-server-groups/g1")
    assert response.status_code == 204
    assert compute.last("delete_server_group") == ("g1",)


async def test_another_projects_group_is_item_not_found(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    compute.error = NotFound("Instance group g9 could not be found.")
    fault(await client.get("/v2.1/os-server-groups/g9"), 404)


# ---------------------------------------------------------------------------- aggregates


def aggregate(**fields: Any) -> types_pb2.Aggregate:
    found = types_pb2.Aggregate(id="agg-1", name="rack", **fields)
    found.created_at.FromSeconds(1_700_000_000)
    return found


async def test_aggregate_create_answers_without_hosts_and_metadata(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    body = {"aggregate": {"name": "rack", "availability_zone": "az1"}}
    response = await client.post("/v2.1/os-aggregates", json=body)
    assert response.status_code == 200
    assert compute.last("create_aggregate") == ("rack", "az1")
    assert response.json() == {
        "aggregate": {
            "id": "agg-1",
            "name": "rack",
            "availability_zone": "az1",
            "created_at": None,
            "updated_at": None,
            "deleted": False,
            "deleted_at": None,
        }
    }


async def test_aggregate_view_shows_the_zone_in_the_metadata(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    compute.aggregates = [aggregate(availability_zone="az1", hosts=["h1"], metadata={"ssd": "1"})]
    response = await client.get("/v2.1/os-aggregates/agg-1")
    assert response.json()["aggregate"] == {
        "id": "agg-1",
        "name": "rack",
        "availability_zone": "az1",
        "hosts": ["h1"],
        "metadata": {"ssd": "1", "availability_zone": "az1"},
        "created_at": "2023-11-14T22:13:20.000000",
        "updated_at": None,
        "deleted": False,
        "deleted_at": None,
    }
    listed = (await client.get("/v2.1/os-aggregates")).json()["aggregates"]
    assert [a["id"] for a in listed] == ["agg-1"]


async def test_an_aggregate_without_zone_shows_null(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    compute.aggregates = [aggregate()]
    shown = (await client.get("/v2.1/os-aggregates/agg-1")).json()["aggregate"]
    assert shown["availability_zone"] is None and shown["metadata"] == {}


@pytest.mark.parametrize(
    "body",
    [
        {"aggregate": {}},
        {"aggregate": {"name": 3}},
        {"aggregate": {"name": "a", "availability_zone": 3}},
        {"aggregate": {"name": "a", "availability_zone": ""}},
        {"aggregate": {"name": "a", "hosts": []}},
        {"name": "a"},
    ],
)
async def test_bad_aggregate_bodies_are_400(
    client: httpx.AsyncClient, compute: FakeComputeApi, body: dict[str, Any]
) -> None:
    fault(await client.post("/v2.1/os-aggregates", json=body), 400)
    assert compute.calls == []


async def test_aggregate_update_keeps_absent_fields_and_null_removes_the_zone(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    compute.aggregates = [aggregate()]
    await client.put("/v2.1/os-aggregates/agg-1", json={"aggregate": {"name": "r2"}})
    assert compute.last("update_aggregate") == ("agg-1", "r2", None)
    body = {"aggregate": {"availability_zone": None}}
    await client.put("/v2.1/os-aggregates/agg-1", json=body)
    assert compute.last("update_aggregate") == ("agg-1", None, "")
    fault(await client.put("/v2.1/os-aggregates/agg-1", json={"aggregate": {}}), 400)


async def test_aggregate_delete_answers_200(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    response = await client.delete("/v2.1/os-aggregates/agg-1")
    assert (response.status_code, response.content) == (200, b"")


async def test_aggregate_actions(client: httpx.AsyncClient, compute: FakeComputeApi) -> None:
    compute.aggregates = [aggregate(hosts=["h1"])]
    url = "/v2.1/os-aggregates/agg-1/action"
    response = await client.post(url, json={"add_host": {"host": "h1"}})
    assert response.json()["aggregate"]["hosts"] == ["h1"]
    assert compute.last("add_aggregate_host") == ("agg-1", "h1")
    await client.post(url, json={"remove_host": {"host": "h1"}})
    assert compute.last("remove_aggregate_host") == ("agg-1", "h1")
    body = {"set_metadata": {"metadata": {"ssd": "1", "old": None}}}
    await client.post(url, json=body)
    assert compute.last("set_aggregate_metadata") == ("agg-1", {"ssd": "1", "old": None})


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"explode": {}},
        {"add_host": {"host": "h1"}, "remove_host": {"host": "h1"}},
        {"add_host": "h1"},
        {"add_host": {}},
        {"add_host": {"host": 1}},
        {"add_host": {"host": "h1", "zone": "x"}},
        {"set_metadata": {}},
        {"set_metadata": {"metadata": []}},
        {"set_metadata": {"metadata": {"a": 1}}},
    ],
)
async def test_bad_aggregate_actions_are_400(
    client: httpx.AsyncClient, compute: FakeComputeApi, body: dict[str, Any]
) -> None:
    fault(await client.post("/v2.1/os-aggregates/agg-1/action", json=body), 400)
    assert compute.calls == []


# ---------------------------------------------------------------------------- zones


async def test_availability_zones_in_novas_shape(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    compute.zones = [compute_pb2.AvailabilityZone(name="nova", available=True)]
    response = await client.get("/v2.1/os-availability-zone")
    assert response.json() == {
        "availabilityZoneInfo": [
            {"zoneName": "nova", "zoneState": {"available": True}, "hosts": None}
        ]
    }
    assert compute.last("list_availability_zones") == (False,)


async def test_availability_zone_detail_lists_hosts_and_the_internal_zone(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    compute.zones = [compute_pb2.AvailabilityZone(name="az1", available=True, hosts=["h1"])]
    host = types_pb2.Host(name="h1", enabled=True)
    host.updated_at.FromSeconds(1_700_000_000)
    compute.hosts = [compute_pb2.HostView(host=host, up=False)]
    record = types_pb2.ServiceRecord(id="s1", binary="stratus-scheduler", host="ctl")
    compute.services = [compute_pb2.ServiceView(service=record, up=True)]
    response = await client.get("/v2.1/os-availability-zone/detail")
    assert compute.last("list_availability_zones") == (True,)
    az1, internal = response.json()["availabilityZoneInfo"]
    assert az1 == {
        "zoneName": "az1",
        "zoneState": {"available": True},
        "hosts": {
            "h1": {
                "nova-compute": {
                    "available": False,
                    "active": True,
                    "updated_at": "2023-11-14T22:13:20.000000",
                }
            }
        },
    }
    assert internal["zoneName"] == "internal"
    assert internal["hosts"]["ctl"]["stratus-scheduler"]["available"] is True


# ---------------------------------------------------------------------------- boot


async def test_boot_reads_the_zone_and_the_top_level_hints(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    body = {
        "server": {**BOOT["server"], "availability_zone": "az1"},
        "os:scheduler_hints": {
            "same_host": "s1",
            "different_host": ["s2", "s3"],
            "group": "g1",
            "build_near_host_ip": "10.0.0.1",
            "cidr": "/24",
            "query": '[">=", "$free_ram_mb", 1024]',
            "unknown_hint": "ignored",
        },
    }
    assert (await client.post("/v2.1/servers", json=body)).status_code == 202
    (request,) = compute.last("create_servers")
    assert request.availability_zone == "az1"
    assert request.hints == types_pb2.SchedulerHints(
        same_host=["s1"],
        different_host=["s2", "s3"],
        group="g1",
        build_near_host_ip="10.0.0.1",
        cidr="/24",
        query='[">=", "$free_ram_mb", 1024]',
    )


async def test_boot_takes_the_old_hint_name_and_a_json_query(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    body = {**BOOT, "OS-SCH-HNT:scheduler_hints": {"query": ["=", "$host", "h1"]}}
    assert (await client.post("/v2.1/servers", json=body)).status_code == 202
    (request,) = compute.last("create_servers")
    assert request.hints.query == '["=", "$host", "h1"]'


@pytest.mark.parametrize(
    "extra",
    [
        {"os:scheduler_hints": "g1"},
        {"os:scheduler_hints": {"same_host": 1}},
        {"os:scheduler_hints": {"different_host": ["s1", 2]}},
        {"os:scheduler_hints": {"group": ["g1"]}},
        {"os:scheduler_hints": {"query": 3}},
        {"os:scheduler_hints": {}, "OS-SCH-HNT:scheduler_hints": {}},
    ],
)
async def test_bad_hints_are_400(
    client: httpx.AsyncClient, compute: FakeComputeApi, extra: dict[str, Any]
) -> None:
    fault(await client.post("/v2.1/servers", json={**BOOT, **extra}), 400)
    assert compute.calls == []


async def test_a_zone_must_be_a_string(client: httpx.AsyncClient, compute: FakeComputeApi) -> None:
    body = {"server": {**BOOT["server"], "availability_zone": ["az1"]}}
    fault(await client.post("/v2.1/servers", json=body), 400)


async def test_the_server_shows_its_requested_zone_else_nova(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    from rest_fakes import make_instance

    compute.servers = [make_instance(availability_zone="az1")]
    shown = (await client.get("/v2.1/servers/x")).json()["server"]
    assert shown["OS-EXT-AZ:availability_zone"] == "az1"
    compute.servers = [make_instance()]
    shown = (await client.get("/v2.1/servers/x")).json()["server"]
    assert shown["OS-EXT-AZ:availability_zone"] == "nova"


# ---------------------------------------------------------------------------- explain


async def test_explain_takes_a_boot_body_and_shows_filters_and_weights(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    compute.explanation = scheduler_pb2.ExplainResponse(
        hosts_total=3,
        filters=[
            scheduler_pb2.FilterResult(
                filter="RamFilter",
                hosts_before=3,
                hosts_removed=1,
                reason="have too little RAM",
                hosts_left_sample=["h1", "h2"],
            )
        ],
        weighed=[scheduler_pb2.WeighedHost(host="h1", weight=1.5, parts={"RAMWeigher": 1.5})],
    )
    body = {**BOOT, "os:scheduler_hints": {"group": "g1"}}
    response = await client.post("/v2.1/os-scheduler/explain", json=body)
    assert response.status_code == 200
    (request,) = compute.last("explain_placement")
    assert request.hints.group == "g1" and request.flavor_ref == "1"
    assert response.json() == {
        "explain": {
            "hosts_total": 3,
            "filters": [
                {
                    "filter": "RamFilter",
                    "hosts_before": 3,
                    "hosts_removed": 1,
                    "reason": "have too little RAM",
                    "hosts_left_sample": ["h1", "h2"],
                }
            ],
            "weighed": [{"host": "h1", "weight": 1.5, "parts": {"RAMWeigher": 1.5}}],
            "no_valid_host_reason": None,
        }
    }


async def test_explain_refuses_what_a_boot_refuses(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    fault(await client.post("/v2.1/os-scheduler/explain", json={"server": {"name": "x"}}), 400)
    assert compute.calls == []


async def test_aggregates_show_their_uuid_from_2_41(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    compute.aggregates = [aggregate()]
    at_2_41 = {"OpenStack-API-Version": "compute 2.41"}
    response = await client.get("/v2.1/os-aggregates/agg-1", headers=at_2_41)
    assert response.json()["aggregate"]["uuid"] == "agg-1"
