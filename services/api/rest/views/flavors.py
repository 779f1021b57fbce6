"""Flavors and their extra specs."""

from __future__ import annotations

from typing import Any

from services.api.rest import microversions as mv
from services.api.rest.microversions import Microversion
from services.api.rest.views.common import Links
from stratus.v1 import compute_pb2, types_pb2


def _float(value: float) -> float:
    """A float32 field as the number the operator wrote (1.1, not 1.100000023841858)."""
    return float(f"{value:.7g}")


def flavor_summary(
    flavor: types_pb2.Flavor, links: Links, version: Microversion = mv.MIN
) -> dict[str, Any]:
    """One entry of `GET /flavors`; its description from 2.55."""
    view: dict[str, Any] = {
        "id": flavor.id,
        "name": flavor.name,
        "links": links.resource("flavors", flavor.id),
    }
    if version >= mv.FLAVOR_DESCRIPTION:
        view["description"] = flavor.description or None
    return view


def flavor_detail(
    flavor: types_pb2.Flavor, links: Links, version: Microversion = mv.MIN
) -> dict[str, Any]:
    """A flavor in full: description from 2.55, extra specs from 2.61, an integer swap
    from 2.75 (an empty string before, when there is none)."""
    view: dict[str, Any] = {
        "id": flavor.id,
        "name": flavor.name,
        "ram": flavor.ram_mb,
        "vcpus": flavor.vcpus,
        "disk": flavor.disk_gb,
        "OS-FLV-EXT-DATA:ephemeral": flavor.ephemeral_gb,
        "swap": flavor.swap_mb if version >= mv.FLAVOR_SWAP_INTEGER else flavor.swap_mb or "",
        "rxtx_factor": _float(flavor.rxtx_factor),
        "os-flavor-access:is_public": flavor.is_public,
        "OS-FLV-DISABLED:disabled": False,
        "links": links.resource("flavors", flavor.id),
    }
    if version >= mv.FLAVOR_DESCRIPTION:
        view["description"] = flavor.description or None
    if version >= mv.FLAVOR_EXTRA_SPECS:
        view["extra_specs"] = dict(sorted(flavor.extra_specs.items()))
    return view


def extra_specs(flavor: types_pb2.Flavor) -> dict[str, Any]:
    """`GET /flavors/{id}/os-extra_specs`."""
    return {"extra_specs": dict(sorted(flavor.extra_specs.items()))}


def flavor_access(access: list[compute_pb2.FlavorAccess]) -> dict[str, Any]:
    """`GET /flavors/{id}/os-flavor-access` and the flavor access actions."""
    return {
        "flavor_access": [
            {"flavor_id": grant.flavor_id, "tenant_id": grant.project_id} for grant in access
        ]
    }
