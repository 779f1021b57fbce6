"""Configuration of stratus-conductor."""

from __future__ import annotations

from dataclasses import dataclass

from services.runtime.config import CommonConfig


@dataclass(frozen=True)
class ConductorConfig(CommonConfig):
    grpc_port: int = 8781
    # Shared secret agents present in `x-stratus-agent-token` metadata.
    agent_token: str = "stratus-agent-secret"
    # The fixed network servers get their address from.
    network_name: str = "private"
    network_cidr: str = "10.0.0.0/16"
    max_build_attempts: int = 3
    spawn_timeout_seconds: float = 120.0
    action_timeout_seconds: float = 120.0
    # Tasks not finished by a dead conductor are taken over after this check interval.
    task_sweep_interval_seconds: float = 5.0
    capacity_interval_seconds: int = 10
    # Each side of an agent stream sends a heartbeat this often; a side that hears nothing
    # from the other for the timeout ends the stream (the agent then dials again).
    heartbeat_interval_seconds: float = 2.0
    heartbeat_timeout_seconds: float = 6.0
    # A build that finds its hosts down (or its host not connected) waits this long for
    # them to come back before it fails: a short outage must not fail the backlog.
    host_wait_grace_seconds: float = 60.0
