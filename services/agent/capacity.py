"""A host's capacity report: what the hypervisor has and what its domains use.

Totals come from the hypervisor (CPUs and memory of the node) and from config (disk: the
test driver simulates none). Used values are the sum over every defined domain, running
or not, of the sizes Stratus wrote into the domain's metadata: a stopped instance keeps
its resources, as in Nova. These are the hypervisor's facts; the scheduler's claims are
kept separately by the control plane.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from google.protobuf import timestamp_pb2

from stratus.v1 import types_pb2


@dataclass(frozen=True)
class HostFacts:
    """What does not change while a host's connection is open."""

    name: str
    hypervisor_type: str
    hypervisor_version: int
    hypervisor_uri: str
    cpu_model: str
    vcpus: int
    memory_mb: int
    local_gb: int
    host_ip: str = "127.0.0.1"
    console_address: str = "127.0.0.1"
    arch: str = "x86_64"
    virt_type: str = ""  # real hypervisors: the domain type guests run with (kvm or qemu)

    @property
    def supported_instances(self) -> list[str]:
        """`<arch>/<hypervisor type>/<vm mode>` triples, as Nova's supported_instances."""
        return [f"{self.arch}/{self.hypervisor_type.lower()}/hvm"]

    @property
    def capabilities(self) -> dict[str, str]:
        """What ComputeCapabilitiesFilter matches flavor extra specs against."""
        capabilities = {
            "hypervisor_type": self.hypervisor_type.lower(),
            "hypervisor_version": str(self.hypervisor_version),
            "cpu_info:arch": self.arch,
            "cpu_info:model": self.cpu_model,
            "vcpus": str(self.vcpus),
            "memory_mb": str(self.memory_mb),
        }
        if self.virt_type:
            capabilities["virt_type"] = self.virt_type
        return capabilities


@dataclass(frozen=True)
class DomainUsage:
    """What one defined domain takes from its host."""

    vcpus: int
    memory_mb: int
    disk_gb: int
    active: bool  # running or paused: it occupies a hypervisor slot right now


def host_report(
    facts: HostFacts, domains: Iterable[DomainUsage], now: datetime | None = None
) -> types_pb2.Host:
    """The Host message for `facts` with usage summed over `domains`.

    `running_vms` counts active domains (running or paused), like libvirt's list of
    running domains that Nova reports.
    """
    vcpus_used = memory_mb_used = local_gb_used = running = 0
    for usage in domains:
        vcpus_used += usage.vcpus
        memory_mb_used += usage.memory_mb
        local_gb_used += usage.disk_gb
        running += usage.active
    updated_at = timestamp_pb2.Timestamp()
    updated_at.FromDatetime(now or datetime.now(UTC))
    return types_pb2.Host(
        name=facts.name,
        hypervisor_type=facts.hypervisor_type,
        hypervisor_version=facts.hypervisor_version,
        hypervisor_uri=facts.hypervisor_uri,
        host_ip=facts.host_ip,
        console_address=facts.console_address,
        cpu_model=facts.cpu_model,
        vcpus=facts.vcpus,
        memory_mb=facts.memory_mb,
        local_gb=facts.local_gb,
        vcpus_used=vcpus_used,
        memory_mb_used=memory_mb_used,
        local_gb_used=local_gb_used,
        running_vms=running,
        updated_at=updated_at,
        supported_instances=facts.supported_instances,
        capabilities=facts.capabilities,
    )
