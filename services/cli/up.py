"""`stratus up`: a whole cloud on one machine, supervised until Ctrl-C.

It starts etcd (unless one is given), then the scheduler, conductor, api and agent as
separate processes, exactly as they run in production, only on loopback. With
`--hypervisor qemu` the agent drives real guests through qemu:///system: `stratus up`
sets libvirt up, starts libvirtd when nothing answers there yet (and stops it again at
the end), builds the tiny guest image once and registers it as `stratus-tiny`. Each process
gets its own session, so a Ctrl-C in the terminal reaches the supervisor alone and the
supervisor stops the services in reverse order, each as a whole process group: SIGTERM,
a grace period, then SIGKILL. Nothing it started is left behind, and nothing it did not
start is touched.

The api requires a token. On its first start `stratus up` makes a random password for the
cloud's admin and keeps it in `<data dir>/clouds.yaml` (owner-only), the file the OpenStack
tools and every `stratus` command read; later starts reuse it. The api gets the password
through its environment alone, never on a command line anyone can list.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import click
import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

import services
import stratus
from services.api.identity import bootstrap
from services.cli import credentials, real_guests, seed
from services.runtime import context, grpc_client
from services.state.etcd_server import EtcdServer, find_etcd_binary, port_answers
from stratus.v1 import compute_pb2, compute_pb2_grpc, identity_pb2

STOP_GRACE_SECONDS = 10.0
LOG_TAIL_LINES = 25
MAX_RESTARTS = 5
RESTART_BACKOFF_SECONDS = (1.0, 30.0)  # first delay, ceiling; doubling in between
STABLE_AFTER_SECONDS = 60.0  # a process that ran this long has its restart count reset

# The default ports of DESIGN.md; `--port-offset` shifts all of them at once.
DEFAULT_PORTS = {
    "rest": 8774,
    "api": 8780,
    "conductor": 8781,
    "scheduler": 8782,
    "etcd": 2379,
    "etcd_peer": 2380,
    "metrics": 9180,
    "console": 6080,
}
METRICS_ORDER = ("api", "conductor", "scheduler", "agent")
# How the api learns the admin's password (services/api/config.py: bootstrap_admin_password).
ADMIN_PASSWORD_ENV = "STRATUS_BOOTSTRAP_ADMIN_PASSWORD"
CLOUDS_YAML = "clouds.yaml"


def default_data_dir() -> Path:
    env = os.environ.get("STRATUS_DATA_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return base / "stratus"


class StartupError(click.ClickException):
    """Something did not come up; the message names it and where its log is."""

    def show(self, file: object = None) -> None:
        Console(stderr=True).print(f"[bold red]error:[/] {self.message}", highlight=False)


class Shutdown(BaseException):
    """Raised from SIGTERM/SIGHUP so the same cleanup runs as for Ctrl-C."""


# --- stopping processes --------------------------------------------------------------------


def _group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes of a process group, from /proc."""
    members: list[int] = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return [pgid] if _signal_group(pgid, 0) else []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # Fields after the command name, which is in parentheses and may hold spaces.
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 2 and fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry))
    return members


def _signal_group(pgid: int, signum: int) -> bool:
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False
    return True


def stop_process(
    process: subprocess.Popen[bytes],
    grace_seconds: float = STOP_GRACE_SECONDS,
    hurry: Callable[[], bool] = lambda: False,
) -> bool:
    """Stop a child started with start_new_session=True, with everything in its group.

    SIGTERM to the group, wait up to `grace_seconds` for the group to empty (or until
    `hurry()` says the operator asked twice), then SIGKILL. The group id is the child's
    pid, so only what this process started is signalled. Returns True when SIGKILL was needed.
    """
    pgid = process.pid
    _signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    while time.monotonic() < deadline and not hurry():
        process.poll()  # reap the leader as soon as it exits
        if not _group_members(pgid):
            process.wait()
            return False
        time.sleep(0.05)
    killed = _signal_group(pgid, signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 2.0
    while _group_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.02)
    return killed


# --- children ------------------------------------------------------------------------------


@dataclass
class Child:
    """One supervised process: how to start it, how to know it is ready, its log."""

    name: str
    argv: Callable[[], list[str]]
    log_path: Path
    grpc_port: int | None = None  # ready when its health service answers SERVING
    tcp_port: int | None = None  # ready when the port accepts connections (etcd)
    ready: Callable[[], bool] | None = None  # ready when this says so (libvirtd)
    env: dict[str, str] | None = None
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restarts: int = 0
    restart_at: float | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.argv(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=self.env,
            )
        self.started_at = time.monotonic()

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def exited(self) -> int | None:
        """The exit code once the process has ended, else None."""
        return self.process.poll() if self.process else None

    def stop(self, hurry: Callable[[], bool] = lambda: False) -> bool:
        if self.process is None:
            return False
        return stop_process(self.process, STOP_GRACE_SECONDS, hurry)

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        try:
            with open(self.log_path, "rb") as log:
                log.seek(0, os.SEEK_END)
                log.seek(max(0, log.tell() - 64 * 1024))
                text = log.read().decode(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def exit_text(code: int) -> str:
    """How a process ended, as an operator reads it: a code, or the signal that killed it."""
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


def health_serving(port: int, timeout: float = 1.0) -> bool:
    """Whether the standard gRPC health check on 127.0.0.1:port answers SERVING."""
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            response = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=timeout)
        except grpc.RpcError:
            return False
    return bool(response.status == health_pb2.HealthCheckResponse.SERVING)


def port_free(port: int) -> bool:
    """Whether a server could bind 127.0.0.1:port now (TIME_WAIT leftovers do not count)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


# --- the plan: what to start with which flags ----------------------------------------------


@dataclass(frozen=True)
class Ports:
    rest: int
    api: int
    conductor: int
    scheduler: int
    etcd: int
    etcd_peer: int
    metrics_from: int  # 0: no metrics endpoints
    console: int = 0  # the console proxy (noVNC); 0: none

    def metrics(self, service: str) -> int:
        if not self.metrics_from:
            return 0
        return self.metrics_from + METRICS_ORDER.index(service)


@dataclass(frozen=True)
class Plan:
    """Everything `stratus up` will run, derived from its options before anything starts."""

    hosts: int
    data_dir: Path
    ports: Ports
    etcd_endpoints: str  # empty: start our own etcd
    hypervisor: str = "test"
    config_file: Path | None = None
    python: str = field(default_factory=lambda: sys.executable)
    # Real guests: the tiny guest's kernel and initrd (the agent's KVM probe boots them),
    # and whether libvirtd must be started (nothing answered on the hypervisor URI).
    guest: real_guests.GuestImage | None = None
    start_libvirtd: bool = False
    # The bootstrap admin's password, kept in clouds.yaml; given to the api alone.
    admin_password: str = field(default="", repr=False)

    @property
    def real(self) -> bool:
        return self.hypervisor != "test"

    @property
    def own_etcd(self) -> bool:
        return not self.etcd_endpoints

    @property
    def endpoints(self) -> str:
        return self.etcd_endpoints or f"127.0.0.1:{self.ports.etcd}"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def api_endpoint(self) -> str:
        return f"127.0.0.1:{self.ports.api}"

    @property
    def clouds_yaml(self) -> Path:
        return self.data_dir / CLOUDS_YAML

    @property
    def identity_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.rest}/identity/v3"

    def admin_credentials(self) -> credentials.Credentials:
        return credentials.Credentials(
            username=bootstrap.ADMIN_USER,
            password=self.admin_password,
            project_name=bootstrap.ADMIN_PROJECT,
            source=str(self.clouds_yaml),
        )

    def service_argv(self, service: str) -> list[str]:
        """The command line of one service process."""
        argv = [
            self.python,
            "-c",
            f"from services.{service}.main import main; main()",
        ]
        if self.config_file:
            argv += ["--config", str(self.config_file)]
        argv += [
            "--etcd-endpoints",
            self.endpoints,
            "--bind-host",
            "127.0.0.1",
            "--metrics-port",
            str(self.ports.metrics(service)),
            "--log-format",
            "json",
        ]
        if service == "api":
            argv += ["--grpc-port", str(self.ports.api), "--rest-port", str(self.ports.rest)]
            argv += ["--console-proxy-port", str(self.ports.console)]
        elif service == "conductor":
            argv += ["--grpc-port", str(self.ports.conductor)]
        elif service == "scheduler":
            argv += ["--grpc-port", str(self.ports.scheduler)]
        elif service == "agent":
            argv += [
                "--conductor-endpoints",
                f"127.0.0.1:{self.ports.conductor}",
                "--hosts",
                str(self.hosts),
                "--state-dir",
                str(self.data_dir / "agent"),
                "--hypervisor",
                self.hypervisor,
            ]
            if self.guest is not None:
                argv += [
                    "--probe-kernel-path",
                    self.guest.kernel_path,
                    "--probe-initrd-path",
                    self.guest.initrd_path,
                ]
        else:
            raise ValueError(f"unknown service {service!r}")
        return argv

    def child_env(self) -> dict[str, str]:
        """The parent's environment, with the exact code this process runs importable."""
        roots = {str(Path(services.__file__).resolve().parent.parent)}
        roots.add(str(Path(stratus.__file__).resolve().parent.parent))
        existing = os.environ.get("PYTHONPATH")
        path = os.pathsep.join([*sorted(roots), *([existing] if existing else [])])
        return {**os.environ, "PYTHONPATH": path, "PYTHONUNBUFFERED": "1"}

    def children(self) -> list[Child]:
        """In start order: libvirtd and etcd (if ours), scheduler, conductor, api, agent."""
        # Only the api learns the admin's password, and only from its environment.
        env = {k: v for k, v in self.child_env().items() if k != ADMIN_PASSWORD_ENV}
        api_env = {**env, ADMIN_PASSWORD_ENV: self.admin_password}
        result: list[Child] = []
        if self.start_libvirtd:
            uri = self.hypervisor
            result.append(
                Child(
                    "libvirtd",
                    real_guests.libvirtd_argv,
                    self.log_dir / "libvirtd.log",
                    ready=lambda: real_guests.libvirt_answers(uri),
                )
            )
        if self.own_etcd:
            etcd = EtcdServer(
                self.data_dir / "etcd",
                self.ports.etcd,
                self.ports.etcd_peer,
                log_file=self.log_dir / "etcd.log",
            )
            result.append(
                Child("etcd", etcd.command, etcd.log_file, tcp_port=self.ports.etcd, env=env)
            )
        grpc_ports = {
            "scheduler": self.ports.scheduler,
            "conductor": self.ports.conductor,
            "api": self.ports.api,
        }
        for name in ("scheduler", "conductor", "api", "agent"):
            result.append(
                Child(
                    name,
                    (lambda n=name: self.service_argv(n)),  # type: ignore[misc]
                    self.log_dir / f"{name}.log",
                    grpc_port=grpc_ports.get(name),
                    env=api_env if name == "api" else env,
                )
            )
        return result

    def ports_to_bind(self) -> list[tuple[int, str]]:
        """Every port the children will listen on, with the flag that changes it."""
        ports = [
            (self.ports.api, "--api-port"),
            (self.ports.conductor, "--conductor-port"),
            (self.ports.scheduler, "--scheduler-port"),
        ]
        if self.ports.rest:
            ports.append((self.ports.rest, "--rest-port"))
        if self.ports.console:
            ports.append((self.ports.console, "--console-port"))
        if self.own_etcd:
            ports += [(self.ports.etcd, "--etcd-port"), (self.ports.etcd_peer, "--etcd-peer-port")]
        if self.ports.metrics_from:
            ports += [(self.ports.metrics(s), "--metrics-ports-from") for s in METRICS_ORDER]
        return ports


def with_admin_password(plan: Plan) -> Plan:
    """The plan with the admin's password: the one in the data dir's clouds.yaml, or a new
    random one on the first start. The file is (re)written owner-only either way, so its
    auth_url follows the REST port of this start."""
    try:
        password = credentials.admin_password(plan.clouds_yaml, bootstrap.CLOUD_NAME)
    except credentials.CredentialsError as error:
        raise StartupError(f"{error} (remove it to start with a new admin password)") from None
    password = password or secrets.token_urlsafe(24)
    bootstrap.write_clouds_yaml(plan.clouds_yaml, plan.identity_url, password)
    return dataclasses.replace(plan, admin_password=password)


# --- the supervisor ------------------------------------------------------------------------


class Supervisor:
    """Starts the children in order, waits for each, restarts the ones that die, stops all."""

    def __init__(self, plan: Plan, console: Console, ready_timeout: float = 60.0) -> None:
        self.plan = plan
        self.console = console
        self.ready_timeout = ready_timeout
        self.children = plan.children()
        self.started: list[Child] = []
        self.stopping = False
        self.hurry = False
        self.virt_types: list[str] = []

    def say(self, text: str) -> None:
        stamp = time.strftime("%H:%M:%S")
        self.console.print(f"[dim]{stamp}[/] {text}", highlight=False)

    def check_ports(self) -> None:
        busy = [(port, flag) for port, flag in self.plan.ports_to_bind() if not port_free(port)]
        if busy:
            listing = ", ".join(f"{port} ({flag})" for port, flag in busy)
            raise StartupError(
                f"port in use on 127.0.0.1: {listing}. Is another `stratus up` running? "
                "Choose other ports with those flags or --port-offset."
            )

    def fail_with_log(self, child: Child, why: str) -> StartupError:
        tail = child.log_tail()
        if tail:
            self.console.print(
                Panel(
                    Text(tail),
                    title=f"last lines of {child.log_path}",
                    border_style="red",
                    title_align="left",
                )
            )
        return StartupError(f"{why}; see {child.log_path}")

    def wait_ready(self, child: Child) -> None:
        """Until the child answers (health SERVING, or its port open), or dies, or times out."""
        deadline = time.monotonic() + self.ready_timeout
        while True:
            code = child.exited()
            if code is not None:
                raise self.fail_with_log(child, f"{child.name} {exit_text(code)} at start")
            if child.grpc_port is not None and health_serving(child.grpc_port):
                return
            if child.tcp_port is not None and port_answers("127.0.0.1", child.tcp_port):
                return
            if child.ready is not None and child.ready():
                return
            if child.grpc_port is None and child.tcp_port is None and child.ready is None:
                return  # the agent: readiness is its hosts showing up
            if time.monotonic() > deadline:
                if child.grpc_port is not None:
                    what = f"gRPC health on 127.0.0.1:{child.grpc_port}"
                elif child.tcp_port is not None:
                    what = f"127.0.0.1:{child.tcp_port}"
                else:
                    what = self.plan.hypervisor
                raise self.fail_with_log(
                    child, f"{child.name} did not answer ({what}) within {self.ready_timeout:g}s"
                )
            time.sleep(0.1)

    def wait_external_etcd(self) -> None:
        deadline = time.monotonic() + self.ready_timeout
        targets = [e.strip() for e in self.plan.etcd_endpoints.split(",") if e.strip()]
        while True:
            for target in targets:
                host, _, port = target.rpartition(":")
                host = host.removeprefix("http://").removeprefix("https://")
                if port.isdigit() and port_answers(host or "127.0.0.1", int(port)):
                    return
            if time.monotonic() > deadline:
                raise StartupError(f"no etcd answers at {self.plan.etcd_endpoints}")
            time.sleep(0.2)

    def start_all(self) -> None:
        if self.plan.own_etcd:
            try:
                find_etcd_binary()  # fail before anything starts when there is none
            except FileNotFoundError as error:
                raise StartupError(f"{error}, or pass --etcd-endpoints") from None
        else:
            self.wait_external_etcd()
            self.say(f"[green]✓[/] etcd      external  {self.plan.etcd_endpoints}")
        for child in self.children:
            began = time.monotonic()
            self.started.append(child)  # tracked before it exists, so a signal cannot orphan it
            child.start()
            self.wait_ready(child)
            port = child.grpc_port or child.tcp_port
            if child.ready is not None:
                self.say(
                    f"[green]✓[/] {child.name:<9} pid {child.pid:<7} {self.plan.hypervisor:<16} "
                    f"[dim]{time.monotonic() - began:.1f}s[/]"
                )
                continue
            if port is None:
                self.say(
                    f"[dim]…[/] {child.name:<9} pid {child.pid:<7} "
                    f"waiting for {self.plan.hosts} host(s)"
                )
                continue
            self.say(
                f"[green]✓[/] {child.name:<9} pid {child.pid:<7} 127.0.0.1:{port:<6} "
                f"[dim]{time.monotonic() - began:.1f}s[/]"
            )

    def prepare_real_guests(self) -> Plan:
        """libvirt set up, libvirtd's fate decided, the tiny guest and noVNC in place."""
        plan = self.plan
        try:
            if plan.hypervisor == real_guests.SYSTEM_URI:
                self.say("[dim]…[/] setting libvirt up (deploy/libvirt/setup.sh)")
                real_guests.setup_libvirt()
            start = not real_guests.libvirt_answers(plan.hypervisor)
            if start and plan.hypervisor != real_guests.SYSTEM_URI:
                raise StartupError(f"nothing answers on {plan.hypervisor}")
            began = time.monotonic()
            guest = real_guests.build_guest()
            self.say(
                f"[green]✓[/] guest     {guest.kernel_path.rsplit('/', 1)[0]} "
                f"[dim]{time.monotonic() - began:.1f}s[/]"
            )
            real_guests.fetch_novnc()
        except real_guests.SetupError as error:
            raise StartupError(str(error)) from None
        self.plan = dataclasses.replace(plan, guest=guest, start_libvirtd=start)
        self.children = self.plan.children()
        return self.plan

    async def _login_as_admin(self, deadline: float) -> identity_pb2.AuthenticateResponse:
        """The admin's token (and its project), retried while the api is still starting."""
        while True:
            try:
                return await credentials.authenticate(
                    self.plan.api_endpoint, self.plan.admin_credentials(), 5
                )
            except credentials.CredentialsError as error:
                raise StartupError(
                    f"{error}; the admin keeps the password it was first created with, "
                    f"and {self.plan.clouds_yaml} does not hold it"
                ) from None
            except grpc.aio.AioRpcError as error:
                if error.code() != grpc.StatusCode.UNAVAILABLE or time.monotonic() > deadline:
                    raise
            await asyncio.sleep(0.2)

    async def _await_hosts_and_seed(self) -> list[str]:
        agent = next(c for c in self.children if c.name == "agent")
        deadline = time.monotonic() + self.ready_timeout
        admin = await self._login_as_admin(deadline)
        channel = grpc_client.channel(self.plan.api_endpoint, token=admin.token)
        stub = compute_pb2_grpc.ComputeStub(channel)
        try:
            up = 0
            while True:
                code = agent.exited()
                if code is not None:
                    raise self.fail_with_log(agent, f"agent {exit_text(code)} at start")
                try:
                    response = await stub.ListHosts(compute_pb2.ListHostsRequest(), timeout=5)
                    up = sum(1 for view in response.hosts if view.up)
                except grpc.aio.AioRpcError:
                    pass
                if up >= self.plan.hosts:
                    break
                if time.monotonic() > deadline:
                    raise self.fail_with_log(
                        agent,
                        f"{up} of {self.plan.hosts} hosts up after {self.ready_timeout:g}s",
                    )
                await asyncio.sleep(0.2)
            project_id = admin.info.project_id
            seeded = [
                # The quota line names the project as people know it.
                item.replace(project_id, bootstrap.ADMIN_PROJECT)
                if item.startswith("quota ")
                else item
                for item in await seed.seed(stub, project_id=project_id)
            ]
            if self.plan.guest is not None:
                if await real_guests.register_image(stub, self.plan.guest):
                    seeded.append(f"image {real_guests.IMAGE_NAME}")
                hosts = await stub.ListHosts(compute_pb2.ListHostsRequest(), timeout=5)
                self.virt_types = sorted(
                    {view.host.capabilities.get("virt_type", "?") for view in hosts.hosts}
                )
            return seeded
        finally:
            await channel.close()

    def await_hosts_and_seed(self) -> list[str]:
        with context.bound(context.RequestContext()):
            try:
                return asyncio.run(self._await_hosts_and_seed())
            except grpc.aio.AioRpcError as error:
                details = error.details() or error.code().name
                raise StartupError(f"seeding flavors and images failed: {details}") from None

    def supervise(self) -> None:
        """Watch the children until interrupted; restart a dead one with growing delays."""
        while True:
            now = time.monotonic()
            for child in self.started:
                if child.restart_at is not None:
                    if now >= child.restart_at:
                        child.restart_at = None
                        child.start()
                        self.say(f"[yellow]↻[/] restarted {child.name} (pid {child.pid})")
                    continue
                code = child.exited()
                if code is None:
                    continue
                if now - child.started_at > STABLE_AFTER_SECONDS:
                    child.restarts = 0
                child.restarts += 1
                if child.restarts > MAX_RESTARTS:
                    raise self.fail_with_log(
                        child,
                        f"{child.name} {exit_text(code)}, {MAX_RESTARTS} restarts did not help",
                    )
                first, ceiling = RESTART_BACKOFF_SECONDS
                delay = min(ceiling, first * 2 ** (child.restarts - 1))
                child.restart_at = now + delay
                self.say(
                    f"[bold red]✗[/] {child.name} (pid {child.pid}) {exit_text(code)}; "
                    f"restarting in {delay:g}s "
                    f"({child.restarts}/{MAX_RESTARTS}), log {child.log_path}"
                )
            time.sleep(0.25)

    def stop_all(self) -> None:
        """Reverse start order; each gets SIGTERM, then SIGKILL after the grace period."""
        self.stopping = True
        for child in reversed(self.started):
            if child.process is None:
                continue
            running = child.exited() is None
            killed = child.stop(hurry=lambda: self.hurry)
            if running:
                how = "killed" if killed else "stopped"
                self.say(f"[dim]■[/] {how} {child.name} (pid {child.pid})")
        self.started.clear()


@contextlib.contextmanager
def _signals(supervisor: Supervisor) -> Iterator[None]:
    """SIGTERM and SIGHUP end `stratus up` like Ctrl-C; a second one while stopping hurries."""

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if supervisor.stopping:
            supervisor.hurry = True
            return
        raise Shutdown(signal.Signals(signum).name)

    def on_interrupt(signum: int, frame: FrameType | None) -> None:
        if supervisor.stopping:
            supervisor.hurry = True
            return
        raise KeyboardInterrupt

    previous = {
        signum: signal.signal(signum, handler)
        for signum, handler in (
            (signal.SIGTERM, on_signal),
            (signal.SIGHUP, on_signal),
            (signal.SIGINT, on_interrupt),
        )
    }
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _seeded_text(seeded: Sequence[str]) -> str:
    kinds: dict[str, list[str]] = {}
    for item in seeded:
        kind, _, name = item.partition(" ")
        kinds.setdefault(kind, []).append(name)
    return "; ".join(f"{kind}s {' '.join(names)}" for kind, names in kinds.items())


def _hosts_text(plan: Plan, virt_types: Sequence[str]) -> str:
    if not plan.real:
        return f"{plan.hosts} simulated ({plan.hypervisor} hypervisor)"
    names = {"kvm": "KVM", "qemu": "TCG (software emulation)"}
    accel = ", ".join(names.get(v, v) for v in virt_types) or "see the agent log"
    return f"this machine on {plan.hypervisor}; guests run under {accel}"


BANNER_WIDTH = 80  # what a pipe or a log file gets: no line is longer
COMMAND_WIDTH = BANNER_WIDTH - 2  # the examples are indented by two


def _console_text(plan: Plan) -> str:
    """Where consoles are, or why there are none: simulated hosts have no screen, so the
    noVNC page is fetched (and advertised) only with real guests."""
    if not plan.real:
        return f"127.0.0.1:{plan.ports.console}, for real guests only (--hypervisor qemu)"
    return f"http://127.0.0.1:{plan.ports.console}/vnc_lite.html"


def ready_rows(
    plan: Plan, seeded: Sequence[str], virt_types: Sequence[str] = ()
) -> list[tuple[str, str]]:
    """Where everything is, right after start: (what, where) pairs."""
    ports = plan.ports
    rest = f"http://127.0.0.1:{ports.rest}/v2.1" if ports.rest else "disabled (--rest-port 0)"
    rows = [
        ("REST (Compute v2.1)", rest),
        ("gRPC api", plan.api_endpoint),
        ("gRPC conductor", f"127.0.0.1:{ports.conductor}"),
        ("gRPC scheduler", f"127.0.0.1:{ports.scheduler}"),
    ]
    if ports.metrics_from:
        rows.append(("metrics", "  ".join(f"{s} :{ports.metrics(s)}" for s in METRICS_ORDER)))
    else:
        rows.append(("metrics", "disabled"))
    etcd_note = "started here" if plan.own_etcd else "external"
    rows.append(("etcd", f"{plan.endpoints} ({etcd_note})"))
    rows.append(("hosts", _hosts_text(plan, virt_types)))
    if ports.console:
        rows.append(("console proxy", _console_text(plan)))
    rows.append(("credentials", f"{plan.clouds_yaml} (cloud {bootstrap.CLOUD_NAME}, user admin)"))
    if ports.rest:
        rows.append(("identity (Keystone v3)", plan.identity_url))
    rows.append(("data dir", str(plan.data_dir)))
    rows.append(("logs", str(plan.log_dir)))
    if seeded:
        rows.append(("seeded", _seeded_text(seeded)))
    return rows


def ready_panel(
    plan: Plan, seconds: float, seeded: Sequence[str], virt_types: Sequence[str] = ()
) -> Panel:
    """Where everything is, right after start, boxed for a terminal."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    for name, value in ready_rows(plan, seeded, virt_types):
        grid.add_row(name, value)
    return Panel(
        grid,
        title=f"[bold green]Stratus is up[/] — ready in {seconds:.1f}s",
        title_align="left",
        border_style="green",
        expand=False,
    )


def ready_lines(
    plan: Plan, seconds: float, seeded: Sequence[str], virt_types: Sequence[str] = ()
) -> list[str]:
    """The panel's content as plain lines of at most BANNER_WIDTH columns, for a pipe or a
    log: a value that does not fit beside its name goes whole onto the next line, so no
    path or address is ever broken in two."""
    rows = ready_rows(plan, seeded, virt_types)
    label_width = max(len(name) for name, _ in rows) + 2
    lines = [f"Stratus is up — ready in {seconds:.1f}s"]
    for name, value in rows:
        if label_width + 2 + len(value) <= BANNER_WIDTH:
            lines.append(f"  {name:<{label_width}}{value}")
        else:
            lines += [f"  {name}", f"      {value}"]
    return lines


def token_request_body(password: str) -> str:
    """The Keystone v3 password authentication document, scoped to the admin project."""
    document = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": bootstrap.ADMIN_USER,
                        "domain": {"name": "Default"},
                        "password": password,
                    }
                },
            },
            "scope": {"project": {"name": bootstrap.ADMIN_PROJECT, "domain": {"name": "Default"}}},
        }
    }
    return json.dumps(document)


def shell_command(*chunks: str, width: int = COMMAND_WIDTH) -> str:
    """One shell command from its chunks, continued with backslashes so that no line is
    wider than `width`. A chunk is never split; one holding newlines is laid out already."""
    lines: list[str] = []
    current = ""
    for chunk in chunks:
        first, *more = chunk.split("\n")
        joined = f"{current} {first}" if current else first
        if current and len(joined) + 2 > width:
            lines.append(current + " \\")
            joined = "    " + first
        if more:
            lines.append(joined)
            lines += more[:-1]
            current = more[-1]
        else:
            current = joined
    lines.append(current)
    return "\n".join(lines)


def quoted_json(document: str, indent: int = 6, width: int = COMMAND_WIDTH) -> str:
    """A JSON document in single quotes, broken between its tokens onto indented lines
    (JSON allows newlines there, and the shell keeps them inside the quotes)."""
    wrapped = textwrap.wrap(
        f"'{document}'",
        width=width - indent,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return ("\n" + " " * indent).join(wrapped)


def venv_activate() -> Path | None:
    """The activate script of the virtual environment this process runs from, if any:
    a new shell finds `stratus`, `grpcurl` and `openstack` only after sourcing it."""
    if sys.prefix == sys.base_prefix:
        return None
    script = Path(sys.prefix) / "bin" / "activate"
    return script if script.is_file() else None


def credential_lines(plan: Plan) -> list[str]:
    """How to use the admin's credentials: the CLI finds clouds.yaml in the default data
    dir by itself; other tools are pointed at it; curl first exchanges the password."""
    lines = []
    activate = venv_activate()
    if activate is not None:
        lines += [
            "# a new shell finds stratus, grpcurl and openstack after this:",
            f"source {activate}",
        ]
    if plan.data_dir == default_data_dir().expanduser().resolve():
        lines.append("# for the openstack CLI; stratus commands find it already:")
    else:
        lines.append("# then stratus commands and the openstack CLI use it:")
    lines.append(
        shell_command(
            f"export OS_CLIENT_CONFIG_FILE={plan.clouds_yaml}", f"OS_CLOUD={bootstrap.CLOUD_NAME}"
        )
    )
    if plan.ports.rest:
        # The password stays in the file: the shell reads it from there.
        lines.append(
            shell_command(
                "PASSWORD=$(sed -n 's/^ *password: \"\\(.*\\)\"$/\\1/p'",
                '"$OS_CLIENT_CONFIG_FILE")',
            )
        )
        body = token_request_body("PASSWORD_HERE").replace("PASSWORD_HERE", "'\"$PASSWORD\"'")
        lines.append(
            shell_command(
                f"TOKEN=$(curl -si -X POST {plan.identity_url}/auth/tokens",
                "-H 'Content-Type: application/json'",
                "-d " + quoted_json(body),
                "| sed -n 's/^[Xx]-[Ss]ubject-[Tt]oken: *//p' | tr -d '\\r')",
            )
        )
    return lines


def examples(plan: Plan) -> list[str]:
    """Commands to try from another shell, printed outside the panel so they copy and
    paste whole; each line fits in COMMAND_WIDTH columns."""
    ports = plan.ports
    api_flag = () if ports.api == DEFAULT_PORTS["api"] else ("--api", plan.api_endpoint)
    lines = credential_lines(plan)
    auth_header = '-H "X-Auth-Token: $TOKEN"'
    json_header = "-H 'Content-Type: application/json'"
    rest = f"http://127.0.0.1:{ports.rest}/v2.1"
    if plan.real and ports.rest:
        image = real_guests.IMAGE_NAME
        return [
            *lines,
            shell_command(
                "ID=$(stratus server create tiny1 --flavor m1.tiny",
                f"--image {image}",
                "--wait --format json",
                *api_flag,
                "| python3 -c 'import json, sys; print(json.load(sys.stdin)[0][\"id\"])')",
            ),
            shell_command(
                f"curl -s -X POST {rest}/servers/$ID/action",
                auth_header,
                json_header,
                """-d '{"os-getConsoleOutput": {"length": 20}}'""",
            ),
            shell_command(
                f"curl -s -X POST {rest}/servers/$ID/remote-consoles",
                auth_header,
                "-H 'OpenStack-API-Version: compute 2.6'",
                json_header,
                """-d '{"remote_console": {"protocol": "vnc", "type": "novnc"}}'""",
            ),
            "# open the printed url in a browser: the guest's screen",
            shell_command("stratus server stop $ID --wait", *api_flag),
        ]
    if ports.rest:
        lines.append(
            shell_command(
                f"curl -s -X POST {rest}/servers",
                auth_header,
                json_header,
                "-d "
                + quoted_json(
                    json.dumps({"server": {"name": "web1", "flavorRef": "1", "imageRef": "cirros"}})
                ),
            )
        )
    lines.append(
        shell_command('grpcurl -plaintext -H "x-auth-token: $TOKEN"', plan.api_endpoint, "list")
    )
    lines.append(
        shell_command(
            "stratus server create web2 --flavor m1.tiny --image cirros --wait", *api_flag
        )
    )
    lines.append(shell_command("stratus server list", *api_flag))
    lines.append(shell_command("stratus host list", *api_flag))
    lines.append(shell_command("stratus service list", *api_flag))
    return lines


def print_ready(
    console: Console,
    plan: Plan,
    seconds: float,
    seeded: Sequence[str],
    virt_types: Sequence[str] = (),
) -> None:
    """The panel on a terminal; on a pipe or in a log, the same as plain lines. Either way
    the examples are laid out to fit in BANNER_WIDTH columns, so nothing wraps."""
    if console.is_terminal:
        console.print(ready_panel(plan, seconds, seeded, virt_types))
    else:
        for line in ready_lines(plan, seconds, seeded, virt_types):
            console.print(line, soft_wrap=True, highlight=False, markup=False)
    console.print("[bold]Try, from another shell:[/]")
    for command in examples(plan):
        for line in command.split("\n"):
            console.print(f"  {line}", soft_wrap=True, highlight=False, markup=False)
    console.print("[dim]Ctrl-C stops everything.[/]")


def _port(value: int | None, key: str, offset: int) -> int:
    return value if value is not None else DEFAULT_PORTS[key] + offset


@click.command("up")
@click.option(
    "--hosts",
    type=click.IntRange(min=1),
    default=3,
    show_default=True,
    help="simulated compute hosts the agent serves",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="etcd data, agent state and logs [env STRATUS_DATA_DIR; default ~/.local/share/stratus]",
)
@click.option(
    "--etcd-endpoints",
    envvar="STRATUS_ETCD_ENDPOINTS",
    default="",
    help="use this etcd (host:port,...) instead of starting one",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="TOML config passed to every service (flags here win)",
)
@click.option(
    "--hypervisor",
    default="test",
    show_default=True,
    help="agent hypervisor: test (simulated hosts), qemu (real guests on qemu:///system, "
    "KVM where a guest really boots, else TCG), or a libvirt URI",
)
@click.option(
    "--port-offset",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="add this to every default port, to run beside another stratus up",
)
@click.option("--rest-port", type=click.IntRange(min=0), help="REST gateway [8774]; 0: none")
@click.option(
    "--console-port", type=click.IntRange(min=0), help="console proxy (noVNC) [6080]; 0: none"
)
@click.option("--api-port", type=click.IntRange(min=1), help="api gRPC [8780]")
@click.option("--conductor-port", type=click.IntRange(min=1), help="conductor gRPC [8781]")
@click.option("--scheduler-port", type=click.IntRange(min=1), help="scheduler gRPC [8782]")
@click.option("--etcd-port", type=click.IntRange(min=1), help="etcd client [2379]")
@click.option("--etcd-peer-port", type=click.IntRange(min=1), help="etcd peer [2380]")
@click.option(
    "--metrics-ports-from",
    type=click.IntRange(min=0),
    help="/metrics of api, conductor, scheduler, agent on this port and the "
    "next three [9180]; 0: none",
)
@click.option(
    "--timeout",
    "ready_timeout",
    type=click.FloatRange(min=1),
    default=60.0,
    show_default=True,
    help="seconds each step may take to become ready",
)
def up(
    hosts: int,
    data_dir: Path | None,
    etcd_endpoints: str,
    config_file: Path | None,
    hypervisor: str,
    port_offset: int,
    rest_port: int | None,
    console_port: int | None,
    api_port: int | None,
    conductor_port: int | None,
    scheduler_port: int | None,
    etcd_port: int | None,
    etcd_peer_port: int | None,
    metrics_ports_from: int | None,
    ready_timeout: float,
) -> None:
    """Run a whole Stratus cloud on this machine until Ctrl-C."""
    began = time.monotonic()
    hypervisor = real_guests.resolve_hypervisor(hypervisor)
    if hypervisor != "test":
        hosts = 1  # the agent serves this machine itself
    plan = Plan(
        hosts=hosts,
        data_dir=(data_dir or default_data_dir()).expanduser().resolve(),
        ports=Ports(
            rest=_port(rest_port, "rest", port_offset),
            api=_port(api_port, "api", port_offset),
            conductor=_port(conductor_port, "conductor", port_offset),
            scheduler=_port(scheduler_port, "scheduler", port_offset),
            etcd=_port(etcd_port, "etcd", port_offset),
            etcd_peer=_port(etcd_peer_port, "etcd_peer", port_offset),
            metrics_from=_port(metrics_ports_from, "metrics", port_offset),
            console=_port(console_port, "console", port_offset),
        ),
        etcd_endpoints=etcd_endpoints.strip(),
        hypervisor=hypervisor,
        config_file=config_file.resolve() if config_file else None,
    )
    plan = with_admin_password(plan)
    console = Console()
    supervisor = Supervisor(plan, console, ready_timeout)
    supervisor.check_ports()
    plan.log_dir.mkdir(parents=True, exist_ok=True)
    console.print(
        f"Starting Stratus with {hosts} host(s); data in {plan.data_dir}", highlight=False
    )
    with _signals(supervisor):
        try:
            if plan.real:
                plan = supervisor.prepare_real_guests()
            supervisor.start_all()
            seeded = supervisor.await_hosts_and_seed()
            supervisor.say(f"[green]✓[/] {hosts} host(s) up")
            print_ready(console, plan, time.monotonic() - began, seeded, supervisor.virt_types)
            supervisor.supervise()
        except (KeyboardInterrupt, Shutdown) as reason:
            console.print()
            why = "Ctrl-C" if isinstance(reason, KeyboardInterrupt) else str(reason)
            supervisor.say(f"{why}: stopping everything (again to hurry)")
        finally:
            supervisor.stop_all()
