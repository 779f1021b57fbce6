"""The agent link under faults: dead and frozen conductors, agent restarts, short outages.

Real processes (etcd, scheduler, conductor, api, agent on libvirt's test driver) and real
signals: SIGKILL for a process that dies, SIGSTOP for one that freezes with its sockets
open. The test never helps the agent: it only kills, freezes and restarts the others and
watches what the cloud does.

What must hold:
- an agent notices a dead or frozen conductor within seconds (gRPC keepalive and the
  heartbeat deadline) and reconnects, to the restarted conductor or another replica;
- the conductor ends the stream of a frozen agent at the heartbeat deadline;
- a resync that finds orphan domains never holds up the agent's other results;
- a backlog of builds survives an agent restart and a conductor outage: all ACTIVE;
- a server deleted while its host is unreachable leaves no domain behind.

Measured figures are printed (run with `-s` to see them).
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import grpc
import pytest

from services.api.status import server_status
from services.conductor import pending_destroys
from services.state import claims, keys
from services.state.etcd import Etcd, KeyValue
from services.state.etcd_server import free_port
from services.state.store import Store
from stratus.v1 import agent_pb2, agent_pb2_grpc, compute_pb2
from stratus.v1 import types_pb2 as t
from tests.integration.cloud import AGENT_TOKEN, Cloud, ServiceProcess
from tests.integration.helpers import Stub, create, get, wait_gone, wait_status
from tests.waiting import eventually

HOSTS = 3
HEARTBEAT_INTERVAL_SECONDS = 0.5
HEARTBEAT_TIMEOUT_SECONDS = 2.0
# The liveness lease of the test clouds (`--service-lease-ttl-seconds 3`): the hosts' grace.
HOST_GRACE_SECONDS = 3.0
# How long an agent may take to be back after its conductor returns: the heartbeat
# deadline, the reconnect backoff (0.5 s at most here) and a loaded test machine.
RECONNECT_BOUND_SECONDS = 20.0
BACKLOG = 100
# Far below the conductor's command timeout (120 s): a result held up behind a
# resync would take that long.
PROMPT_SECONDS = 30.0


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    root: Path = tmp_path_factory.mktemp("agent-link")
    with Cloud(
        root,
        hosts=HOSTS,
        extra_args={
            "conductor": [
                "--heartbeat-interval-seconds",
                str(HEARTBEAT_INTERVAL_SECONDS),
                "--heartbeat-timeout-seconds",
                str(HEARTBEAT_TIMEOUT_SECONDS),
            ]
        },
    ).running() as cloud:
        yield cloud


@pytest.fixture
async def store(cloud: Cloud) -> AsyncIterator[Store]:
    assert cloud.etcd is not None
    etcd = Etcd(cloud.etcd.endpoint)
    await etcd.connect()
    yield Store(etcd)
    await etcd.close()


async def hosts_up(stub: Stub) -> int:
    hosts = (await stub.ListHosts(compute_pb2.ListHostsRequest())).hosts
    return sum(1 for h in hosts if h.up)


async def all_hosts_down(stub: Stub) -> bool:
    return await hosts_up(stub) == 0


async def all_hosts_up(stub: Stub) -> bool:
    return await hosts_up(stub) == HOSTS


async def servers_named(stub: Stub, name: str) -> list[t.Instance]:
    """Every server whose name matches the regular expression `name`, page by page."""
    servers: list[t.Instance] = []
    marker = ""
    while True:
        page = await stub.ListServers(
            compute_pb2.ListServersRequest(name=name, limit=500, marker=marker)
        )
        servers.extend(page.servers)
        if not page.next_marker:
            return servers
        marker = page.next_marker


async def settled(stub: Stub, name: str, count: int) -> list[t.Instance]:
    """The `count` servers named `name` once none is building any more (polls the list)."""

    async def done() -> list[t.Instance] | None:
        servers = await servers_named(stub, f"^{name}")
        finished = [s for s in servers if s.task_state == t.TASK_STATE_NONE]
        building = [s for s in finished if server_status(s) == "BUILD"]
        if len(servers) == count and len(finished) == count and not building:
            return servers
        return None

    return await eventually(done, within_seconds=300, interval=1.0)


def domain_files(cloud: Cloud, state_dir: str = "agent") -> dict[str, str]:
    """Instance id -> host of every domain the agent's simulated hosts keep (on disk)."""
    found = {}
    for path in (cloud.root / state_dir).glob("*/domains/*.xml"):
        found[path.stem] = path.parent.parent.name
    return found


async def orphan_domains(cloud: Cloud, stub: Stub) -> set[str]:
    """Domains on the hosts with no server (of any state) in the API."""
    orphans = set()
    for instance_id in domain_files(cloud):
        if await get(stub, instance_id) is None:
            orphans.add(instance_id)
    return orphans


async def delete_all(stub: Stub, ids: list[str]) -> None:
    for server_id in ids:
        await stub.DeleteServer(compute_pb2.DeleteServerRequest(id=server_id))
    for server_id in ids:
        await wait_gone(stub, server_id, within_seconds=60)


def kill(service: ServiceProcess) -> None:
    assert service.process is not None
    service.process.send_signal(signal.SIGKILL)
    service.process.wait()


def freeze(service: ServiceProcess) -> None:
    os.kill(service.pid, signal.SIGSTOP)


def thaw(service: ServiceProcess) -> None:
    os.kill(service.pid, signal.SIGCONT)


# -- item: a dead or frozen conductor ------------------------------------------------------


async def test_agents_come_back_to_a_conductor_restarted_after_sigkill(
    cloud: Cloud, seeded: Stub
) -> None:
    assert await all_hosts_up(seeded)
    killed_at = time.monotonic()
    kill(cloud.services["conductor"])
    # Nobody deregisters a killed conductor: its hosts go down when their lease expires.
    await eventually(lambda: all_hosts_down(seeded), within_seconds=HOST_GRACE_SECONDS + 10)
    cloud.start_service("conductor")
    restarted_at = time.monotonic()
    # Only the agent can bring its hosts back up: it must have redialled by itself.
    await eventually(lambda: all_hosts_up(seeded), within_seconds=RECONNECT_BOUND_SECONDS)
    up_at = time.monotonic()
    print(
        f"\nconductor SIGKILL: hosts up {up_at - restarted_at:.2f} s after the restart "
        f"({up_at - killed_at:.2f} s after the kill, hosts down meanwhile)"
    )
    (server_id,) = await create(seeded, "after-conductor-kill")
    await wait_status(seeded, server_id, "ACTIVE")
    await delete_all(seeded, [server_id])


async def test_agents_leave_a_frozen_conductor_for_another_replica(
    cloud: Cloud, seeded: Stub
) -> None:
    first = cloud.services["conductor"]
    second = add_conductor(cloud, "conductor-2")
    agent_endpoints = f"127.0.0.1:{first.grpc_port},127.0.0.1:{second.grpc_port}"
    before = await liveness_revision(cloud)
    cloud.restart_service("agent", ["--conductor-endpoints", agent_endpoints])
    try:
        # Which replica holds the restarted agent's stream: the one that wrote its hosts'
        # liveness since the restart.
        holder = await eventually(lambda: stream_holder(cloud, written_after=before))
        frozen, other = (first, second) if holder == first.grpc_port else (second, first)
        frozen_at = time.monotonic()
        freeze(frozen)
        try:
            # The frozen replica's socket stays open and silent: the agent must notice
            # by the heartbeat deadline and move to the other replica, which then holds
            # its hosts. A boot completes while the first replica is still frozen.
            await eventually(
                lambda: stream_held_by(cloud, other.grpc_port),
                within_seconds=RECONNECT_BOUND_SECONDS,
            )
            moved_at = time.monotonic()
            await eventually(lambda: all_hosts_up(seeded), within_seconds=RECONNECT_BOUND_SECONDS)
            print(
                f"\nconductor SIGSTOP: the agent's hosts held by the other replica "
                f"{moved_at - frozen_at:.2f} s after the freeze"
            )
            (server_id,) = await create(seeded, "while-conductor-frozen")
            await wait_status(seeded, server_id, "ACTIVE", within_seconds=60)
        finally:
            thaw(frozen)
        # The thawed replica must not take the hosts back from the live stream.
        await asyncio.sleep(HOST_GRACE_SECONDS + HEARTBEAT_TIMEOUT_SECONDS)
        assert await all_hosts_up(seeded)
        assert await stream_held_by(cloud, other.grpc_port)
        await delete_all(seeded, [server_id])
    finally:
        cloud.restart_service("agent")
        second.stop()
        del cloud.services["conductor-2"]
        cloud.wait_for_hosts(HOSTS)


def add_conductor(cloud: Cloud, name: str) -> ServiceProcess:
    """Another conductor replica on its own port, sharing etcd with the first."""
    first = cloud.services["conductor"]
    port = free_port()
    argv = list(first.argv)
    argv[argv.index("--grpc-port") + 1] = str(port)
    service = ServiceProcess(name, argv, cloud.root / "logs" / f"{name}.log", port)
    cloud.services[name] = service
    cloud.start_service(name)
    return service


async def liveness(cloud: Cloud) -> tuple[list[KeyValue], int]:
    assert cloud.etcd is not None
    etcd = Etcd(cloud.etcd.endpoint)
    await etcd.connect()
    try:
        return await etcd.list(keys.HOST_ALIVE)
    finally:
        await etcd.close()


async def liveness_revision(cloud: Cloud) -> int:
    return (await liveness(cloud))[1]


async def stream_holder(cloud: Cloud, written_after: int = 0) -> int:
    """The port of the conductor whose id every host's liveness key names, if all were
    written after `written_after` (0: mixed, missing or older)."""
    kvs, _ = await liveness(cloud)
    holders = {kv.value.decode().rsplit(":", 1)[-1] for kv in kvs}
    fresh = all(kv.mod_revision > written_after for kv in kvs)
    if len(kvs) != HOSTS or len(holders) != 1 or not fresh:
        return 0
    return int(holders.pop())


async def stream_held_by(cloud: Cloud, port: int) -> bool:
    return await stream_holder(cloud) == port


# -- item: a resync with orphans does not hold up the stream ------------------------------


async def test_orphans_found_by_a_resync_go_while_other_work_completes(
    cloud: Cloud, seeded: Stub, store: Store
) -> None:
    ids = await create(seeded, "orphan-to-be", count=4)
    await asyncio.gather(*(wait_status(seeded, i, "ACTIVE") for i in ids))
    (keeper,) = await create(seeded, "kept")
    await wait_status(seeded, keeper, "ACTIVE")
    # Their records vanish behind the cloud's back: the domains now belong to no server.
    for instance_id in ids:
        await store.etcd.delete_key(keys.INSTANCES + instance_id)
        await claims.release(store, instance_id)
    assert set(ids) <= set(domain_files(cloud))
    # The agent restarts (its domains survive) and its resync reports the orphans.
    before = await liveness_revision(cloud)
    kill(cloud.services["agent"])
    cloud.start_service("agent")
    await eventually(lambda: stream_holder(cloud, written_after=before))
    connected, _ = await liveness(cloud)
    # Work on the same agent goes on at once, not after a command timeout.
    (fresh,) = await create(seeded, "after-resync")
    await wait_status(seeded, fresh, "ACTIVE", within_seconds=PROMPT_SECONDS)
    await seeded.DeleteServer(compute_pb2.DeleteServerRequest(id=keeper))
    await wait_gone(seeded, keeper, within_seconds=PROMPT_SECONDS)
    await eventually(lambda: not set(ids) & set(domain_files(cloud)), within_seconds=PROMPT_SECONDS)
    assert not await orphan_domains(cloud, seeded)
    # All on the one stream the agent opened: nothing had to be torn down to get through.
    assert (await liveness(cloud))[0] == connected
    await delete_all(seeded, [fresh])


# -- item: a short outage does not fail the backlog ---------------------------------------


async def test_a_stream_that_ends_leaves_its_hosts_up_until_their_grace(
    cloud: Cloud, seeded: Stub
) -> None:
    """Hosts are marked down only after their heartbeat grace (the liveness lease's TTL,
    3 s here), not the moment their agent's stream ends: a restart within it is not an
    outage. Checked well inside the grace, after the conductor has seen the stream end."""
    agent = cloud.services["agent"]
    conductor_log = cloud.services["conductor"].log_path
    seen_before = conductor_log.read_text().count("agent disconnected")
    kill(agent)
    try:
        ended = time.monotonic()

        def stream_end_seen() -> bool:
            return conductor_log.read_text().count("agent disconnected") > seen_before

        await eventually(stream_end_seen, within_seconds=2)
        if time.monotonic() - ended < 2.0:  # still inside the 3 s grace
            assert await hosts_up(seeded) == HOSTS
        # After the grace they are down, and back with the agent.
        await eventually(lambda: all_hosts_down(seeded), within_seconds=20)
    finally:
        cloud.start_service("agent")
    await eventually(lambda: all_hosts_up(seeded), within_seconds=RECONNECT_BOUND_SECONDS)


async def test_a_backlog_survives_an_agent_restart(cloud: Cloud, seeded: Stub) -> None:
    ids = await create(seeded, "backlog-agent", count=BACKLOG)
    before = await liveness_revision(cloud)
    kill(cloud.services["agent"])
    down_at = time.monotonic()
    cloud.start_service("agent")
    await eventually(lambda: stream_holder(cloud, written_after=before))
    back_at = time.monotonic()
    servers = await settled(seeded, "backlog-agent", BACKLOG)
    print(
        f"\nagent restart: stream back {back_at - down_at:.2f} s after the kill; "
        f"{BACKLOG} builds settled {time.monotonic() - down_at:.2f} s after it"
    )
    errors = [f"{s.id}: {s.fault.message} {s.fault.details}" for s in servers if s.fault.message]
    assert not errors, errors[:5]
    assert all(server_status(s) == "ACTIVE" for s in servers)
    assert len(domain_files(cloud).keys() & set(ids)) == BACKLOG
    await delete_all(seeded, ids)
    assert not await orphan_domains(cloud, seeded)


async def test_a_backlog_survives_a_conductor_outage(cloud: Cloud, seeded: Stub) -> None:
    ids = await create(seeded, "backlog-conductor", count=BACKLOG)
    kill(cloud.services["conductor"])
    down_at = time.monotonic()
    # Long enough for every host to be down (their lease expired) and the agent to dial
    # a closed port again and again.
    await eventually(lambda: all_hosts_down(seeded), within_seconds=HOST_GRACE_SECONDS + 10)
    await asyncio.sleep(max(0.0, 15.0 - (time.monotonic() - down_at)))
    cloud.start_service("conductor")
    restarted_at = time.monotonic()
    await eventually(lambda: all_hosts_up(seeded), within_seconds=RECONNECT_BOUND_SECONDS)
    up_at = time.monotonic()
    servers = await settled(seeded, "backlog-conductor", BACKLOG)
    print(
        f"\nconductor outage: down {restarted_at - down_at:.2f} s; hosts up "
        f"{up_at - restarted_at:.2f} s after the restart; {BACKLOG} builds settled "
        f"{time.monotonic() - restarted_at:.2f} s after it"
    )
    errors = [f"{s.id}: {s.fault.message} {s.fault.details}" for s in servers if s.fault.message]
    assert not errors, errors[:5]
    assert all(server_status(s) == "ACTIVE" for s in servers)
    await delete_all(seeded, ids)
    assert not await orphan_domains(cloud, seeded)


async def test_a_build_fails_when_no_host_comes_back_within_the_grace(
    cloud: Cloud, seeded: Stub
) -> None:
    cloud.restart_service("conductor", ["--host-wait-grace-seconds", "2"])
    try:
        freeze(cloud.services["agent"])
        try:
            await eventually(lambda: all_hosts_down(seeded), within_seconds=20)
            (server_id,) = await create(seeded, "no-host-back")
            server = await wait_status(seeded, server_id, "ERROR", within_seconds=60)
        finally:
            thaw(cloud.services["agent"])
        assert "No host came back within 2 s" in server.fault.details, server.fault
        await delete_all(seeded, [server_id])
    finally:
        cloud.restart_service("conductor")
        cloud.wait_for_hosts(HOSTS)


async def test_full_hosts_still_fail_a_build_at_once(cloud: Cloud, seeded: Stub) -> None:
    (server_id,) = await create(seeded, "too-big", flavor="huge")
    server = await wait_status(seeded, server_id, "ERROR", within_seconds=PROMPT_SECONDS)
    assert "came back" not in server.fault.details
    assert "No valid host" in server.fault.message
    await delete_all(seeded, [server_id])


async def test_a_host_gone_longer_than_the_grace_does_not_hold_up_a_build(
    cloud: Cloud, seeded: Stub, store: Store
) -> None:
    """A host whose agent died long ago is not coming back: a build that fits nowhere fails
    at once, as if the host were not there, rather than waiting the grace out for it."""
    grace = 2
    cloud.restart_service("conductor", ["--host-wait-grace-seconds", str(grace)])
    gone = cloud.add_agent("agent-gone", hosts=1, prefix="gone-", vcpus=1, memory_mb=1024)
    try:
        cloud.wait_for_hosts(HOSTS + 1)
        kill(gone)

        async def gone_for_longer_than_the_grace() -> bool:
            found = await store.hosts.get("gone-1")
            assert found is not None
            silent = time.time() - found.message.updated_at.ToSeconds()
            # Down for longer than the grace: from its last report it takes a capacity
            # interval (2 s), the heartbeat deadline and the lease (3 s) to be seen down.
            noticed_after = 2 + HEARTBEAT_TIMEOUT_SECONDS + 3
            return await hosts_up(seeded) == HOSTS and silent > noticed_after + grace + 1

        await eventually(gone_for_longer_than_the_grace, within_seconds=40)
        (server_id,) = await create(seeded, "too-big-while-one-is-gone", flavor="huge")
        server = await wait_status(seeded, server_id, "ERROR", within_seconds=PROMPT_SECONDS)
        assert "came back" not in server.fault.details, server.fault
        assert "No valid host" in server.fault.message
        await delete_all(seeded, [server_id])
    finally:
        # The dead host stays listed, down, for the tests after this one.
        cloud.restart_service("conductor")
        cloud.wait_for_hosts(HOSTS)


async def test_a_stream_that_never_says_hello_is_ended_at_the_heartbeat_deadline(
    cloud: Cloud,
) -> None:
    """Holding a stream open without a Hello (a stuck or hostile client) is not allowed."""
    port = cloud.services["conductor"].grpc_port
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = agent_pb2_grpc.AgentChannelStub(channel)
        silent: asyncio.Queue[agent_pb2.AgentMessage] = asyncio.Queue()

        async def nothing() -> AsyncIterator[agent_pb2.AgentMessage]:
            yield await silent.get()  # never comes

        call = stub.Connect(nothing(), metadata=[("x-stratus-agent-token", AGENT_TOKEN)])
        with pytest.raises(grpc.aio.AioRpcError) as ended:
            async with asyncio.timeout(PROMPT_SECONDS):
                async for _ in call:
                    pass
        assert ended.value.code() == grpc.StatusCode.UNAVAILABLE
        assert "no hello" in (ended.value.details() or "")


# -- item: no domain outlives its server --------------------------------------------------


async def test_a_server_deleted_while_its_agent_is_frozen_leaves_no_domain(
    cloud: Cloud, seeded: Stub, store: Store
) -> None:
    (server_id,) = await create(seeded, "deleted-while-away")
    server = await wait_status(seeded, server_id, "ACTIVE")
    agent = cloud.services["agent"]
    freeze(agent)
    try:
        # The conductor ends the silent stream at its heartbeat deadline; the hosts go
        # down after their grace.
        await eventually(lambda: all_hosts_down(seeded), within_seconds=20)
        await seeded.DeleteServer(compute_pb2.DeleteServerRequest(id=server_id))
        await wait_gone(seeded, server_id, within_seconds=60)
        # The destroy the host owes is recorded, and the domain is still there.
        assert server_id in await pending_destroys.pending(store, server.host)
        assert server_id in domain_files(cloud)
    finally:
        thaw(agent)
    # Back, the agent finds its old stream dead, dials again, and the destroy is done.
    await eventually(lambda: all_hosts_up(seeded), within_seconds=RECONNECT_BOUND_SECONDS)
    await eventually(lambda: server_id not in domain_files(cloud), within_seconds=PROMPT_SECONDS)
    await eventually(lambda: nothing_owed(store, server.host), within_seconds=PROMPT_SECONDS)
    assert not await orphan_domains(cloud, seeded)


async def test_a_server_deleted_while_its_agent_is_dead_leaves_no_domain(
    cloud: Cloud, seeded: Stub, store: Store
) -> None:
    ids = await create(seeded, "deleted-while-dead", count=3)
    servers = await asyncio.gather(*(wait_status(seeded, i, "ACTIVE") for i in ids))
    kill(cloud.services["agent"])
    await eventually(lambda: all_hosts_down(seeded), within_seconds=20)
    for server_id in ids:
        await seeded.DeleteServer(compute_pb2.DeleteServerRequest(id=server_id))
    for server_id in ids:
        await wait_gone(seeded, server_id, within_seconds=60)
    owed = {i for s in servers for i in await pending_destroys.pending(store, s.host)}
    assert owed == set(ids)
    cloud.start_service("agent")
    cloud.wait_for_hosts(HOSTS)
    await eventually(lambda: not set(ids) & set(domain_files(cloud)), within_seconds=PROMPT_SECONDS)
    assert not await orphan_domains(cloud, seeded)
    for host in {server.host for server in servers}:
        await eventually(lambda h=host: nothing_owed(store, h), within_seconds=PROMPT_SECONDS)


async def nothing_owed(store: Store, host: str) -> bool:
    return not await pending_destroys.pending(store, host)


async def test_a_destroy_owed_by_a_connected_host_is_carried_out(
    cloud: Cloud, seeded: Stub, store: Store
) -> None:
    # As when another conductor replica ran the delete: the host is connected (here), the
    # record is gone, and the destroy it owes was recorded by someone else.
    (server_id,) = await create(seeded, "owed-elsewhere")
    server = await wait_status(seeded, server_id, "ACTIVE")
    await store.etcd.txn(
        [],
        [
            store.instances.delete_op(server_id),
            pending_destroys.put_op(server.host, server_id, "req-elsewhere"),
        ],
    )
    await claims.release(store, server_id)
    await eventually(lambda: server_id not in domain_files(cloud), within_seconds=PROMPT_SECONDS)
    await eventually(lambda: nothing_owed(store, server.host), within_seconds=PROMPT_SECONDS)
    assert not await orphan_domains(cloud, seeded)


async def test_a_replica_relays_commands_to_the_one_holding_the_stream(
    cloud: Cloud, seeded: Stub, store: Store
) -> None:
    # The agent holds its stream to the first conductor only; the api hands tasks to
    # either replica, so the second must reach the agent through the first.
    second = add_conductor(cloud, "conductor-relay")
    try:
        ids: list[str] = []
        # The api balances tasks over the replicas it sees; boot until the second got some.
        for _ in range(10):
            ids += await create(seeded, "relayed", count=4)
            if '"task started"' in second.log_path.read_text():
                break
        assert '"task started"' in second.log_path.read_text(), "the second replica got no task"
        servers = await asyncio.gather(
            *(wait_status(seeded, i, "ACTIVE", within_seconds=PROMPT_SECONDS) for i in ids)
        )
        assert all(s.power_state == t.POWER_STATE_RUNNING for s in servers)
        # Deletes reach the domains at once too: nothing is left owed for later.
        await delete_all(seeded, ids)
        assert not set(ids) & set(domain_files(cloud))
        for host in {server.host for server in servers}:
            assert await nothing_owed(store, host)
    finally:
        second.stop()
        del cloud.services["conductor-relay"]


# Last in this module: the extra agent's hosts stay behind as down hosts.
async def test_an_agent_with_many_hosts_connects_once(cloud: Cloud, seeded: Stub) -> None:
    # Recording this many hosts takes the conductor longer than its (here short) heartbeat
    # deadline; the stream must live through it: heartbeats flow from the Welcome on.
    many = 400
    conductor_log = cloud.services["conductor"].log_path
    cloud.restart_service(
        "conductor", ["--heartbeat-interval-seconds", "0.2", "--heartbeat-timeout-seconds", "1"]
    )
    cloud.wait_for_hosts(HOSTS)
    since_restart = len(conductor_log.read_text())
    agent = cloud.add_agent("agent-many", hosts=many, prefix="many-", vcpus=4, memory_mb=4096)
    try:
        cloud.wait_for_hosts(HOSTS + many, timeout=120)
        log = agent.log_path.read_text()
        assert log.count('"connected to conductor"') == 1, agent.log_tail()
        assert "heartbeat deadline" not in log
        # Nor was any other stream dropped meanwhile.
        assert "heartbeat deadline" not in conductor_log.read_text()[since_restart:]
    finally:
        agent.stop()
        cloud.restart_service("conductor")
