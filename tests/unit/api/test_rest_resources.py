"""Versions, flavors, images, hypervisors and services through the gateway."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from rest_fakes import FakeComputeApi, as_admin

from stratus.v1 import compute_pb2, types_pb2

# ---------------------------------------------------------------------------- versions


async def test_root_lists_v21_as_current(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    (version,) = response.json()["versions"]
    assert version["id"] == "v2.1"
    assert version["status"] == "CURRENT"
    assert (version["version"], version["min_version"]) == ("2.100", "2.1")
    assert version["links"] == [{"rel": "self", "href": "http://cloud.example:8774/v2.1/"}]


@pytest.mark.parametrize("path", ["/v2.1", "/v2.1/"])
async def test_version_document(client: httpx.AsyncClient, path: str) -> None:
    version = (await client.get(path)).json()["version"]
    assert version["id"] == "v2.1"
    assert version["status"] == "CURRENT"
    assert version["media-types"][0]["base"] == "application/json"


async def test_links_follow_the_request_url_without_a_public_url(compute: FakeComputeApi) -> None:
    from services.api.rest import create_app

    transport = httpx.ASGITransport(app=create_app(compute, as_admin))
    async with httpx.AsyncClient(transport=transport, base_url="http://10.1.2.3:8774") as http:
        (version,) = (await http.get("/")).json()["versions"]
    assert version["links"][0]["href"] == "http://10.1.2.3:8774/v2.1/"


# ---------------------------------------------------------------------------- flavors


def flavors() -> list[types_pb2.Flavor]:
    return [
        types_pb2.Flavor(id="1", name="m1.tiny", vcpus=1, ram_mb=512, disk_gb=1, is_public=True),
        types_pb2.Flavor(id="2", name="m1.small", vcpus=1, ram_mb=2048, disk_gb=20),
    ]


async def test_flavor_list_detail_and_show(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    compute.flavors = flavors()
    listed = (await client.get("/v2.1/flavors")).json()["flavors"]
    assert [(f["id"], f["name"]) for f in listed] == [("1", "m1.tiny"), ("2", "m1.small")]
    assert set(listed[0]) == {"id", "name", "links"}
    detail = (await client.get("/v2.1/flavors/detail")).json()["flavors"]
    assert detail[0]["ram"] == 512 and detail[0]["swap"] == ""
    shown = (await client.get("/v2.1/flavors/m1.tiny")).json()["flavor"]
    assert shown["id"] == "1"
    assert compute.last("get_flavor") == ("m1.tiny",)


async def test_flavor_list_filters_by_min_ram_and_min_disk(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    compute.flavors = flavors()
    listed = (await client.get("/v2.1/flavors?minRam=1024&minDisk=10")).json()["flavors"]
    assert [f["id"] for f in listed] == ["2"]
    response = await client.get("/v2.1/flavors?minRam=lots")
    assert response.json()["badRequest"]["message"] == "Invalid minRam filter [lots]"


async def test_flavor_create_translates_nova_keys(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    body = {
        "flavor": {
            "name": "m1.big",
            "ram": "4096",
            "vcpus": 4,
            "disk": 40,
            "id": 10,
            "OS-FLV-EXT-DATA:ephemeral": 5,
            "swap": 1024,
            "rxtx_factor": 2.0,
            "os-flavor-access:is_public": False,
        }
    }
    response = await client.post("/v2.1/flavors", json=body)
    assert response.status_code == 200
    (flavor,) = compute.last("create_flavor")
    assert (flavor.id, flavor.name, flavor.ram_mb, flavor.vcpus, flavor.disk_gb) == (
        "10",
        "m1.big",
        4096,
        4,
        40,
    )
    assert (flavor.ephemeral_gb, flavor.swap_mb, flavor.rxtx_factor) == (5, 1024, 2.0)
    assert flavor.is_public is False
    shown = response.json()["flavor"]
    assert shown["swap"] == 1024
    assert shown["os-flavor-access:is_public"] is False


async def test_flavor_create_defaults(client: httpx.AsyncClient, compute: FakeComputeApi) -> None:
    body = {"flavor": {"name": "m1.min", "ram": 64, "vcpus": 1, "disk": 0}}
    response = await client.post("/v2.1/flavors", json=body)
    (flavor,) = compute.last("create_flavor")
    assert flavor.id == ""  # the service layer chooses one
    assert flavor.is_public is True
    assert flavor.rxtx_factor == 1.0
    assert response.json()["flavor"]["id"] == "generated-id"


@pytest.mark.parametrize(
    ("flavor", "expected"),
    [
        ({"ram": 64, "vcpus": 1, "disk": 0}, "'name' is a required property"),
        ({"name": "f", "vcpus": 1, "disk": 0}, "'ram' is a required property"),
        ({"name": "f", "ram": "lots", "vcpus": 1, "disk": 0}, "field/attribute ram."),
        ({"name": "f", "ram": 64, "vcpus": 0, "disk": 0}, "field/attribute vcpus."),
        ({"name": "f", "ram": 64, "vcpus": 1, "disk": -1}, "field/attribute disk."),
        ({"name": "f", "ram": 64, "vcpus": 1, "disk": 0, "rxtx_factor": 0}, "rxtx_factor"),
        (
            {"name": "f", "ram": 64, "vcpus": 1, "disk": 0, "os-flavor-access:is_public": "x"},
            "os-flavor-access:is_public",
        ),
        ({"name": "f", "ram": 64, "vcpus": 1, "disk": 0, "id": [1]}, "field/attribute id."),
    ],
)
async def test_flavor_create_shape_errors(
    client: httpx.AsyncClient, compute: FakeComputeApi, flavor: dict[str, Any], expected: str
) -> None:
    response = await client.post("/v2.1/flavors", json={"flavor": flavor})
    assert response.status_code == 400
    assert expected in response.json()["badRequest"]["message"]
    assert compute.calls == []


# ---------------------------------------------------------------------------- images


def image() -> types_pb2.Image:
    return types_pb2.Image(
        id="img-1", name="cirros", status="active", properties={"os_distro": "cirros"}
    )


@pytest.mark.parametrize("prefix", ["/v2", "/image/v2"])
async def test_glance_list_and_show(
    client: httpx.AsyncClient, compute: FakeComputeApi, prefix: str
) -> None:
    compute.images = [image()]
    listed = (await client.get(f"{prefix}/images?name=cirros")).json()
    assert compute.last("list_images") == ("cirros",)
    assert listed["first"] == "/v2/images"
    assert listed["images"][0]["os_distro"] == "cirros"
    shown = (await client.get(f"{prefix}/images/img-1")).json()
    assert shown["id"] == "img-1"
    assert compute.last("get_image") == ("img-1",)


async def test_nova_image_proxy(client: httpx.AsyncClient, compute: FakeComputeApi) -> None:
    compute.images = [image()]
    listed = (await client.get("/v2.1/images")).json()["images"]
    assert set(listed[0]) == {"id", "name", "links"}
    detail = (await client.get("/v2.1/images/detail")).json()["images"][0]
    assert detail["status"] == "ACTIVE" and detail["progress"] == 100
    shown = (await client.get("/v2.1/images/img-1")).json()["image"]
    assert shown["metadata"] == {"os_distro": "cirros"}


# ---------------------------------------------------------------------------- hosts


def hosts() -> list[compute_pb2.HostView]:
    return [
        compute_pb2.HostView(
            host=types_pb2.Host(name="node-1", vcpus=8, memory_mb=16384, enabled=True),
            up=True,
            usage=types_pb2.HostUsage(vcpus_used=2, memory_mb_used=1024),
        )
    ]


async def test_hypervisors(client: httpx.AsyncClient, compute: FakeComputeApi) -> None:
    compute.hosts = hosts()
    listed = (await client.get("/v2.1/os-hypervisors")).json()["hypervisors"]
    assert listed == [
        {"id": "node-1", "hypervisor_hostname": "node-1", "state": "up", "status": "enabled"}
    ]
    detail = (await client.get("/v2.1/os-hypervisors/detail")).json()["hypervisors"][0]
    assert (detail["vcpus_used"], detail["free_ram_mb"]) == (2, 15360)


async def test_services_join_control_processes_and_agents(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    compute.hosts = hosts()
    compute.services = [
        compute_pb2.ServiceView(
            service=types_pb2.ServiceRecord(id="s-1", binary="stratus-scheduler", host="ctl"),
            up=True,
        )
    ]
    listed = (await client.get("/v2.1/os-services")).json()["services"]
    assert [(s["binary"], s["host"], s["zone"]) for s in listed] == [
        ("stratus-scheduler", "ctl", "internal"),
        ("stratus-agent", "node-1", "nova"),
    ]
    only_agents = (await client.get("/v2.1/os-services?binary=stratus-agent")).json()
    assert [s["host"] for s in only_agents["services"]] == ["node-1"]
