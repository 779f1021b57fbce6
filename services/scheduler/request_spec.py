"""What a request asks for, computed once before any filter runs."""

from __future__ import annotations

from dataclasses import dataclass

from stratus.v1 import scheduler_pb2


@dataclass(frozen=True)
class RequestSpec:
    instance_id: str
    vcpus: int
    memory_mb: int
    disk_gb: int
    ignore_hosts: frozenset[str]

    @classmethod
    def from_request(cls, request: scheduler_pb2.SelectDestinationRequest) -> RequestSpec:
        flavor = request.flavor
        return cls(
            instance_id=request.instance_id,
            vcpus=flavor.vcpus,
            memory_mb=flavor.ram_mb,
            disk_gb=flavor.disk_gb + flavor.ephemeral_gb + (flavor.swap_mb + 1023) // 1024,
            ignore_hosts=frozenset(request.ignore_hosts),
        )
