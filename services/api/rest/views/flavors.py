"""Flavors and their extra specs."""

from __future__ import annotations

from typing import Any

from services.api.rest.views.common import Links
from stratus.v1 import types_pb2


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


# ---------------------------------------------------------------------------- flavor extra specs


def extra_specs(flavor: types_pb2.Flavor) -> dict[str, Any]:
    """`GET /flavors/{id}/os-extra_specs`."""
    return {"extra_specs": dict(sorted(flavor.extra_specs.items()))}
