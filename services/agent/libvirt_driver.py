"""The libvirt driver: one libvirt connection per host, lifecycle events into a queue.

Two kinds of host:

- Simulated (`hypervisor = "test"`): each host gets a private test-driver connection
  opened on its own node file (`test:///<state_dir>/<host>/node.xml`) describing that
  host's CPUs and memory. The test driver forgets everything at process exit, so every
  domain's definition and run state is saved after each change and embedded into the node
  file on the next open (see `simulated_host`): a restarted agent finds its domains again.
- Real (any other URI, e.g. `qemu:///system`): one host named after the machine; libvirt
  itself keeps the domains. Domain type `qemu` (TCG) or `kvm`, as `virt_probe` chose it;
  kernel, initrd and command line from the image properties `kernel_path`, `initrd_path`
  and `kernel_cmdline` (direct kernel boot). Capacity is the machine's: CPUs and memory
  from libvirt, disk from the file system of the state directory. Each domain logs its
  serial console to `<state_dir>/console/<instance id>.log` (appending across restarts)
  and has a VNC server on the host's `vnc_listen` address; the console proxy reaches it at
  the host's `console_address`.

Power actions and what they leave behind (the hypervisor is the authority; each action
returns the state read back afterwards):

| action            | libvirt                                  | power state after |
|-------------------|------------------------------------------|-------------------|
| spawn, power_on   | defineXML + create / create              | RUNNING           |
| power_off         | shutdown, wait, destroy after timeout    | SHUTDOWN          |
| reboot soft       | reboot (hard when refused / not running) | RUNNING           |
| reboot hard       | destroy + create                         | RUNNING           |
| pause / unpause   | suspend / resume                         | PAUSED / RUNNING  |
| suspend           | managedSave (memory to disk, domain off) | SUSPENDED         |
| resume            | create (restores the managed-save image) | RUNNING           |
| destroy           | destroy + undefine with the saved image  | (no domain)       |

Suspend is Nova's: a managed save, not a guest S3 sleep (`pMSuspendForDuration` is not
supported by the test driver, and needs guest agent cooperation on real guests). libvirt
reports the saved domain as SHUTOFF; `power_state.from_domain` reports it as SUSPENDED
because starting it restores its memory.

Events: libvirt's lifecycle events arrive through libvirtaio in the asyncio loop. For each
one the driver reads the domain's state (the hypervisor is the authority; the event only
names what happened), saves it for a simulated host and queues a PowerStateEvent. The test
driver emits DEFINED, STARTED, SUSPENDED, RESUMED, STOPPED and UNDEFINED, but nothing for
reboot or reset, so a soft reboot queues a synthetic `REBOOTED` event itself.

Blocking: libvirt calls are made inline on the event loop. libvirtaio is not thread-safe
(it creates its timer tasks from whichever thread libvirt calls it on, and both the test
and the remote driver queue events from the calling thread), so running libvirt calls in
`asyncio.to_thread` would corrupt the loop. Test-driver calls take microseconds; on a real
hypervisor the slow part of a shutdown is the wait, which is an asyncio sleep here, and
`destroy` (1-2 s on qemu) is the one call that blocks the loop noticeably.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import libvirt
import libvirtaio
import structlog
from google.protobuf import timestamp_pb2

from services.agent import domain_xml, power_state
from services.agent.capacity import DomainUsage, HostFacts, host_report
from services.agent.config import AgentConfig
from services.agent.driver import ComputeDriver, DomainNotFound, DriverError
from services.agent.power_state import PowerState
from services.agent.simulated_host import SimulatedHost
from stratus.v1 import agent_pb2, types_pb2

log = structlog.get_logger(__name__)

TEST_HYPERVISOR = "test"
# The name of the event the driver emits itself after a soft reboot.
REBOOTED = "REBOOTED"

# The most of a serial log console output looks at, as Nova's MAX_CONSOLE_BYTES.
MAX_CONSOLE_BYTES = 100 * 1024

EventQueue = asyncio.Queue[agent_pb2.PowerStateEvent]

_event_loop: asyncio.AbstractEventLoop | None = None


def _ignore_libvirt_error(_opaque: object, _error: object) -> None:
    """libvirt prints every error to stderr by default; ours are raised and logged."""


def register_event_loop() -> None:
    """Deliver libvirt events in the running asyncio loop; once per process.

    Must run before the first connection is opened. libvirt accepts one event
    implementation per process, bound to one loop: calling again from the same loop is a
    no-op, from another loop a DriverError (events would never arrive there).
    """
    global _event_loop
    loop = asyncio.get_running_loop()
    if _event_loop is loop:
        return
    if _event_loop is not None:
        raise DriverError("libvirt events are already bound to another asyncio event loop")
    libvirt.registerErrorHandler(_ignore_libvirt_error, None)
    libvirtaio.virEventRegisterAsyncIOImpl(loop=loop)
    _event_loop = loop


def host_names(cfg: AgentConfig) -> list[str]:
    """The hosts this agent serves.

    Simulated: `<host_prefix><n>` for n in 1..hosts when a prefix is set, otherwise
    `<hostname>-<n>`. A real hypervisor: the machine's hostname.
    """
    if cfg.hypervisor != TEST_HYPERVISOR:
        return [cfg.hostname]
    if cfg.host_prefix:
        return [f"{cfg.host_prefix}{n}" for n in range(1, cfg.hosts + 1)]
    return [f"{cfg.hostname}-{n}" for n in range(1, cfg.hosts + 1)]


def open_hosts(cfg: AgentConfig, events: EventQueue | None) -> list[LibvirtDriver]:
    """One driver per host of this agent; `register_event_loop` must have run."""
    drivers: list[LibvirtDriver] = []
    try:
        for name in host_names(cfg):
            if cfg.hypervisor == TEST_HYPERVISOR:
                driver = LibvirtDriver.open_simulated(
                    name,
                    Path(cfg.state_dir),
                    vcpus=cfg.host_vcpus,
                    memory_mb=cfg.host_memory_mb,
                    disk_gb=cfg.host_disk_gb,
                    host_ip=cfg.host_ip,
                    events=events,
                    shutdown_timeout_seconds=cfg.shutdown_timeout_seconds,
                )
            else:
                console_address = cfg.console_address or cfg.host_ip
                driver = LibvirtDriver.open_uri(
                    cfg.hypervisor,
                    name,
                    state_dir=Path(cfg.state_dir),
                    virt_type=cfg.virt_type,
                    host_ip=cfg.host_ip,
                    console_address=console_address,
                    vnc_listen=cfg.vnc_listen or console_address,
                    events=events,
                    shutdown_timeout_seconds=cfg.shutdown_timeout_seconds,
                )
            drivers.append(driver)
    except BaseException:
        for driver in drivers:
            driver.close_now()
        raise
    return drivers


def _code(error: libvirt.libvirtError) -> int:
    return int(error.get_error_code() or 0)


def _message(error: libvirt.libvirtError) -> str:
    return str(error.get_error_message() or error)


@contextlib.contextmanager
def _libvirt_errors(action: str, instance_id: str) -> Iterator[None]:
    """libvirt's errors as DriverError naming the action and the instance."""
    try:
        yield
    except libvirt.libvirtError as error:
        if _code(error) == libvirt.VIR_ERR_NO_DOMAIN:
            raise DomainNotFound(f"{action} {instance_id}: domain vanished") from error
        raise DriverError(f"{action} {instance_id}: {_message(error)}") from error


def _now() -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(datetime.now(UTC))
    return stamp


class LibvirtDriver(ComputeDriver):
    """One host on one libvirt connection."""

    def __init__(
        self,
        host: str,
        conn: libvirt.virConnect,
        *,
        facts: HostFacts,
        domain_type: str,
        events: EventQueue | None = None,
        simulated: SimulatedHost | None = None,
        console_dir: Path | None = None,
        vnc_listen: str = "127.0.0.1",
        shutdown_timeout_seconds: float = 60.0,
    ) -> None:
        self.host = host
        self._conn: libvirt.virConnect | None = conn
        self._facts = facts
        self._domain_type = domain_type
        self._events = events
        self._simulated = simulated
        self._console_dir = console_dir
        self._vnc_listen = vnc_listen
        self._shutdown_timeout_seconds = shutdown_timeout_seconds
        # Stratus metadata per domain UUID; None marks a domain Stratus did not create.
        self._metadata: dict[str, domain_xml.InstanceMetadata | None] = {}
        self._callback_id: int | None = None
        if events is not None:
            self._callback_id = conn.domainEventRegisterAny(
                None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, self._on_lifecycle, None
            )

    # -- opening ---------------------------------------------------------------------

    @classmethod
    def open_simulated(
        cls,
        host: str,
        state_dir: Path,
        *,
        vcpus: int,
        memory_mb: int,
        disk_gb: int,
        host_ip: str = "127.0.0.1",
        events: EventQueue | None = None,
        shutdown_timeout_seconds: float = 60.0,
    ) -> LibvirtDriver:
        """A test-driver host with its saved domains back in their saved run states."""
        simulated = SimulatedHost(state_dir.absolute() / host)
        node_path = simulated.write_node(vcpus, memory_mb)
        conn = _open(f"test://{node_path}")
        info = conn.getInfo()
        facts = HostFacts(
            name=host,
            hypervisor_type=conn.getType(),
            hypervisor_version=conn.getVersion(),
            hypervisor_uri=conn.getURI(),
            cpu_model=str(info[0]),
            arch=str(info[0]),  # the node file's CPU model is its architecture
            vcpus=int(info[2]),
            memory_mb=int(info[1]),
            local_gb=disk_gb,
            host_ip=host_ip,
            console_address=host_ip,
        )
        driver = cls(
            host,
            conn,
            facts=facts,
            domain_type=TEST_HYPERVISOR,
            events=events,
            simulated=simulated,
            shutdown_timeout_seconds=shutdown_timeout_seconds,
        )
        log.debug("simulated host opened", host=host, uri=facts.hypervisor_uri)
        return driver

    @classmethod
    def open_uri(
        cls,
        uri: str,
        host: str,
        *,
        state_dir: Path,
        virt_type: str = "qemu",
        host_ip: str = "127.0.0.1",
        console_address: str = "127.0.0.1",
        vnc_listen: str = "127.0.0.1",
        events: EventQueue | None = None,
        shutdown_timeout_seconds: float = 60.0,
    ) -> LibvirtDriver:
        """A real hypervisor at `uri`; serial console logs go under `<state_dir>/console`."""
        console_dir = state_dir.absolute() / "console"
        console_dir.mkdir(parents=True, exist_ok=True)
        conn = _open(uri)
        info = conn.getInfo()
        disk = os.statvfs(console_dir)
        facts = HostFacts(
            name=host,
            hypervisor_type=conn.getType(),
            hypervisor_version=conn.getVersion(),
            hypervisor_uri=conn.getURI(),
            cpu_model=_cpu_model(conn) or str(info[0]),
            arch=os.uname().machine,
            vcpus=int(info[2]),
            memory_mb=int(info[1]),
            local_gb=disk.f_blocks * disk.f_frsize // 2**30,
            host_ip=host_ip,
            console_address=console_address,
            virt_type=virt_type,
        )
        driver = cls(
            host,
            conn,
            facts=facts,
            domain_type=virt_type,
            events=events,
            console_dir=console_dir,
            vnc_listen=vnc_listen,
            shutdown_timeout_seconds=shutdown_timeout_seconds,
        )
        log.info(
            "hypervisor opened",
            host=host,
            uri=facts.hypervisor_uri,
            virt_type=virt_type,
            vcpus=facts.vcpus,
            memory_mb=facts.memory_mb,
            local_gb=facts.local_gb,
        )
        return driver

    @property
    def conn(self) -> libvirt.virConnect:
        if self._conn is None:
            raise DriverError(f"host {self.host}: driver is closed")
        return self._conn

    # -- reading ---------------------------------------------------------------------

    async def host_info(self) -> types_pb2.Host:
        usage = [
            DomainUsage(meta.vcpus, meta.memory_mb, meta.disk_gb, active)
            for _, meta, active in self._domains()
        ]
        return host_report(self._facts, usage)

    async def list_domains(self) -> list[agent_pb2.DomainStatus]:
        statuses = []
        for dom, meta, _ in self._domains():
            try:
                state = self._power(dom)
            except libvirt.libvirtError:
                continue  # undefined while we listed
            statuses.append(agent_pb2.DomainStatus(instance_id=meta.instance_id, power_state=state))
        return statuses

    async def power_state(self, instance_id: str) -> PowerState:
        dom = self._find(instance_id)
        if dom is None:
            return power_state.NOSTATE
        with _libvirt_errors("power state of", instance_id):
            return self._power(dom)

    # -- acting ----------------------------------------------------------------------

    async def spawn(self, spec: agent_pb2.SpawnSpec) -> PowerState:
        instance_id = spec.instance_id
        serial_log = str(self._serial_log(instance_id) or "")
        try:
            domain = domain_xml.spec_from_spawn(
                spec,
                domain_type=self._domain_type,
                serial_log_path=serial_log,
                console_listen=self._vnc_listen,
            )
        except ValueError as error:
            raise DriverError(f"spawn {instance_id}: invalid spec: {error}") from None
        dom = self._find(instance_id)
        with _libvirt_errors("spawn", instance_id):
            created = dom is None
            if dom is None:
                dom = self.conn.defineXML(domain_xml.build(domain))
                self._metadata[instance_id] = domain_xml.InstanceMetadata(
                    instance_id, domain.name, domain.vcpus, domain.memory_mb, domain.disk_gb
                )
            if not dom.isActive():
                try:
                    dom.create()
                except libvirt.libvirtError:
                    if created:
                        self._undefine_after_failed_spawn(dom, instance_id)
                    raise
            self._persist(dom)
            state = self._power(dom)
        log.info("spawned", host=self.host, instance_id=instance_id, created=created)
        return state

    async def destroy(self, instance_id: str) -> None:
        dom = self._find(instance_id)
        if dom is not None:
            with _libvirt_errors("destroy", instance_id):
                try:
                    if dom.isActive():
                        dom.destroy()
                    dom.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE)
                except libvirt.libvirtError as error:
                    # Gone already (transient, or removed meanwhile): that is the goal.
                    if _code(error) != libvirt.VIR_ERR_NO_DOMAIN:
                        raise
        self._forget(instance_id)
        serial_log = self._serial_log(instance_id)
        if serial_log is not None:
            with contextlib.suppress(FileNotFoundError):
                serial_log.unlink()
        log.info("destroyed", host=self.host, instance_id=instance_id, existed=dom is not None)

    async def power_off(self, instance_id: str) -> PowerState:
        dom = self._lookup(instance_id)
        with _libvirt_errors("power off", instance_id):
            if dom.isActive():
                dom.shutdown()
                if not await self._wait_inactive(dom, self._shutdown_timeout_seconds):
                    log.warning(
                        "guest did not shut down in time, forcing it off",
                        host=self.host,
                        instance_id=instance_id,
                        timeout_seconds=self._shutdown_timeout_seconds,
                    )
                    dom.destroy()
            elif dom.hasManagedSaveImage(0):
                dom.managedSaveRemove(0)
            return self._after(dom)

    async def power_on(self, instance_id: str) -> PowerState:
        dom = self._lookup(instance_id)
        with _libvirt_errors("power on", instance_id):
            state, _ = dom.state()
            if state == libvirt.VIR_DOMAIN_PAUSED:
                dom.resume()
            elif not dom.isActive():
                dom.create()
            return self._after(dom)

    async def reboot(self, instance_id: str, hard: bool) -> PowerState:
        dom = self._lookup(instance_id)
        with _libvirt_errors("reboot", instance_id):
            state, _ = dom.state()
            if not hard and state == libvirt.VIR_DOMAIN_RUNNING:
                try:
                    dom.reboot(0)
                except libvirt.libvirtError as error:
                    log.warning(
                        "soft reboot refused, rebooting hard",
                        host=self.host,
                        instance_id=instance_id,
                        error=_message(error),
                    )
                else:
                    after = self._after(dom)
                    # libvirt has no lifecycle event for a reboot: tell the conductor.
                    self._emit(instance_id, REBOOTED, after)
                    return after
            if dom.isActive():
                dom.destroy()
            if dom.hasManagedSaveImage(0):
                dom.managedSaveRemove(0)
            dom.create()
            return self._after(dom)

    async def pause(self, instance_id: str) -> PowerState:
        dom = self._lookup(instance_id)
        with _libvirt_errors("pause", instance_id):
            state, _ = dom.state()
            if state == libvirt.VIR_DOMAIN_PAUSED:
                return self._after(dom)
            if not dom.isActive():
                raise DriverError(f"pause {instance_id}: domain is not running")
            dom.suspend()
            return self._after(dom)

    async def unpause(self, instance_id: str) -> PowerState:
        dom = self._lookup(instance_id)
        with _libvirt_errors("unpause", instance_id):
            state, _ = dom.state()
            if state == libvirt.VIR_DOMAIN_PAUSED:
                dom.resume()
            elif not dom.isActive():
                raise DriverError(f"unpause {instance_id}: domain is not running")
            return self._after(dom)

    async def suspend(self, instance_id: str) -> PowerState:
        dom = self._lookup(instance_id)
        with _libvirt_errors("suspend", instance_id):
            if not dom.isActive():
                if dom.hasManagedSaveImage(0):
                    return self._after(dom)
                raise DriverError(f"suspend {instance_id}: domain is not running")
            state, _ = dom.state()
            if state == libvirt.VIR_DOMAIN_PAUSED:
                # Saved running, so resume brings back a running guest.
                dom.resume()
            dom.managedSave(0)
            return self._after(dom)

    async def resume(self, instance_id: str) -> PowerState:
        return await self.power_on(instance_id)

    async def console_output(self, instance_id: str, length: int) -> str:
        self._lookup(instance_id)
        serial_log = self._serial_log(instance_id)
        if serial_log is None:
            return ""
        try:
            data = await asyncio.to_thread(_read_tail, serial_log, MAX_CONSOLE_BYTES)
        except FileNotFoundError:
            return ""
        except OSError as error:
            raise DriverError(f"console output of {instance_id}: {error}") from error
        return tail_lines(data, length)

    async def vnc_console(self, instance_id: str) -> agent_pb2.ConsoleEndpoint:
        dom = self._lookup(instance_id)
        with _libvirt_errors("VNC console of", instance_id):
            if not dom.isActive():
                raise DriverError(f"instance {instance_id} is not running")
            description = dom.XMLDesc(0)
        graphics = ET.fromstring(description).find("devices/graphics[@type='vnc']")
        port = int(graphics.get("port", "-1")) if graphics is not None else -1
        if port <= 0:
            raise DriverError(f"instance {instance_id} has no VNC server")
        return agent_pb2.ConsoleEndpoint(
            protocol="vnc", address=self._facts.console_address, port=port
        )

    async def close(self) -> None:
        self.close_now()

    def close_now(self) -> None:
        """`close` for callers outside a coroutine."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if self._callback_id is not None:
            with contextlib.suppress(libvirt.libvirtError):
                conn.domainEventDeregisterAny(self._callback_id)
            self._callback_id = None
        with contextlib.suppress(libvirt.libvirtError):
            conn.close()

    # -- internals -------------------------------------------------------------------

    def _serial_log(self, instance_id: str) -> Path | None:
        """Where the instance's serial console is logged; None on simulated hosts."""
        if self._console_dir is None:
            return None
        return self._console_dir / f"{instance_id}.log"

    def _find(self, instance_id: str) -> libvirt.virDomain | None:
        """The instance's domain, or None when there is none (or the id is no UUID)."""
        try:
            return self.conn.lookupByUUIDString(instance_id)
        except libvirt.libvirtError as error:
            if _code(error) in (libvirt.VIR_ERR_NO_DOMAIN, libvirt.VIR_ERR_INVALID_ARG):
                return None
            raise DriverError(f"look up {instance_id}: {_message(error)}") from error

    def _lookup(self, instance_id: str) -> libvirt.virDomain:
        dom = self._find(instance_id)
        if dom is None:
            raise DomainNotFound(f"instance {instance_id} has no domain on host {self.host}")
        return dom

    def _power(self, dom: libvirt.virDomain) -> PowerState:
        state, _ = dom.state()
        saved = state == libvirt.VIR_DOMAIN_SHUTOFF and bool(dom.hasManagedSaveImage(0))
        return power_state.from_domain(state, saved)

    def _after(self, dom: libvirt.virDomain) -> PowerState:
        """Save the domain's new state (simulated hosts) and return it."""
        self._persist(dom)
        return self._power(dom)

    async def _wait_inactive(self, dom: libvirt.virDomain, timeout_seconds: float) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_seconds
        delay = 0.01
        while dom.isActive():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            await asyncio.sleep(min(delay, remaining))
            delay = min(delay * 2, 0.5)
        return True

    def _undefine_after_failed_spawn(self, dom: libvirt.virDomain, instance_id: str) -> None:
        try:
            dom.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE)
        except libvirt.libvirtError as error:
            log.warning(
                "could not undefine after failed start",
                host=self.host,
                instance_id=instance_id,
                error=_message(error),
            )
        self._forget(instance_id)

    def _persist(self, dom: libvirt.virDomain) -> None:
        if self._simulated is None:
            return
        uuid = dom.UUIDString()
        try:
            inactive = dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
            state, _ = dom.state()
            saved = bool(dom.hasManagedSaveImage(0))
        except libvirt.libvirtError as error:
            if _code(error) == libvirt.VIR_ERR_NO_DOMAIN:
                self._forget(uuid)
                return
            raise
        self._simulated.save(uuid, inactive, state, saved)

    def _forget(self, instance_id: str) -> None:
        self._metadata.pop(instance_id, None)
        if self._simulated is not None:
            self._simulated.remove(instance_id)

    def _instance_metadata(self, dom: libvirt.virDomain) -> domain_xml.InstanceMetadata | None:
        uuid = dom.UUIDString()
        if uuid not in self._metadata:
            self._metadata[uuid] = domain_xml.read_metadata(dom.XMLDesc(0))
        return self._metadata[uuid]

    def _domains(
        self,
    ) -> list[tuple[libvirt.virDomain, domain_xml.InstanceMetadata, bool]]:
        """Every Stratus domain on this host: (domain, metadata, active)."""
        found = []
        for dom in self.conn.listAllDomains(0):
            try:
                meta = self._instance_metadata(dom)
                if meta is not None:
                    found.append((dom, meta, bool(dom.isActive())))
            except libvirt.libvirtError as error:
                if _code(error) != libvirt.VIR_ERR_NO_DOMAIN:
                    raise
        return found

    def _emit(self, instance_id: str, event: str, state: PowerState) -> None:
        if self._events is None:
            return
        self._events.put_nowait(
            agent_pb2.PowerStateEvent(
                host=self.host,
                instance_id=instance_id,
                power_state=state,
                event=event,
                observed_at=_now(),
            )
        )

    def _on_lifecycle(
        self,
        _conn: libvirt.virConnect,
        dom: libvirt.virDomain,
        event: int,
        _detail: int,
        _opaque: Any,
    ) -> None:
        """A libvirt lifecycle event: record the domain's state and queue a power event."""
        try:
            uuid = dom.UUIDString()
            if event == libvirt.VIR_DOMAIN_EVENT_UNDEFINED:
                self._forget(uuid)
                return
            try:
                if self._instance_metadata(dom) is None:
                    return  # not a Stratus domain
                state: PowerState | None = self._power(dom)
                self._persist(dom)
            except libvirt.libvirtError:
                # Gone before we could ask: the event is all there is.
                state = power_state.from_event(event)
            if state is None or event == libvirt.VIR_DOMAIN_EVENT_DEFINED:
                return
            self._emit(uuid, power_state.event_name(event), state)
        except Exception:
            log.exception("lifecycle event handling failed", host=self.host, event=event)


def _read_tail(path: Path, max_bytes: int) -> bytes:
    """The last `max_bytes` of a file (a plain file read: safe in a worker thread)."""
    with open(path, "rb") as file:
        size = file.seek(0, os.SEEK_END)
        file.seek(max(0, size - max_bytes))
        return file.read()


def tail_lines(data: bytes, length: int) -> str:
    """The last `length` lines of a serial log (all when `length` <= 0), as text.

    Serial lines end in CR LF and a guest may print anything: line ends are normalised,
    NULs dropped and undecodable bytes replaced, so the result is always valid text.
    """
    text = data.decode("utf-8", errors="replace").replace("\r", "").replace("\x00", "")
    if length <= 0:
        return text
    lines = text.splitlines(keepends=True)
    return "".join(lines[-length:])


def _open(uri: str) -> libvirt.virConnect:
    try:
        return libvirt.open(uri)
    except libvirt.libvirtError as error:
        raise DriverError(f"cannot open libvirt connection {uri}: {_message(error)}") from error


def _cpu_model(conn: libvirt.virConnect) -> str:
    """The host CPU model from libvirt's capabilities, or "" when it names none."""
    try:
        capabilities = ET.fromstring(conn.getCapabilities())
    except (libvirt.libvirtError, ET.ParseError):
        return ""
    return capabilities.findtext("host/cpu/model", default="") or ""
