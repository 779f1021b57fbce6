"""stratus-agent: the node agent (Nova's nova-compute) for one machine's hosts.

It opens one libvirt connection per host it serves (several simulated hosts on the test
driver, or the machine itself on a real hypervisor), dials the conductor and executes the
commands that come down the stream until SIGTERM/SIGINT.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from pathlib import Path

import libvirt
import structlog

from services.agent import libvirt_driver, metrics, virt_probe
from services.agent.channel import ConductorChannel
from services.agent.config import AgentConfig
from services.agent.driver import DriverError
from services.runtime import config, logging, process, tracing
from services.runtime import metrics as runtime_metrics
from stratus.v1 import agent_pb2

log = structlog.get_logger(__name__)

DESCRIPTION = "Stratus node agent: drives libvirt on this machine for the conductor."


def agent_id(cfg: AgentConfig) -> str:
    """The configured agent id, else the hostname, qualified by the host prefix if any."""
    if cfg.agent_id:
        return cfg.agent_id
    if cfg.hypervisor == libvirt_driver.TEST_HYPERVISOR and cfg.host_prefix:
        return f"{cfg.hostname}:{cfg.host_prefix.rstrip('-_.:')}"
    return cfg.hostname


async def choose_virt_type(cfg: AgentConfig) -> AgentConfig:
    """The config with the domain type settled: KVM only where a guest really boots."""
    if cfg.hypervisor == libvirt_driver.TEST_HYPERVISOR:
        return cfg
    try:
        conn = libvirt.open(cfg.hypervisor)
    except libvirt.libvirtError as error:
        raise DriverError(f"cannot open libvirt connection {cfg.hypervisor}: {error}") from error
    try:
        choice = await virt_probe.choose(
            conn,
            cfg.virt_type,
            probe_kernel_path=cfg.probe_kernel_path,
            probe_initrd_path=cfg.probe_initrd_path,
            state_dir=Path(cfg.state_dir),
            timeout_seconds=cfg.virt_probe_timeout_seconds,
        )
    finally:
        conn.close()
    accel = "KVM" if choice.virt_type == virt_probe.KVM else "TCG (software emulation)"
    log.info(
        f"guests run under {accel}",
        virt_type=choice.virt_type,
        reason=choice.reason,
        requested=cfg.virt_type,
    )
    return dataclasses.replace(cfg, virt_type=choice.virt_type)


async def serve(cfg: AgentConfig, stop: asyncio.Event) -> None:
    """Run the agent until `stop` is set, then release everything it holds.

    Order on stop: the channel refuses new commands, lets running ones finish (bounded by
    `command_drain_seconds`) and closes the stream; then the libvirt connections close.
    """
    libvirt_driver.register_event_loop()
    cfg = await choose_virt_type(cfg)
    events: asyncio.Queue[agent_pb2.PowerStateEvent] = asyncio.Queue()
    drivers = libvirt_driver.open_hosts(cfg, events)
    metrics.HOSTS.set(len(drivers))
    log.info(
        "agent started",
        agent_id=agent_id(cfg),
        hypervisor=cfg.hypervisor,
        hosts=[driver.host for driver in drivers],
        conductor_endpoints=cfg.conductor_endpoints,
    )
    try:
        channel = ConductorChannel(
            drivers,
            events,
            agent_id=agent_id(cfg),
            endpoints=cfg.conductor_endpoints,
            token=cfg.agent_token,
            reconnect_max_seconds=cfg.reconnect_max_seconds,
            command_drain_seconds=cfg.command_drain_seconds,
            heartbeat_interval_seconds=cfg.heartbeat_interval_seconds,
            heartbeat_timeout_seconds=cfg.heartbeat_timeout_seconds,
        )
        await channel.run(stop)
    finally:
        for driver in drivers:
            await driver.close()
        metrics.HOSTS.set(0)


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point `stratus-agent`."""
    cfg = config.parse_args(AgentConfig, "agent", DESCRIPTION, argv)
    logging.configure("agent", log_format=cfg.log_format, level=cfg.log_level)
    tracing.configure("stratus-agent", cfg.otlp_endpoint)
    runtime_metrics.serve(cfg.bind_host, cfg.metrics_port)
    process.run(lambda stop: serve(cfg, stop))


if __name__ == "__main__":
    main()
