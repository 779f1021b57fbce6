"""Turning Compute API messages into rich tables or JSON for the `stratus` command.

Rendering is kept apart from the gRPC calls so the tables can be tested with plain
messages, and so `--format json` prints exactly what the contract defines (field names
as in the .proto files) for scripts to consume.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from google.protobuf import json_format, message, timestamp_pb2
from rich import box
from rich.console import Console
from rich.table import Table

from services.api.status import POWER_STATE_NAMES, TASK_STATE_NAMES, VM_STATE_NAMES, server_status
from stratus.v1 import compute_pb2, types_pb2

FORMATS = ("table", "json")
PIPE_WIDTH = 250

# Colours of Nova's statuses: what needs a look stands out in a long list.
_STATUS_STYLES = {
    "ACTIVE": "green",
    "BUILD": "cyan",
    "REBOOT": "cyan",
    "HARD_REBOOT": "cyan",
    "SHUTOFF": "yellow",
    "PAUSED": "yellow",
    "SUSPENDED": "yellow",
    "ERROR": "bold red",
    "DELETED": "dim",
}


def to_dict(msg: message.Message) -> dict[str, Any]:
    """A message as JSON-ready data, with the .proto field names and enums by name."""
    return json_format.MessageToDict(
        msg, preserving_proto_field_name=True, always_print_fields_with_no_presence=False
    )


def print_json(console: Console, data: Any) -> None:
    """JSON without rich's highlighting or wrapping, so pipes get it verbatim."""
    console.file.write(json.dumps(data, indent=2, sort_keys=True) + "\n")
    console.file.flush()


def timestamp(ts: timestamp_pb2.Timestamp | None) -> str:
    """An ISO time in UTC to the second, or "-" when the field is unset."""
    if ts is None or (ts.seconds == 0 and ts.nanos == 0):
        return "-"
    when = datetime.fromtimestamp(ts.seconds + ts.nanos / 1e9, tz=UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def task_state_name(value: int) -> str:
    """Nova's task_state name, or "-" when no task runs."""
    return TASK_STATE_NAMES.get(value) or "-"  # type: ignore[call-overload]


def vm_state_name(value: int) -> str:
    return VM_STATE_NAMES.get(value, "unknown")  # type: ignore[call-overload]


def power_state_name(value: int) -> str:
    return POWER_STATE_NAMES.get(value, str(value))  # type: ignore[call-overload]


def styled_status(instance: types_pb2.Instance) -> str:
    status = server_status(instance)
    style = _STATUS_STYLES.get(status)
    return f"[{style}]{status}[/]" if style else status


def addresses(instance: types_pb2.Instance) -> str:
    """Nova's `networks` column: `net=addr, addr; net2=addr`."""
    by_network: dict[str, list[str]] = {}
    for address in instance.addresses:
        by_network.setdefault(address.network or "-", []).append(address.addr)
    return "; ".join(f"{net}={', '.join(addrs)}" for net, addrs in by_network.items()) or "-"


def _mapping(values: Iterable[tuple[str, str]]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(values)) or "-"


# Never folded: ids and times are copied and grepped whole; other columns give way instead.
_WHOLE = frozenset({"ID", "Request ID", "Start", "Finish", "Started", "Host", "Field"})


def _table(*columns: str, title: str | None = None) -> Table:
    table = Table(box=box.SIMPLE_HEAD, title=title, title_justify="left", pad_edge=False)
    for column in columns:
        table.add_column(column, overflow="fold", no_wrap=column in _WHOLE)
    return table


def console() -> Console:
    """Stdout's console; when piped, wide enough that rows stay on one line for grep."""
    out = Console()
    if not out.is_terminal and "COLUMNS" not in os.environ:
        out = Console(width=PIPE_WIDTH)
    return out


def servers_table(servers: Sequence[types_pb2.Instance]) -> Table:
    table = _table("ID", "Name", "Status", "Task", "Power", "Networks", "Flavor", "Host")
    for server in servers:
        table.add_row(
            server.id,
            server.name,
            styled_status(server),
            task_state_name(server.task_state),
            power_state_name(server.power_state),
            addresses(server),
            server.flavor.name or server.flavor.id or "-",
            server.host or "-",
        )
    return table


def server_detail(server: types_pb2.Instance) -> Table:
    """One server as field/value rows, in the order `openstack server show` uses."""
    table = _table("Field", "Value")
    flavor = server.flavor
    flavor_text = (
        f"{flavor.name} ({flavor.id}): {flavor.vcpus} vCPU, {flavor.ram_mb} MB RAM, "
        f"{flavor.disk_gb} GB disk"
        if flavor.id or flavor.name
        else "-"
    )
    rows: list[tuple[str, str]] = [
        ("id", server.id),
        ("name", server.name),
        ("status", styled_status(server)),
        ("vm_state", vm_state_name(server.vm_state)),
        ("task_state", task_state_name(server.task_state)),
        ("power_state", power_state_name(server.power_state)),
        ("host", server.host or "-"),
        ("addresses", addresses(server)),
        ("flavor", flavor_text),
        ("image", server.image_id or "-"),
        ("metadata", _mapping(server.metadata.items())),
        ("project_id", server.project_id or "-"),
        ("user_id", server.user_id or "-"),
        ("reservation_id", server.reservation_id or "-"),
        ("created", timestamp(server.created_at)),
        ("launched", timestamp(server.launched_at)),
        ("updated", timestamp(server.updated_at)),
    ]
    if server.failed_hosts:
        rows.append(("failed_hosts", ", ".join(server.failed_hosts)))
    if server.HasField("fault"):
        fault = server.fault
        rows.append(("fault", f"[red]{fault.code} {fault.message}[/]"))
        if fault.details:
            rows.append(("fault details", fault.details))
    for name, value in rows:
        table.add_row(name, value)
    return table


def flavors_table(flavors: Sequence[types_pb2.Flavor]) -> Table:
    table = _table("ID", "Name", "vCPUs", "RAM (MB)", "Disk (GB)", "Ephemeral", "Public")
    for flavor in sorted(flavors, key=lambda f: (f.vcpus, f.ram_mb, f.disk_gb, f.name)):
        table.add_row(
            flavor.id,
            flavor.name,
            str(flavor.vcpus),
            str(flavor.ram_mb),
            str(flavor.disk_gb),
            str(flavor.ephemeral_gb),
            "yes" if flavor.is_public else "no",
        )
    return table


def flavor_access_table(access: Sequence[compute_pb2.FlavorAccess]) -> Table:
    table = _table("Flavor", "Project")
    for grant in sorted(access, key=lambda a: a.project_id):
        table.add_row(grant.flavor_id, grant.project_id)
    return table


def images_table(images: Sequence[types_pb2.Image]) -> Table:
    table = _table("ID", "Name", "Status", "Format", "Min disk (GB)", "Visibility", "Properties")
    for image in sorted(images, key=lambda i: i.name):
        table.add_row(
            image.id,
            image.name,
            image.status or "-",
            "/".join(x for x in (image.disk_format, image.container_format) if x) or "-",
            str(image.min_disk_gb),
            image.visibility or "-",
            _mapping(image.properties.items()),
        )
    return table


def _used_of(used: int, total: int) -> str:
    return f"{used}/{total}"


def hosts_table(hosts: Sequence[compute_pb2.HostView]) -> Table:
    """Hosts with what the scheduler has claimed on them against their capacity."""
    table = _table("Host", "Up", "Enabled", "Hypervisor", "vCPUs", "RAM (MB)", "Disk (GB)", "VMs")
    for view in sorted(hosts, key=lambda v: v.host.name):
        host, usage = view.host, view.usage
        enabled = "yes" if host.enabled else f"[yellow]no[/] {host.disabled_reason}".rstrip()
        table.add_row(
            host.name,
            "[green]up[/]" if view.up else "[bold red]down[/]",
            enabled,
            host.hypervisor_type or "-",
            _used_of(usage.vcpus_used, host.vcpus),
            _used_of(usage.memory_mb_used, host.memory_mb),
            _used_of(usage.local_gb_used, host.local_gb),
            str(host.running_vms),
        )
    return table


def services_table(services: Sequence[compute_pb2.ServiceView]) -> Table:
    table = _table("Binary", "Host", "State", "gRPC", "Metrics", "Started", "Version", "ID")
    for view in sorted(services, key=lambda v: (v.service.binary, v.service.host, v.service.id)):
        record = view.service
        table.add_row(
            record.binary,
            record.host,
            "[green]up[/]" if view.up else "[bold red]down[/]",
            record.grpc_endpoint or "-",
            record.metrics_endpoint if not record.metrics_endpoint.endswith(":0") else "-",
            timestamp(record.started_at),
            record.version or "-",
            record.id,
        )
    return table


def actions_table(actions: Sequence[types_pb2.InstanceAction]) -> Table:
    table = _table("Action", "Request ID", "User", "Start", "Finish", "Result", "Message")
    for action in sorted(actions, key=lambda a: (a.start_time.seconds, a.start_time.nanos)):
        result = action.result or "-"
        if action.result == "Error":
            result = "[bold red]Error[/]"
        elif action.result == "Success":
            result = "[green]Success[/]"
        table.add_row(
            action.action,
            action.request_id,
            action.user_id or "-",
            timestamp(action.start_time),
            timestamp(action.finish_time),
            result,
            action.message or "-",
        )
    return table


_EVENT_NAMES = {
    compute_pb2.ServerEvent.TYPE_EXISTING: "existing",
    compute_pb2.ServerEvent.TYPE_CHANGED: "changed",
    compute_pb2.ServerEvent.TYPE_DELETED: "deleted",
}


def event_line(event: compute_pb2.ServerEvent) -> str:
    """One line per change for `server watch`: time, id, name, status, states, host."""
    server = event.server
    when = timestamp(server.updated_at)
    if when == "-":
        when = datetime.now(tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    deleted = event.type == compute_pb2.ServerEvent.TYPE_DELETED
    states = (
        f"{vm_state_name(server.vm_state)}/{task_state_name(server.task_state)}/"
        f"{power_state_name(server.power_state)}"
    )
    if deleted and server.vm_state == types_pb2.VM_STATE_UNSPECIFIED:
        states = "deleted/-/-"
    return " ".join(
        [
            when,
            f"{_EVENT_NAMES.get(event.type, 'event'):8}",
            server.id,
            f"{server.name or '-':16}",
            f"{'DELETED' if deleted else server_status(server):11}",
            states,
            server.host or "-",
        ]
    )
