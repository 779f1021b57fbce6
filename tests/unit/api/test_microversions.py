"""Microversions: which one a request gets, and how the answer and the request change.

Each test states a change Nova made at a version and checks both sides of it.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from rest_fakes import SERVER_ID, FakeComputeApi, make_instance

from services.api.rest import microversions as mv
from services.api.rest import views
from services.api.rest.errors import ApiError
from services.api.rest.microversions import Microversion
from services.api.rest.server_requests import create_request
from stratus.v1 import compute_pb2, types_pb2

LINKS = views.Links("http://cloud.example:8774")
BOOT: dict[str, Any] = {"server": {"name": "web", "flavorRef": "1", "imageRef": "img-1"}}


def at(version: str) -> dict[str, str]:
    return {"OpenStack-API-Version": f"compute {version}"}


def v(text: str) -> Microversion:
    return Microversion.parse(text)


# ---------------------------------------------------------------------------- negotiation


def test_no_header_means_the_minimum_and_latest_the_maximum() -> None:
    assert mv.negotiate({}) == mv.MIN == Microversion(2, 1)
    assert mv.negotiate({"openstack-api-version": "compute latest"}) == mv.MAX
    assert mv.MAX == Microversion(2, 100)


def test_the_new_header_wins_over_the_legacy_one() -> None:
    headers = {"openstack-api-version": "compute 2.47", "x-openstack-nova-api-version": "2.3"}
    assert mv.negotiate(headers) == Microversion(2, 47)
    assert mv.negotiate({"x-openstack-nova-api-version": "2.3"}) == Microversion(2, 3)
    assert mv.negotiate({"openstack-api-version": "image 2.5"}) == mv.MIN


def test_versions_compare_as_numbers_not_text() -> None:
    assert v("2.100") > v("2.99") > v("2.9")
    assert str(v("2.100")) == "2.100"


@pytest.mark.parametrize(("asked", "status"), [("2.101", 406), ("3.0", 406), ("2.x", 400)])
def test_versions_outside_the_range_are_refused(asked: str, status: int) -> None:
    with pytest.raises(mv.Refused) as refused:
        mv.negotiate({"openstack-api-version": f"compute {asked}"})
    assert refused.value.status == status


async def test_the_answer_names_the_version_it_is_shaped_for(client: httpx.AsyncClient) -> None:
    response = await client.get("/v2.1/flavors", headers=at("2.47"))
    assert response.headers["openstack-api-version"] == "compute 2.47"
    assert response.headers["x-openstack-nova-api-version"] == "2.47"
    plain = await client.get("/v2.1/flavors")
    assert plain.headers["openstack-api-version"] == "compute 2.1"
    latest = await client.get("/v2.1/flavors", headers=at("latest"))
    assert latest.headers["openstack-api-version"] == "compute 2.100"


# ---------------------------------------------------------------------------- server views


def server_at(version: str, instance: types_pb2.Instance | None = None, **kw: Any) -> Any:
    return views.server_detail(instance or make_instance(), LINKS, v(version), **kw)


def test_the_flavor_is_a_link_before_2_47_and_embedded_from_it() -> None:
    flavor = types_pb2.Flavor(id="1", name="m1.tiny", vcpus=1, ram_mb=512, disk_gb=1)
    flavor.extra_specs["hw:cpu_policy"] = "shared"
    instance = make_instance(flavor=flavor)
    assert set(server_at("2.46", instance)["flavor"]) == {"id", "links"}
    assert server_at("2.47", instance)["flavor"] == {
        "vcpus": 1,
        "ram": 512,
        "disk": 1,
        "ephemeral": 0,
        "swap": 0,
        "original_name": "m1.tiny",
        "extra_specs": {"hw:cpu_policy": "shared"},
    }


def test_fields_appear_at_their_versions() -> None:
    instance = make_instance(description="db", tags=["a", "b"], hostname="web-1")
    instance.scheduler_hints.group = "g-1"
    appears = {
        "locked": "2.9",
        "description": "2.19",
        "tags": "2.26",
        "trusted_image_certificates": "2.63",
        "locked_reason": "2.73",
        "pinned_availability_zone": "2.96",
        "scheduler_hints": "2.100",
    }
    for key, version in appears.items():
        before = Microversion(2, v(version).minor - 1)
        assert key not in views.server_detail(instance, LINKS, before), key
        assert key in views.server_detail(instance, LINKS, v(version)), key
    latest = server_at("2.100", instance)
    assert (latest["description"], latest["tags"]) == ("db", ["a", "b"])
    assert latest["scheduler_hints"] == {"group": ["g-1"]}


def test_extended_attributes_are_for_admins_and_the_hostname_for_all_from_2_90() -> None:
    instance = make_instance(hostname="web-1", reservation_id="r-1", user_data="aGk=")
    assert "OS-EXT-SRV-ATTR:reservation_id" not in server_at("2.1", instance)
    admin = server_at("2.3", instance)
    assert (admin["OS-EXT-SRV-ATTR:reservation_id"], admin["OS-EXT-SRV-ATTR:user_data"]) == (
        "r-1",
        "aGk=",
    )
    assert "OS-EXT-SRV-ATTR:hostname" not in server_at("2.89", instance, is_admin=False)
    member = server_at("2.90", instance, is_admin=False)
    assert member["OS-EXT-SRV-ATTR:hostname"] == "web-1"
    assert "OS-EXT-SRV-ATTR:host" not in member


def test_host_status_needs_2_16_and_a_caller_allowed_to_see_it() -> None:
    lookups = views.ServerLookups(host_status={"node-1": "MAINTENANCE"})
    assert "host_status" not in server_at("2.15", lookups=lookups)
    assert "host_status" not in server_at("2.16")  # no statuses looked up: not allowed
    assert server_at("2.16", lookups=lookups)["host_status"] == "MAINTENANCE"
    unplaced = make_instance(host="")
    assert server_at("2.16", unplaced, lookups=lookups)["host_status"] == ""


def test_server_groups_are_part_of_show_from_2_71() -> None:
    instance = make_instance(server_group_id="g-1")
    shown = views.ServerLookups(server_groups=True)
    assert "server_groups" not in server_at("2.70", instance, lookups=shown)
    assert server_at("2.71", instance, lookups=shown)["server_groups"] == ["g-1"]
    assert "server_groups" not in server_at("2.71", instance)  # the list leaves it out


def test_the_image_carries_its_properties_from_2_98() -> None:
    image = types_pb2.Image(id="img-1", name="cirros", properties={"os_distro": "cirros"})
    lookups = views.ServerLookups(images={"img-1": image})
    assert "properties" not in server_at("2.97", lookups=lookups)["image"]
    assert server_at("2.98", lookups=lookups)["image"]["properties"] == {"os_distro": "cirros"}


def test_the_zone_shown_is_the_hosts_and_the_pinned_zone_the_one_asked_for() -> None:
    placed = make_instance(host_availability_zone="az1")
    assert server_at("2.96", placed)["OS-EXT-AZ:availability_zone"] == "az1"
    assert server_at("2.96", placed)["pinned_availability_zone"] is None
    asked = make_instance(availability_zone="az1", host_availability_zone="az1")
    assert server_at("2.96", asked)["pinned_availability_zone"] == "az1"
    waiting = make_instance(host="")
    assert server_at("2.1", waiting)["OS-EXT-AZ:availability_zone"] == ""


# ---------------------------------------------------------------------------- server requests


def test_networks_are_optional_before_2_37_and_required_from_it() -> None:
    request, _ = create_request(BOOT, v("2.36"))
    assert not request.without_network
    with pytest.raises(Exception, match="'networks' is a required property"):
        create_request(BOOT, v("2.37"))
    auto, _ = create_request({"server": {**BOOT["server"], "networks": "auto"}}, v("2.37"))
    none, _ = create_request({"server": {**BOOT["server"], "networks": "none"}}, v("2.37"))
    assert (auto.without_network, none.without_network) == (False, True)


@pytest.mark.parametrize(
    ("version", "extra", "message"),
    [
        ("2.36", {"networks": "auto"}, "not of type 'array'"),
        ("2.37", {"networks": [{"uuid": "x"}]}, "one network"),
        ("2.18", {"description": "d"}, "'description' was unexpected"),
        ("2.51", {"tags": ["t"], "networks": "auto"}, "'tags' was unexpected"),
        ("2.57", {"personality": [], "networks": "auto"}, "'personality' was unexpected"),
        ("2.1", {"key_name": "mine"}, "no key pairs"),
        ("2.89", {"hostname": "h", "networks": "auto"}, "'hostname' was unexpected"),
    ],
)
def test_boot_keys_follow_the_version(version: str, extra: dict[str, Any], message: str) -> None:
    with pytest.raises(Exception, match=message):
        create_request({"server": {**BOOT["server"], **extra}}, v(version))


def test_the_clis_image_mapping_is_the_image_to_boot() -> None:
    mapping = {
        "uuid": "img-2",
        "boot_index": 0,
        "source_type": "image",
        "destination_type": "local",
        "delete_on_termination": True,
    }
    body = {"server": {"name": "w", "flavorRef": "1", "block_device_mapping_v2": [mapping]}}
    request, _ = create_request(body)
    assert request.image_ref == "img-2"
    volume = {**mapping, "destination_type": "volume"}
    with pytest.raises(Exception, match="no volumes"):
        create_request({"server": {**body["server"], "block_device_mapping_v2": [volume]}})


async def test_unknown_list_parameters_are_ignored_before_2_75_and_refused_from_it(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.get("/v2.1/servers?color=red", headers=at("2.74"))).status_code == 200
    refused = await client.get("/v2.1/servers?color=red", headers=at("2.75"))
    assert refused.status_code == 400
    assert "'color'" in refused.json()["badRequest"]["message"]


async def test_tag_filters_reach_the_service_from_2_26(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    await client.get("/v2.1/servers?tags=a,b&not-tags-any=c", headers=at("2.26"))
    (request,) = compute.last("list_servers")
    assert (list(request.tags), list(request.not_tags_any)) == (["a", "b"], ["c"])


async def test_tags_routes_start_at_2_26(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    path = f"/v2.1/servers/{SERVER_ID}/tags"
    assert (await client.get(path, headers=at("2.25"))).status_code == 404
    added = await client.put(f"{path}/blue", headers=at("2.26"))
    assert added.status_code == 201 and added.headers["location"].endswith("/tags/blue")
    assert (await client.put(f"{path}/blue", headers=at("2.26"))).status_code == 204
    assert (await client.get(path, headers=at("2.26"))).json() == {"tags": ["blue"]}
    assert (await client.delete(f"{path}/blue", headers=at("2.26"))).status_code == 204
    assert (await client.delete(f"{path}/blue", headers=at("2.26"))).status_code == 404


async def test_update_takes_a_description_from_2_19(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    body = {"server": {"description": "db"}}
    path = f"/v2.1/servers/{SERVER_ID}"
    assert (await client.put(path, json=body, headers=at("2.18"))).status_code == 400
    updated = await client.put(path, json=body, headers=at("2.19"))
    assert updated.json()["server"]["description"] == "db"


# ---------------------------------------------------------------------------- other resources


def test_flavor_fields_follow_the_version() -> None:
    flavor = types_pb2.Flavor(id="1", name="m1.tiny", description="small")
    flavor.extra_specs["k"] = "v"
    old = views.flavor_detail(flavor, LINKS, v("2.54"))
    assert old["swap"] == "" and "description" not in old and "extra_specs" not in old
    assert views.flavor_detail(flavor, LINKS, v("2.55"))["description"] == "small"
    assert views.flavor_detail(flavor, LINKS, v("2.61"))["extra_specs"] == {"k": "v"}
    assert views.flavor_detail(flavor, LINKS, v("2.75"))["swap"] == 0


def host_view() -> compute_pb2.HostView:
    return compute_pb2.HostView(
        host=types_pb2.Host(name="node-1", vcpus=4, memory_mb=8192, cpu_model="qemu64"),
        up=True,
    )


def test_hypervisors_follow_the_version() -> None:
    old = views.hypervisor_detail(host_view(), v("2.27"))
    assert old["id"] == "node-1" and isinstance(old["cpu_info"], str)
    assert views.hypervisor_detail(host_view(), v("2.28"))["cpu_info"] == {"model": "qemu64"}
    with_uuid = views.hypervisor_detail(host_view(), v("2.53"))
    assert uuid.UUID(with_uuid["id"]) and uuid.UUID(with_uuid["service"]["id"])
    assert with_uuid["id"] == views.hypervisor_detail(host_view(), v("2.53"))["id"]  # stable
    trimmed = views.hypervisor_detail(host_view(), v("2.88"), show=True)
    assert "vcpus" not in trimmed and "cpu_info" not in trimmed and trimmed["uptime"] is None


async def test_a_hypervisor_is_found_by_the_id_its_version_shows(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    compute.hosts = [host_view()]
    listed = (await client.get("/v2.1/os-hypervisors", headers=at("2.53"))).json()
    hypervisor_id = listed["hypervisors"][0]["id"]
    shown = await client.get(f"/v2.1/os-hypervisors/{hypervisor_id}", headers=at("2.53"))
    assert shown.json()["hypervisor"]["hypervisor_hostname"] == "node-1"
    assert (await client.get("/v2.1/os-hypervisors/node-1", headers=at("2.53"))).status_code == 404
    search = "/v2.1/os-hypervisors/node/search"
    assert (await client.get(search, headers=at("2.52"))).status_code == 200
    assert (await client.get(search, headers=at("2.53"))).status_code == 404


def test_quota_and_limit_keys_go_away_at_their_versions() -> None:
    limits = {"instances": 10, "security_groups": 10, "injected_files": 5}
    quota = compute_pb2.QuotaSetResponse(project_id="p", limits=limits)
    assert set(views.quota_set(quota, v("2.35"))["quota_set"]) == {"id", *limits}
    assert set(views.quota_set(quota, v("2.36"))["quota_set"]) == {
        "id",
        "instances",
        "injected_files",
    }
    assert set(views.quota_set(quota, v("2.57"))["quota_set"]) == {"id", "instances"}
    absolute = {"maxTotalInstances": 10, "maxImageMeta": 128, "maxPersonality": 5}
    response = compute_pb2.LimitsResponse(absolute=absolute)
    assert set(views.limits(response, v("2.38"))["limits"]["absolute"]) == set(absolute)
    assert set(views.limits(response, v("2.57"))["limits"]["absolute"]) == {"maxTotalInstances"}


async def test_the_image_proxy_is_gone_at_2_36(client: httpx.AsyncClient) -> None:
    assert (await client.get("/v2.1/images", headers=at("2.35"))).status_code == 200
    gone = await client.get("/v2.1/images", headers=at("2.36"))
    assert gone.status_code == 404 and list(gone.json()) == ["itemNotFound"]


def test_a_route_outside_its_versions_is_404_naming_the_versions_that_serve_it() -> None:
    with pytest.raises(ApiError) as early:
        mv.served_between(v("2.5"), first=mv.REMOTE_CONSOLES)
    assert early.value.status == 404
    assert "served from compute microversion 2.6; the request asked for 2.5" in str(
        early.value.message
    )
    with pytest.raises(ApiError) as late:
        mv.served_between(v("2.36"), last=v("2.35"))
    assert "served up to compute microversion 2.35" in str(late.value.message)
    assert "OpenStack-API-Version: compute 2.35" in str(late.value.message)
    with pytest.raises(ApiError) as between:
        mv.served_between(v("2.60"), first=v("2.26"), last=v("2.52"))
    assert "at compute microversions 2.26 to 2.52" in str(between.value.message)
    mv.served_between(v("2.6"), first=mv.REMOTE_CONSOLES)  # inside: no error
