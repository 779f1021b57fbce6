"""Quota sets and absolute limits."""

from __future__ import annotations

from typing import Any

from stratus.v1 import compute_pb2


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
