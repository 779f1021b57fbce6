"""The REST gateway in Nova's shapes, against a real cloud: what curl users get."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.integration.cloud import Cloud
from tests.integration.helpers import Stub
from tests.waiting import eventually


@pytest.fixture
async def rest(cloud: Cloud, seeded: Stub) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=cloud.rest_url + "/v2.1", timeout=10, headers={"X-Auth-Token": cloud.admin.token}
    ) as client:
        yield client


async def server_json(rest: httpx.AsyncClient, server_id: str) -> dict[str, Any]:
    reply = await rest.get(f"/servers/{server_id}")
    assert reply.status_code == 200, reply.text
    server: dict[str, Any] = reply.json()["server"]
    return server


async def wait_rest_status(rest: httpx.AsyncClient, server_id: str, status: str) -> dict[str, Any]:
    async def reached() -> dict[str, Any] | None:
        server = await server_json(rest, server_id)
        assert server["status"] != "ERROR" or status == "ERROR", server.get("fault")
        done = server["status"] == status and server["OS-EXT-STS:task_state"] is None
        return server if done else None

    return await eventually(reached, within_seconds=30)


async def all_server_ids(rest: httpx.AsyncClient) -> set[str]:
    reply = await rest.get("/servers")
    return {s["id"] for s in reply.json()["servers"]}


async def test_a_server_lives_from_create_to_delete_over_rest(rest: httpx.AsyncClient) -> None:
    reply = await rest.post(
        "/servers",
        json={
            "server": {
                "name": "web1",
                "flavorRef": "1",
                "imageRef": "cirros",
                "metadata": {"role": "web"},
            }
        },
    )
    assert reply.status_code == 202, reply.text
    server_id = reply.json()["server"]["id"]
    assert reply.headers["x-openstack-request-id"].startswith("req-")
    server = await wait_rest_status(rest, server_id, "ACTIVE")
    assert server["OS-EXT-STS:vm_state"] == "active"
    assert server["OS-EXT-STS:power_state"] == 1
    assert server["OS-EXT-SRV-ATTR:host"].startswith("node-")
    assert server["metadata"] == {"role": "web"}
    (address,) = server["addresses"]["private"]
    assert address["version"] == 4 and address["OS-EXT-IPS:type"] == "fixed"

    assert (
        await rest.post(f"/servers/{server_id}/action", json={"os-stop": None})
    ).status_code == 202
    stopped = await wait_rest_status(rest, server_id, "SHUTOFF")
    assert stopped["OS-EXT-STS:power_state"] == 4
    assert (
        await rest.post(f"/servers/{server_id}/action", json={"os-start": None})
    ).status_code == 202
    await wait_rest_status(rest, server_id, "ACTIVE")
    reboot = await rest.post(f"/servers/{server_id}/action", json={"reboot": {"type": "HARD"}})
    assert reboot.status_code == 202
    await wait_rest_status(rest, server_id, "ACTIVE")

    actions = (await rest.get(f"/servers/{server_id}/os-instance-actions")).json()
    names = [a["action"] for a in actions["instanceActions"]]
    assert names == ["reboot", "start", "stop", "create"]

    assert (await rest.delete(f"/servers/{server_id}")).status_code == 204

    async def gone() -> bool:
        return (await rest.get(f"/servers/{server_id}")).status_code == 404

    await eventually(gone)


async def test_at_2_100_a_server_boots_without_a_network_and_carries_its_new_fields(
    rest: httpx.AsyncClient,
) -> None:
    latest = {"OpenStack-API-Version": "compute 2.100"}
    body = {
        "server": {
            "name": "quiet",
            "flavorRef": "1",
            "imageRef": "cirros",
            "networks": "none",
            "description": "no network at all",
            "tags": ["batch"],
            "hostname": "quiet-1.example.org",
        }
    }
    missing = {"server": {k: v for k, v in body["server"].items() if k != "networks"}}
    refused = await rest.post("/servers", json=missing, headers=latest)
    assert refused.status_code == 400 and "networks" in refused.text
    reply = await rest.post("/servers", json=body, headers=latest)
    assert reply.status_code == 202, reply.text
    server_id = reply.json()["server"]["id"]
    assert reply.headers["openstack-api-version"] == "compute 2.100"
    await wait_rest_status(rest, server_id, "ACTIVE")
    shown = (await rest.get(f"/servers/{server_id}", headers=latest)).json()["server"]
    assert shown["addresses"] == {}
    assert (shown["description"], shown["tags"]) == ("no network at all", ["batch"])
    assert shown["OS-EXT-SRV-ATTR:hostname"] == "quiet-1.example.org"
    assert shown["flavor"]["original_name"] == "m1.tiny"
    assert shown["OS-EXT-AZ:availability_zone"] == "nova"
    assert shown["host_status"] == "UP"
    assert shown["server_groups"] == [] and shown["scheduler_hints"] == {}
    tagged = await rest.get("/servers?tags=batch", headers=latest)
    assert [s["id"] for s in tagged.json()["servers"]] == [server_id]
    assert (await rest.delete(f"/servers/{server_id}")).status_code == 204


async def test_list_pages_with_limit_and_marker_and_a_next_link(rest: httpx.AsyncClient) -> None:
    reply = await rest.post(
        "/servers",
        json={
            "server": {
                "name": "paged",
                "flavorRef": "m1.tiny",
                "imageRef": "cirros",
                "min_count": 3,
            }
        },
    )
    assert reply.status_code == 202, reply.text
    first = (await rest.get("/servers/detail", params={"name": "^paged", "limit": 2})).json()
    assert len(first["servers"]) == 2
    (link,) = first["servers_links"]
    assert link["rel"] == "next" and "marker=" in link["href"]
    marker = first["servers"][-1]["id"]
    rest_page = (
        await rest.get("/servers/detail", params={"name": "^paged", "limit": 2, "marker": marker})
    ).json()
    assert len(rest_page["servers"]) == 1
    assert "servers_links" not in rest_page
    ids = [s["id"] for s in first["servers"] + rest_page["servers"]]
    for server_id in ids:
        await wait_rest_status(rest, server_id, "ACTIVE")
        await rest.delete(f"/servers/{server_id}")


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (
            {"server": {"name": "x", "flavorRef": "nope", "imageRef": "cirros"}},
            400,
            "Flavor nope could not be found",
        ),
        (
            {"server": {"name": "x", "flavorRef": "1", "imageRef": "nope"}},
            400,
            "Image nope could not be found",
        ),
        ({"server": {"name": "", "flavorRef": "1", "imageRef": "cirros"}}, 400, "name"),
        ({"server": {"name": "x" * 256, "flavorRef": "1", "imageRef": "cirros"}}, 400, "name"),
        ({"server": {"name": " padded", "flavorRef": "1", "imageRef": "cirros"}}, 400, "name"),
        (
            {"server": {"name": "x", "flavorRef": "1", "imageRef": "cirros", "min_count": "x"}},
            400,
            "min_count",
        ),
        ({"server": {"name": 7, "flavorRef": "1", "imageRef": "cirros"}}, 400, "name"),
        ({"server": []}, 400, "server"),
        ({"servers": {}}, 400, "server"),
    ],
)
async def test_bad_create_requests_are_refused_and_change_nothing(
    rest: httpx.AsyncClient, body: dict[str, Any], status: int, message: str
) -> None:
    before = await all_server_ids(rest)
    reply = await rest.post("/servers", json=body)
    assert reply.status_code == status, reply.text
    (fault,) = reply.json().values()
    assert fault["code"] == status and message in fault["message"]
    assert await all_server_ids(rest) == before


async def test_malformed_json_is_a_clear_400(rest: httpx.AsyncClient) -> None:
    before = await all_server_ids(rest)
    reply = await rest.post(
        "/servers", content=b'{"server": {', headers={"Content-Type": "application/json"}
    )
    assert reply.status_code == 400
    assert "badRequest" in reply.json()
    assert await all_server_ids(rest) == before


async def test_unknown_server_is_404_in_novas_shape(rest: httpx.AsyncClient) -> None:
    for reply in (
        await rest.get("/servers/00000000-0000-0000-0000-000000000000"),
        await rest.delete("/servers/00000000-0000-0000-0000-000000000000"),
        await rest.post(
            "/servers/00000000-0000-0000-0000-000000000000/action", json={"os-stop": None}
        ),
    ):
        assert reply.status_code == 404
        assert reply.json()["itemNotFound"]["code"] == 404


async def test_bad_actions_are_refused_and_leave_the_server_as_it_was(
    rest: httpx.AsyncClient,
) -> None:
    reply = await rest.post(
        "/servers", json={"server": {"name": "steady", "flavorRef": "1", "imageRef": "cirros"}}
    )
    server_id = reply.json()["server"]["id"]
    before = await wait_rest_status(rest, server_id, "ACTIVE")
    cases = [
        ({"os-start": None}, 409, "conflictingRequest"),  # already running
        ({"unpause": None}, 409, "conflictingRequest"),
        ({"explode": None}, 400, "badRequest"),
        ({"reboot": {"type": "GENTLE"}}, 400, "badRequest"),
        ({"reboot": {}}, 400, "badRequest"),
        ({"pause": None, "os-stop": None}, 400, "badRequest"),
    ]
    for body, status, kind in cases:
        refused = await rest.post(f"/servers/{server_id}/action", json=body)
        assert refused.status_code == status, (body, refused.text)
        assert kind in refused.json(), refused.text
    after = await server_json(rest, server_id)
    assert after["status"] == before["status"] and after["updated"] == before["updated"]
    actions = (await rest.get(f"/servers/{server_id}/os-instance-actions")).json()
    assert [a["action"] for a in actions["instanceActions"]] == ["create"]
    await rest.delete(f"/servers/{server_id}")


async def test_flavors_images_hypervisors_and_services(
    rest: httpx.AsyncClient, cloud: Cloud
) -> None:
    flavors = (await rest.get("/flavors/detail")).json()["flavors"]
    assert {"1", "2"} <= {f["id"] for f in flavors}
    created = await rest.post(
        "/flavors", json={"flavor": {"name": "rest.flavor", "ram": 1024, "vcpus": 2, "disk": 10}}
    )
    assert created.status_code == 200, created.text
    assert created.json()["flavor"]["ram"] == 1024
    duplicate = await rest.post(
        "/flavors", json={"flavor": {"name": "rest.flavor", "ram": 1024, "vcpus": 2, "disk": 10}}
    )
    assert duplicate.status_code == 409
    async with httpx.AsyncClient(
        base_url=cloud.rest_url, headers={"X-Auth-Token": cloud.admin.token}
    ) as root:
        images = (await root.get("/v2/images", params={"name": "cirros"})).json()["images"]
    assert [i["name"] for i in images] == ["cirros"]
    hypervisors = (await rest.get("/os-hypervisors/detail")).json()["hypervisors"]
    assert len(hypervisors) == 3 and all(h["state"] == "up" for h in hypervisors)
    assert all(h["vcpus"] == 16 and h["memory_mb"] == 32768 for h in hypervisors)
    services = (await rest.get("/os-services")).json()["services"]
    binaries = {s["binary"] for s in services}
    assert {"stratus-api", "stratus-conductor", "stratus-scheduler"} <= binaries


async def test_one_request_id_follows_a_request_through_every_service(
    rest: httpx.AsyncClient, cloud: Cloud
) -> None:
    reply = await rest.post(
        "/servers",
        json={"server": {"name": "traced", "flavorRef": "1", "imageRef": "cirros"}},
        headers={"X-Openstack-Request-Id": "req-trace-me-0001"},
    )
    assert reply.headers["x-openstack-request-id"] == "req-trace-me-0001"
    server_id = reply.json()["server"]["id"]
    await wait_rest_status(rest, server_id, "ACTIVE")
    for name in ("conductor", "scheduler", "agent"):
        log = cloud.services[name].log_path.read_text()
        assert "req-trace-me-0001" in log, f"{name} log lacks the request id"
    await rest.delete(f"/servers/{server_id}")
