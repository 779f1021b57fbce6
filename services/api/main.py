"""stratus-api: the public gRPC Compute service and the REST gateway, on one event loop."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Iterator, Sequence

import structlog
import uvicorn

from services.api.config import ApiConfig
from services.api.consoles import ConsoleApi
from services.api.grpc_service import ComputeService
from services.api.service import ComputeApi
from services.runtime import logging as runtime_logging
from services.runtime import metrics, process, registration
from services.runtime.config import parse_args
from services.runtime.grpc_server import start_server
from services.state.etcd import Etcd
from services.state.store import Store
from stratus.v1 import compute_pb2, compute_pb2_grpc

log = structlog.get_logger(__name__)


class _Gateway(uvicorn.Server):
    """uvicorn inside our loop: the process's own handlers own SIGTERM and SIGINT."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve(config: ApiConfig, stop: asyncio.Event) -> None:
    etcd = Etcd(config.etcd_endpoints)
    await etcd.connect()
    api = ComputeApi(
        Store(etcd),
        max_servers_per_request=config.max_servers_per_request,
        conductor_timeout_seconds=config.conductor_timeout_seconds,
    )
    server = await start_server(
        config.bind_host,
        config.grpc_port,
        lambda s: compute_pb2_grpc.add_ComputeServicer_to_server(
            ComputeService(api, ConsoleApi()), s
        ),
        [compute_pb2.DESCRIPTOR.services_by_name["Compute"].full_name],
    )
    endpoint = f"{config.bind_host}:{server.port}"
    rest: uvicorn.Server | None = None
    rest_task: asyncio.Task[None] | None = None
    if config.rest_port:
        from services.api.rest.app import create_app

        rest = _Gateway(
            uvicorn.Config(
                create_app(api, public_url=config.public_url),
                host=config.bind_host,
                port=config.rest_port,
                log_config=None,
                access_log=False,
                lifespan="off",
            )
        )
        rest_task = asyncio.create_task(rest.serve(), name="rest-gateway")
    keeper = await registration.register_process(etcd, "stratus-api", config, server.port)
    log.info("api serving", grpc=endpoint, rest_port=config.rest_port)
    waiter = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait(
        {waiter, *([rest_task] if rest_task else [])}, return_when=asyncio.FIRST_COMPLETED
    )
    if rest_task in done and rest_task is not None and not stop.is_set():
        log.error("REST gateway stopped unexpectedly", error=str(rest_task.exception()))
    waiter.cancel()
    await keeper.stop()
    if rest is not None and rest_task is not None:
        rest.should_exit = True
        await rest_task
    await server.stop(grace_seconds=5)
    await api.close()
    await etcd.close()


def main(argv: Sequence[str] | None = None) -> None:
    config = parse_args(ApiConfig, "api", __doc__ or "", argv)
    runtime_logging.configure("api", log_format=config.log_format, level=config.log_level)
    metrics.serve(config.bind_host, config.metrics_port)
    process.run(lambda stop: serve(config, stop))


if __name__ == "__main__":
    main(sys.argv[1:])
