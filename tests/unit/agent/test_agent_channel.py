"""The agent's stream to a real grpc.aio AgentChannel server started on a loopback port.

The fake conductor records every message the agent sends and lets a test push commands
down the stream: the same wire, the same generated code, no mocks.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import grpc
import pytest
import structlog
from agent_helpers import open_host, spawn_spec

from services.agent.channel import TOKEN_METADATA_KEY, ConductorChannel
from services.agent.libvirt_driver import LibvirtDriver
from stratus.v1 import agent_pb2, agent_pb2_grpc, types_pb2

pytestmark = pytest.mark.asyncio(loop_scope="session")

TOKEN = "test-token"
WAIT_SECONDS = 10.0
RUNNING = types_pb2.POWER_STATE_RUNNING
PAUSED = types_pb2.POWER_STATE_PAUSED
SHUTDOWN = types_pb2.POWER_STATE_SHUTDOWN

Op = agent_pb2.Command


class FakeConductor(agent_pb2_grpc.AgentChannelServicer):
    """Welcomes every stream, records what comes up, sends what a test queues.

    Like the real conductor it sends a heartbeat every `heartbeat_interval_seconds`, tells
    the agent its deadline in the Welcome and ends a stream silent past it (`dropped`
    counts those). `freeze()` makes the current stream go
    silent as a stopped process would (nothing read, nothing sent, the socket still open);
    `welcome=False` never answers Hello (a conductor stuck before its Welcome).
    """

    def __init__(
        self,
        *,
        welcome: bool = True,
        heartbeat_interval_seconds: float = 0.5,
        heartbeat_timeout_seconds: float = 3.0,
        capacity_interval_seconds: int = 1,
    ) -> None:
        self.received: asyncio.Queue[agent_pb2.AgentMessage] = asyncio.Queue()
        self.tokens: list[str | None] = []
        self.streams = 0
        self.dropped = 0
        self.welcome = welcome
        self.heartbeat = (heartbeat_interval_seconds, heartbeat_timeout_seconds)
        self.capacity_interval_seconds = capacity_interval_seconds
        self._outgoing: asyncio.Queue[agent_pb2.ConductorMessage | None] = asyncio.Queue()
        self._frozen = asyncio.Event()

    def freeze(self) -> None:
        """The current stream goes silent; streams opened later behave again."""
        self._frozen.set()

    def send(self, command: agent_pb2.Command) -> None:
        self._outgoing.put_nowait(agent_pb2.ConductorMessage(command=command))

    async def Connect(
        self,
        request_iterator: AsyncIterator[agent_pb2.AgentMessage],
        context: grpc.aio.ServicerContext,
    ) -> AsyncIterator[agent_pb2.ConductorMessage]:
        metadata = dict(context.invocation_metadata() or ())
        self.tokens.append(metadata.get(TOKEN_METADATA_KEY))  # type: ignore[arg-type]
        self.streams += 1
        outgoing: asyncio.Queue[agent_pb2.ConductorMessage | None] = asyncio.Queue()
        self._outgoing = outgoing
        frozen = self._frozen = asyncio.Event()
        interval, timeout = self.heartbeat

        heard = asyncio.get_running_loop().time()

        async def read() -> None:
            nonlocal heard
            async for message in request_iterator:
                if frozen.is_set():
                    break
                heard = asyncio.get_running_loop().time()
                self.received.put_nowait(message)
                if message.WhichOneof("body") == "hello" and self.welcome:
                    welcome = agent_pb2.Welcome(
                        conductor_id="c-1",
                        capacity_interval_seconds=self.capacity_interval_seconds,
                        heartbeat_interval_seconds=interval,
                        heartbeat_timeout_seconds=timeout,
                    )
                    outgoing.put_nowait(agent_pb2.ConductorMessage(welcome=welcome))
            await frozen.wait()  # a frozen process never ends its streams either

        async def beat() -> None:
            while True:
                await asyncio.sleep(interval)
                if asyncio.get_running_loop().time() - heard > timeout and not frozen.is_set():
                    self.dropped += 1
                    outgoing.put_nowait(None)
                    return
                outgoing.put_nowait(agent_pb2.ConductorMessage(heartbeat=agent_pb2.Heartbeat()))

        reader = asyncio.create_task(read())
        beater = asyncio.create_task(beat()) if self.welcome else None
        try:
            while (message := await outgoing.get()) is not None:
                if frozen.is_set():
                    await asyncio.Event().wait()  # silent until the agent gives up
                yield message
        finally:
            reader.cancel()
            if beater is not None:
                beater.cancel()

    async def expect(self, kind: str, match: Callable[[Any], bool] = lambda body: True) -> Any:
        """The next message of `kind` whose body matches, skipping others."""

        async def wait() -> Any:
            while True:
                message = await self.received.get()
                if message.WhichOneof("body") == kind:
                    body = getattr(message, kind)
                    if match(body):
                        return body

        return await asyncio.wait_for(wait(), WAIT_SECONDS)


async def start_server(conductor: FakeConductor, port: int = 0) -> tuple[grpc.aio.Server, int]:
    server = grpc.aio.server()
    agent_pb2_grpc.add_AgentChannelServicer_to_server(conductor, server)
    bound = server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    return server, bound


@contextlib.asynccontextmanager
async def running_agent(
    drivers: list[LibvirtDriver],
    events: asyncio.Queue[agent_pb2.PowerStateEvent],
    port: int,
    *,
    heartbeat_interval_seconds: float = 0.5,
    heartbeat_timeout_seconds: float = 30.0,
) -> AsyncIterator[ConductorChannel]:
    channel = ConductorChannel(
        drivers,
        events,
        agent_id="agent-1",
        endpoints=f"127.0.0.1:{port}",
        token=TOKEN,
        reconnect_max_seconds=0.5,
        command_drain_seconds=5,
        heartbeat_interval_seconds=heartbeat_interval_seconds,
        heartbeat_timeout_seconds=heartbeat_timeout_seconds,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(channel.run(stop))
    try:
        yield channel
    finally:
        stop.set()
        await asyncio.wait_for(task, WAIT_SECONDS)


@contextlib.asynccontextmanager
async def two_hosts(
    tmp_path: Path,
) -> AsyncIterator[tuple[list[LibvirtDriver], asyncio.Queue[agent_pb2.PowerStateEvent]]]:
    events: asyncio.Queue[agent_pb2.PowerStateEvent] = asyncio.Queue()
    drivers = [open_host(tmp_path, name, events) for name in ("host-1", "host-2")]
    try:
        yield drivers, events
    finally:
        for driver in drivers:
            await driver.close()


def command(op: int, instance_id: str, host: str = "host-1", **fields: object) -> Op:
    return agent_pb2.Command(
        command_id=str(uuid.uuid4()),
        host=host,
        op=op,  # type: ignore[arg-type]
        instance_id=instance_id,
        request_id=f"req-{uuid.uuid4()}",
        **fields,  # type: ignore[arg-type]
    )


async def test_hello_resync_command_event_and_reconnect(tmp_path: Path) -> None:
    conductor = FakeConductor()
    server, port = await start_server(conductor)
    async with two_hosts(tmp_path) as (drivers, events), running_agent(drivers, events, port):
        # Who the agent is, then every host's domains.
        hello = await conductor.expect("hello")
        assert hello.agent_id == "agent-1"
        assert [h.name for h in hello.hosts] == ["host-1", "host-2"]
        assert all(h.vcpus == 16 and h.agent_id == "agent-1" for h in hello.hosts)
        assert (await conductor.expect("resync")).host == "host-1"
        assert (await conductor.expect("resync")).host == "host-2"
        assert conductor.tokens == [TOKEN]

        # A command runs and its result comes back with the power state.
        spec = spawn_spec(vcpus=3)
        spawn = command(Op.OP_SPAWN, spec.instance_id, spawn=spec)
        conductor.send(spawn)
        result = await conductor.expect("result", lambda r: r.command_id == spawn.command_id)
        assert (result.ok, result.error, result.power_state) == (True, "", RUNNING)

        # libvirt's lifecycle event is forwarded, and the capacity follows the change.
        event = await conductor.expect(
            "power_event", lambda e: e.instance_id == spec.instance_id and e.event == "STARTED"
        )
        assert (event.host, event.power_state) == ("host-1", RUNNING)
        report = await conductor.expect(
            "capacity", lambda c: c.host.name == "host-1" and c.host.vcpus_used == 3
        )
        assert report.host.running_vms == 1

        # The conductor goes away and comes back on the same port: the agent reconnects
        # and tells it again what it has.
        await server.stop(grace=None)
        server, _ = await start_server(conductor, port)
        hello = await conductor.expect("hello")
        assert [h.vcpus_used for h in hello.hosts] == [3, 0]
        resync = await conductor.expect("resync", lambda r: r.host == "host-1")
        assert [(d.instance_id, d.power_state) for d in resync.domains] == [
            (spec.instance_id, RUNNING)
        ]
        assert conductor.streams == 2

        # And commands flow again on the new stream.
        stop = command(Op.OP_STOP, spec.instance_id)
        conductor.send(stop)
        result = await conductor.expect("result", lambda r: r.command_id == stop.command_id)
        assert (result.ok, result.power_state) == (True, SHUTDOWN)
    await server.stop(grace=None)


async def test_commands_for_one_instance_run_in_arrival_order(tmp_path: Path) -> None:
    conductor = FakeConductor()
    server, port = await start_server(conductor)
    async with two_hosts(tmp_path) as (drivers, events), running_agent(drivers, events, port):
        await conductor.expect("hello")
        spec = spawn_spec()
        sequence = [
            command(Op.OP_SPAWN, spec.instance_id, spawn=spec),
            command(Op.OP_PAUSE, spec.instance_id),
            command(Op.OP_UNPAUSE, spec.instance_id),
            command(Op.OP_STOP, spec.instance_id),
            command(Op.OP_DESTROY, spec.instance_id),
        ]
        for each in sequence:
            conductor.send(each)
        results = [await conductor.expect("result") for _ in sequence]
        assert [r.command_id for r in results] == [c.command_id for c in sequence]
        assert [r.ok for r in results] == [True] * 5
        assert [r.power_state for r in results] == [
            RUNNING,
            PAUSED,
            RUNNING,
            SHUTDOWN,
            types_pb2.POWER_STATE_NOSTATE,
        ]
    await server.stop(grace=None)


async def test_a_failed_command_reports_the_error(tmp_path: Path) -> None:
    conductor = FakeConductor()
    server, port = await start_server(conductor)
    async with two_hosts(tmp_path) as (drivers, events), running_agent(drivers, events, port):
        await conductor.expect("hello")
        missing = command(Op.OP_START, str(uuid.uuid4()))
        conductor.send(missing)
        result = await conductor.expect("result")
        assert (result.command_id, result.ok) == (missing.command_id, False)
        assert "no domain" in result.error

        elsewhere = command(Op.OP_START, str(uuid.uuid4()), host="host-9")
        conductor.send(elsewhere)
        result = await conductor.expect("result")
        assert not result.ok and "not served by this agent" in result.error
    await server.stop(grace=None)


async def test_every_log_line_of_a_command_carries_its_request_id(tmp_path: Path) -> None:
    conductor = FakeConductor()
    server, port = await start_server(conductor)
    async with two_hosts(tmp_path) as (drivers, events), running_agent(drivers, events, port):
        await conductor.expect("hello")
        spec = spawn_spec()
        spawn = command(Op.OP_SPAWN, spec.instance_id, spawn=spec)
        with structlog.testing.capture_logs(
            processors=[structlog.contextvars.merge_contextvars]
        ) as logs:
            conductor.send(spawn)
            await conductor.expect("result")
        lines = [line for line in logs if line.get("command_id") == spawn.command_id]
        assert {line["event"] for line in lines} >= {
            "command started",
            "spawned",
            "command finished",
        }
        assert {line["request_id"] for line in lines} == {spawn.request_id}
    await server.stop(grace=None)


async def test_the_agent_says_it_is_alive_at_the_welcomed_interval(tmp_path: Path) -> None:
    # The agent's own interval (5 s) would miss the conductor's deadline (1 s): only the
    # Welcome's interval keeps the stream.
    conductor = FakeConductor(
        heartbeat_interval_seconds=0.2, heartbeat_timeout_seconds=1.0, capacity_interval_seconds=60
    )
    server, port = await start_server(conductor)
    async with (
        two_hosts(tmp_path) as (drivers, events),
        running_agent(drivers, events, port, heartbeat_interval_seconds=5.0),
    ):
        await conductor.expect("hello")
        # Nothing else happens on the hosts: only heartbeats keep coming up.
        for _ in range(8):
            await conductor.expect("heartbeat")
        assert (conductor.streams, conductor.dropped) == (1, 0)
    await server.stop(grace=None)


async def test_a_frozen_conductor_is_dropped_at_the_welcomed_deadline(tmp_path: Path) -> None:
    # The agent's own deadline (30 s) is far longer than the test waits: only the
    # conductor's Welcome (1 s) can make it give up in time.
    conductor = FakeConductor(heartbeat_interval_seconds=0.2, heartbeat_timeout_seconds=1.0)
    server, port = await start_server(conductor)
    async with (
        two_hosts(tmp_path) as (drivers, events),
        running_agent(drivers, events, port) as agent,
    ):
        await conductor.expect("hello")
        await asyncio.wait_for(agent.connected.wait(), WAIT_SECONDS)
        conductor.freeze()
        # The stream stays open but silent; the agent drops it and dials again.
        hello = await conductor.expect("hello")
        assert hello.agent_id == "agent-1"
        assert conductor.streams == 2
        await conductor.expect("resync", lambda r: r.host == "host-2")
        await asyncio.wait_for(agent.connected.wait(), WAIT_SECONDS)
    await server.stop(grace=None)


async def test_a_conductor_that_never_welcomes_is_dropped_at_the_deadline(
    tmp_path: Path,
) -> None:
    conductor = FakeConductor(welcome=False)
    server, port = await start_server(conductor)
    async with (
        two_hosts(tmp_path) as (drivers, events),
        running_agent(drivers, events, port, heartbeat_timeout_seconds=1.0) as agent,
    ):
        await conductor.expect("hello")
        await conductor.expect("hello")  # a second stream, after the first went unanswered
        assert conductor.streams >= 2
        assert not agent.connected.is_set()
    await server.stop(grace=None)


async def test_stream_helpers_stop_when_cancelled_as_they_wake(tmp_path: Path) -> None:
    # A stream's helpers are cancelled when it ends. A cancellation that lands just as a
    # helper's timed wait ends (a command finished, a Welcome came) must still stop it:
    # the agent waits for its helpers before it dials again, so one that ran on would
    # keep it from ever reconnecting.
    async with two_hosts(tmp_path) as (drivers, events):
        channel = ConductorChannel(
            drivers, events, agent_id="agent-1", endpoints="127.0.0.1:1", token=TOKEN
        )
        outbox: asyncio.Queue[agent_pb2.AgentMessage | None] = asyncio.Queue()
        wakeups: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
            (
                "capacity",
                lambda: channel._report_capacity(outbox),
                lambda: channel._mark_changed("host-1"),
            ),
            (
                "heartbeat",
                lambda: channel._send_heartbeats(outbox),
                lambda: channel._heartbeat_rearm.set(),
            ),
        ]
        for name, helper, wake in wakeups:
            task = asyncio.create_task(helper())
            await asyncio.sleep(0.05)  # waiting for its next wakeup
            wake()
            task.cancel()
            done, _ = await asyncio.wait({task}, timeout=2)
            assert done, f"the {name} helper ran on after its cancellation"
