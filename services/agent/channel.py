"""The agent's end of the stream to the conductor (Nova's compute.<host> queue, as gRPC).

The agent dials the conductor and holds one bidirectional `AgentChannel.Connect` stream,
authenticated by the `x-stratus-agent-token` metadata. On every (re)connect it sends:

1. `Hello`: the agent id and every host it serves, with capacity;
2. one `Resync` per host: every domain and its power state (the conductor reconciles);
3. then, while the stream lasts: a `CommandResult` per command, a `PowerStateEvent` per
   libvirt lifecycle change, and per host a `CapacityReport` every
   `Welcome.capacity_interval_seconds` and right after anything changed on it.

Commands run concurrently, one task each; commands for the same instance run one after
another in arrival order (a lock per instance). Reads (console output, the VNC endpoint)
change nothing and skip the lock: a console answers while a slow stop is in progress.
Each command's request id is bound to the request context and so to every log line it
causes.

Both sides send a `Heartbeat` every `heartbeat_interval_seconds` (the Welcome may change
the agent's defaults). A stream on which nothing at all has arrived from the conductor for
`heartbeat_timeout_seconds` (no Welcome yet, a frozen or vanished conductor, a silent
network) is torn down, whatever the agent was doing; gRPC keepalive pings on the channel
catch a dead peer at the transport level too. Either way the agent never waits on a dead
stream for longer than the deadline. (Timed waits use `asyncio.timeout`, never
`asyncio.wait_for`: on Python 3.11 the latter swallows a cancellation that arrives as its
wait ends, which once left a helper of a dead stream running and the agent waiting on it
forever.)

When the stream breaks (a conductor restarts, the network fails) the agent dials again
with exponential backoff capped at `reconnect_max_seconds` and starts over with Hello and
Resync; with several endpoints configured, the new stream may land on another replica.
Power events queued while disconnected are dropped at reconnect: the Resync that follows
carries the newer truth. Results of commands that finish while disconnected are
sent after the Resync of the next stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable

import grpc
import structlog
from opentelemetry.trace import SpanKind

from services.agent import metrics, power_state
from services.agent.driver import ComputeDriver, DriverError
from services.agent.power_state import PowerState
from services.runtime import context, grpc_client, tracing
from stratus.v1 import agent_pb2, agent_pb2_grpc, types_pb2

log = structlog.get_logger(__name__)

TOKEN_METADATA_KEY = "x-stratus-agent-token"
# Until a Welcome says otherwise.
DEFAULT_CAPACITY_INTERVAL_SECONDS = 10.0
INITIAL_BACKOFF_SECONDS = 0.1
# How long a closing stream may take to end after the agent half-closes it, and its
# helper tasks to stop.
CLOSE_GRACE_SECONDS = 2.0
# Until a Welcome says otherwise: how often each side says it is alive, and how long a
# silent conductor is trusted (also the deadline for the Welcome itself).
DEFAULT_HEARTBEAT_INTERVAL_SECONDS = 2.0
DEFAULT_HEARTBEAT_TIMEOUT_SECONDS = 6.0
# Transport-level liveness: HTTP/2 pings on the stream's connection, and how long a ping
# may go unanswered before the connection (and the stream) is declared dead. Each stream
# dials on a fresh channel with its own connections: gRPC's process-wide subchannels would
# otherwise carry their reconnect backoff (growing to minutes) over from the outage, and a
# conductor back after a long one would wait that long to be dialled.
CHANNEL_OPTIONS: tuple[tuple[str, int], ...] = (
    ("grpc.keepalive_time_ms", 5_000),
    ("grpc.keepalive_timeout_ms", 5_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.max_pings_without_data", 0),
    ("grpc.use_local_subchannel_pool", 1),
    ("grpc.initial_reconnect_backoff_ms", 100),
    # The least time one connection attempt is given: a conductor that has just opened its
    # port on a busy machine may take longer than 100 ms to answer.
    ("grpc.min_reconnect_backoff_ms", 5_000),
    ("grpc.max_reconnect_backoff_ms", 1_000),
)

Op = agent_pb2.Command
Operation = Callable[[ComputeDriver, agent_pb2.Command], Awaitable["PowerState | None"]]
Read = Callable[[ComputeDriver, agent_pb2.Command], Awaitable[agent_pb2.CommandResult]]


def _spawn_spec(command: agent_pb2.Command) -> agent_pb2.SpawnSpec:
    spec = agent_pb2.SpawnSpec()
    spec.CopyFrom(command.spawn)
    if not spec.instance_id:
        spec.instance_id = command.instance_id
    return spec


# Command op -> the driver call that carries it out.
OPERATIONS: dict[int, Operation] = {
    Op.OP_SPAWN: lambda d, c: d.spawn(_spawn_spec(c)),
    Op.OP_DESTROY: lambda d, c: d.destroy(c.instance_id),
    Op.OP_STOP: lambda d, c: d.power_off(c.instance_id),
    Op.OP_START: lambda d, c: d.power_on(c.instance_id),
    Op.OP_REBOOT_SOFT: lambda d, c: d.reboot(c.instance_id, hard=False),
    Op.OP_REBOOT_HARD: lambda d, c: d.reboot(c.instance_id, hard=True),
    Op.OP_PAUSE: lambda d, c: d.pause(c.instance_id),
    Op.OP_UNPAUSE: lambda d, c: d.unpause(c.instance_id),
    Op.OP_SUSPEND: lambda d, c: d.suspend(c.instance_id),
    Op.OP_RESUME: lambda d, c: d.resume(c.instance_id),
}


async def _console_output(
    driver: ComputeDriver, command: agent_pb2.Command
) -> agent_pb2.CommandResult:
    output = await driver.console_output(command.instance_id, command.console_length)
    return agent_pb2.CommandResult(console_output=output)


async def _vnc_console(
    driver: ComputeDriver, command: agent_pb2.Command
) -> agent_pb2.CommandResult:
    return agent_pb2.CommandResult(console=await driver.vnc_console(command.instance_id))


# Command op -> the driver read that answers it (fills the result; no instance lock).
READS: dict[int, Read] = {
    Op.OP_CONSOLE_OUTPUT: _console_output,
    Op.OP_VNC_CONSOLE: _vnc_console,
}


def op_name(op: int) -> str:
    """A command op as a metric label: OP_REBOOT_SOFT -> reboot_soft."""
    if op not in OPERATIONS and op not in READS:
        return "unknown"
    return str(agent_pb2.Command.Op.Name(op)).removeprefix("OP_").lower()


class InstanceLocks:
    """One lock per instance id, kept only while someone holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


async def _requests(
    outbox: asyncio.Queue[agent_pb2.AgentMessage | None],
) -> AsyncIterator[agent_pb2.AgentMessage]:
    """The request side of the stream; None in the outbox half-closes it."""
    while True:
        message = await outbox.get()
        if message is None:
            return
        yield message


class ConductorChannel:
    """Holds the stream to the conductor for a set of hosts until stopped."""

    def __init__(
        self,
        drivers: Iterable[ComputeDriver],
        events: asyncio.Queue[agent_pb2.PowerStateEvent],
        *,
        agent_id: str,
        endpoints: str,
        token: str,
        reconnect_max_seconds: float = 5.0,
        command_drain_seconds: float = 30.0,
        heartbeat_interval_seconds: float = DEFAULT_HEARTBEAT_INTERVAL_SECONDS,
        heartbeat_timeout_seconds: float = DEFAULT_HEARTBEAT_TIMEOUT_SECONDS,
    ) -> None:
        self._drivers = {driver.host: driver for driver in drivers}
        self._events = events
        self._agent_id = agent_id
        self._endpoints = [e.strip() for e in endpoints.split(",") if e.strip()]
        if not self._endpoints:
            raise ValueError("no conductor endpoints configured")
        self._token = token
        self._reconnect_max_seconds = reconnect_max_seconds
        self._command_drain_seconds = command_drain_seconds
        self._default_heartbeat = (heartbeat_interval_seconds, heartbeat_timeout_seconds)
        self._heartbeat_interval, self._heartbeat_timeout = self._default_heartbeat
        # When the conductor last sent anything on the current stream (monotonic).
        self._last_heard = 0.0
        self._heartbeat_rearm = asyncio.Event()
        self._locks = InstanceLocks()
        self._tasks: set[asyncio.Task[None]] = set()
        self._outbox: asyncio.Queue[agent_pb2.AgentMessage | None] | None = None
        self._pending_results: list[agent_pb2.AgentMessage] = []
        self._capacity_interval = DEFAULT_CAPACITY_INTERVAL_SECONDS
        self._capacity_wakeup = asyncio.Event()
        self._dirty_hosts: set[str] = set()
        self._welcomed = False
        self._stopping = False
        self._session_ended = asyncio.Event()
        # Set while a stream is open and welcomed; for callers that wait for the link.
        self.connected = asyncio.Event()

    # -- lifecycle -------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Connect, serve and reconnect until `stop` is set; then shut down gracefully.

        On stop: new commands are refused, running ones get `command_drain_seconds` to
        finish and send their results, then the stream is half-closed.
        """
        connector = asyncio.create_task(self._connect_forever(), name="agent-channel")
        stopped = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({connector, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopped.cancel()
            self._stopping = True
            await self._drain_commands()
            await self._close_stream()
            connector.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await connector

    async def _connect_forever(self) -> None:
        backoff = INITIAL_BACKOFF_SECONDS
        while not self._stopping:
            self._welcomed = False
            metrics.CONNECTS.inc()
            try:
                await self._session()
                log.warning("stream to conductor ended", endpoints=self._endpoints)
            except grpc.aio.AioRpcError as error:
                log.warning(
                    "stream to conductor failed",
                    endpoints=self._endpoints,
                    code=error.code().name,
                    details=error.details(),
                )
            except Exception:
                log.exception("stream to conductor failed", endpoints=self._endpoints)
            if self._stopping:
                return
            if self._welcomed:
                backoff = INITIAL_BACKOFF_SECONDS
            delay = backoff * (1 + random.random() / 5)
            log.info("reconnecting to conductor", delay_seconds=round(delay, 3))
            await asyncio.sleep(delay)
            backoff = min(backoff * 2, self._reconnect_max_seconds)

    async def _session(self) -> None:
        """One stream, from Hello to its end (or to the heartbeat deadline)."""
        self._session_ended.clear()
        self._heartbeat_interval, self._heartbeat_timeout = self._default_heartbeat
        outbox: asyncio.Queue[agent_pb2.AgentMessage | None] = asyncio.Queue()
        for message in await self._snapshot():
            outbox.put_nowait(message)
        helpers: list[asyncio.Task[None]] = []
        channel = grpc_client.channel(self._endpoints, options=CHANNEL_OPTIONS)
        try:
            stub = agent_pb2_grpc.AgentChannelStub(channel)
            call = stub.Connect(_requests(outbox), metadata=((TOKEN_METADATA_KEY, self._token),))
            self._last_heard = time.monotonic()
            self._outbox = outbox
            for result in self._pending_results:
                outbox.put_nowait(result)
            self._pending_results.clear()
            reader = asyncio.create_task(self._read_stream(call), name="agent-stream-reader")
            helpers = [
                reader,
                asyncio.create_task(self._heartbeat_deadline(), name="agent-watchdog"),
                asyncio.create_task(self._forward_events(outbox)),
                asyncio.create_task(self._report_capacity(outbox)),
                asyncio.create_task(self._send_heartbeats(outbox)),
            ]
            # Whichever ends first ends the stream: the reader (the stream ended or
            # failed) or the watchdog (the deadline passed); the others never end.
            done, _ = await asyncio.wait(helpers, return_when=asyncio.FIRST_COMPLETED)
            call.cancel()
            for helper in done - {reader}:
                if not helper.cancelled() and helper.exception() is not None:
                    log.error("stream helper failed", exc_info=helper.exception())
            failure = reader.exception() if reader.done() and not reader.cancelled() else None
            if failure is not None:
                raise failure
        finally:
            self._outbox = None
            self.connected.clear()
            metrics.CONNECTED.set(0)
            # Every wait below is bounded: nothing of a dead stream may hold up the next.
            for helper in helpers:
                helper.cancel()
            closing = asyncio.ensure_future(channel.close())
            _, stuck = await asyncio.wait([*helpers, closing], timeout=CLOSE_GRACE_SECONDS)
            if stuck:
                log.error("parts of the old stream did not stop in time", parts=len(stuck))
            self._session_ended.set()

    async def _read_stream(self, call: AsyncIterator[agent_pb2.ConductorMessage]) -> None:
        async for message in call:
            self._last_heard = time.monotonic()
            self._receive(message)

    async def _heartbeat_deadline(self) -> None:
        """Returns (ending the stream) once the conductor has been silent past the deadline."""
        while True:
            silent = time.monotonic() - self._last_heard
            if silent > self._heartbeat_timeout:
                metrics.HEARTBEAT_TIMEOUTS.inc()
                log.warning(
                    "conductor silent past the heartbeat deadline; dropping the stream",
                    silent_seconds=round(silent, 2),
                    timeout_seconds=self._heartbeat_timeout,
                    welcomed=self._welcomed,
                )
                return
            # Wakes at least twice a second: a Welcome may shorten the deadline meanwhile.
            await asyncio.sleep(min(max(self._heartbeat_timeout - silent, 0.0) + 0.05, 0.5))

    async def _send_heartbeats(self, outbox: asyncio.Queue[agent_pb2.AgentMessage | None]) -> None:
        """Tell the conductor the agent is alive, also when nothing else flows up."""
        while True:
            try:
                # A Welcome re-arms the timer with the conductor's interval.
                async with asyncio.timeout(self._heartbeat_interval):
                    await self._heartbeat_rearm.wait()
                self._heartbeat_rearm.clear()
                continue
            except TimeoutError:
                pass
            beat = agent_pb2.Heartbeat()
            beat.sent_at.GetCurrentTime()
            outbox.put_nowait(agent_pb2.AgentMessage(heartbeat=beat))

    async def _close_stream(self) -> None:
        outbox = self._outbox
        if outbox is None:
            return
        outbox.put_nowait(None)
        try:
            await asyncio.wait_for(self._session_ended.wait(), CLOSE_GRACE_SECONDS)
        except TimeoutError:
            log.warning("conductor did not end the stream in time; closing it")

    async def _drain_commands(self) -> None:
        if not self._tasks:
            return
        log.info("waiting for running commands", commands=len(self._tasks))
        _, pending = await asyncio.wait(set(self._tasks), timeout=self._command_drain_seconds)
        if pending:
            log.warning("commands still running at shutdown, abandoned", commands=len(pending))
            for task in pending:
                task.cancel()

    # -- what flows up ---------------------------------------------------------------

    async def _snapshot(self) -> list[agent_pb2.AgentMessage]:
        """Hello and one Resync per host, as of now.

        Events queued before this moment are dropped: the snapshot already shows their
        outcome, and sending them after it would replay older states over newer ones.
        """
        dropped = 0
        while not self._events.empty():
            self._events.get_nowait()
            dropped += 1
        if dropped:
            log.info("power events superseded by resync", dropped=dropped)
        hosts = [await self._host(name) for name in self._drivers]
        messages = [
            agent_pb2.AgentMessage(hello=agent_pb2.Hello(agent_id=self._agent_id, hosts=hosts))
        ]
        for name, driver in self._drivers.items():
            domains = await driver.list_domains()
            messages.append(
                agent_pb2.AgentMessage(resync=agent_pb2.Resync(host=name, domains=domains))
            )
        return messages

    async def _host(self, name: str) -> types_pb2.Host:
        host = await self._drivers[name].host_info()
        host.agent_id = self._agent_id
        return host

    async def _forward_events(self, outbox: asyncio.Queue[agent_pb2.AgentMessage | None]) -> None:
        while True:
            event = await self._events.get()
            outbox.put_nowait(agent_pb2.AgentMessage(power_event=event))
            metrics.POWER_EVENTS.labels(event.event).inc()
            self._mark_changed(event.host)

    async def _report_capacity(self, outbox: asyncio.Queue[agent_pb2.AgentMessage | None]) -> None:
        """Per host: a report every interval, and soon after a change on it."""
        while True:
            try:
                async with asyncio.timeout(self._capacity_interval):
                    await self._capacity_wakeup.wait()
                hosts, self._dirty_hosts = self._dirty_hosts, set()
            except TimeoutError:
                hosts, self._dirty_hosts = set(self._drivers), set()
            self._capacity_wakeup.clear()
            for name in sorted(hosts):
                report = agent_pb2.CapacityReport(host=await self._host(name))
                outbox.put_nowait(agent_pb2.AgentMessage(capacity=report))

    def _mark_changed(self, host: str) -> None:
        if host in self._drivers:
            self._dirty_hosts.add(host)
            self._capacity_wakeup.set()

    def _send(self, message: agent_pb2.AgentMessage) -> None:
        """A result goes out now, or after the next Resync if no stream is open."""
        if self._outbox is not None:
            self._outbox.put_nowait(message)
        else:
            self._pending_results.append(message)

    # -- what flows down -------------------------------------------------------------

    def _receive(self, message: agent_pb2.ConductorMessage) -> None:
        kind = message.WhichOneof("body")
        if kind == "welcome":
            welcome = message.welcome
            if welcome.capacity_interval_seconds > 0:
                self._capacity_interval = float(welcome.capacity_interval_seconds)
            if welcome.heartbeat_interval_seconds > 0:
                self._heartbeat_interval = welcome.heartbeat_interval_seconds
            if welcome.heartbeat_timeout_seconds > 0:
                self._heartbeat_timeout = welcome.heartbeat_timeout_seconds
            self._heartbeat_rearm.set()
            self._capacity_wakeup.set()  # re-arm the capacity timer with the new interval
            self._welcomed = True
            self.connected.set()
            metrics.CONNECTED.set(1)
            log.info(
                "connected to conductor",
                conductor_id=welcome.conductor_id,
                capacity_interval_seconds=self._capacity_interval,
                heartbeat_interval_seconds=self._heartbeat_interval,
                heartbeat_timeout_seconds=self._heartbeat_timeout,
            )
        elif kind == "command":
            self._accept(message.command)

    def _accept(self, command: agent_pb2.Command) -> None:
        if self._stopping:
            metrics.COMMANDS.labels(op_name(command.op), "rejected").inc()
            self._send(
                agent_pb2.AgentMessage(
                    result=agent_pb2.CommandResult(
                        command_id=command.command_id, ok=False, error="agent is shutting down"
                    )
                )
            )
            return
        # Tasks start in arrival order and take the instance lock before their first
        # await, so commands for one instance run in the order they came.
        task = asyncio.create_task(self._execute(command))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _execute(self, command: agent_pb2.Command) -> None:
        op = op_name(command.op)
        instance_id = command.instance_id or command.spawn.instance_id
        ctx = context.RequestContext(request_id=command.request_id or context.new_request_id())
        started = time.perf_counter()
        result = agent_pb2.CommandResult(command_id=command.command_id)
        with (
            context.bound(ctx),
            structlog.contextvars.bound_contextvars(
                command_id=command.command_id, op=op, host=command.host, instance_id=instance_id
            ),
            tracing.span(
                f"agent {op}",
                kind=SpanKind.SERVER,
                parent=tracing.parent_from_traceparent(command.traceparent),
                request_id=ctx.request_id,
                attributes={"stratus.host": command.host, "stratus.instance_id": instance_id},
            ) as span,
        ):
            driver = self._drivers.get(command.host)
            try:
                if driver is None:
                    raise DriverError(f"host {command.host!r} is not served by this agent")
                read = READS.get(command.op)
                operation = OPERATIONS.get(command.op)
                if read is not None:
                    result.MergeFrom(await read(driver, command))
                    state: PowerState | None = await driver.power_state(instance_id)
                elif operation is not None:
                    async with self._locks.hold(instance_id):
                        log.info("command started")
                        state = await operation(driver, command)
                else:
                    raise DriverError(f"unsupported command op {command.op}")
                result.ok = True
                result.power_state = state if state is not None else power_state.NOSTATE
            except DriverError as error:
                result.error = error.message
            except Exception as error:
                log.exception("command crashed")
                result.error = f"internal error: {error}"
            if not result.ok:
                tracing.fail(span, result.error)
            if not result.ok and driver is not None:
                with contextlib.suppress(Exception):
                    result.power_state = await driver.power_state(instance_id)
            seconds = time.perf_counter() - started
            outcome = "ok" if result.ok else "error"
            metrics.COMMANDS.labels(op, outcome).inc()
            metrics.COMMAND_SECONDS.labels(op).observe(seconds)
            log.info(
                "command finished",
                ok=result.ok,
                error=result.error or None,
                power_state=result.power_state,
                seconds=round(seconds, 4),
            )
        self._send(agent_pb2.AgentMessage(result=result))
        if command.op not in READS:
            self._mark_changed(command.host)
