"""Images: Glance v2's shape, and Nova's `/v2.1/images` proxy."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from services.api.rest.views.common import Links, isotime
from stratus.v1 import types_pb2

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
