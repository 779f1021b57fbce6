"""stratus-scheduler: picks hosts for instances and claims their resources in etcd."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence

import structlog
from prometheus_client import REGISTRY

from services.runtime import logging as runtime_logging
from services.runtime import metrics, process, registration, tracing
from services.runtime.config import parse_args
from services.runtime.grpc_server import start_server
from services.scheduler import capacity_metrics, filters, host_metrics, weighers
from services.scheduler.config import SchedulerConfig
from services.scheduler.host_state import Defaults, HostStateView
from services.scheduler.manager import SchedulerManager
from services.scheduler.service import SchedulerService
from services.state.etcd import Etcd
from services.state.store import Store
from stratus.v1 import scheduler_pb2, scheduler_pb2_grpc

log = structlog.get_logger(__name__)


async def serve(config: SchedulerConfig, stop: asyncio.Event) -> None:
    try:
        enabled_filters = filters.build(filters.names_from(config.enabled_filters), config)
        enabled_weighers = weighers.build(filters.names_from(config.weighers), config)
    except ValueError as exc:
        log.error("scheduler cannot start", error=str(exc))
        raise SystemExit(f"stratus-scheduler: {exc}") from exc
    etcd = Etcd(config.etcd_endpoints)
    await etcd.connect()
    store = Store(etcd)
    view = HostStateView(
        etcd,
        Defaults(
            cpu_allocation_ratio=config.cpu_allocation_ratio,
            ram_allocation_ratio=config.ram_allocation_ratio,
            disk_allocation_ratio=config.disk_allocation_ratio,
            build_failure_window_seconds=config.build_failure_window_seconds,
        ),
    )
    await view.start()
    exported = host_metrics.export(view)
    capacity = capacity_metrics.export(view)
    manager = SchedulerManager(
        store,
        view,
        enabled_filters,
        enabled_weighers,
        host_subset_size=config.host_subset_size,
        max_alternates=config.max_alternates,
    )
    service_name = scheduler_pb2.DESCRIPTOR.services_by_name["Scheduler"].full_name
    server = await start_server(
        config.bind_host,
        config.grpc_port,
        lambda s: scheduler_pb2_grpc.add_SchedulerServicer_to_server(SchedulerService(manager), s),
        [service_name],
    )
    keeper = await registration.register_process(etcd, "stratus-scheduler", config, server.port)
    log.info(
        "scheduler serving",
        grpc=f"{config.bind_host}:{server.port}",
        filters=[f.name for f in enabled_filters],
        weighers=[w.name for w in enabled_weighers],
    )
    await stop.wait()
    await keeper.stop()
    await server.stop(grace_seconds=5)
    REGISTRY.unregister(exported)
    REGISTRY.unregister(capacity)
    await view.stop()
    await etcd.close()


def main(argv: Sequence[str] | None = None) -> None:
    config = parse_args(SchedulerConfig, "scheduler", __doc__ or "", argv)
    runtime_logging.configure("scheduler", log_format=config.log_format, level=config.log_level)
    tracing.configure("stratus-scheduler", config.otlp_endpoint)
    metrics.serve(config.bind_host, config.metrics_port)
    process.run(lambda stop: serve(config, stop))


if __name__ == "__main__":
    main(sys.argv[1:])
