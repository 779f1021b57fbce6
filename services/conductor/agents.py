"""Connected agents: one bidirectional stream per agent, commands down, reports up.

A connected agent's hosts are alive: their `host_alive` keys live under a lease this
conductor keeps for the stream. When the stream ends the lease is no longer refreshed and
expires after its TTL, the hosts' grace: an agent that redials within it (a restart, a
conductor restart, a network blip) finds its hosts still up and nothing that was queued
for them fails. When this conductor dies the lease expires the same way.

Each side sends a heartbeat every `heartbeat_interval_seconds`; a stream on which nothing
has arrived from the agent for `heartbeat_timeout_seconds` (a frozen or vanished agent) is
ended here, and the agent ends a silent conductor's stream the same way. gRPC keepalive
on the connection catches a dead peer below that.

Per stream, one task receives (and so proves the agent alive) and one handles what it
received, in the order the agent sent it: a command's result after the power events that
preceded it. The handler never waits for a command on its own stream (the answer could
only come through itself): work that sends commands, like destroying the domains a resync
found orphaned, runs beside the stream in tasks the session tracks, bounded, and cancelled
when the stream ends.

A command for a host whose agent holds its stream to another conductor replica (its
liveness key names that one) is relayed through it (Conductor.RelayCommand).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import grpc
import structlog
from google.protobuf.timestamp_pb2 import Timestamp
from opentelemetry.trace import SpanKind
from prometheus_client import Counter, Gauge

from services.runtime import grpc_client, tracing
from services.runtime.errors import Unauthenticated, Unavailable
from services.state import etcd, keys
from services.state.etcd import LeaseKeeper
from services.state.store import Store
from stratus.v1 import agent_pb2, conductor_pb2, conductor_pb2_grpc, types_pb2

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
HEARTBEAT_TIMEOUTS = Counter(
    "stratus_conductor_agent_heartbeat_timeouts_total",
    "Agent streams ended because the agent was silent past the heartbeat deadline.",
)
# Commands the work beside one agent's stream may have in flight at once.
BACKGROUND_LIMIT = 8
CONDUCTOR_BINARY = "stratus-conductor"
# A relayed command's call may take this much longer than the command itself.
RELAY_MARGIN_SECONDS = 5.0


class HostNotConnected(Unavailable):
    """No agent serving this host could be reached, here or through another replica."""


class CommandLost(HostNotConnected):
    """The stream a command went down ended before its result came back."""


@dataclass
class AgentSession:
    agent_id: str
    hosts: set[str]
    outbound: asyncio.Queue[agent_pb2.ConductorMessage] = field(default_factory=asyncio.Queue)
    pending: dict[str, asyncio.Future[agent_pb2.CommandResult]] = field(default_factory=dict)
    # When the agent last sent anything (event-loop time).
    last_heard: float = 0.0
    # What the agent sent, in order, waiting to be handled.
    inbox: asyncio.Queue[agent_pb2.AgentMessage] = field(default_factory=asyncio.Queue)
    # Work beside the stream (never in its reader), cancelled when the stream ends.
    background: set[asyncio.Task[None]] = field(default_factory=set)
    background_limit: asyncio.Semaphore = field(
        default_factory=lambda: asyncio.Semaphore(BACKGROUND_LIMIT)
    )


ReportHandler = Callable[[agent_pb2.AgentMessage], Awaitable[None]]
HostWork = Callable[[str], Awaitable[None]]


class AgentHub:
    def __init__(
        self,
        store: Store,
        conductor_id: str,
        agent_token: str,
        *,
        lease_ttl_seconds: int,
        capacity_interval_seconds: int,
        heartbeat_interval_seconds: float = 2.0,
        heartbeat_timeout_seconds: float = 6.0,
    ) -> None:
        self.store = store
        self.conductor_id = conductor_id
        self.agent_token = agent_token
        self.lease_ttl_seconds = lease_ttl_seconds
        self.capacity_interval_seconds = capacity_interval_seconds
        self.heartbeat_interval_seconds = heartbeat_interval_seconds
        self.heartbeat_timeout_seconds = heartbeat_timeout_seconds
        self.sessions_by_host: dict[str, AgentSession] = {}
        self.on_report: ReportHandler | None = None
        # Run beside the stream for each host once its agent is connected (and again on
        # `recheck`): carries out what waited for the host, like pending destroys.
        self.on_host_connected: HostWork | None = None
        # A host's agent redials within moments after either side restarts: wait that long
        # (the liveness lease's TTL) before calling the host unreachable.
        self.reconnect_wait_seconds = float(lease_ttl_seconds)
        self._connected = asyncio.Condition()
        self._relay_channels: dict[str, grpc.aio.Channel] = {}

    def is_connected(self, host: str) -> bool:
        return host in self.sessions_by_host

    async def wait_connected(self, host: str, timeout_seconds: float) -> bool:
        """Whether the host's agent holds a stream here now or within `timeout_seconds`."""
        return await self._session_for(host, timeout_seconds) is not None

    async def wait_for_a_connect(self, timeout_seconds: float) -> None:
        """Return when any agent connects here, or after `timeout_seconds`."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(timeout_seconds, 0.0)), self._connected:
                await self._connected.wait()

    def run_beside(self, host: str, what: str, work: Callable[[], Awaitable[None]]) -> bool:
        """Run `work` beside the host's stream; False if the host is not connected.

        The task is tracked by the stream's session, runs with at most BACKGROUND_LIMIT
        others of that stream, and is cancelled when the stream ends.
        """
        session = self.sessions_by_host.get(host)
        if session is None:
            return False

        async def guarded() -> None:
            async with session.background_limit:
                try:
                    await work()
                except Unavailable as error:
                    log.warning(
                        "work beside the stream gave up", what=what, host=host, error=error.message
                    )
                except Exception:
                    log.exception("work beside the stream failed", what=what, host=host)

        task = asyncio.create_task(guarded(), name=f"agent-{what}-{host}")
        session.background.add(task)
        task.add_done_callback(session.background.discard)
        return True

    def recheck(self, host: str) -> None:
        """Run `on_host_connected` for the host now, if its agent is connected here."""
        if self.on_host_connected is not None:
            handler = self.on_host_connected
            self.run_beside(host, "host-connected", lambda: handler(host))

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
        """Send one command to the host's agent and wait for its result.

        The stream may be held here or by another conductor replica (the command is then
        relayed through it). Raises HostNotConnected (CommandLost when the stream ended
        before the answer) when no agent of the host could be reached; Unavailable when
        it did not answer within `timeout_seconds`.
        """
        op_label = str(agent_pb2.Command.Op.Name(op)).removeprefix("OP_").lower()
        with tracing.span(
            f"agent command {op_label}",
            kind=SpanKind.CLIENT,
            request_id=request_id,
            attributes={"stratus.host": host, "stratus.instance_id": instance_id},
        ):
            command = agent_pb2.Command(
                command_id=str(uuid.uuid4()),
                host=host,
                op=op,
                instance_id=instance_id,
                request_id=request_id,
                console_length=console_length,
                traceparent=tracing.current_traceparent(),
            )
            if spawn is not None:
                command.spawn.CopyFrom(spawn)
            return await self.send(command, timeout_seconds)

    async def send(
        self, command: agent_pb2.Command, timeout_seconds: float, *, relay: bool = True
    ) -> agent_pb2.CommandResult:
        """`command` down the host's stream here, or (with `relay`) through the replica
        that holds it; see `command`."""
        host = command.host
        op_name = agent_pb2.Command.Op.Name(command.op)
        session = self.sessions_by_host.get(host)
        if session is None and relay:
            relayed = await self._relay(command, timeout_seconds)
            if relayed is not None:
                return relayed
        if session is None:
            session = await self._session_for(host)
        if session is None and relay:
            relayed = await self._relay(command, timeout_seconds)  # it connected elsewhere
            if relayed is not None:
                return relayed
        if session is None:
            COMMANDS.labels(op_name, "not_connected").inc()
            raise HostNotConnected(
                f"host {host} is not connected (waited {self.reconnect_wait_seconds:.0f} s)"
            )
        future: asyncio.Future[agent_pb2.CommandResult] = asyncio.get_running_loop().create_future()
        session.pending[command.command_id] = future
        await session.outbound.put(agent_pb2.ConductorMessage(command=command))
        try:
            async with asyncio.timeout(timeout_seconds):  # not wait_for: see services.agent.channel
                result = await future
        except TimeoutError as exc:
            COMMANDS.labels(op_name, "timeout").inc()
            raise Unavailable(
                f"host {host} did not answer {op_name} within {timeout_seconds:.0f}s"
            ) from exc
        finally:
            session.pending.pop(command.command_id, None)
        COMMANDS.labels(op_name, "ok" if result.ok else "error").inc()
        return result

    async def holder(self, host: str) -> str:
        """The id of the conductor whose stream the host's liveness names ("": none)."""
        alive = await self.store.etcd.get(keys.HOST_ALIVE + host)
        return alive.value.decode() if alive is not None else ""

    async def reachable(self, host: str, timeout_seconds: float) -> bool:
        """Whether the host's agent holds a stream here or on another replica, now or
        within `timeout_seconds` (checked at least every second)."""
        deadline = asyncio.get_running_loop().time() + timeout_seconds
        while True:
            if self.is_connected(host) or await self.holder(host) not in ("", self.conductor_id):
                return True
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                return False
            if await self.wait_connected(host, min(remaining, 1.0)):
                return True

    async def _relay(
        self, command: agent_pb2.Command, timeout_seconds: float
    ) -> agent_pb2.CommandResult | None:
        """The result through the replica holding the host's stream; None if none does."""
        holder = await self.holder(command.host)
        if not holder or holder == self.conductor_id:
            return None
        op_name = agent_pb2.Command.Op.Name(command.op)
        record = await self.store.services.get(f"{CONDUCTOR_BINARY}/{holder}")
        if record is None:
            COMMANDS.labels(op_name, "not_connected").inc()
            raise HostNotConnected(
                f"host {command.host} is held by conductor {holder}, which is not running"
            )
        endpoint = record.message.grpc_endpoint
        channel = self._relay_channels.get(endpoint)
        if channel is None:
            channel = self._relay_channels[endpoint] = grpc_client.channel(endpoint)
        stub = conductor_pb2_grpc.ConductorStub(channel)
        request = conductor_pb2.RelayCommandRequest(
            command=command, timeout_seconds=timeout_seconds
        )
        try:
            response: conductor_pb2.RelayCommandResponse = await stub.RelayCommand(
                request, timeout=timeout_seconds + RELAY_MARGIN_SECONDS
            )
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
                COMMANDS.labels(op_name, "timeout").inc()
                raise Unavailable(
                    f"host {command.host} did not answer {op_name} through conductor {holder}"
                ) from error
            COMMANDS.labels(op_name, "not_connected").inc()
            raise CommandLost(
                f"host {command.host}: its conductor {holder} could not be reached: "
                f"{error.details()}"
            ) from error
        if response.unreachable:
            COMMANDS.labels(op_name, "not_connected").inc()
            raise HostNotConnected(response.unreachable)
        if response.failed:
            COMMANDS.labels(op_name, "timeout").inc()
            raise Unavailable(response.failed)
        COMMANDS.labels(op_name, "relayed").inc()
        return response.result

    async def serve_relay(
        self, request: conductor_pb2.RelayCommandRequest
    ) -> conductor_pb2.RelayCommandResponse:
        """Another replica's command for a host whose stream this one holds."""
        try:
            result = await self.send(request.command, request.timeout_seconds, relay=False)
        except HostNotConnected as error:
            return conductor_pb2.RelayCommandResponse(unreachable=error.message)
        except Unavailable as error:
            return conductor_pb2.RelayCommandResponse(failed=error.message)
        return conductor_pb2.RelayCommandResponse(result=result)

    async def close(self) -> None:
        for channel in self._relay_channels.values():
            await channel.close()
        self._relay_channels.clear()

    async def _session_for(
        self, host: str, timeout_seconds: float | None = None
    ) -> AgentSession | None:
        if host in self.sessions_by_host:
            return self.sessions_by_host[host]
        wait = self.reconnect_wait_seconds if timeout_seconds is None else timeout_seconds
        try:
            async with asyncio.timeout(max(wait, 0.0)), self._connected:
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
        try:
            # A client that opens a stream and stays silent must not hold it forever.
            async with asyncio.timeout(self.heartbeat_timeout_seconds):
                first = await anext(requests, None)
        except TimeoutError:
            raise Unavailable("no hello from the agent within the heartbeat deadline") from None
        if first is None or not first.HasField("hello"):
            raise Unauthenticated("the first message on an agent stream must be hello")
        hello = first.hello
        loop = asyncio.get_running_loop()
        session = AgentSession(
            agent_id=hello.agent_id, hosts={h.name for h in hello.hosts}, last_heard=loop.time()
        )
        # Welcome at once, and heartbeats while the hosts are recorded (an agent with many
        # hosts takes a while): the agent's deadline runs from its Hello.
        registering = asyncio.create_task(
            self._register_hosts(session, hello), name="agent-register"
        )
        keeper: LeaseKeeper | None = None
        reader: asyncio.Task[None] | None = None
        dispatcher: asyncio.Task[None] | None = None
        getter: asyncio.Future[agent_pb2.ConductorMessage] | None = None
        try:
            yield agent_pb2.ConductorMessage(
                welcome=agent_pb2.Welcome(
                    conductor_id=self.conductor_id,
                    capacity_interval_seconds=self.capacity_interval_seconds,
                    heartbeat_interval_seconds=self.heartbeat_interval_seconds,
                    heartbeat_timeout_seconds=self.heartbeat_timeout_seconds,
                )
            )
            while not registering.done():
                await asyncio.wait({registering}, timeout=self.heartbeat_interval_seconds)
                if not registering.done():
                    yield self._heartbeat()
            keeper = registering.result()
            session.last_heard = loop.time()  # its messages waited for the registration
            log.info("agent connected", agent_id=hello.agent_id, hosts=sorted(session.hosts))
            reader = asyncio.create_task(self._read(session, requests), name="agent-reader")
            dispatcher = asyncio.create_task(self._dispatch(session), name="agent-dispatcher")
            for name in sorted(session.hosts):
                self.recheck(name)
            last_sent = loop.time()
            while True:
                if getter is None:
                    getter = asyncio.ensure_future(session.outbound.get())
                wait = max(last_sent + self.heartbeat_interval_seconds - loop.time(), 0.0)
                watched: set[asyncio.Future[Any]] = {getter, reader, dispatcher}
                done, _ = await asyncio.wait(
                    watched, timeout=wait, return_when=asyncio.FIRST_COMPLETED
                )
                if getter in done:
                    message, getter = getter.result(), None
                    yield message
                    last_sent = loop.time()
                elif reader in done or dispatcher in done:
                    break
                silent = loop.time() - session.last_heard
                if silent > self.heartbeat_timeout_seconds:
                    HEARTBEAT_TIMEOUTS.inc()
                    log.warning(
                        "agent silent past the heartbeat deadline; ending its stream",
                        agent_id=session.agent_id,
                        silent_seconds=round(silent, 2),
                    )
                    break
                if loop.time() - last_sent >= self.heartbeat_interval_seconds:
                    yield self._heartbeat()
                    last_sent = loop.time()
        finally:
            if getter is not None:
                getter.cancel()
            tasks = [task for task in (registering, reader, dispatcher) if task is not None]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self._unregister(session, keeper)

    @staticmethod
    def _heartbeat() -> agent_pb2.ConductorMessage:
        beat = agent_pb2.Heartbeat()
        beat.sent_at.GetCurrentTime()
        return agent_pb2.ConductorMessage(heartbeat=beat)

    async def _register_hosts(self, session: AgentSession, hello: agent_pb2.Hello) -> LeaseKeeper:
        for host in hello.hosts:
            await self.record_host(host)
            previous = self.sessions_by_host.get(host.name)
            if previous is not None and previous is not session:
                self._fail_pending(previous, "the agent reconnected")
            self.sessions_by_host[host.name] = session
        CONNECTED_HOSTS.set(len(self.sessions_by_host))

        granted: list[int] = []

        async def write_alive(lease_id: int) -> None:
            # The Hello makes this stream the hosts' authority: take their keys over. A lease
            # granted again later (this process stalled past the TTL) takes only keys that
            # are gone: a present key belongs to a newer stream, perhaps on another replica.
            renewed = bool(granted)
            granted.append(lease_id)
            for name in session.hosts:
                key = keys.HOST_ALIVE + name
                value = self.conductor_id.encode()
                if renewed:
                    await self.store.etcd.txn([etcd.absent(key)], [etcd.put(key, value, lease_id)])
                else:
                    await self.store.etcd.put(key, value, lease=lease_id)

        keeper = LeaseKeeper(self.store.etcd, self.lease_ttl_seconds, write_alive)
        await keeper.start()
        async with self._connected:
            self._connected.notify_all()
        return keeper

    async def _unregister(self, session: AgentSession, keeper: LeaseKeeper | None) -> None:
        for name in session.hosts:
            if self.sessions_by_host.get(name) is session:
                del self.sessions_by_host[name]
        CONNECTED_HOSTS.set(len(self.sessions_by_host))
        self._fail_pending(session, "the agent disconnected")
        for task in list(session.background):
            task.cancel()
        await asyncio.gather(*session.background, return_exceptions=True)
        # Not revoked: the hosts stay up for the lease's TTL, their grace to reconnect.
        if keeper is not None:
            await keeper.stop(revoke=False)
        log.info(
            "agent disconnected",
            agent_id=session.agent_id,
            hosts_down_after_seconds=self.lease_ttl_seconds,
        )

    @staticmethod
    def _fail_pending(session: AgentSession, why: str) -> None:
        for future in session.pending.values():
            if not future.done():
                future.set_exception(CommandLost(f"command lost: {why}"))
        session.pending.clear()

    async def _read(
        self, session: AgentSession, requests: AsyncIterator[agent_pb2.AgentMessage]
    ) -> None:
        """Receive: note that the agent is alive, and queue what it says for `_dispatch`.

        Receiving never waits for handling, so a slow handler cannot make a live agent
        look silent."""
        loop = asyncio.get_running_loop()
        async for message in requests:
            session.last_heard = loop.time()
            kind = message.WhichOneof("body")
            if kind != "heartbeat":
                session.inbox.put_nowait(message)

    async def _dispatch(self, session: AgentSession) -> None:
        """Handle the agent's messages in the order it sent them (a result after the power
        events that preceded it). Never awaits a command: results come through here."""
        while True:
            message = await session.inbox.get()
            kind = message.WhichOneof("body")
            if kind == "result":
                future = session.pending.get(message.result.command_id)
                if future is not None and not future.done():
                    future.set_result(message.result)
                continue
            if kind == "power_event":
                POWER_EVENTS.inc()
            await self._handle(message)

    async def _handle(self, message: agent_pb2.AgentMessage) -> None:
        try:
            if message.WhichOneof("body") == "capacity":
                await self.record_host(message.capacity.host)
            elif self.on_report is not None:
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
