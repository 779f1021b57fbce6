"""stratus-conductor: owns every state change and long task, and holds the agents' streams."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence

import structlog

from services.conductor import build, cloud_metrics, delete, power_actions
from services.conductor.agents import AgentHub
from services.conductor.config import ConductorConfig
from services.conductor.deps import Deps, SchedulerClient
from services.conductor.power_sync import PowerSync
from services.conductor.service import AgentChannelService, ConductorService
from services.conductor.tasks import TaskRunner
from services.runtime import logging as runtime_logging
from services.runtime import metrics, process, registration, tracing
from services.runtime.config import parse_args
from services.runtime.grpc_server import start_server
from services.state import ipam
from services.state.etcd import Etcd
from services.state.store import Store
from stratus.v1 import agent_pb2, agent_pb2_grpc, conductor_pb2, conductor_pb2_grpc
from stratus.v1 import types_pb2 as t

log = structlog.get_logger(__name__)

# Agent streams live for days: ping each agent's connection every 5 s and drop it when a
# ping goes unanswered for 5 s (a frozen or vanished agent), and let agents ping as often.
AGENT_KEEPALIVE_OPTIONS: tuple[tuple[str, int], ...] = (
    ("grpc.keepalive_time_ms", 5_000),
    ("grpc.keepalive_timeout_ms", 5_000),
    ("grpc.http2.min_ping_interval_without_data_ms", 1_000),
    ("grpc.http2.max_ping_strikes", 0),
)


async def serve(config: ConductorConfig, stop: asyncio.Event) -> None:
    etcd = Etcd(config.etcd_endpoints)
    await etcd.connect()
    store = Store(etcd)
    network = await ipam.ensure_network(store, config.network_name, config.network_cidr)
    # A stable id: a restarted conductor resumes its own tasks at once.
    conductor_id = f"{config.hostname}:{config.grpc_port}"
    hub = AgentHub(
        store,
        conductor_id,
        config.agent_token,
        lease_ttl_seconds=config.service_lease_ttl_seconds,
        capacity_interval_seconds=config.capacity_interval_seconds,
        heartbeat_interval_seconds=config.heartbeat_interval_seconds,
        heartbeat_timeout_seconds=config.heartbeat_timeout_seconds,
    )
    power_sync = PowerSync(store, hub, config.action_timeout_seconds)
    hub.on_report = power_sync.on_report
    hub.on_host_connected = power_sync.on_host_connected
    scheduler = SchedulerClient(store)
    deps = Deps(store, hub, scheduler, network, config)
    runner = TaskRunner(
        store,
        conductor_id,
        {
            t.Task.KIND_BUILD: lambda task: build.run(deps, task),
            t.Task.KIND_DELETE: lambda task: delete.run(deps, task),
            t.Task.KIND_ACTION: lambda task: power_actions.run(deps, task),
        },
        config.task_sweep_interval_seconds,
    )

    def register(server):  # type: ignore[no-untyped-def]
        conductor_pb2_grpc.add_ConductorServicer_to_server(ConductorService(runner, hub), server)
        agent_pb2_grpc.add_AgentChannelServicer_to_server(AgentChannelService(hub), server)

    names = [
        conductor_pb2.DESCRIPTOR.services_by_name["Conductor"].full_name,
        agent_pb2.DESCRIPTOR.services_by_name["AgentChannel"].full_name,
    ]
    server = await start_server(
        config.bind_host, config.grpc_port, register, names, options=AGENT_KEEPALIVE_OPTIONS
    )
    endpoint = f"{config.bind_host}:{server.port}"
    keeper = await registration.register_process(
        etcd, "stratus-conductor", config, server.port, service_id=conductor_id
    )
    runner.start()
    quota_gauges = cloud_metrics.QuotaGauges(store, config.task_sweep_interval_seconds)
    quota_gauges.start()
    pending_sweep = asyncio.create_task(
        power_sync.sweep_pending_destroys(config.task_sweep_interval_seconds),
        name="pending-destroys",
    )
    log.info("conductor serving", grpc=endpoint, conductor_id=conductor_id, network=network.cidr)
    await stop.wait()
    pending_sweep.cancel()
    await quota_gauges.stop()
    await runner.stop(grace_seconds=10)
    await server.stop(grace_seconds=5)
    await keeper.stop()
    await hub.close()
    await scheduler.close()
    await etcd.close()


def main(argv: Sequence[str] | None = None) -> None:
    config = parse_args(ConductorConfig, "conductor", __doc__ or "", argv)
    runtime_logging.configure("conductor", log_format=config.log_format, level=config.log_level)
    tracing.configure("stratus-conductor", config.otlp_endpoint)
    metrics.serve(config.bind_host, config.metrics_port)
    process.run(lambda stop: serve(config, stop))


if __name__ == "__main__":
    main(sys.argv[1:])
