"""Configuration of stratus-agent."""

from __future__ import annotations

from dataclasses import dataclass

from services.runtime.config import CommonConfig


@dataclass(frozen=True)
class AgentConfig(CommonConfig):
    # Comma-separated conductor gRPC endpoints (the agent never talks to etcd).
    conductor_endpoints: str = "127.0.0.1:8781"
    agent_token: str = "stratus-agent-secret"
    # Names this agent in Hello; empty: the hostname (with the host prefix, if any).
    agent_id: str = ""
    # "test" simulates hosts with libvirt's test driver; otherwise a libvirt URI
    # (e.g. qemu:///system) and the one host is named after `hostname`.
    hypervisor: str = "test"
    # Domain type for a real libvirt URI: "qemu" (TCG, boots everywhere) or "kvm".
    virt_type: str = "qemu"
    hosts: int = 1  # simulated hosts served by this process (test hypervisor only)
    # Simulated host names: <prefix><n> (n = 1..hosts) when set, else <hostname>-<n>.
    host_prefix: str = ""
    host_vcpus: int = 16
    host_memory_mb: int = 32768
    host_disk_gb: int = 500
    # Address the control plane reaches this host and its consoles at.
    host_ip: str = "127.0.0.1"
    # Where simulated hosts keep their node files and domains across agent restarts.
    state_dir: str = "/var/lib/stratus/agent"
    reconnect_max_seconds: float = 5.0
    # A guest that has not shut down this long after the request is forced off (Nova's 60).
    shutdown_timeout_seconds: float = 60.0
    # On stop, commands already running get this long to finish before the stream closes.
    command_drain_seconds: float = 30.0
