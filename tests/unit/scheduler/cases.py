"""A plain host and a plain request that each scheduler test case changes one thing of."""

from __future__ import annotations

from services.scheduler.config import SchedulerConfig
from services.scheduler.host_state import HostState
from services.scheduler.request_spec import RequestSpec

CONFIG = SchedulerConfig()
HOST = HostState(
    name="node-1",
    vcpus=8,
    memory_mb=16384,
    local_gb=200,
    host_ip="10.0.0.5",
    hypervisor_type="kvm",
    supported_instances=frozenset({"x86_64/kvm/hvm"}),
    capabilities={"hypervisor_type": "kvm", "cpu_info:arch": "x86_64", "vcpus": "8"},
)
SPEC = RequestSpec(instance_id="i-1", vcpus=2, memory_mb=2048, disk_gb=20, project_id="p1")
