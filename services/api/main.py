"""stratus-api: the public gRPC Compute service, the REST gateway and the console proxy,
on one event loop."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import socket
import sys
from collections.abc import Iterator, Sequence

import grpc
import structlog
import uvicorn

from services.api import console_proxy
from services.api.authn import grpc_authenticator, rest_context_factory
from services.api.config import ApiConfig
from services.api.consoles import ConsoleApi
from services.api.grpc_service import ComputeService
from services.api.identity import grpc_service as identity_grpc
from services.api.identity.bootstrap import ensure_bootstrap
from services.api.identity.rest import router_for
from services.api.identity.service import IdentityApi
from services.api.identity.tokens import TokenManager
from services.api.service import ComputeApi
from services.runtime import logging as runtime_logging
from services.runtime import metrics, process, registration, tracing
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


def console_base_url(config: ApiConfig) -> str:
    """The noVNC page console URLs point at (Nova's novncproxy_base_url)."""
    if config.console_base_url:
        return config.console_base_url
    host = config.console_proxy_host or config.bind_host
    return f"http://{host}:{config.console_proxy_port}/vnc_lite.html"


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def _console_proxy(config: ApiConfig, consoles: ConsoleApi) -> _Gateway:
    if (
        importlib.util.find_spec("websockets") is None
        and importlib.util.find_spec("wsproto") is None
    ):
        log.warning("neither websockets nor wsproto is installed: consoles cannot connect")
    novnc_dir = console_proxy.find_novnc(config.novnc_dir)
    if novnc_dir is None:
        log.warning(
            "noVNC web client not found; the console proxy serves only its WebSocket",
            looked_in=[config.novnc_dir] if config.novnc_dir else console_proxy.novnc_dirs(),
        )
    return _Gateway(
        uvicorn.Config(
            console_proxy.create_app(consoles, novnc_dir),
            host=config.console_proxy_host or config.bind_host,
            port=config.console_proxy_port,
            log_config=None,
            access_log=False,
            lifespan="off",
            ws="auto",
        )
    )


async def serve(config: ApiConfig, stop: asyncio.Event) -> None:
    etcd = Etcd(config.etcd_endpoints)
    await etcd.connect()
    store = Store(etcd)
    if config.bootstrap_admin_password:
        await ensure_bootstrap(store, config.bootstrap_admin_password)
    tokens = TokenManager(etcd, lifetime_seconds=config.token_lifetime_seconds)
    await tokens.start()
    identity = IdentityApi(store, tokens)
    api = ComputeApi(
        store,
        max_servers_per_request=config.max_servers_per_request,
        conductor_timeout_seconds=config.conductor_timeout_seconds,
        policy_file=config.policy_file,
    )
    consoles = ConsoleApi(
        store,
        proxy_base_url=console_base_url(config),
        token_ttl_seconds=config.console_token_ttl_seconds,
    )

    def register(grpc_server: grpc.aio.Server) -> None:
        compute_pb2_grpc.add_ComputeServicer_to_server(ComputeService(api, consoles), grpc_server)
        identity_grpc.register(grpc_server, identity, tokens)

    server = await start_server(
        config.bind_host,
        config.grpc_port,
        register,
        [compute_pb2.DESCRIPTOR.services_by_name["Compute"].full_name, identity_grpc.SERVICE_NAME],
        authenticate=grpc_authenticator(tokens),
    )
    endpoint = f"{config.bind_host}:{server.port}"
    # uvicorn servers in this loop: the REST gateway and the console proxy, by name.
    gateways: dict[str, tuple[uvicorn.Server, asyncio.Task[None]]] = {}
    if config.rest_port:
        from services.api.rest.app import create_app

        app = create_app(
            api, context_factory=rest_context_factory(tokens), public_url=config.public_url
        )
        app.include_router(router_for(identity, tokens))
        app.state.console_api = consoles
        rest = _Gateway(
            uvicorn.Config(
                app,
                host=config.bind_host,
                port=config.rest_port,
                log_config=None,
                access_log=False,
                lifespan="off",
            )
        )
        gateways["REST gateway"] = (rest, asyncio.create_task(rest.serve(), name="rest-gateway"))
    if config.console_proxy_port:
        # Bound here, so a busy port costs the consoles only, never the whole api.
        proxy_host = config.console_proxy_host or config.bind_host
        try:
            proxy_socket = _bind(proxy_host, config.console_proxy_port)
        except OSError as error:
            log.error(
                "console proxy cannot listen; consoles are unavailable",
                address=f"{proxy_host}:{config.console_proxy_port}",
                error=str(error),
            )
        else:
            proxy = _console_proxy(config, consoles)
            gateways["console proxy"] = (
                proxy,
                asyncio.create_task(proxy.serve(sockets=[proxy_socket]), name="console-proxy"),
            )
    keeper = await registration.register_process(etcd, "stratus-api", config, server.port)
    log.info(
        "api serving",
        grpc=endpoint,
        rest_port=config.rest_port,
        console_proxy_port=config.console_proxy_port,
    )
    waiter = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait(
        {waiter, *(task for _, task in gateways.values())}, return_when=asyncio.FIRST_COMPLETED
    )
    for name, (_, task) in gateways.items():
        if task in done and not stop.is_set():
            log.error(f"{name} stopped unexpectedly", error=str(task.exception()))
    waiter.cancel()
    await keeper.stop()
    for gateway, _ in gateways.values():
        gateway.should_exit = True
    for _, task in gateways.values():
        await task
    await server.stop(grace_seconds=5)
    await api.close()
    await tokens.stop()
    await consoles.close()
    await etcd.close()


def main(argv: Sequence[str] | None = None) -> None:
    config = parse_args(ApiConfig, "api", __doc__ or "", argv)
    runtime_logging.configure("api", log_format=config.log_format, level=config.log_level)
    tracing.configure("stratus-api", config.otlp_endpoint)
    metrics.serve(config.bind_host, config.metrics_port)
    process.run(lambda stop: serve(config, stop))


if __name__ == "__main__":
    main(sys.argv[1:])
