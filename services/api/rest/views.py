"""View builders: pure functions from contract messages to Nova's and Glance's JSON.

Every function here takes messages and a `Links` and returns plain dicts, so the JSON a
client sees can be checked without a server. Key names, nulls and formats follow Nova's
Compute v2.1 (and Glance v2 for `/v2/images`) exactly.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from google.protobuf import timestamp_pb2

from services.api import status as server_states
from stratus.v1 import compute_pb2, scheduler_pb2, types_pb2

COMPUTE_VERSION = "v2.1"

# Nova shows `progress` only while the server is in one of these statuses.
_PROGRESS_STATUSES = frozenset({"ACTIVE", "BUILD", "REBUILD", "RESIZE", "VERIFY_RESIZE"})

# Glance's image status as Nova's image proxy shows it, and the progress it implies.
_NOVA_IMAGE_STATUS = {
    "active": "ACTIVE",
    "queued": "SAVING",
    "saving": "SAVING",
    "importing": "SAVING",
    "deleted": "DELETED",
    "pending_delete": "DELETED",
    "killed": "ERROR",
}
_NOVA_IMAGE_PROGRESS = {"queued": 25, "saving": 50, "importing": 50, "active": 100}

# Glance's own keys: an image property of the same name never replaces them.
_GLANCE_CORE_KEYS = frozenset(
    {
        "id",
        "name",
        "status",
        "visibility",
        "min_ram",
        "min_disk",
        "size",
        "virtual_size",
        "disk_format",
        "container_format",
        "owner",
        "created_at",
        "updated_at",
        "protected",
        "os_hidden",
        "checksum",
        "os_hash_algo",
        "os_hash_value",
        "tags",
        "self",
        "file",
        "schema",
        "locations",
        "direct_url",
    }
)

CONTROL_ZONE = "internal"
COMPUTE_ZONE = "nova"
AGENT_BINARY = "stratus-agent"


@dataclass(frozen=True)
class Links:
    """Where links point: `root` is the gateway's base URL without a trailing slash."""

    root: str

    @classmethod
    def from_base(cls, base_url: str) -> Links:
        root = base_url.rstrip("/")
        suffix = "/" + COMPUTE_VERSION
        if root.endswith(suffix):
            root = root[: -len(suffix)]
        return cls(root)

    @property
    def compute(self) -> str:
        return f"{self.root}/{COMPUTE_VERSION}"

    def resource(self, collection: str, identifier: str) -> list[dict[str, str]]:
        """Nova's `self` (versioned) and `bookmark` (unversioned) links to one resource."""
        return [
            {"rel": "self", "href": f"{self.compute}/{collection}/{identifier}"},
            {"rel": "bookmark", "href": f"{self.root}/{collection}/{identifier}"},
        ]

    def bookmark(self, collection: str, identifier: str) -> list[dict[str, str]]:
        return [{"rel": "bookmark", "href": f"{self.root}/{collection}/{identifier}"}]

    def next_page(
        self, collection: str, params: Sequence[tuple[str, str]], marker: str
    ) -> list[dict[str, str]]:
        """Nova's `<collection>_links`: the request's query with `marker` set to the last id."""
        query = [(key, value) for key, value in params if key != "marker"]
        query.append(("marker", marker))
        return [{"rel": "next", "href": f"{self.compute}/{collection}?{urlencode(query)}"}]


# ---------------------------------------------------------------------------- time formats


def _datetime(ts: timestamp_pb2.Timestamp) -> datetime:
    return datetime.fromtimestamp(ts.seconds + ts.nanos / 1e9, tz=UTC)


def isotime(ts: timestamp_pb2.Timestamp | None) -> str | None:
    """Nova's `created`/`updated` format, `YYYY-MM-DDTHH:MM:SSZ`; None when unset."""
    if ts is None or (ts.seconds == 0 and ts.nanos == 0):
        return None
    return _datetime(ts).strftime("%Y-%m-%dT%H:%M:%SZ")


def strtime(ts: timestamp_pb2.Timestamp | None) -> str | None:
    """Nova's format for database times (`launched_at`, action `start_time`); None when unset."""
    if ts is None or (ts.seconds == 0 and ts.nanos == 0):
        return None
    return _datetime(ts).strftime("%Y-%m-%dT%H:%M:%S.%f")


# ---------------------------------------------------------------------------- servers


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


# ---------------------------------------------------------------------------- flavors


def _float(value: float) -> float:
    """A float32 field as the number the operator wrote (1.1, not 1.100000023841858)."""
    return float(f"{value:.7g}")


def flavor_summary(flavor: types_pb2.Flavor, links: Links) -> dict[str, Any]:
    return {"id": flavor.id, "name": flavor.name, "links": links.resource("flavors", flavor.id)}


def flavor_detail(flavor: types_pb2.Flavor, links: Links) -> dict[str, Any]:
    return {
        "id": flavor.id,
        "name": flavor.name,
        "ram": flavor.ram_mb,
        "vcpus": flavor.vcpus,
        "disk": flavor.disk_gb,
        "OS-FLV-EXT-DATA:ephemeral": flavor.ephemeral_gb,
        "swap": flavor.swap_mb or "",
        "rxtx_factor": _float(flavor.rxtx_factor),
        "os-flavor-access:is_public": flavor.is_public,
        "OS-FLV-DISABLED:disabled": False,
        "links": links.resource("flavors", flavor.id),
        "description": flavor.description or None,
    }


# ---------------------------------------------------------------------------- images


def glance_image(image: types_pb2.Image) -> dict[str, Any]:
    """An image in Glance v2's shape, its properties flattened to top-level keys."""
    view: dict[str, Any] = {
        "id": image.id,
        "name": image.name or None,
        "status": image.status or "active",
        "visibility": image.visibility or "public",
        "min_ram": image.min_ram_mb,
        "min_disk": image.min_disk_gb,
        "size": image.size_bytes,
        "virtual_size": None,
        "disk_format": image.disk_format or None,
        "container_format": image.container_format or None,
        "owner": image.owner or None,
        "created_at": isotime(image.created_at),
        "updated_at": isotime(image.updated_at) or isotime(image.created_at),
        "protected": False,
        "os_hidden": False,
        "checksum": None,
        "os_hash_algo": None,
        "os_hash_value": None,
        "tags": [],
        "self": f"/v2/images/{image.id}",
        "file": f"/v2/images/{image.id}/file",
        "schema": "/v2/schemas/image",
    }
    for key, value in image.properties.items():
        if key not in _GLANCE_CORE_KEYS:
            view[key] = value
    return view


def glance_image_list(images: Iterable[types_pb2.Image]) -> dict[str, Any]:
    return {
        "images": [glance_image(image) for image in images],
        "first": "/v2/images",
        "schema": "/v2/schemas/images",
    }


def nova_image_links(image_id: str, links: Links) -> list[dict[str, str]]:
    return [
        *links.resource("images", image_id),
        {
            "rel": "alternate",
            "type": "application/vnd.openstack.image",
            "href": f"{links.root}/images/{image_id}",
        },
    ]


def nova_image_summary(image: types_pb2.Image, links: Links) -> dict[str, Any]:
    return {"id": image.id, "name": image.name, "links": nova_image_links(image.id, links)}


def nova_image_detail(image: types_pb2.Image, links: Links) -> dict[str, Any]:
    """An image as Nova's `/v2.1/images` proxy shows it."""
    glance_status = image.status or "active"
    created = isotime(image.created_at)
    return {
        "id": image.id,
        "name": image.name,
        "status": _NOVA_IMAGE_STATUS.get(glance_status, "UNKNOWN"),
        "progress": _NOVA_IMAGE_PROGRESS.get(glance_status, 0),
        "minRam": image.min_ram_mb,
        "minDisk": image.min_disk_gb,
        "metadata": dict(image.properties),
        "created": created,
        "updated": isotime(image.updated_at) or created,
        "OS-EXT-IMG-SIZE:size": image.size_bytes,
        "links": nova_image_links(image.id, links),
    }


# ---------------------------------------------------------------------------- hosts


def hypervisor_summary(view: compute_pb2.HostView) -> dict[str, Any]:
    host = view.host
    return {
        "id": host.name,
        "hypervisor_hostname": host.name,
        "state": "up" if view.up else "down",
        "status": "enabled" if host.enabled else "disabled",
    }


def hypervisor_detail(view: compute_pb2.HostView) -> dict[str, Any]:
    """Nova's hypervisor: capacity from the host's report, "used" from the scheduler's claims."""
    host, usage = view.host, view.usage
    free_disk_gb = host.local_gb - usage.local_gb_used
    return {
        **hypervisor_summary(view),
        "vcpus": host.vcpus,
        "vcpus_used": usage.vcpus_used,
        "memory_mb": host.memory_mb,
        "memory_mb_used": usage.memory_mb_used,
        "local_gb": host.local_gb,
        "local_gb_used": usage.local_gb_used,
        "free_ram_mb": host.memory_mb - usage.memory_mb_used,
        "free_disk_gb": free_disk_gb,
        "disk_available_least": free_disk_gb,
        "running_vms": host.running_vms,
        "current_workload": 0,
        "hypervisor_type": host.hypervisor_type,
        "hypervisor_version": host.hypervisor_version,
        "host_ip": host.host_ip,
        "cpu_info": json.dumps({"model": host.cpu_model}),
        "service": {
            "host": host.name,
            "id": host.name,
            "disabled_reason": host.disabled_reason or None,
        },
    }


def control_service(view: compute_pb2.ServiceView) -> dict[str, Any]:
    """A control-plane process (conductor, scheduler, api) as an `os-services` entry."""
    record = view.service
    return {
        "id": record.id,
        "binary": record.binary,
        "host": record.host,
        "zone": CONTROL_ZONE,
        "status": "enabled",
        "state": "up" if view.up else "down",
        "updated_at": strtime(record.started_at),
        "disabled_reason": None,
        "forced_down": False,
    }


def compute_service(view: compute_pb2.HostView, zone: str = COMPUTE_ZONE) -> dict[str, Any]:
    """A compute host (served by an agent) as an `os-services` entry, in its zone."""
    host = view.host
    return {
        "id": host.name,
        "binary": AGENT_BINARY,
        "host": host.name,
        "zone": zone,
        "status": "enabled" if host.enabled else "disabled",
        "state": "up" if view.up else "down",
        "updated_at": strtime(host.updated_at),
        "disabled_reason": host.disabled_reason or None,
        "forced_down": False,
    }


def services(
    control: Iterable[compute_pb2.ServiceView],
    hosts: Iterable[compute_pb2.HostView],
    zones: Iterable[compute_pb2.AvailabilityZone] = (),
) -> list[dict[str, Any]]:
    """`os-services`: control processes first, then one entry per compute host.

    `zones` (with their hosts) place each host in its zone; a host in none is in "nova".
    """
    zone_of = {host: zone.name for zone in zones for host in zone.hosts}
    return [
        *(control_service(v) for v in control),
        *(compute_service(v, zone_of.get(v.host.name, COMPUTE_ZONE)) for v in hosts),
    ]


# ---------------------------------------------------------------------------- flavor extra specs


def extra_specs(flavor: types_pb2.Flavor) -> dict[str, Any]:
    """`GET /flavors/{id}/os-extra_specs`."""
    return {"extra_specs": dict(sorted(flavor.extra_specs.items()))}


# ---------------------------------------------------------------------------- server groups


def server_group(group: types_pb2.ServerGroup) -> dict[str, Any]:
    """A server group in Nova 2.1's shape: its one policy as the `policies` list."""
    return {
        "id": group.id,
        "name": group.name,
        "policies": [group.policy] if group.policy else [],
        "members": list(group.members),
        "metadata": {},
        "project_id": group.project_id,
        "user_id": group.user_id,
    }


# ---------------------------------------------------------------------------- aggregates


def aggregate(aggregate: types_pb2.Aggregate, *, created: bool = False) -> dict[str, Any]:
    """An aggregate as Nova shows it; the zone is also the `availability_zone` metadata key.

    Nova's ids are integers; ours are the aggregate's UUID, so `id` and `uuid` agree.
    `POST /os-aggregates` (created) answers without hosts and metadata, as Nova does.
    """
    metadata = dict(sorted(aggregate.metadata.items()))
    if aggregate.availability_zone:
        metadata["availability_zone"] = aggregate.availability_zone
    view: dict[str, Any] = {
        "id": aggregate.id,
        "name": aggregate.name,
        "availability_zone": aggregate.availability_zone or None,
        "hosts": list(aggregate.hosts),
        "metadata": metadata,
        "created_at": strtime(aggregate.created_at),
        "updated_at": strtime(aggregate.updated_at),
        "deleted": False,
        "deleted_at": None,
        "uuid": aggregate.id,
    }
    if created:
        del view["hosts"], view["metadata"]
    return view


# ---------------------------------------------------------------------------- zones


def availability_zones(zones: Iterable[compute_pb2.AvailabilityZone]) -> dict[str, Any]:
    """`GET /os-availability-zone`: every zone with hosts, without the hosts."""
    return {
        "availabilityZoneInfo": [
            {"zoneName": zone.name, "zoneState": {"available": zone.available}, "hosts": None}
            for zone in zones
        ]
    }


COMPUTE_SERVICE_NAME = "nova-compute"


def availability_zones_detail(
    zones: Iterable[compute_pb2.AvailabilityZone],
    hosts: Iterable[compute_pb2.HostView],
    control: Iterable[compute_pb2.ServiceView],
) -> dict[str, Any]:
    """`GET /os-availability-zone/detail`: each zone's hosts and their compute service,
    then the `internal` zone of the control processes, as Nova lists them."""
    by_name = {view.host.name: view for view in hosts}
    info: list[dict[str, Any]] = []
    for zone in zones:
        services: dict[str, Any] = {}
        for name in zone.hosts:
            view = by_name.get(name)
            services[name] = {
                COMPUTE_SERVICE_NAME: {
                    "available": bool(view and view.up),
                    "active": bool(view and view.host.enabled),
                    "updated_at": strtime(view.host.updated_at) if view else None,
                }
            }
        info.append(
            {
                "zoneName": zone.name,
                "zoneState": {"available": zone.available},
                "hosts": services,
            }
        )
    internal: dict[str, Any] = {}
    for service in control:
        record = service.service
        internal.setdefault(record.host, {})[record.binary] = {
            "available": service.up,
            "active": True,
            "updated_at": strtime(record.started_at),
        }
    if internal:
        info.append({"zoneName": CONTROL_ZONE, "zoneState": {"available": True}, "hosts": internal})
    return {"availabilityZoneInfo": info}


# ---------------------------------------------------------------------------- explain


def explain(response: scheduler_pb2.ExplainResponse) -> dict[str, Any]:
    """`POST /os-scheduler/explain`: hosts left after each filter, the top weighed hosts."""
    return {
        "explain": {
            "hosts_total": response.hosts_total,
            "filters": [
                {
                    "filter": result.filter,
                    "hosts_before": result.hosts_before,
                    "hosts_removed": result.hosts_removed,
                    "reason": result.reason,
                    "hosts_left_sample": list(result.hosts_left_sample),
                }
                for result in response.filters
            ],
            "weighed": [
                {
                    "host": host.host,
                    "weight": host.weight,
                    "parts": dict(sorted(host.parts.items())),
                }
                for host in response.weighed
            ],
            "no_valid_host_reason": response.no_valid_host_reason or None,
        }
    }


# ---------------------------------------------------------------------------- quotas


def quota_set(response: compute_pb2.QuotaSetResponse, *, with_id: bool = True) -> dict[str, Any]:
    """Nova's `quota_set`: each resource's limit (and the project's `id`, except in the
    answer to an update)."""
    body: dict[str, Any] = {"id": response.project_id} if with_id else {}
    body.update({name: response.limits[name] for name in sorted(response.limits)})
    return {"quota_set": body}


def quota_set_detail(response: compute_pb2.QuotaSetResponse) -> dict[str, Any]:
    """Nova's `quota_set` with details: `{"in_use", "limit", "reserved"}` per resource."""
    body: dict[str, Any] = {"id": response.project_id}
    for name in sorted(response.detail):
        detail = response.detail[name]
        body[name] = {"in_use": detail.in_use, "limit": detail.limit, "reserved": detail.reserved}
    return {"quota_set": body}


def limits(response: compute_pb2.LimitsResponse) -> dict[str, Any]:
    """Nova's `GET /limits`: no rate limits, the absolute limits and usage."""
    absolute = {name: response.absolute[name] for name in sorted(response.absolute)}
    return {"limits": {"rate": [], "absolute": absolute}}
