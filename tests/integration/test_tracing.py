"""One boot is one trace: api → conductor → scheduler → agent and back, connected.

The four services run in this test's process (their own `serve` functions, on one event
loop) against a real etcd and libvirt's test driver, so one in-memory exporter sees every
span they record. The boot goes through the REST gateway as a client's would.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
import pytest_asyncio
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from services.agent.config import AgentConfig
from services.agent.main import serve as serve_agent
from services.api.config import ApiConfig
from services.api.main import serve as serve_api
from services.cli.seed import seed
from services.conductor.config import ConductorConfig
from services.conductor.main import serve as serve_conductor
from services.conductor.tasks import TaskRunner
from services.runtime import context, grpc_client, tracing
from services.scheduler.config import SchedulerConfig
from services.scheduler.main import serve as serve_scheduler
from services.state.etcd import Etcd
from services.state.etcd_server import EtcdServer, free_port
from services.state.store import Store
from stratus.v1 import compute_pb2, compute_pb2_grpc, identity_pb2, identity_pb2_grpc
from stratus.v1 import types_pb2 as t
from tests.waiting import eventually

ADMIN_PASSWORD = "trace-admin-password"
AGENT_TOKEN = "trace-agent-token"
HOSTS = 2

# libvirt delivers events to one event loop per process: the agent runs in the session's,
# as the agent's unit tests do.
pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture
def spans(monkeypatch: pytest.MonkeyPatch) -> InMemorySpanExporter:
    """Every span this process records, in memory, for this test only."""
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
    monkeypatch.setattr(tracing, "_enabled", False)  # restored after the test
    tracing.install(provider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


class InProcessCloud:
    """The four services' `serve` coroutines as tasks of this loop, each with its stop."""

    def __init__(self, etcd_endpoint: str, root: Path) -> None:
        common: dict[str, Any] = {"etcd_endpoints": etcd_endpoint, "service_lease_ttl_seconds": 3}
        conductor_port = free_port()
        self.rest_port = free_port()
        self.api_target = f"127.0.0.1:{(api_port := free_port())}"
        self.services: list[tuple[str, Callable[[asyncio.Event], Coroutine[Any, Any, None]]]] = [
            (
                "scheduler",
                lambda stop: serve_scheduler(
                    SchedulerConfig(**common, grpc_port=free_port()), stop
                ),
            ),
            (
                "conductor",
                lambda stop: serve_conductor(
                    ConductorConfig(
                        **common,
                        grpc_port=conductor_port,
                        agent_token=AGENT_TOKEN,
                        task_sweep_interval_seconds=1.0,
                    ),
                    stop,
                ),
            ),
            (
                "api",
                lambda stop: serve_api(
                    ApiConfig(
                        **common,
                        grpc_port=api_port,
                        rest_port=self.rest_port,
                        console_proxy_port=0,
                        bootstrap_admin_password=ADMIN_PASSWORD,
                    ),
                    stop,
                ),
            ),
            (
                "agent",
                lambda stop: serve_agent(
                    AgentConfig(
                        conductor_endpoints=f"127.0.0.1:{conductor_port}",
                        agent_token=AGENT_TOKEN,
                        hosts=HOSTS,
                        host_prefix="trace-",
                        state_dir=str(root / "agent"),
                        reconnect_max_seconds=0.5,
                    ),
                    stop,
                ),
            ),
        ]
        self.running: list[tuple[asyncio.Event, asyncio.Task[None]]] = []

    def start(self) -> None:
        for name, serve in self.services:
            stop = asyncio.Event()
            self.running.append((stop, asyncio.create_task(serve(stop), name=name)))

    def check_alive(self) -> None:
        for _, task in self.running:
            if task.done():
                raise AssertionError(f"{task.get_name()} stopped: {task.exception()!r}")

    async def stop(self) -> None:
        for stop, task in reversed(self.running):  # the agent first, the scheduler last
            stop.set()
            with contextlib.suppress(Exception):
                async with asyncio.timeout(30):
                    await task


@pytest_asyncio.fixture(loop_scope="session")
async def cloud(etcd_server: EtcdServer, tmp_path: Path) -> AsyncIterator[InProcessCloud]:
    etcd = Etcd(etcd_server.endpoint)
    await etcd.connect()
    await etcd.client.delete_prefix(b"/stratus/")
    await etcd.close()
    running = InProcessCloud(etcd_server.endpoint, tmp_path)
    running.start()
    try:
        yield running
    finally:
        await running.stop()


async def admin_token(cloud: InProcessCloud) -> identity_pb2.AuthenticateResponse:
    async def authenticated() -> identity_pb2.AuthenticateResponse | None:
        cloud.check_alive()
        channel = grpc_client.channel(cloud.api_target)
        try:
            reply: identity_pb2.AuthenticateResponse = await identity_pb2_grpc.IdentityStub(
                channel
            ).Authenticate(
                identity_pb2.AuthenticateRequest(
                    user_name="admin", password=ADMIN_PASSWORD, project_name="admin"
                ),
                timeout=2,
            )
            return reply
        except Exception:
            return None
        finally:
            await channel.close()

    return await eventually(authenticated, within_seconds=30, interval=0.2)


def by_request_id(finished: Sequence[ReadableSpan], request_id: str) -> list[ReadableSpan]:
    return [
        s for s in finished if (s.attributes or {}).get(tracing.REQUEST_ID_ATTRIBUTE) == request_id
    ]


def ancestors(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> list[str]:
    """The names of the span's ancestors, nearest first."""
    names = []
    while span.parent is not None:
        span = by_id[span.parent.span_id]
        names.append(span.name)
    return names


async def test_one_boot_is_one_connected_trace_across_every_service(
    cloud: InProcessCloud, spans: InMemorySpanExporter
) -> None:
    admin = await admin_token(cloud)
    channel = grpc_client.channel(cloud.api_target, token=admin.token)
    try:
        await seed(compute_pb2_grpc.ComputeStub(channel), project_id=admin.info.project_id)
    finally:
        await channel.close()
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{cloud.rest_port}/v2.1",
        headers={"X-Auth-Token": admin.token},
        timeout=10,
    ) as rest:

        async def hosts_up() -> bool:
            cloud.check_alive()
            hypervisors = (await rest.get("/os-hypervisors/detail")).json()["hypervisors"]
            return sum(h["state"] == "up" for h in hypervisors) == HOSTS

        await eventually(hosts_up, within_seconds=30, interval=0.2)
        spans.clear()

        reply = await rest.post(
            "/servers",
            json={"server": {"name": "traced", "flavorRef": "1", "imageRef": "cirros"}},
        )
        assert reply.status_code == 202, reply.text
        server_id = reply.json()["server"]["id"]
        request_id = reply.headers["x-openstack-request-id"]

        async def active() -> bool:
            server = (await rest.get(f"/servers/{server_id}")).json()["server"]
            assert server["status"] != "ERROR", server.get("fault")
            return bool(server["status"] == "ACTIVE")

        await eventually(active, within_seconds=30)
        actions = (await rest.get(f"/servers/{server_id}/os-instance-actions")).json()
        (create,) = actions["instanceActions"]
        assert create["action"] == "create"
        assert create["request_id"] == request_id

    # The build flow's span ends once the flow has recorded ACTIVE and dropped its task.
    await eventually(
        lambda: any(s.name == "conductor build" for s in spans.get_finished_spans()),
        within_seconds=10,
    )
    finished = spans.get_finished_spans()
    boot = by_request_id(finished, request_id)
    (trace_id,) = {s.context.trace_id for s in boot}
    in_trace = [s for s in finished if s.context.trace_id == trace_id]
    by_id = {s.context.span_id: s for s in in_trace}

    # One root, the api's span for the client's request, carrying the request id.
    (root,) = [s for s in in_trace if s.parent is None]
    assert root.name == "POST /v2.1/servers"
    assert root.kind == trace.SpanKind.SERVER
    assert (root.attributes or {})[tracing.REQUEST_ID_ATTRIBUTE] == request_id
    # Every span's parent was recorded in the same trace: the tree is connected.
    for span in in_trace:
        if span.parent is not None:
            assert span.parent.trace_id == trace_id
            assert span.parent.span_id in by_id, f"{span.name}: parent not recorded"

    # Each service took part, and each hop hangs below the one that caused it.
    services = {(s.attributes or {}).get("rpc.service") for s in in_trace}
    assert "stratus.v1.Conductor" in services  # the api told a conductor about the task
    (flow,) = [s for s in in_trace if s.name == "conductor build"]
    assert ancestors(flow, by_id)[-1] == root.name
    (decision,) = [
        s
        for s in in_trace
        if s.kind == trace.SpanKind.SERVER
        and (s.attributes or {}).get("rpc.service") == "stratus.v1.Scheduler"
    ]
    assert "conductor build" in ancestors(decision, by_id)
    (spawn,) = [s for s in in_trace if s.name == "agent spawn"]
    assert spawn.kind == trace.SpanKind.SERVER
    assert ancestors(spawn, by_id)[:2] == ["agent command spawn", "conductor build"]
    assert spawn.status.is_ok
    # Every hop's span names the request it serves.
    for span in (flow, decision, spawn):
        assert (span.attributes or {})[tracing.REQUEST_ID_ATTRIBUTE] == request_id


async def test_a_boot_over_grpc_is_one_trace_rooted_at_the_api_call(
    cloud: InProcessCloud, spans: InMemorySpanExporter
) -> None:
    admin = await admin_token(cloud)
    channel = grpc_client.channel(cloud.api_target, token=admin.token)
    try:
        compute = compute_pb2_grpc.ComputeStub(channel)
        await seed(compute, project_id=admin.info.project_id)
        await eventually(lambda: up_hosts(cloud, compute), within_seconds=30, interval=0.2)
        spans.clear()
        # As an outside client would call: no trace context of its own.
        async with grpc.aio.insecure_channel(cloud.api_target) as plain:
            call = compute_pb2_grpc.ComputeStub(plain).CreateServers(
                compute_pb2.CreateServersRequest(
                    name="traced-grpc", flavor_ref="1", image_ref="cirros"
                ),
                metadata=[(grpc_client.AUTH_TOKEN_KEY, admin.token)],
                timeout=10,
            )
            reply = await call
            request_id = dict(await call.initial_metadata())[context.REQUEST_ID_KEY]
    finally:
        await channel.close()

    def spawned() -> list[ReadableSpan]:
        return [
            s
            for s in by_request_id(spans.get_finished_spans(), request_id)
            if s.name in ("agent spawn", "conductor build")
        ]

    await eventually(lambda: len(spawned()) == 2, within_seconds=30)
    boot = by_request_id(spans.get_finished_spans(), request_id)
    (trace_id,) = {s.context.trace_id for s in boot}
    in_trace = [s for s in spans.get_finished_spans() if s.context.trace_id == trace_id]
    (root,) = [s for s in in_trace if s.parent is None]
    assert root.name == "stratus.v1.Compute/CreateServers"
    assert root.kind == trace.SpanKind.SERVER
    assert (root.attributes or {})[tracing.REQUEST_ID_ATTRIBUTE] == request_id
    assert {(s.attributes or {}).get("stratus.instance_id") for s in spawned()} == {
        reply.servers[0].id
    }


async def up_hosts(cloud: InProcessCloud, compute: compute_pb2_grpc.ComputeStub) -> bool:
    cloud.check_alive()
    hosts = (await compute.ListHosts(compute_pb2.ListHostsRequest(), timeout=5)).hosts
    return sum(h.up for h in hosts) == HOSTS


@pytest_asyncio.fixture(loop_scope="session")
async def store(etcd_server: EtcdServer) -> AsyncIterator[Store]:
    etcd = Etcd(etcd_server.endpoint)
    await etcd.connect()
    await etcd.client.delete_prefix(b"/stratus/")
    try:
        yield Store(etcd)
    finally:
        await etcd.close()


async def test_a_task_run_by_a_conductor_that_never_saw_the_request_joins_its_trace(
    store: Store, spans: InMemorySpanExporter
) -> None:
    """A conductor started after the api wrote the task (a restart, a takeover) finds the
    request's trace context in the task itself."""
    request_trace = "0af7651916cd43dd8448eb211c80319c"
    request_span = "b7ad6b7169203331"
    seen: list[str] = []

    async def flow(task: t.Task) -> None:
        seen.append(tracing.current_traceparent())

    await store.tasks.create(
        "task-1",
        t.Task(
            id="task-1",
            kind=t.Task.KIND_BUILD,
            context=t.RequestContext(request_id="req-before-the-restart"),
            traceparent=f"00-{request_trace}-{request_span}-01",
        ),
    )
    runner = TaskRunner(store, "conductor-new", {t.Task.KIND_BUILD: flow}, 3600.0)
    try:
        assert await runner.submit("task-1")
        await eventually(lambda: seen, within_seconds=10)
    finally:
        await runner.stop(grace_seconds=5)
    (flow_span,) = [s for s in spans.get_finished_spans() if s.name == "conductor build"]
    assert format(flow_span.context.trace_id, "032x") == request_trace
    assert flow_span.parent is not None
    assert format(flow_span.parent.span_id, "016x") == request_span
    assert (flow_span.attributes or {})[tracing.REQUEST_ID_ATTRIBUTE] == "req-before-the-restart"
    assert seen == [f"00-{request_trace}-{format(flow_span.context.span_id, '016x')}-01"]
