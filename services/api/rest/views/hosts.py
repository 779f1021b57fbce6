"""Hypervisors, `os-services` and availability zones."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from typing import Any

from services.api.rest import microversions as mv
from services.api.rest.microversions import Microversion
from services.api.rest.views.common import instance_name, strtime
from stratus.v1 import compute_pb2, types_pb2

CONTROL_ZONE = "internal"
COMPUTE_ZONE = "nova"
AGENT_BINARY = "stratus-agent"


# Hypervisor and compute service ids from 2.53: stable UUIDs derived from the host's name.
_HOST_IDS = uuid.UUID("6d1f5a52-3c7e-4b8a-9f0e-2a4b6c8d0e1f")


def hypervisor_id(name: str, version: Microversion) -> str:
    """The id a client sees for a host's hypervisor: its name before 2.53, a UUID from it."""
    return str(uuid.uuid5(_HOST_IDS, f"hypervisor:{name}")) if version >= mv.UUID_IDS else name


def compute_service_id(name: str, version: Microversion) -> str:
    """The id of a host's compute service: its name before 2.53, a UUID from it."""
    return str(uuid.uuid5(_HOST_IDS, f"service:{name}")) if version >= mv.UUID_IDS else name


def hypervisor_summary(
    view: compute_pb2.HostView, version: Microversion = mv.MIN
) -> dict[str, Any]:
    host = view.host
    return {
        "id": hypervisor_id(host.name, version),
        "hypervisor_hostname": host.name,
        "state": "up" if view.up else "down",
        "status": "enabled" if host.enabled else "disabled",
    }


def hypervisor_detail(
    view: compute_pb2.HostView, version: Microversion = mv.MIN, *, show: bool = False
) -> dict[str, Any]:
    """Nova's hypervisor: capacity from the host's report, "used" from the scheduler's claims.

    From 2.88 the capacity fields are gone (Nova moved them to placement) and `show`
    answers carry `uptime` instead; `cpu_info` is an object from 2.28.
    """
    host, usage = view.host, view.usage
    detail: dict[str, Any] = {
        **hypervisor_summary(view, version),
        "hypervisor_type": host.hypervisor_type,
        "hypervisor_version": host.hypervisor_version,
        "host_ip": host.host_ip,
        "service": {
            "host": host.name,
            "id": compute_service_id(host.name, version),
            "disabled_reason": host.disabled_reason or None,
        },
    }
    if version >= mv.HYPERVISOR_STATISTICS_REMOVED:
        if show:
            detail["uptime"] = None  # the libvirt driver reports no host uptime
        return detail
    cpu_info: dict[str, Any] = {"model": host.cpu_model}
    free_disk_gb = host.local_gb - usage.local_gb_used
    detail.update(
        {
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
            "cpu_info": (
                cpu_info if version >= mv.HYPERVISOR_CPU_INFO_OBJECT else json.dumps(cpu_info)
            ),
        }
    )
    return detail


def hypervisor_servers(instances: Iterable[types_pb2.Instance]) -> list[dict[str, str]]:
    """The `servers` of a hypervisor: each guest's hypervisor name and its server's id."""
    return [{"name": instance_name(i), "uuid": i.id} for i in instances]


def control_service(
    view: compute_pb2.ServiceView, version: Microversion = mv.MIN
) -> dict[str, Any]:
    """A control-plane process (conductor, scheduler, api) as an `os-services` entry;
    `forced_down` from 2.11."""
    record = view.service
    entry: dict[str, Any] = {
        "id": record.id,
        "binary": record.binary,
        "host": record.host,
        "zone": CONTROL_ZONE,
        "status": "enabled",
        "state": "up" if view.up else "down",
        "updated_at": strtime(record.started_at),
        "disabled_reason": None,
    }
    if version >= mv.SERVICE_FORCED_DOWN:
        entry["forced_down"] = False
    return entry


def compute_service(
    view: compute_pb2.HostView, zone: str = COMPUTE_ZONE, version: Microversion = mv.MIN
) -> dict[str, Any]:
    """A compute host (served by an agent) as an `os-services` entry, in its zone."""
    host = view.host
    entry: dict[str, Any] = {
        "id": compute_service_id(host.name, version),
        "binary": AGENT_BINARY,
        "host": host.name,
        "zone": zone,
        "status": "enabled" if host.enabled else "disabled",
        "state": "up" if view.up else "down",
        "updated_at": strtime(host.updated_at),
        "disabled_reason": host.disabled_reason or None,
    }
    if version >= mv.SERVICE_FORCED_DOWN:
        entry["forced_down"] = False
    return entry


def services(
    control: Iterable[compute_pb2.ServiceView],
    hosts: Iterable[compute_pb2.HostView],
    zones: Iterable[compute_pb2.AvailabilityZone] = (),
    version: Microversion = mv.MIN,
) -> list[dict[str, Any]]:
    """`os-services`: control processes first, then one entry per compute host.

    `zones` (with their hosts) place each host in its zone; a host in none is in "nova".
    """
    zone_of = {host: zone.name for zone in zones for host in zone.hosts}
    return [
        *(control_service(v, version) for v in control),
        *(compute_service(v, zone_of.get(v.host.name, COMPUTE_ZONE), version) for v in hosts),
    ]


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
