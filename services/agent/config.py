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
    # Domain type for a real libvirt URI: "qemu" (TCG, boots everywhere), "kvm", or "auto":
    # KVM only if the probe image really boots under it here, else TCG (see virt_probe).
    virt_type: str = "auto"
    # The tiny guest's kernel and initrd, booted once under KVM when virt_type is "auto".
    probe_kernel_path: str = ""
    probe_initrd_path: str = ""
    virt_probe_timeout_seconds: float = 20.0
    hosts: int = 1  # simulated hosts served by this process (test hypervisor only)
    # Simulated host names: <prefix><n> (n = 1..hosts) when set, else <hostname>-<n>.
    host_prefix: str = ""
    host_vcpus: int = 16
    host_memory_mb: int = 32768
    host_disk_gb: int = 500
    # Address the control plane reaches this host at.
    host_ip: str = "127.0.0.1"
    # Address the console proxy reaches this host's VNC servers at (Nova's
    # vncserver_proxyclient_address); empty: host_ip.
    console_address: str = ""
    # Address guests' VNC servers listen on (Nova's vncserver_listen); empty: console_address.
    vnc_listen: str = ""
    # Where simulated hosts keep their node files and domains across agent restarts.
    state_dir: str = "/var/lib/stratus/agent"
    reconnect_max_seconds: float = 5.0
    # Until the conductor's Welcome says otherwise: how often the agent says it is alive,
    # and how long a silent conductor (no message, not even a heartbeat) is trusted
    # before the stream is dropped and dialled again.
    heartbeat_interval_seconds: float = 2.0
    heartbeat_timeout_seconds: float = 6.0
    # A guest that has not shut down this long after the request is forced off (Nova's 60).
    shutdown_timeout_seconds: float = 60.0
    # On stop, commands already running get this long to finish before the stream closes.
    command_drain_seconds: float = 30.0
