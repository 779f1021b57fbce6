"""Tables and watch lines from plain messages."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from services.cli import render
from stratus.v1 import compute_pb2, types_pb2


def text(table: Table) -> str:
    console = Console(width=200, record=True, color_system=None)
    console.print(table)
    return console.export_text()


def test_servers_table_shows_nova_status_and_states() -> None:
    instance = types_pb2.Instance(
        id="i-1",
        name="web1",
        vm_state=types_pb2.VM_STATE_ACTIVE,
        task_state=types_pb2.TASK_STATE_REBOOTING_HARD,
        power_state=types_pb2.POWER_STATE_RUNNING,
        host="host-2",
        flavor=types_pb2.Flavor(id="1", name="m1.tiny"),
        addresses=[
            types_pb2.Address(network="private", addr="10.0.0.3"),
            types_pb2.Address(network="private", addr="fd00::3"),
        ],
    )
    out = text(render.servers_table([instance]))
    for expected in ("web1", "HARD_REBOOT", "rebooting_hard", "RUNNING", "m1.tiny", "host-2"):
        assert expected in out
    assert "private=10.0.0.3, fd00::3" in out


def test_server_detail_shows_the_fault() -> None:
    instance = types_pb2.Instance(
        id="i-1",
        vm_state=types_pb2.VM_STATE_ERROR,
        fault=types_pb2.Fault(code=500, message="No valid host was found."),
    )
    out = text(render.server_detail(instance))
    assert "ERROR" in out and "500 No valid host was found." in out
    assert "vm_state" in out and "error" in out


def test_hosts_table_uses_claims_against_capacity() -> None:
    view = compute_pb2.HostView(
        host=types_pb2.Host(
            name="h1",
            vcpus=16,
            memory_mb=32768,
            local_gb=500,
            running_vms=2,
            enabled=False,
            disabled_reason="maintenance",
        ),
        up=False,
        usage=types_pb2.HostUsage(vcpus_used=2, memory_mb_used=1024, local_gb_used=2),
    )
    out = text(render.hosts_table([view]))
    assert "2/16" in out and "1024/32768" in out and "2/500" in out
    assert "down" in out and "maintenance" in out


def test_flavors_sorted_smallest_first() -> None:
    flavors = [
        types_pb2.Flavor(id="3", name="m1.medium", vcpus=2, ram_mb=4096, disk_gb=40),
        types_pb2.Flavor(id="1", name="m1.tiny", vcpus=1, ram_mb=512, disk_gb=1),
    ]
    out = text(render.flavors_table(flavors))
    assert out.index("m1.tiny") < out.index("m1.medium")


def test_event_line_has_time_id_name_status_states_host() -> None:
    event = compute_pb2.ServerEvent(
        type=compute_pb2.ServerEvent.TYPE_CHANGED,
        server=types_pb2.Instance(
            id="i-1",
            name="web1",
            vm_state=types_pb2.VM_STATE_BUILDING,
            task_state=types_pb2.TASK_STATE_SPAWNING,
            host="host-1",
        ),
    )
    event.server.updated_at.FromSeconds(1_700_000_000)
    line = render.event_line(event)
    assert line.startswith("2023-11-14T22:13:20Z changed")
    for expected in ("i-1", "web1", "BUILD", "building/spawning/NOSTATE", "host-1"):
        assert expected in line
    deleted = compute_pb2.ServerEvent(
        type=compute_pb2.ServerEvent.TYPE_DELETED, server=event.server
    )
    assert "DELETED" in render.event_line(deleted)


def test_timestamp_unset_is_a_dash() -> None:
    assert render.timestamp(types_pb2.Instance().created_at) == "-"
    assert render.task_state_name(types_pb2.TASK_STATE_NONE) == "-"
