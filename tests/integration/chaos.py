"""Fault injection for the chaos tests: boots under fire, and the books that must balance.

A scenario boots servers through the public api while one process of the cloud is killed
with SIGKILL and started again, then lets the cloud settle and audits it: every boot the
api accepted exists exactly once, nothing is left building, every failure carries a fault,
and what etcd records (claims, quota usage, fixed addresses) and what the agents run
(domains) add up to exactly the servers that exist. The audit reads etcd directly and the
agents' own domain records, never the api's view alone.

Boots whose answer was lost (the api or etcd died mid-request) are resolved the way a
careful client would: every request carries a unique server name, and before asking
again the client looks that name up, so a request is never applied twice.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import grpc

from services.api.status import server_status
from services.state import keys
from services.state.etcd import Etcd
from services.state.store import Store
from stratus.v1 import compute_pb2, compute_pb2_grpc
from stratus.v1 import types_pb2 as t
from tests.integration.cloud import Cloud

# Answers after which a boot's outcome is unknown or the api is away: look up, then retry.
TRANSIENT = {
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.CANCELLED,
    grpc.StatusCode.UNKNOWN,
    grpc.StatusCode.INTERNAL,
}
# The client's channel redials quickly, so the figures measure the cloud, not the client.
CLIENT_OPTIONS = [
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 500),
]
# Longer than the api's own deadlines on etcd (10 s a write, about 16 s of retried reads),
# so that the api answers first: a client that gave up earlier could look its boot up
# before the api's write is sent.
BOOT_DEADLINE_SECONDS = 20
FLAVOR_ID = "1"  # m1.tiny: 1 vCPU, 512 MB
IMAGE_ID = "cirros"


@dataclass
class Boot:
    """One boot request as the client saw it."""

    name: str
    sent_at: float  # first attempt, monotonic
    server_id: str = ""
    attempts: int = 0
    transient_errors: collections.Counter[str] = field(default_factory=collections.Counter)
    refused: str = ""  # a definite refusal (not transient): the boot was not accepted


class Client:
    """The public api as one project's member sees it, over a quickly redialling channel."""

    def __init__(self, target: str, token: str) -> None:
        self.channel = grpc.aio.insecure_channel(target, options=CLIENT_OPTIONS)
        self.stub = compute_pb2_grpc.ComputeStub(self.channel)
        self.metadata = (("x-auth-token", token),)

    async def close(self) -> None:
        await self.channel.close()

    async def servers(self, name: str = "") -> list[t.Instance]:
        reply = await self.stub.ListServers(
            compute_pb2.ListServersRequest(name=name),
            metadata=self.metadata,
            timeout=BOOT_DEADLINE_SECONDS,
        )
        return list(reply.servers)

    async def boot(self, boot: Boot, deadline: float) -> None:
        """Boot until accepted (server id known) or refused, or `deadline` passes.

        After a transient failure the name is looked up first: if the lost request was
        applied, its server is the answer; only otherwise is the request sent again.
        """
        delay = 0.1
        looked_up = True  # the first attempt needs no look-up
        while time.monotonic() < deadline:
            try:
                if not looked_up:
                    found = await self.servers(name=f"^{re.escape(boot.name)}$")
                    looked_up = True
                    if found:
                        boot.server_id = found[0].id
                        return
                boot.attempts += 1
                reply = await self.stub.CreateServers(
                    compute_pb2.CreateServersRequest(
                        name=boot.name, flavor_ref=FLAVOR_ID, image_ref=IMAGE_ID
                    ),
                    metadata=self.metadata,
                    timeout=BOOT_DEADLINE_SECONDS,
                )
                boot.server_id = reply.servers[0].id
                return
            except grpc.aio.AioRpcError as error:
                if error.code() not in TRANSIENT:
                    boot.refused = f"{error.code().name}: {error.details()}"
                    return
                boot.transient_errors[error.code().name] += 1
                looked_up = False
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)


class Observer:
    """Polls the project's servers and notes when each was first seen ACTIVE."""

    def __init__(self, client: Client, interval: float = 0.2) -> None:
        self.client = client
        self.interval = interval
        self.first_active: dict[str, float] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                servers = await self.client.servers()
                seen = time.monotonic()
                for server in servers:
                    if server_status(server) == "ACTIVE":
                        self.first_active.setdefault(server.id, seen)
            except grpc.aio.AioRpcError:
                pass
            await asyncio.sleep(self.interval)


@dataclass
class Audit:
    """What the cloud holds, compared with what it should hold. Every list empty: clean."""

    servers: int = 0
    active: int = 0
    error: int = 0
    lost: list[str] = field(default_factory=list)  # accepted, but no such server
    unexpected: list[str] = field(default_factory=list)  # exists, never accepted
    duplicated: list[str] = field(default_factory=list)  # a name with several servers
    stuck: list[str] = field(default_factory=list)  # BUILD or a task state
    faultless: list[str] = field(default_factory=list)  # not ACTIVE, not ERROR with fault
    tasks: list[str] = field(default_factory=list)  # tasks left in etcd
    claims: list[str] = field(default_factory=list)  # per-host usage/allocation mismatches
    domains: list[str] = field(default_factory=list)  # per-host domain mismatches
    addresses: list[str] = field(default_factory=list)  # duplicated or leaked fixed IPs
    quota: list[str] = field(default_factory=list)  # usage or charges not exact
    faults: list[str] = field(default_factory=list)  # "<name>: <fault>" of each ERROR server

    def problems(self) -> dict[str, list[str]]:
        names = (
            "lost",
            "unexpected",
            "duplicated",
            "stuck",
            "faultless",
            "tasks",
            "claims",
            "domains",
            "addresses",
            "quota",
        )
        return {name: getattr(self, name) for name in names if getattr(self, name)}

    def leaked(self) -> int:
        return len(self.claims) + len(self.domains) + len(self.addresses) + len(self.quota)


def domain_dirs(cloud: Cloud) -> dict[str, Path]:
    """Each simulated host's saved domains, as its agent keeps them across restarts."""
    dirs: dict[str, Path] = {}
    for service in cloud.services.values():
        if "--state-dir" not in service.argv:
            continue
        state_dir = Path(service.argv[service.argv.index("--state-dir") + 1])
        if state_dir.exists():
            for host_dir in state_dir.iterdir():
                if (host_dir / "node.xml").exists():
                    dirs[host_dir.name] = host_dir / "domains"
    return dirs


def domains_on(domains_dir: Path) -> set[str]:
    return {path.stem for path in domains_dir.glob("*.xml")} if domains_dir.exists() else set()


async def audit(cloud: Cloud, store: Store, project_id: str, accepted: dict[str, str]) -> Audit:
    """Compare the cloud with `accepted` (server name -> id of every accepted boot)."""
    report = Audit()
    instances = [
        v.message for v in (await store.instances.list())[0] if v.message.project_id == project_id
    ]
    report.servers = len(instances)
    by_id = {i.id: i for i in instances}
    names = collections.Counter(i.name for i in instances)
    report.duplicated = sorted(n for n, count in names.items() if count > 1)
    report.lost = sorted(f"{n} {i}" for n, i in accepted.items() if i not in by_id)
    accepted_ids = set(accepted.values())
    report.unexpected = sorted(f"{i.name} {i.id}" for i in instances if i.id not in accepted_ids)
    # The api's view of each server, as a client sees its status.
    for server in instances:
        status = server_status(server)
        report.active += status == "ACTIVE"
        if status == "ERROR":
            report.error += 1
            report.faults.append(f"{server.name}: {server.fault.message} {server.fault.details}")
        if status == "BUILD" or server.task_state != t.TASK_STATE_NONE:
            state = t.TaskState.Name(server.task_state)
            report.stuck.append(f"{server.id} {status} {state}")
        elif status != "ACTIVE" and not (status == "ERROR" and server.fault.message):
            report.faultless.append(f"{server.id} {status} fault={server.fault.message!r}")
    report.tasks = [
        f"{v.message.instance_id} {t.Task.Kind.Name(v.message.kind)}"
        for v in (await store.tasks.list())[0]
    ]
    await _audit_hosts(cloud, store, instances, report)
    await _audit_addresses(store, instances, report)
    await _audit_quota(store, project_id, instances, report)
    return report


async def _audit_hosts(
    cloud: Cloud, store: Store, instances: list[t.Instance], report: Audit
) -> None:
    """Per host: the claimed usage and allocations, and the domains, are its servers."""
    placed: dict[str, list[t.Instance]] = collections.defaultdict(list)
    for instance in instances:
        if instance.host:
            placed[instance.host].append(instance)
    usages = {v.id: v.message for v in (await store.host_usage.list())[0]}
    allocations = {v.id: v.message for v in (await store.allocations.list())[0]}
    hosts = set(placed) | set(usages) | {a.host for a in allocations.values()}
    dirs = domain_dirs(cloud)
    hypervisors = {v.id: v.message for v in (await store.hosts.list())[0]}
    alive = await store.live_host_names()
    for host in sorted(hosts | set(dirs)):
        servers = placed.get(host, [])
        usage = usages.get(host, t.HostUsage(host=host))
        want = (
            sum(s.flavor.vcpus for s in servers),
            sum(s.flavor.ram_mb for s in servers),
            len(servers),
        )
        have = (usage.vcpus_used, usage.memory_mb_used, usage.instances)
        if have != want:
            report.claims.append(f"{host}: usage (vcpus, ram, n) {have}, servers {want}")
        allocated = {i for i, a in allocations.items() if a.host == host}
        ids = {s.id for s in servers}
        if allocated != ids:
            report.claims.append(
                f"{host}: allocations without server {sorted(allocated - ids)}, "
                f"servers without allocation {sorted(ids - allocated)}"
            )
        domains = domains_on(dirs[host]) if host in dirs else set()
        if domains != ids:
            report.domains.append(
                f"{host}: domains without server {sorted(domains - ids)}, "
                f"servers without domain {sorted(ids - domains)}"
            )
        # What the hypervisor runs, as the agent last reported it (the live count, where
        # the files above are what the agent keeps across restarts).
        reported = hypervisors.get(host)
        if reported is not None and host in alive:
            running = (reported.running_vms, reported.vcpus_used, reported.memory_mb_used)
            if running != (want[2], want[0], want[1]):
                report.domains.append(
                    f"{host}: hypervisor runs (n, vcpus, ram) {running}, "
                    f"servers {(want[2], want[0], want[1])}"
                )
    strays = {i: a.host for i, a in allocations.items() if i not in {s.id for s in instances}}
    # Allocations of servers of other projects would show above; none exist in these tests.
    if strays and not report.claims:
        report.claims.append(f"allocations without server: {strays}")


async def _audit_addresses(store: Store, instances: list[t.Instance], report: Audit) -> None:
    """Every fixed address held by exactly one server, and no address key left over."""
    held = collections.Counter(a.addr for i in instances for a in i.addresses)
    report.addresses += [f"{addr} held {n} times" for addr, n in held.items() if n > 1]
    kvs, _ = await store.etcd.list(keys.FIXED_IPS)
    owners = {kv.key.rsplit("/", 1)[-1]: kv.value.decode() for kv in kvs}
    by_address = {a.addr: i.id for i in instances for a in i.addresses}
    for address, owner in owners.items():
        if by_address.get(address) != owner:
            report.addresses.append(f"{address} reserved for {owner}, not held by it")
    for address, owner in by_address.items():
        if address not in owners:
            report.addresses.append(f"{address} of {owner} not reserved")


async def _audit_quota(
    store: Store, project_id: str, instances: list[t.Instance], report: Audit
) -> None:
    """The project's usage is exactly the sum of its servers; one charge per server."""
    want = {
        "instances": len(instances),
        "cores": sum(i.flavor.vcpus for i in instances),
        "ram": sum(i.flavor.ram_mb for i in instances),
    }
    found = await store.quota_usage.get(project_id)
    in_use = dict(found.message.in_use) if found is not None else {}
    have = {resource: in_use.get(resource, 0) for resource in want}
    if have != want:
        report.quota.append(f"usage {have}, servers {want}")
    charges = {v.id for v in (await store.quota_charges.list())[0]}
    ids = {i.id for i in instances}
    if charges != ids:
        report.quota.append(
            f"charges without server {sorted(charges - ids)}, "
            f"servers without charge {sorted(ids - charges)}"
        )


async def settled(store: Store, project_id: str) -> bool:
    """No server building or with a task in progress, and no task left in etcd."""
    instances, _ = await store.instances.list()
    for found in instances:
        server = found.message
        if server.project_id != project_id:
            continue
        if server.vm_state == t.VM_STATE_BUILDING or server.task_state != t.TASK_STATE_NONE:
            return False
    tasks, _ = await store.tasks.list()
    return not tasks


async def store_for(cloud: Cloud) -> Store:
    assert cloud.etcd is not None
    etcd = Etcd(cloud.etcd.endpoint)
    await etcd.connect()
    return Store(etcd)
