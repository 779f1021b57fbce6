"""Servers and their action log, as Nova's `/servers` shows them."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from services.api import status as server_states
from services.api.rest import microversions as mv
from services.api.rest.microversions import Microversion
from services.api.rest.views.common import Links, instance_name, isotime, strtime
from services.api.rest.views.hosts import COMPUTE_ZONE
from stratus.v1 import types_pb2

# Nova shows `progress` only while the server is in one of these statuses.
_PROGRESS_STATUSES = frozenset({"ACTIVE", "BUILD", "REBUILD", "RESIZE", "VERIFY_RESIZE"})


def host_id(project_id: str, host: str) -> str:
    """Nova's `hostId`: an opaque per-project digest of the host, "" when unplaced."""
    if not host:
        return ""
    return hashlib.sha224((project_id + host).encode("utf-8")).hexdigest()


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


@dataclass(frozen=True)
class ServerLookups:
    """What a server's view needs besides the instance, looked up once per request."""

    # Host name → Nova's host_status (UP, DOWN, MAINTENANCE); None: the caller may not see it.
    host_status: Mapping[str, str] | None = None
    # Images by id, for their properties in the server's `image` (2.98).
    images: Mapping[str, types_pb2.Image] = field(default_factory=dict)
    # `server_groups` is part of GET /servers/{id} (2.71), not of the list.
    server_groups: bool = False


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


def availability_zone(instance: types_pb2.Instance) -> str:
    """Nova's `OS-EXT-AZ:availability_zone`: the zone of the host it runs on, else the zone
    asked for at boot, else "" while it waits for a host."""
    if instance.host:
        return instance.host_availability_zone or instance.availability_zone or COMPUTE_ZONE
    return instance.availability_zone


def embedded_flavor(flavor: types_pb2.Flavor) -> dict[str, Any]:
    """The flavor as the server was built with it (2.47): its sizes, name and extra specs."""
    return {
        "vcpus": flavor.vcpus,
        "ram": flavor.ram_mb,
        "disk": flavor.disk_gb,
        "ephemeral": flavor.ephemeral_gb,
        "swap": flavor.swap_mb,
        "original_name": flavor.name,
        "extra_specs": dict(sorted(flavor.extra_specs.items())),
    }


def _image(
    instance: types_pb2.Instance, links: Links, version: Microversion, lookups: ServerLookups
) -> dict[str, Any] | str:
    if not instance.image_id:
        return ""
    view: dict[str, Any] = {
        "id": instance.image_id,
        "links": links.bookmark("images", instance.image_id),
    }
    if version >= mv.IMAGE_PROPERTIES:
        image = lookups.images.get(instance.image_id)
        view["properties"] = dict(sorted(image.properties.items())) if image else {}
    return view


def _host_status(instance: types_pb2.Instance, status_of: Mapping[str, str]) -> str:
    if not instance.host:
        return ""
    return status_of.get(instance.host, "UNKNOWN")


def scheduler_hints(hints: types_pb2.SchedulerHints) -> dict[str, Any]:
    """The hints given at boot (2.100), each as Nova keeps them: a list of strings."""
    given: dict[str, Any] = {}
    for key in ("same_host", "different_host"):
        values = list(getattr(hints, key))
        if values:
            given[key] = values
    for key in ("group", "build_near_host_ip", "cidr", "query"):
        value = getattr(hints, key)
        if value:
            given[key] = [value]
    return given


def server_detail(
    instance: types_pb2.Instance,
    links: Links,
    version: Microversion = mv.MIN,
    *,
    is_admin: bool = True,
    lookups: ServerLookups | None = None,
) -> dict[str, Any]:
    """The full server of `GET /servers/{id}` and `GET /servers/detail`, as `version`
    shows it to the caller (admins see where it runs)."""
    lookups = lookups or ServerLookups()
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
        "image": _image(instance, links, version, lookups),
        "flavor": (
            embedded_flavor(instance.flavor)
            if version >= mv.EMBEDDED_FLAVOR
            else {
                "id": instance.flavor.id,
                "links": links.bookmark("flavors", instance.flavor.id),
            }
        ),
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
        "OS-EXT-AZ:availability_zone": availability_zone(instance),
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
        if version >= mv.EXTENDED_SERVER_ATTRIBUTES:
            view.update(
                {
                    "OS-EXT-SRV-ATTR:reservation_id": instance.reservation_id,
                    "OS-EXT-SRV-ATTR:launch_index": instance.launch_index,
                    "OS-EXT-SRV-ATTR:hostname": instance.hostname,
                    "OS-EXT-SRV-ATTR:kernel_id": "",
                    "OS-EXT-SRV-ATTR:ramdisk_id": "",
                    "OS-EXT-SRV-ATTR:root_device_name": None,  # guests boot with no disk device
                    "OS-EXT-SRV-ATTR:user_data": instance.user_data or None,
                }
            )
    elif version >= mv.HOSTNAME_FOR_ALL:
        view["OS-EXT-SRV-ATTR:hostname"] = instance.hostname
    if version >= mv.SERVER_LOCKED:
        view["locked"] = False  # Stratus has no lock action: no server is ever locked
    if version >= mv.HOST_STATUS and lookups.host_status is not None:
        view["host_status"] = _host_status(instance, lookups.host_status)
    if version >= mv.SERVER_DESCRIPTION:
        view["description"] = instance.description or None
    if version >= mv.SERVER_TAGS:
        view["tags"] = list(instance.tags)
    if version >= mv.TRUSTED_CERTIFICATES:
        view["trusted_image_certificates"] = None
    if version >= mv.SERVER_GROUPS_IN_SHOW and lookups.server_groups:
        view["server_groups"] = [instance.server_group_id] if instance.server_group_id else []
    if version >= mv.LOCKED_REASON:
        view["locked_reason"] = None
    if version >= mv.PINNED_AVAILABILITY_ZONE:
        view["pinned_availability_zone"] = instance.availability_zone or None
    if version >= mv.SCHEDULER_HINTS:
        view["scheduler_hints"] = scheduler_hints(instance.scheduler_hints)
    if instance.vm_state == types_pb2.VM_STATE_ERROR and instance.HasField("fault"):
        view["fault"] = server_fault(instance.fault, is_admin=is_admin)
    return view


# The compute function Nova names an action's event after, per action.
_ACTION_EVENTS = {
    "create": "compute__do_build_and_run_instance",
    "delete": "compute_terminate_instance",
    "stop": "compute_stop_instance",
    "start": "compute_start_instance",
    "reboot": "compute_reboot_instance",
    "pause": "compute_pause_instance",
    "unpause": "compute_unpause_instance",
    "suspend": "compute_suspend_instance",
    "resume": "compute_resume_instance",
}


def _action_updated(action: types_pb2.InstanceAction) -> str | None:
    return strtime(action.finish_time) if action.HasField("finish_time") else None


def instance_action(
    action: types_pb2.InstanceAction, version: Microversion = mv.MIN
) -> dict[str, Any]:
    """One entry of `os-instance-actions`; `updated_at` from 2.58."""
    view = {
        "action": action.action,
        "instance_uuid": action.instance_id,
        "message": action.message or None,
        "project_id": action.project_id,
        "request_id": action.request_id,
        "start_time": strtime(action.start_time),
        "user_id": action.user_id,
    }
    if version >= mv.ACTIONS_UPDATED_AT:
        view["updated_at"] = _action_updated(action) or view["start_time"]
    return view


def action_events(
    action: types_pb2.InstanceAction,
    instance: types_pb2.Instance | None,
    version: Microversion = mv.MIN,
    *,
    is_admin: bool,
) -> list[dict[str, Any]]:
    """The action's one event: the compute step that carried it out, with its outcome.

    Admins see events at every version, others from 2.51 (never the traceback); the host
    from 2.62 (its name for admins, its per-project hostId for all).
    """
    if not is_admin and version < mv.ACTION_EVENTS_FOR_ALL:
        return []
    event: dict[str, Any] = {
        "event": _ACTION_EVENTS.get(action.action, f"compute_{action.action}_instance"),
        "start_time": strtime(action.start_time),
        "finish_time": _action_updated(action),
        "result": action.result or None,
    }
    if is_admin:
        event["traceback"] = None
    if version >= mv.ACTION_EVENT_HOST:
        host = instance.host if instance is not None else ""
        event["hostId"] = host_id(action.project_id, host)
        if is_admin:
            event["host"] = host
    if version >= mv.ACTION_EVENT_DETAILS:
        event["details"] = (action.message or None) if action.result == "Error" else None
    return [event]


def instance_actions(
    actions: Iterable[types_pb2.InstanceAction], version: Microversion = mv.MIN
) -> list[dict[str, Any]]:
    """The action log, newest first as Nova lists it."""
    ordered = sorted(
        actions, key=lambda a: (a.start_time.seconds, a.start_time.nanos), reverse=True
    )
    return [instance_action(action, version) for action in ordered]
