"""Configuration of stratus-agent."""

from __future__ import annotations

from dataclasses import dataclass

from services.runtime.config import CommonConfig


@dataclass(frozen=True)
class AgentConfig(CommonConfig):
    # Comma-separated conductor gRPC endpoints (the agent never talks to etcd).
    conductor_endpoints: str = "127.0.0.1:8781"
    agent_token: str = "stratus-agent-secret"
    # "test" simulates hosts with libvirt's test driver; otherwise a libvirt URI.
    hypervisor: str = "test"
    hosts: int = 1  # simulated hosts served by this process (test hypervisor only)
    host_prefix: str = ""  # simulated host names: <prefix>host-<n>; default: the hostname
    host_vcpus: int = 16
    host_memory_mb: int = 32768
    host_disk_gb: int = 500
    # Where simulated hosts keep their node files and domains across agent restarts.
    state_dir: str = "/var/lib/stratus/agent"
    reconnect_max_seconds: float = 5.0
