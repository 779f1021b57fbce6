"""Helpers shared by the agent tests: spawn specs, simulated hosts, waiting for events."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from pathlib import Path

from services.agent import libvirt_driver
from services.agent.libvirt_driver import LibvirtDriver
from stratus.v1 import agent_pb2, types_pb2

EVENT_TIMEOUT_SECONDS = 5.0


def spawn_spec(
    instance_id: str | None = None,
    *,
    vcpus: int = 2,
    memory_mb: int = 512,
    disk_gb: int = 10,
    ip: str = "10.0.0.5",
) -> agent_pb2.SpawnSpec:
    """A small instance with one fixed IP."""
    instance_id = instance_id or str(uuid.uuid4())
    return agent_pb2.SpawnSpec(
        instance_id=instance_id,
        name=f"vm-{instance_id[:8]}",
        vcpus=vcpus,
        memory_mb=memory_mb,
        disk_gb=disk_gb,
        image=types_pb2.Image(id="cirros"),
        addresses=[types_pb2.Address(network="private", addr=ip, version=4)],
    )


def open_host(
    state_dir: Path,
    name: str = "host-1",
    events: asyncio.Queue[agent_pb2.PowerStateEvent] | None = None,
) -> LibvirtDriver:
    """A simulated host with 16 vCPUs, 32 GiB and 500 GB, in the running event loop."""
    libvirt_driver.register_event_loop()
    return LibvirtDriver.open_simulated(
        name,
        state_dir,
        vcpus=16,
        memory_mb=32768,
        disk_gb=500,
        events=events,
        shutdown_timeout_seconds=5.0,
    )


async def next_event(
    events: asyncio.Queue[agent_pb2.PowerStateEvent],
    match: Callable[[agent_pb2.PowerStateEvent], bool],
    within_seconds: float = EVENT_TIMEOUT_SECONDS,
) -> agent_pb2.PowerStateEvent:
    """The first queued event that matches, skipping others; fails after `within_seconds`."""

    async def wait() -> agent_pb2.PowerStateEvent:
        while True:
            event = await events.get()
            if match(event):
                return event

    return await asyncio.wait_for(wait(), within_seconds)
