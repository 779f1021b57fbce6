"""Chaos: any process of the cloud killed in the middle of a hundred boots loses nothing.

For each victim (api, conductor, scheduler, agent, etcd), on a fresh cloud with two agents
of two simulated hosts each: about a hundred concurrent boots through the api, the victim
killed with SIGKILL in the middle and started again (at once, or after 15 s), then the
cloud is left to settle and audited (tests/integration/chaos.py): every accepted boot is
exactly one server, none is building or busy, each one not ACTIVE is in ERROR with a
fault, and per host the claims and the domains are exactly its servers; fixed addresses
are unique and the project's quota usage is exact. After every server is deleted the
claims, the quota usage, the addresses and the domains are all back at zero.

The longer scenarios (marked `slow`, still in the default run) keep the victim down 15 s,
kill a process in the middle of a hundred deletes, and kill the conductor while a
returning agent resyncs domains no server owns.

The figures (time from the kill until a boot sent after it is ACTIVE, and the counts) are
printed as a table at the end of the module (`pytest -s`) and written to
`<pytest tmp dir>/chaos-figures.json`.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import grpc
import pytest

from services.runtime import grpc_client
from services.state import keys, quotas
from services.state.store import Store
from stratus.v1 import compute_pb2, compute_pb2_grpc, types_pb2
from tests.integration.chaos import (
    Audit,
    Boot,
    Client,
    Observer,
    audit,
    domains_on,
    settled,
    store_for,
)
from tests.integration.cloud import Cloud, ServiceProcess, seed
from tests.waiting import eventually

BOOTS = 100
CONCURRENCY = 8
KILL_AFTER_ACCEPTED = 40
SETTLE_SECONDS = 150.0
MAX_PROBES = 40
PROJECT = "chaos"


@dataclass
class Figures:
    victim: str
    variant: str
    accepted: int
    active_at_kill: int  # of the boots accepted by then, how many were ACTIVE
    retried: int  # boots whose request had to be sent again or looked up (outage felt)
    answers: dict[str, int]  # the transient gRPC codes the boots got, and how often
    active: int
    error: int
    recovery_seconds: float | None  # kill -> first boot sent after the kill seen ACTIVE
    # The same, counted from the restarted process's launch (negative: boots succeeded
    # again before it, on what the victim does not serve, e.g. another agent's hosts).
    after_restart_seconds: float | None
    lost: int
    duplicated: int
    stuck: int
    leaked: int  # claim, domain, address and quota mismatches after settling
    leaked_after_delete: int


FIGURES: list[Figures] = []


@pytest.fixture(scope="module", autouse=True)
def figures_table(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Print the module's figures as a table and write them as JSON when it ends."""
    yield
    if not FIGURES:
        return
    path = tmp_path_factory.getbasetemp() / "chaos-figures.json"
    path.write_text(json.dumps([asdict(f) for f in FIGURES], indent=2))
    header = (
        f"{'victim':<10} {'variant':<16} {'accepted':>8} {'active at kill':>14} "
        f"{'retried':>7} {'active':>6} {'error':>5} "
        f"{'recovery s':>10} {'after restart':>13} {'lost':>4} {'dup':>3} {'stuck':>5} "
        f"{'leaked':>6} {'after del':>9}  answers while away"
    )
    lines = [header, "-" * len(header)]
    for f in FIGURES:
        recovery = f"{f.recovery_seconds:.1f}" if f.recovery_seconds is not None else "-"
        restarted = f"{f.after_restart_seconds:.1f}" if f.after_restart_seconds is not None else "-"
        lines.append(
            f"{f.victim:<10} {f.variant:<16} {f.accepted:>8} {f.active_at_kill:>14} "
            f"{f.retried:>7} {f.active:>6} {f.error:>5} "
            f"{recovery:>10} {restarted:>13} {f.lost:>4} {f.duplicated:>3} {f.stuck:>5} "
            f"{f.leaked:>6} {f.leaked_after_delete:>9}  "
            + " ".join(f"{code}x{count}" for code, count in sorted(f.answers.items()))
        )
    print("\n" + "\n".join(lines) + f"\nchaos figures written to {path}")


@pytest.fixture
def chaos_cloud(tmp_path: Path) -> Iterator[Cloud]:
    """A fresh cloud per scenario: two agents of two hosts each, short leases."""
    cloud = Cloud(tmp_path, hosts=2, host_vcpus=32, host_memory_mb=65536)
    try:
        cloud.start()
        cloud.add_agent("agent2", hosts=2, prefix="edge-", vcpus=32, memory_mb=65536)
        cloud.wait_for_hosts(4)
        yield cloud
    except BaseException:
        print(cloud.logs())
        raise
    finally:
        cloud.stop()


@dataclass
class Scene:
    cloud: Cloud
    store: Store
    client: Client
    project_id: str
    observer: Observer


@pytest.fixture
async def scene(chaos_cloud: Cloud) -> AsyncIterator[Scene]:
    """The cloud seeded, a project with no quota limits, and its member's client."""
    cloud = chaos_cloud
    admin_channel = grpc_client.channel(cloud.api_target, token=cloud.admin.token)
    admin = compute_pb2_grpc.ComputeStub(admin_channel)
    await seed(admin, cloud.admin.info.project_id)
    member = await asyncio.to_thread(cloud.token_for, PROJECT, "member")
    project_id = member.info.project_id
    await admin.UpdateQuotaSet(
        compute_pb2.UpdateQuotaSetRequest(
            project_id=project_id, limits={"instances": -1, "cores": -1, "ram": -1}
        )
    )
    await admin_channel.close()
    store = await store_for(cloud)
    client = Client(cloud.api_target, member.token)
    observer = Observer(client)
    observer.start()
    try:
        yield Scene(cloud, store, client, project_id, observer)
    finally:
        await observer.stop()
        await client.close()
        await store.etcd.close()


def kill(cloud: Cloud, victim: str) -> None:
    if victim == "etcd":
        assert cloud.etcd is not None
        cloud.etcd.kill()
    else:
        cloud.services[victim].kill()


def restart(cloud: Cloud, victim: str) -> None:
    if victim == "etcd":
        assert cloud.etcd is not None
        cloud.etcd.start()  # the same data directory and ports
    else:
        cloud.start_service(victim)


class Boots:
    """Boots sent by a few concurrent clients, plus the probes that time the recovery."""

    def __init__(self, scene: Scene, prefix: str) -> None:
        self.scene = scene
        self.prefix = prefix
        self.sent: list[Boot] = []
        self.accepted_count = 0

    async def one(self, name: str, deadline: float) -> Boot:
        boot = Boot(name=name, sent_at=time.monotonic())
        self.sent.append(boot)
        await self.scene.client.boot(boot, deadline)
        self.accepted_count += bool(boot.server_id)
        return boot

    async def batch(self, count: int, deadline: float, prefix: str = "") -> None:
        prefix = prefix or self.prefix
        queue: asyncio.Queue[int] = asyncio.Queue()
        for index in range(count):
            queue.put_nowait(index)

        async def worker() -> None:
            while not queue.empty():
                index = queue.get_nowait()
                await self.one(f"{prefix}-{index:03d}", deadline)

        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))

    async def probe_until_recovered(self, since: float, within_seconds: float) -> float | None:
        """Seconds from `since` until a boot sent after it was seen ACTIVE; a probe boot
        every half second meanwhile (they count as boots like any other), at most
        MAX_PROBES, so a cloud that never recovers is not also filled up."""
        started = time.monotonic()
        probes: list[asyncio.Task[Boot]] = []
        try:
            while time.monotonic() - started < within_seconds:
                recovered = self.recovery(since)
                if recovered is not None:
                    return recovered
                if len(probes) < MAX_PROBES:
                    name = f"{self.prefix}-probe-{len(probes):03d}"
                    deadline = time.monotonic() + within_seconds
                    probes.append(asyncio.create_task(self.one(name, deadline)))
                await asyncio.sleep(0.5)
            return self.recovery(since)
        finally:
            await asyncio.gather(*probes)

    def recovery(self, since: float) -> float | None:
        seen = [
            self.scene.observer.first_active[b.server_id]
            for b in self.sent
            if b.sent_at >= since and b.server_id in self.scene.observer.first_active
        ]
        return min(seen) - since if seen else None

    def accepted(self) -> dict[str, str]:
        return {b.name: b.server_id for b in self.sent if b.server_id}


async def settle_and_audit(scene: Scene, accepted: dict[str, str]) -> Audit:
    """Wait until nothing is building or busy, then until the books balance (the agents'
    capacity reports and resyncs arrive on their own schedule); the last audit."""

    async def quiet() -> bool:
        return await settled(scene.store, scene.project_id)

    with contextlib.suppress(AssertionError):  # then the audit names what is stuck
        await eventually(quiet, within_seconds=SETTLE_SECONDS, interval=0.5)
    last: list[Audit] = []

    async def balanced() -> bool:
        report = await audit(scene.cloud, scene.store, scene.project_id, accepted)
        last[:] = [report]
        return not report.problems()

    with contextlib.suppress(AssertionError):  # the last audit says what is off
        await eventually(balanced, within_seconds=30, interval=1.0)
    return last[0]


async def delete_all(scene: Scene, server_ids: list[str]) -> Audit:
    """Delete every server and wait until none is left; the audit of the empty project."""
    semaphore = asyncio.Semaphore(CONCURRENCY)

    async def delete(server_id: str) -> None:
        async with semaphore:
            with_retry = time.monotonic() + 30
            while True:
                try:
                    await scene.client.stub.DeleteServer(
                        compute_pb2.DeleteServerRequest(id=server_id),
                        metadata=scene.client.metadata,
                        timeout=10,
                    )
                    return
                except grpc.aio.AioRpcError as error:
                    gone = error.code() == grpc.StatusCode.NOT_FOUND
                    if gone or time.monotonic() > with_retry:
                        return
                    await asyncio.sleep(0.2)

    await asyncio.gather(*(delete(i) for i in server_ids))

    async def empty() -> bool:
        try:
            return not await scene.client.servers()
        except grpc.aio.AioRpcError:
            return False  # the api or etcd is away: ask again

    await eventually(empty, within_seconds=120, interval=0.5)
    return await settle_and_audit(scene, {})


def describe(report: Audit) -> str:
    return json.dumps({k: v[:10] for k, v in report.problems().items()}, indent=1)


@dataclass
class Outage:
    victim: str
    variant: str
    killed_at: float = 0.0
    restarted_at: float = 0.0
    recovery: float | None = None  # seconds from the kill
    active_at_kill: int = 0


async def boots_through_a_kill(scene: Scene, victim: str, down_seconds: float) -> Figures:
    """The scenario: boots, the victim killed mid-way and restarted, settle, audit, delete."""
    cloud = scene.cloud
    variant = "restart at once" if not down_seconds else f"down {down_seconds:.0f} s"
    outage = Outage(victim, variant)
    boots = Boots(scene, f"{victim}-{int(down_seconds)}s")
    deadline = time.monotonic() + SETTLE_SECONDS
    batch = asyncio.create_task(boots.batch(BOOTS, deadline))
    await eventually(lambda: boots.accepted_count >= KILL_AFTER_ACCEPTED or batch.done(), 60)
    kill(cloud, victim)
    outage.killed_at = time.monotonic()
    outage.active_at_kill = len(scene.observer.first_active)
    await asyncio.sleep(down_seconds)
    outage.restarted_at = time.monotonic()  # from the launch, as an operator counts it
    await asyncio.to_thread(restart, cloud, victim)
    outage.recovery = await boots.probe_until_recovered(outage.killed_at, SETTLE_SECONDS)
    await batch
    return await finish(scene, boots, outage)


async def finish(
    scene: Scene, boots: Boots, outage: Outage, deleted: frozenset[str] = frozenset()
) -> Figures:
    """Settle, audit, delete everything, audit again; record the figures, then assert.

    `deleted`: accepted servers the scenario itself deleted on the way.
    """
    refused = [f"{b.name}: {b.refused}" for b in boots.sent if b.refused]
    everything = boots.accepted()
    accepted = {name: i for name, i in everything.items() if i not in deleted}
    settled_report = await settle_and_audit(scene, accepted)
    after_delete = await delete_all(scene, sorted(accepted.values()))
    recovery = outage.recovery
    figures = Figures(
        victim=outage.victim,
        variant=outage.variant,
        accepted=len(everything),
        active_at_kill=outage.active_at_kill,
        retried=sum(1 for b in boots.sent if b.transient_errors),
        answers=dict(sum((b.transient_errors for b in boots.sent), collections.Counter())),
        active=settled_report.active,
        error=settled_report.error,
        recovery_seconds=round(recovery, 2) if recovery is not None else None,
        after_restart_seconds=(
            round(recovery - (outage.restarted_at - outage.killed_at), 2)
            if recovery is not None
            else None
        ),
        lost=len(settled_report.lost),
        duplicated=len(settled_report.duplicated) + len(settled_report.unexpected),
        stuck=len(settled_report.stuck),
        leaked=settled_report.leaked(),
        leaked_after_delete=after_delete.leaked() + after_delete.servers,
    )
    FIGURES.append(figures)
    assert not refused, refused[:10]
    # An outage is answered UNAVAILABLE (or the deadline passes): never INTERNAL/UNKNOWN.
    assert set(figures.answers) <= {"UNAVAILABLE", "DEADLINE_EXCEEDED"}, figures.answers
    assert len(everything) >= BOOTS, f"only {len(everything)} of {len(boots.sent)} accepted"
    assert not settled_report.problems(), describe(settled_report)
    assert not after_delete.problems(), describe(after_delete)
    assert recovery is not None, "no boot sent after the kill became ACTIVE"
    # Room is ample and every outage is shorter than a build's grace for hosts to return:
    # each boot ends ACTIVE, none fails because a process was briefly away.
    assert not settled_report.faults, (len(settled_report.faults), settled_report.faults[:5])
    return figures


VICTIMS = ["api", "conductor", "scheduler", "agent", "etcd"]


@pytest.mark.parametrize("victim", VICTIMS)
async def test_a_killed_process_restarted_at_once_loses_nothing(scene: Scene, victim: str) -> None:
    await boots_through_a_kill(scene, victim, down_seconds=0)


@pytest.mark.slow
@pytest.mark.parametrize("victim", VICTIMS)
async def test_a_process_down_for_fifteen_seconds_loses_nothing(scene: Scene, victim: str) -> None:
    await boots_through_a_kill(scene, victim, down_seconds=15)


@pytest.mark.slow
@pytest.mark.parametrize("victim", ["conductor", "agent", "etcd"])
async def test_a_process_killed_mid_delete_gives_everything_back_once(
    scene: Scene, victim: str
) -> None:
    """Deletes are as safe as boots: a hundred servers deleted at once, the victim killed
    when a third are gone and started again; every claim, charge, address and domain is
    given back, exactly once."""
    boots = Boots(scene, f"delete-{victim}")
    await boots.batch(BOOTS, time.monotonic() + SETTLE_SECONDS)
    await eventually(lambda: settled(scene.store, scene.project_id), SETTLE_SECONDS, 0.5)
    ids = sorted(boots.accepted().values())
    deleting = asyncio.create_task(delete_all(scene, ids))

    async def a_third_gone() -> bool:
        instances, _ = await scene.store.instances.list()
        return sum(v.message.project_id == scene.project_id for v in instances) <= len(ids) * 2 // 3

    await eventually(a_third_gone, within_seconds=60, interval=0.05)
    kill(scene.cloud, victim)
    await asyncio.to_thread(restart, scene.cloud, victim)
    after_delete = await deleting
    FIGURES.append(
        Figures(
            victim=victim,
            variant="mid-delete",
            accepted=len(ids),
            active_at_kill=0,
            retried=0,
            answers={},
            active=0,
            error=0,
            recovery_seconds=None,
            after_restart_seconds=None,
            lost=0,
            duplicated=0,
            stuck=len(after_delete.stuck),
            leaked=after_delete.leaked(),
            leaked_after_delete=after_delete.leaked() + after_delete.servers,
        )
    )
    assert len(ids) == BOOTS
    assert not after_delete.problems(), describe(after_delete)


def log_count(cloud: Cloud, service: str, pattern: str) -> int:
    path = cloud.services[service].log_path
    return len(re.findall(pattern, path.read_text(errors="replace"))) if path.exists() else 0


@pytest.mark.slow
async def test_a_conductor_killed_while_an_agent_resyncs_orphans_loses_nothing(
    scene: Scene,
) -> None:
    """An agent comes back with domains whose servers were deleted while it was away; the
    conductor dies as the agent resyncs, and its successor still finishes the job."""
    cloud = scene.cloud
    boots = Boots(scene, "resync")
    deadline = time.monotonic() + SETTLE_SECONDS
    await boots.batch(BOOTS // 2, deadline)
    await eventually(lambda: settled(scene.store, scene.project_id), SETTLE_SECONDS, 0.5)
    servers = {s.id: s for s in await scene.client.servers()}
    away_hosts = {"node-1", "node-2"}
    away = [i for i, s in servers.items() if s.host in away_hosts]
    assert away, "no server landed on the first agent's hosts"
    cloud.services["agent"].kill()
    # Domains of servers deleted while their agent is away, and domains no record ever
    # knew (as a crash between defining a domain and recording it could leave).
    doomed = away[: max(1, len(away) // 2)]
    for server_id in doomed:
        await scene.client.stub.DeleteServer(
            compute_pb2.DeleteServerRequest(id=server_id), metadata=scene.client.metadata
        )
    strays = plant_orphan_domains(cloud.root / "agent" / "node-1" / "domains", count=3)
    more = asyncio.create_task(boots.batch(BOOTS // 2, deadline, prefix="resync-later"))
    connected_before = log_count(cloud, "conductor", "agent connected")
    await asyncio.to_thread(cloud.start_service, "agent")
    await eventually(
        lambda: log_count(cloud, "conductor", "agent connected") > connected_before, 30, 0.02
    )
    cloud.services["conductor"].kill()
    outage = Outage("conductor", "during resync", killed_at=time.monotonic())
    outage.active_at_kill = len(scene.observer.first_active)
    outage.restarted_at = time.monotonic()
    await asyncio.to_thread(cloud.start_service, "conductor")
    outage.recovery = await boots.probe_until_recovered(outage.killed_at, SETTLE_SECONDS)
    await more
    await finish(scene, boots, outage, deleted=frozenset(doomed))
    assert not strays & domains_on(cloud.root / "agent" / "node-1" / "domains")


def plant_orphan_domains(domains_dir: Path, count: int) -> set[str]:
    """Copies of saved domains under new ids, which no server owns; their ids."""
    planted = set()
    for source in sorted(domains_dir.glob("*.xml"))[:count]:
        orphan_id = str(uuid.uuid4())
        text = source.read_text().replace(source.stem, orphan_id)
        (domains_dir / f"{orphan_id}.xml").write_text(text)
        planted.add(orphan_id)
    assert len(planted) == count, f"only {len(planted)} domains to copy in {domains_dir}"
    return planted


async def test_the_audit_finds_each_kind_of_damage(store: Store, tmp_path: Path) -> None:
    """The audit is only worth its zeros if it sees damage: each kind planted in etcd and
    in an agent's domain records is reported, and a consistent server is not."""
    project = "audited"
    host_dir = tmp_path / "agent" / "node-1"
    (host_dir / "domains").mkdir(parents=True)
    (host_dir / "node.xml").write_text("<node/>")
    cloud = Cloud(tmp_path)
    cloud.services["agent"] = ServiceProcess(
        "agent", ["agent", "--state-dir", str(tmp_path / "agent")], tmp_path / "agent.log"
    )
    flavor = types_pb2.Flavor(id="1", vcpus=1, ram_mb=512)

    def server(name: str, **fields: object) -> types_pb2.Instance:
        return types_pb2.Instance(
            id=f"id-{name}", name=name, project_id=project, flavor=flavor, **fields
        )

    healthy = server(
        "healthy",
        vm_state=types_pb2.VM_STATE_ACTIVE,
        host="node-1",
        addresses=[types_pb2.Address(network="private", addr="10.0.0.2")],
    )
    twin = server(
        "twin",
        vm_state=types_pb2.VM_STATE_ACTIVE,
        host="node-1",
        addresses=[types_pb2.Address(network="private", addr="10.0.0.2")],
    )
    stuck = server(
        "stuck", vm_state=types_pb2.VM_STATE_BUILDING, task_state=types_pb2.TASK_STATE_SPAWNING
    )
    faultless = server("faultless", vm_state=types_pb2.VM_STATE_ERROR)
    for instance in (healthy, twin, stuck, faultless):
        await store.instances.create(instance.id, instance)
    # Claims and a domain for `healthy` only; quota counted for three servers of four.
    await store.allocations.create(
        healthy.id, types_pb2.Allocation(instance_id=healthy.id, host="node-1", vcpus=1)
    )
    await store.host_usage.create(
        "node-1", types_pb2.HostUsage(host="node-1", vcpus_used=1, memory_mb_used=512, instances=1)
    )
    await store.quota_charges.create(healthy.id, quotas.charge_of(healthy))
    (host_dir / "domains" / f"{healthy.id}.xml").write_text("<domain/>")
    (host_dir / "domains" / "id-long-gone.xml").write_text("<domain/>")
    await store.etcd.put(f"{keys.FIXED_IPS}private/10.0.0.2", healthy.id.encode())
    await store.quota_usage.create(
        project,
        compute_pb2.QuotaUsage(
            project_id=project, in_use={"instances": 3, "cores": 3, "ram": 1536}
        ),
    )
    accepted = {"healthy": healthy.id, "twin": twin.id, "stuck": stuck.id, "lost": "id-lost"}

    report = await audit(cloud, store, project, accepted)

    assert report.lost == ["lost id-lost"]
    assert report.unexpected == ["faultless id-faultless"]
    assert [entry.split()[0] for entry in report.stuck] == ["id-stuck"]
    assert [entry.split()[0] for entry in report.faultless] == ["id-faultless"]
    claims = " ".join(report.claims)
    assert "usage (vcpus, ram, n) (1, 512, 1), servers (2, 1024, 2)" in claims
    assert "servers without allocation ['id-twin']" in claims
    domains = " ".join(report.domains)
    assert "domains without server ['id-long-gone']" in domains
    assert "servers without domain ['id-twin']" in domains
    assert "10.0.0.2 held 2 times" in report.addresses
    assert any("usage {'instances': 3" in entry for entry in report.quota)
    assert any(
        "servers without charge ['id-faultless', 'id-stuck', 'id-twin']" in entry
        for entry in report.quota
    )
