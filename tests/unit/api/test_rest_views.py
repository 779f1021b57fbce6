"""The JSON a client sees for each resource, built from contract messages without a server."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from services.api.rest import views
from services.api.rest.microversions import Microversion
from stratus.v1 import compute_pb2, types_pb2

LINKS = views.Links("http://cloud.example:8774")


def instance(**fields: Any) -> types_pb2.Instance:
    defaults: dict[str, Any] = dict(
        id="srv-1",
        name="web-1",
        project_id="demo",
        user_id="alice",
        flavor=types_pb2.Flavor(id="1"),
        image_id="img-1",
        vm_state=types_pb2.VM_STATE_ACTIVE,
        power_state=types_pb2.POWER_STATE_RUNNING,
        host="node-1",
    )
    message = types_pb2.Instance(**{**defaults, **fields})
    if "created_at" not in fields:
        message.created_at.FromSeconds(1_700_000_000)  # 2023-11-14T22:13:20Z
    return message


# ---------------------------------------------------------------------------- links


def test_links_point_at_the_versioned_self_and_the_unversioned_bookmark() -> None:
    assert LINKS.resource("servers", "srv-1") == [
        {"rel": "self", "href": "http://cloud.example:8774/v2.1/servers/srv-1"},
        {"rel": "bookmark", "href": "http://cloud.example:8774/servers/srv-1"},
    ]


def test_a_base_url_with_the_version_or_a_trailing_slash_gives_the_same_root() -> None:
    assert views.Links.from_base("http://h:8774/").root == "http://h:8774"
    assert views.Links.from_base("http://h:8774/v2.1/").root == "http://h:8774"


def test_next_page_link_keeps_the_query_and_replaces_the_marker() -> None:
    link = LINKS.next_page("servers/detail", [("limit", "2"), ("marker", "old")], "srv-9")
    assert link == [
        {
            "rel": "next",
            "href": "http://cloud.example:8774/v2.1/servers/detail?limit=2&marker=srv-9",
        }
    ]


# ---------------------------------------------------------------------------- servers


def test_status_comes_from_vm_state_and_shows_reboots_of_active_servers() -> None:
    assert views.server_detail(instance(), LINKS)["status"] == "ACTIVE"
    stopped = instance(vm_state=types_pb2.VM_STATE_STOPPED)
    assert views.server_detail(stopped, LINKS)["status"] == "SHUTOFF"
    rebooting = instance(task_state=types_pb2.TASK_STATE_REBOOTING_HARD)
    assert views.server_detail(rebooting, LINKS)["status"] == "HARD_REBOOT"


def test_extended_status_uses_nova_names_and_null_without_a_task() -> None:
    view = views.server_detail(instance(task_state=types_pb2.TASK_STATE_POWERING_OFF), LINKS)
    assert view["OS-EXT-STS:vm_state"] == "active"
    assert view["OS-EXT-STS:task_state"] == "powering-off"
    assert views.server_detail(instance(), LINKS)["OS-EXT-STS:task_state"] is None


def test_power_state_is_nova_integer() -> None:
    expected = {
        types_pb2.POWER_STATE_NOSTATE: 0,
        types_pb2.POWER_STATE_RUNNING: 1,
        types_pb2.POWER_STATE_PAUSED: 3,
        types_pb2.POWER_STATE_SHUTDOWN: 4,
        types_pb2.POWER_STATE_CRASHED: 6,
        types_pb2.POWER_STATE_SUSPENDED: 7,
    }
    for state, number in expected.items():
        view = views.server_detail(instance(power_state=state), LINKS)
        assert view["OS-EXT-STS:power_state"] == number
        assert type(view["OS-EXT-STS:power_state"]) is int


def test_host_id_is_sha224_of_project_and_host_and_empty_when_unplaced() -> None:
    expected = hashlib.sha224(b"demonode-1").hexdigest()
    assert views.server_detail(instance(), LINKS)["hostId"] == expected
    assert views.server_detail(instance(host=""), LINKS)["hostId"] == ""


def test_addresses_are_grouped_by_network_with_nova_extension_keys() -> None:
    server = instance()
    server.addresses.add(
        network="private", addr="10.0.0.5", version=4, mac_addr="fa:16:3e:00:00:01"
    )
    server.addresses.add(
        network="private", addr="10.0.0.6", version=4, mac_addr="fa:16:3e:00:00:02"
    )
    server.addresses.add(
        network="public", addr="172.24.4.9", version=4, mac_addr="fa:16:3e:00:00:03"
    )
    assert views.server_detail(server, LINKS)["addresses"] == {
        "private": [
            {
                "version": 4,
                "addr": "10.0.0.5",
                "OS-EXT-IPS:type": "fixed",
                "OS-EXT-IPS-MAC:mac_addr": "fa:16:3e:00:00:01",
            },
            {
                "version": 4,
                "addr": "10.0.0.6",
                "OS-EXT-IPS:type": "fixed",
                "OS-EXT-IPS-MAC:mac_addr": "fa:16:3e:00:00:02",
            },
        ],
        "public": [
            {
                "version": 4,
                "addr": "172.24.4.9",
                "OS-EXT-IPS:type": "fixed",
                "OS-EXT-IPS-MAC:mac_addr": "fa:16:3e:00:00:03",
            }
        ],
    }


def test_a_server_without_addresses_has_an_empty_object() -> None:
    assert views.server_detail(instance(), LINKS)["addresses"] == {}


def test_fault_appears_only_in_error() -> None:
    fault = types_pb2.Fault(code=500, message="No valid host was found.", details="RamFilter")
    fault.created_at.FromSeconds(1_700_000_100)
    failed = instance(vm_state=types_pb2.VM_STATE_ERROR, fault=fault)
    assert views.server_detail(failed, LINKS)["fault"] == {
        "code": 500,
        "message": "No valid host was found.",
        "details": "RamFilter",
        "created": "2023-11-14T22:15:00Z",
    }
    recovered = instance(vm_state=types_pb2.VM_STATE_ACTIVE, fault=fault)
    assert "fault" not in views.server_detail(recovered, LINKS)


def test_details_of_an_internal_fault_are_for_admins_only() -> None:
    fault = types_pb2.Fault(code=500, message="boom", details="trace")
    failed = instance(vm_state=types_pb2.VM_STATE_ERROR, fault=fault)
    assert "details" not in views.server_detail(failed, LINKS, is_admin=False)["fault"]


def test_times_use_nova_formats_and_null_when_unset() -> None:
    server = instance()
    server.launched_at.FromSeconds(1_700_000_030)
    view = views.server_detail(server, LINKS)
    assert view["created"] == "2023-11-14T22:13:20Z"
    assert view["updated"] == "2023-11-14T22:13:20Z"  # never updated: the creation time
    assert view["OS-SRV-USG:launched_at"] == "2023-11-14T22:13:50.000000"
    assert view["OS-SRV-USG:terminated_at"] is None


def test_server_detail_has_every_nova_key_with_nova_defaults() -> None:
    view = views.server_detail(instance(metadata={"role": "web"}), LINKS)
    assert view["tenant_id"] == "demo"
    assert view["user_id"] == "alice"
    assert view["metadata"] == {"role": "web"}
    assert view["image"] == {
        "id": "img-1",
        "links": [{"rel": "bookmark", "href": "http://cloud.example:8774/images/img-1"}],
    }
    assert view["flavor"] == {
        "id": "1",
        "links": [{"rel": "bookmark", "href": "http://cloud.example:8774/flavors/1"}],
    }
    assert view["accessIPv4"] == "" and view["accessIPv6"] == ""
    assert view["key_name"] is None
    assert view["config_drive"] == ""
    assert view["progress"] == 0
    assert view["OS-EXT-AZ:availability_zone"] == "nova"
    assert view["OS-DCF:diskConfig"] == "MANUAL"
    assert view["security_groups"] == [{"name": "default"}]
    assert view["os-extended-volumes:volumes_attached"] == []
    assert view["OS-EXT-SRV-ATTR:host"] == "node-1"
    assert view["OS-EXT-SRV-ATTR:hypervisor_hostname"] == "node-1"
    assert view["OS-EXT-SRV-ATTR:instance_name"] == "instance-srv-1"
    assert view["links"] == LINKS.resource("servers", "srv-1")


def test_progress_is_shown_only_while_building_or_active() -> None:
    assert "progress" in views.server_detail(instance(vm_state=types_pb2.VM_STATE_BUILDING), LINKS)
    assert "progress" not in views.server_detail(
        instance(vm_state=types_pb2.VM_STATE_STOPPED), LINKS
    )


def test_host_attributes_are_hidden_from_non_admins() -> None:
    view = views.server_detail(instance(), LINKS, is_admin=False)
    assert not [key for key in view if key.startswith("OS-EXT-SRV-ATTR:")]


def test_a_server_without_an_image_shows_an_empty_string() -> None:
    assert views.server_detail(instance(image_id=""), LINKS)["image"] == ""


def test_instance_actions_are_listed_newest_first_with_null_message() -> None:
    older = types_pb2.InstanceAction(instance_id="srv-1", request_id="req-1", action="create")
    older.start_time.FromSeconds(100)
    newer = types_pb2.InstanceAction(
        instance_id="srv-1", request_id="req-2", action="stop", message="failed"
    )
    newer.start_time.FromSeconds(200)
    listed = views.instance_actions([older, newer])
    assert [a["request_id"] for a in listed] == ["req-2", "req-1"]
    assert listed[1] == {
        "action": "create",
        "instance_uuid": "srv-1",
        "message": None,
        "project_id": "",
        "request_id": "req-1",
        "start_time": "1970-01-01T00:01:40.000000",
        "user_id": "",
    }


# ---------------------------------------------------------------------------- flavors


def test_flavor_swap_is_an_empty_string_when_zero_and_megabytes_otherwise() -> None:
    assert views.flavor_detail(types_pb2.Flavor(id="1"), LINKS)["swap"] == ""
    assert views.flavor_detail(types_pb2.Flavor(id="1", swap_mb=512), LINKS)["swap"] == 512


def test_flavor_detail_uses_nova_keys() -> None:
    flavor = types_pb2.Flavor(
        id="2",
        name="m1.small",
        vcpus=1,
        ram_mb=2048,
        disk_gb=20,
        ephemeral_gb=5,
        is_public=True,
        rxtx_factor=1.1,
    )
    assert views.flavor_detail(flavor, LINKS) == {
        "id": "2",
        "name": "m1.small",
        "ram": 2048,
        "vcpus": 1,
        "disk": 20,
        "OS-FLV-EXT-DATA:ephemeral": 5,
        "swap": "",
        "rxtx_factor": 1.1,
        "os-flavor-access:is_public": True,
        "OS-FLV-DISABLED:disabled": False,
        "links": LINKS.resource("flavors", "2"),
    }


# ---------------------------------------------------------------------------- images


def image() -> types_pb2.Image:
    message = types_pb2.Image(
        id="img-1",
        name="cirros",
        status="active",
        disk_format="qcow2",
        container_format="bare",
        size_bytes=13_167_616,
        visibility="public",
        owner="admin",
        properties={"os_distro": "cirros", "id": "must-not-win"},
    )
    message.created_at.FromSeconds(1_700_000_000)
    return message


def test_glance_image_flattens_properties_without_overriding_core_keys() -> None:
    view = views.glance_image(image())
    assert view["id"] == "img-1"
    assert view["os_distro"] == "cirros"
    assert view["self"] == "/v2/images/img-1"
    assert view["file"] == "/v2/images/img-1/file"
    assert view["schema"] == "/v2/schemas/image"
    assert view["protected"] is False
    assert view["tags"] == []
    assert view["size"] == 13_167_616
    assert view["created_at"] == "2023-11-14T22:13:20Z"


def test_glance_image_list_has_first_and_schema() -> None:
    listed = views.glance_image_list([image()])
    assert listed["first"] == "/v2/images"
    assert listed["schema"] == "/v2/schemas/images"
    assert [i["id"] for i in listed["images"]] == ["img-1"]


def test_nova_image_proxy_shows_upper_case_status_and_progress() -> None:
    view = views.nova_image_detail(image(), LINKS)
    assert view["status"] == "ACTIVE"
    assert view["progress"] == 100
    assert view["minRam"] == 0 and view["minDisk"] == 0
    assert view["OS-EXT-IMG-SIZE:size"] == 13_167_616
    assert view["metadata"] == {"os_distro": "cirros", "id": "must-not-win"}
    queued = image()
    queued.status = "queued"
    assert views.nova_image_detail(queued, LINKS)["status"] == "SAVING"


# ---------------------------------------------------------------------------- hosts


def host_view(*, up: bool = True) -> compute_pb2.HostView:
    return compute_pb2.HostView(
        host=types_pb2.Host(
            name="node-1",
            hypervisor_type="QEMU",
            hypervisor_version=8002000,
            host_ip="192.0.2.10",
            cpu_model="Haswell",
            vcpus=16,
            memory_mb=32768,
            local_gb=500,
            vcpus_used=1,
            memory_mb_used=1024,
            local_gb_used=10,
            running_vms=3,
            enabled=True,
        ),
        up=up,
        usage=types_pb2.HostUsage(
            host="node-1", vcpus_used=4, memory_mb_used=8192, local_gb_used=40, instances=4
        ),
    )


def test_hypervisor_used_comes_from_claims_and_running_vms_from_the_host() -> None:
    view = views.hypervisor_detail(host_view())
    assert view["vcpus_used"] == 4
    assert view["memory_mb_used"] == 8192
    assert view["local_gb_used"] == 40
    assert view["free_ram_mb"] == 32768 - 8192
    assert view["free_disk_gb"] == 500 - 40
    assert view["running_vms"] == 3
    assert view["state"] == "up" and view["status"] == "enabled"
    assert view["current_workload"] == 0
    assert json.loads(view["cpu_info"]) == {"model": "Haswell"}
    assert view["service"] == {"host": "node-1", "id": "node-1", "disabled_reason": None}


def test_a_host_without_a_live_lease_is_down() -> None:
    assert views.hypervisor_summary(host_view(up=False))["state"] == "down"


def test_services_list_control_processes_then_agents_by_host() -> None:
    control = compute_pb2.ServiceView(
        service=types_pb2.ServiceRecord(id="c-1", binary="stratus-conductor", host="ctl"),
        up=True,
    )
    listed = views.services([control], [host_view(up=False)], version=Microversion(2, 11))
    assert [(s["binary"], s["host"], s["zone"], s["state"]) for s in listed] == [
        ("stratus-conductor", "ctl", "internal", "up"),
        ("stratus-agent", "node-1", "nova", "down"),
    ]
    assert all(s["disabled_reason"] is None and s["forced_down"] is False for s in listed)
