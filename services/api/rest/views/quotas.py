"""Quota sets and absolute limits."""

from __future__ import annotations

from typing import Any

from services.api.rest import microversions as mv
from services.api.rest.microversions import Microversion
from stratus.v1 import compute_pb2

# Quota resources and limits Nova stopped showing, and the version it stopped at: the
# network proxies at 2.36, image metadata at 2.39, file injection at 2.57.
_QUOTAS_REMOVED = {
    "floating_ips": mv.PROXIES_REMOVED,
    "fixed_ips": mv.PROXIES_REMOVED,
    "security_groups": mv.PROXIES_REMOVED,
    "security_group_rules": mv.PROXIES_REMOVED,
    "networks": mv.PROXIES_REMOVED,
    "injected_files": mv.FILE_INJECTION_REMOVED,
    "injected_file_content_bytes": mv.FILE_INJECTION_REMOVED,
    "injected_file_path_bytes": mv.FILE_INJECTION_REMOVED,
}
_LIMITS_REMOVED = {
    "maxSecurityGroups": mv.PROXIES_REMOVED,
    "maxSecurityGroupRules": mv.PROXIES_REMOVED,
    "maxTotalFloatingIps": mv.PROXIES_REMOVED,
    "totalSecurityGroupsUsed": mv.PROXIES_REMOVED,
    "totalFloatingIpsUsed": mv.PROXIES_REMOVED,
    "maxImageMeta": mv.IMAGE_METADATA_LIMIT_REMOVED,
    "maxPersonality": mv.FILE_INJECTION_REMOVED,
    "maxPersonalitySize": mv.FILE_INJECTION_REMOVED,
}


def quota_shown(resource: str, version: Microversion) -> bool:
    """Whether `version` still has this quota resource (and accepts it in an update)."""
    removed = _QUOTAS_REMOVED.get(resource)
    return removed is None or version < removed


def _limit_shown(name: str, version: Microversion) -> bool:
    removed = _LIMITS_REMOVED.get(name)
    return removed is None or version < removed


def quota_set(
    response: compute_pb2.QuotaSetResponse,
    version: Microversion = mv.MIN,
    *,
    with_id: bool = True,
) -> dict[str, Any]:
    """Nova's `quota_set`: each resource's limit (and the project's `id`, except in the
    answer to an update)."""
    body: dict[str, Any] = {"id": response.project_id} if with_id else {}
    body.update(
        {
            name: response.limits[name]
            for name in sorted(response.limits)
            if quota_shown(name, version)
        }
    )
    return {"quota_set": body}


def quota_set_detail(
    response: compute_pb2.QuotaSetResponse, version: Microversion = mv.MIN
) -> dict[str, Any]:
    """Nova's `quota_set` with details: `{"in_use", "limit", "reserved"}` per resource."""
    body: dict[str, Any] = {"id": response.project_id}
    for name in sorted(response.detail):
        if not quota_shown(name, version):
            continue
        detail = response.detail[name]
        body[name] = {"in_use": detail.in_use, "limit": detail.limit, "reserved": detail.reserved}
    return {"quota_set": body}


def limits(response: compute_pb2.LimitsResponse, version: Microversion = mv.MIN) -> dict[str, Any]:
    """Nova's `GET /limits`: no rate limits, the absolute limits and usage."""
    absolute = {
        name: response.absolute[name]
        for name in sorted(response.absolute)
        if _limit_shown(name, version)
    }
    return {"limits": {"rate": [], "absolute": absolute}}
