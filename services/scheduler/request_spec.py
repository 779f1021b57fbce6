"""What a request asks for, computed once before any filter runs."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from stratus.v1 import scheduler_pb2


@dataclass(frozen=True)
class RequestSpec:
    instance_id: str
    vcpus: int
    memory_mb: int
    disk_gb: int
    project_id: str = ""
    extra_specs: Mapping[str, str] = field(default_factory=dict)
    image_id: str = ""
    image_properties: Mapping[str, str] = field(default_factory=dict)
    availability_zone: str = ""  # "" = any zone
    ignore_hosts: frozenset[str] = frozenset()  # hosts this request already failed on
    only_hosts: tuple[str, ...] = ()  # when set: consider only these (alternates)
    # Hints, with instance ids already resolved to hosts. None: the hint was not given.
    same_host_hosts: frozenset[str] | None = None
    different_host_hosts: frozenset[str] | None = None
    build_near_host_ip: str = ""
    cidr: str = ""
    query: Any = None  # JsonFilter's query, parsed
    # The server group: its policy, rules, and how many members each host runs.
    group_policy: str = ""
    group_rules: Mapping[str, str] = field(default_factory=dict)
    group_hosts: Mapping[str, int] = field(default_factory=dict)
    num_alternates: int = 0

    @classmethod
    def from_request(cls, request: scheduler_pb2.SelectDestinationRequest) -> RequestSpec:
        """Raises ValueError when the JsonFilter query is not valid JSON."""
        flavor = request.flavor
        hints = request.hints
        return cls(
            instance_id=request.instance_id,
            vcpus=flavor.vcpus,
            memory_mb=flavor.ram_mb,
            disk_gb=flavor.disk_gb + flavor.ephemeral_gb + (flavor.swap_mb + 1023) // 1024,
            project_id=request.project_id,
            extra_specs=dict(flavor.extra_specs),
            image_id=request.image.id,
            image_properties=dict(request.image.properties),
            availability_zone=request.availability_zone,
            ignore_hosts=frozenset(request.ignore_hosts),
            only_hosts=tuple(request.only_hosts),
            same_host_hosts=frozenset(request.same_host_hosts) if hints.same_host else None,
            different_host_hosts=(
                frozenset(request.different_host_hosts) if hints.different_host else None
            ),
            build_near_host_ip=hints.build_near_host_ip,
            cidr=hints.cidr,
            query=_query(hints.query),
            group_policy=request.group.policy if request.HasField("group") else "",
            group_rules=dict(request.group.rules) if request.HasField("group") else {},
            group_hosts=dict(Counter(h for h in request.group_hosts if h)),
            num_alternates=request.num_alternates,
        )


def _query(text: str) -> Any:
    """The JsonFilter query, parsed; ValueError when it is not JSON or too deep to parse."""
    if not text:
        return None
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("the query hint is nested too deeply") from None
