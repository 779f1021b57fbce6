"""Connected agents: one bidirectional stream per agent, commands down, reports up.

A connected agent's hosts are alive: their `host_alive` keys live under a lease this
conductor keeps for the stream. When the stream ends the lease is revoked (the hosts go
down at once); when this conductor dies the lease expires after its TTL.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import grpc
import structlog
from google.protobuf.timestamp_pb2 import Timestamp
from prometheus_client import Counter, Gauge

from services.runtime.errors import Unauthenticated, Unavailable
from services.state import keys
from services.state.etcd import LeaseKeeper
from services.state.store import Store
from stratus.v1 import agent_pb2, types_pb2

log = structlog.get_logger(__name__)

AGENT_TOKEN_KEY = "x-stratus-agent-token"

CONNECTED_HOSTS = Gauge(
    "stratus_conductor_connected_hosts", "Hosts whose agent holds a stream to this conductor."
)
COMMANDS = Counter(
    "stratus_conductor_agent_commands_total",
    "Commands sent to agents, by operation and outcome.",
    ["op", "outcome"],
)
POWER_EVENTS = Counter(
    "stratus_conductor_power_events_total", "Power-state events received from agents."
)


class HostNotConnected(Unavailable):
    """No agent serving this host holds a stream to this conductor."""


@dataclass
class AgentSession:
    agent_id: str
    hosts: set[str]
    outbound: asyncio.Queue[agent_pb2.ConductorMessage] = field(default_factory=asyncio.Queue)
    pending: dict[str, asyncio.Future[agent_pb2.CommandResult]] = field(default_factory=dict)


ReportHandler = Callable[[agent_pb2.AgentMessage], Awaitable[None]]


class AgentHub:
    def __init__(
        self,
        store: Store,
        conductor_id: str,
        agent_token: str,
        *,
        lease_ttl_seconds: int,
        capacity_interval_seconds: int,
    ) -> None:
        self.store = store
        self.conductor_id = conductor_id
        self.agent_token = agent_token
        self.lease_ttl_seconds = lease_ttl_seconds
        self.capacity_interval_seconds = capacity_interval_seconds
        self.sessions_by_host: dict[str, AgentSession] = {}
        self.on_report: ReportHandler | None = None
        # A host's agent redials within moments after either side restarts: wait that long
        # (the liveness lease's TTL) before calling the host unreachable.
        self.reconnect_wait_seconds = float(lease_ttl_seconds)
        self._connected = asyncio.Condition()

    def is_connected(self, host: str) -> bool:
        return host in self.sessions_by_host

    async def command(
        self,
        host: str,
        op: agent_pb2.Command.Op,
        instance_id: str,
        *,
        request_id: str,
        timeout_seconds: float,
        spawn: agent_pb2.SpawnSpec | None = None,
        console_length: int = 0,
    ) -> agent_pb2.CommandResult:
        """Send one command to the host's agent and wait for its result."""
        session = await self._session_for(host)
        op_name = agent_pb2.Command.Op.Name(op)
        if session is None:
            COMMANDS.labels(op_name, "not_connected").inc()
            raise HostNotConnected(f"host {host} is not connected")
        command = agent_pb2.Command(
            command_id=str(uuid.uuid4()),
            host=host,
            op=op,
            instance_id=instance_id,
            request_id=request_id,
            console_length=console_length,
        )
        if spawn is not None:
            command.spawn.CopyFrom(spawn)
        future: asyncio.Future[agent_pb2.CommandResult] = asyncio.get_running_loop().create_future()
        session.pending[command.command_id] = future
        await session.outbound.put(agent_pb2.ConductorMessage(command=command))
        try:
            result = await asyncio.wait_for(future, timeout_seconds)
        except TimeoutError as exc:
            COMMANDS.labels(op_name, "timeout").inc()
            raise Unavailable(
                f"host {host} did not answer {op_name} within {timeout_seconds:.0f}s"
            ) from exc
        finally:
            session.pending.pop(command.command_id, None)
        COMMANDS.labels(op_name, "ok" if result.ok else "error").inc()
        return result

    async def _session_for(self, host: str) -> AgentSession | None:
        if host in self.sessions_by_host:
            return self.sessions_by_host[host]
        try:
            async with asyncio.timeout(self.reconnect_wait_seconds), self._connected:
                await self._connected.wait_for(lambda: host in self.sessions_by_host)
        except TimeoutError:
            return None
        return self.sessions_by_host[host]

    async def connect(
        self,
        requests: AsyncIterator[agent_pb2.AgentMessage],
        context: grpc.aio.ServicerContext,
    ) -> AsyncIterator[agent_pb2.ConductorMessage]:
        """Serve one agent's stream for as long as it lasts."""
        metadata = {key: value for key, value in context.invocation_metadata() or ()}
        if metadata.get(AGENT_TOKEN_KEY) != self.agent_token:
            raise Unauthenticated("agent token missing or wrong")
        first = await anext(requests, None)
        if first is None or not first.HasField("hello"):
            raise Unauthenticated("the first message on an agent stream must be hello")
        hello = first.hello
        session = AgentSession(agent_id=hello.agent_id, hosts={h.name for h in hello.hosts})
        keeper = await self._register_hosts(session, hello)
        log.info("agent connected", agent_id=hello.agent_id, hosts=sorted(session.hosts))
        reader = asyncio.create_task(self._read(session, requests), name="agent-reader")
        try:
            yield agent_pb2.ConductorMessage(
                welcome=agent_pb2.Welcome(
                    conductor_id=self.conductor_id,
                    capacity_interval_seconds=self.capacity_interval_seconds,
                )
            )
            while True:
                getter = asyncio.ensure_future(session.outbound.get())
                done, _ = await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
                if getter in done:
                    yield getter.result()
                else:
                    getter.cancel()
                    break
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
            await self._unregister(session, keeper)

    async def _register_hosts(self, session: AgentSession, hello: agent_pb2.Hello) -> LeaseKeeper:
        for host in hello.hosts:
            await self.record_host(host)
            previous = self.sessions_by_host.get(host.name)
            if previous is not None and previous is not session:
                self._fail_pending(previous, "the agent reconnected")
            self.sessions_by_host[host.name] = session
        CONNECTED_HOSTS.set(len(self.sessions_by_host))

        async def write_alive(lease_id: int) -> None:
            for name in session.hosts:
                await self.store.etcd.put(
                    keys.HOST_ALIVE + name, self.conductor_id.encode(), lease=lease_id
                )

        keeper = LeaseKeeper(self.store.etcd, self.lease_ttl_seconds, write_alive)
        await keeper.start()
        async with self._connected:
            self._connected.notify_all()
        return keeper

    async def _unregister(self, session: AgentSession, keeper: LeaseKeeper) -> None:
        for name in session.hosts:
            if self.sessions_by_host.get(name) is session:
                del self.sessions_by_host[name]
        CONNECTED_HOSTS.set(len(self.sessions_by_host))
        self._fail_pending(session, "the agent disconnected")
        still_served = any(name in self.sessions_by_host for name in session.hosts)
        if not still_served:
            await keeper.stop()
        log.info("agent disconnected", agent_id=session.agent_id)

    @staticmethod
    def _fail_pending(session: AgentSession, why: str) -> None:
        for future in session.pending.values():
            if not future.done():
                future.set_exception(Unavailable(f"command lost: {why}"))
        session.pending.clear()

    async def _read(
        self, session: AgentSession, requests: AsyncIterator[agent_pb2.AgentMessage]
    ) -> None:
        async for message in requests:
            kind = message.WhichOneof("body")
            if kind == "result":
                future = session.pending.get(message.result.command_id)
                if future is not None and not future.done():
                    future.set_result(message.result)
                continue
            if kind == "capacity":
                await self.record_host(message.capacity.host)
                continue
            if kind == "power_event":
                POWER_EVENTS.inc()
            # Reports of one agent are handled in the order it sent them.
            await self._handle(message)

    async def _handle(self, message: agent_pb2.AgentMessage) -> None:
        if self.on_report is None:
            return
        try:
            await self.on_report(message)
        except Exception:
            log.exception("agent report failed", kind=message.WhichOneof("body"))

    async def record_host(self, reported: types_pb2.Host) -> None:
        """Store what the agent reports, keeping what operators set (enabled, reason)."""
        now = Timestamp()
        now.GetCurrentTime()
        existing = await self.store.hosts.get(reported.name)
        host = types_pb2.Host()
        host.CopyFrom(reported)
        host.updated_at.CopyFrom(now)
        if existing is None:
            host.enabled = True
            with contextlib.suppress(Exception):
                await self.store.hosts.create(host.name, host)
            return

        def merge(stored: types_pb2.Host) -> None:
            enabled, reason = stored.enabled, stored.disabled_reason
            stored.CopyFrom(host)
            stored.enabled, stored.disabled_reason = enabled, reason

        await self.store.hosts.update(host.name, merge)
