"""Servers and their action log, as Nova's `/servers` shows them."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from services.api import status as server_states
from services.api.rest.views.common import Links, isotime, strtime
from services.api.rest.views.hosts import COMPUTE_ZONE
from stratus.v1 import types_pb2

# Nova shows `progress` only while the server is in one of these statuses.
_PROGRESS_STATUSES = frozenset({"ACTIVE", "BUILD", "REBUILD", "RESIZE", "VERIFY_RESIZE"})


def host_id(project_id: str, host: str) -> str:
    """Nova's `hostId`: an opaque per-project digest of the host, "" when unplaced."""
    if not host:
        return ""
    return hashlib.sha224((project_id + host).encode("utf-8")).hexdigest()


def instance_name(instance: types_pb2.Instance) -> str:
    """The hypervisor's name for the guest, as `OS-EXT-SRV-ATTR:instance_name` shows it."""
    return f"instance-{instance.id}"


def addresses(instance: types_pb2.Instance) -> dict[str, list[dict[str, Any]]]:
    """Nova's `addresses`: fixed IPs grouped by network name, in allocation order."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for address in instance.addresses:
        grouped.setdefault(address.network, []).append(
            {
                "version": address.version or 4,
                "addr": address.addr,
                "OS-EXT-IPS:type": "fixed",
                "OS-EXT-IPS-MAC:mac_addr": address.mac_addr,
            }
        )
    return grouped


def server_fault(fault: types_pb2.Fault, *, is_admin: bool) -> dict[str, Any]:
    """Nova's `fault`; the details of an internal (500) fault are for admins only."""
    view: dict[str, Any] = {
        "code": fault.code,
        "message": fault.message,
        "created": isotime(fault.created_at),
    }
    if is_admin or fault.code != 500:
        view["details"] = fault.details
    return view


def server_summary(instance: types_pb2.Instance, links: Links) -> dict[str, Any]:
    """One entry of `GET /servers`."""
    return {
        "id": instance.id,
        "name": instance.name,
        "links": links.resource("servers", instance.id),
    }


def server_created(instance: types_pb2.Instance, links: Links) -> dict[str, Any]:
    """The body of a `POST /servers` answer (Nova's without `adminPass`)."""
    return {
        "id": instance.id,
        "links": links.resource("servers", instance.id),
        "OS-DCF:diskConfig": "MANUAL",
        "security_groups": [{"name": "default"}],
    }


def server_detail(
    instance: types_pb2.Instance, links: Links, *, is_admin: bool = True
) -> dict[str, Any]:
    """The full server of `GET /servers/{id}` and `GET /servers/detail`."""
    status = server_states.server_status(instance)
    created = isotime(instance.created_at)
    view: dict[str, Any] = {
        "id": instance.id,
        "name": instance.name,
        "status": status,
        "tenant_id": instance.project_id,
        "user_id": instance.user_id,
        "metadata": dict(instance.metadata),
        "hostId": host_id(instance.project_id, instance.host),
        "image": (
            {"id": instance.image_id, "links": links.bookmark("images", instance.image_id)}
            if instance.image_id
            else ""
        ),
        "flavor": {
            "id": instance.flavor.id,
            "links": links.bookmark("flavors", instance.flavor.id),
        },
        "created": created,
        "updated": isotime(instance.updated_at) or created,
        "addresses": addresses(instance),
        "accessIPv4": "",
        "accessIPv6": "",
        "links": links.resource("servers", instance.id),
        "key_name": None,
        "config_drive": "",
        "OS-EXT-STS:vm_state": server_states.VM_STATE_NAMES.get(instance.vm_state),
        "OS-EXT-STS:task_state": server_states.TASK_STATE_NAMES.get(instance.task_state),
        "OS-EXT-STS:power_state": int(instance.power_state),
        "OS-EXT-AZ:availability_zone": instance.availability_zone or COMPUTE_ZONE,
        "OS-SRV-USG:launched_at": (
            strtime(instance.launched_at) if instance.HasField("launched_at") else None
        ),
        "OS-SRV-USG:terminated_at": (
            strtime(instance.terminated_at) if instance.HasField("terminated_at") else None
        ),
        "OS-DCF:diskConfig": "MANUAL",
        "security_groups": [{"name": "default"}],
        "os-extended-volumes:volumes_attached": [],
    }
    if status in _PROGRESS_STATUSES:
        view["progress"] = instance.progress
    if is_admin:
        view["OS-EXT-SRV-ATTR:host"] = instance.host or None
        view["OS-EXT-SRV-ATTR:hypervisor_hostname"] = instance.host or None
        view["OS-EXT-SRV-ATTR:instance_name"] = instance_name(instance)
    if instance.vm_state == types_pb2.VM_STATE_ERROR and instance.HasField("fault"):
        view["fault"] = server_fault(instance.fault, is_admin=is_admin)
    return view


def instance_action(action: types_pb2.InstanceAction) -> dict[str, Any]:
    """One entry of `os-instance-actions` (Nova 2.1: no `updated_at`, no events)."""
    return {
        "action": action.action,
        "instance_uuid": action.instance_id,
        "message": action.message or None,
        "project_id": action.project_id,
        "request_id": action.request_id,
        "start_time": strtime(action.start_time),
        "user_id": action.user_id,
    }


def instance_actions(actions: Iterable[types_pb2.InstanceAction]) -> list[dict[str, Any]]:
    """The action log, newest first as Nova lists it."""
    ordered = sorted(
        actions, key=lambda a: (a.start_time.seconds, a.start_time.nanos), reverse=True
    )
    return [instance_action(action) for action in ordered]
