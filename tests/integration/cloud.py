"""A whole Stratus cloud for a test: a real etcd and the four real service processes.

Every port is picked free on 127.0.0.1, so tests never collide with a running
`stratus up`. Each process logs to `<tmp>/logs/<name>.log`; a failing test prints them.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.state.etcd_server import EtcdServer, free_port
from stratus.v1 import compute_pb2, compute_pb2_grpc, identity_pb2, identity_pb2_grpc, types_pb2

AGENT_TOKEN = "test-agent-token"
ADMIN_PASSWORD = "test-admin-password"


@dataclass
class ServiceProcess:
    name: str
    argv: list[str]
    log_path: Path
    grpc_port: int = 0
    process: subprocess.Popen[bytes] | None = None
    env: dict[str, str] = field(default_factory=dict)

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.argv,
                stdout=log,
                stderr=log,
                start_new_session=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1", **self.env},
            )

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM, then SIGKILL after `timeout`; the exit code."""
        if not self.alive():
            return self.process.returncode if self.process else None
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return self.process.returncode

    def kill(self) -> None:
        if self.alive():
            assert self.process is not None
            self.process.kill()
            self.process.wait()

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def _wait_serving(port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            try:
                reply = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return True
            except grpc.RpcError:
                time.sleep(0.1)
    return False


@dataclass
class Cloud:
    root: Path
    hosts: int = 3
    host_vcpus: int = 16
    host_memory_mb: int = 32768
    etcd: EtcdServer | None = None
    services: dict[str, ServiceProcess] = field(default_factory=dict)
    rest_port: int = 0
    _base_length: dict[str, int] = field(default_factory=dict)
    _admin: identity_pb2.AuthenticateResponse | None = None
    # Extra flags per service, e.g. {"scheduler": ["--ram-weight-multiplier", "-1"]}.
    extra_args: dict[str, list[str]] = field(default_factory=dict)
    # Serve /metrics from every service on a free port (see metrics_ports) when set.
    with_metrics: bool = False
    metrics_ports: dict[str, int] = field(default_factory=dict)

    @property
    def api_target(self) -> str:
        return f"127.0.0.1:{self.services['api'].grpc_port}"

    @property
    def rest_url(self) -> str:
        return f"http://127.0.0.1:{self.rest_port}"

    def _common(self) -> list[str]:
        assert self.etcd is not None
        return [
            "--etcd-endpoints",
            self.etcd.endpoint,
            "--log-format",
            "json",
            "--service-lease-ttl-seconds",
            "3",
            "--log-level",
            "debug",
        ]

    def _define(self) -> None:
        py = sys.executable
        logs = self.root / "logs"
        ports = {name: free_port() for name in ("api", "conductor", "scheduler")}
        self.rest_port = free_port()

        def module(name: str) -> list[str]:
            return [py, "-c", f"from services.{name}.main import main; main()"]

        self.services = {
            "scheduler": ServiceProcess(
                "scheduler",
                [*module("scheduler"), *self._common(), "--grpc-port", str(ports["scheduler"])],
                logs / "scheduler.log",
                ports["scheduler"],
            ),
            "conductor": ServiceProcess(
                "conductor",
                [
                    *module("conductor"),
                    *self._common(),
                    "--grpc-port",
                    str(ports["conductor"]),
                    "--agent-token",
                    AGENT_TOKEN,
                    "--task-sweep-interval-seconds",
                    "1",
                    "--capacity-interval-seconds",
                    "2",
                ],
                logs / "conductor.log",
                ports["conductor"],
            ),
            "api": ServiceProcess(
                "api",
                [
                    *module("api"),
                    *self._common(),
                    "--grpc-port",
                    str(ports["api"]),
                    "--rest-port",
                    str(self.rest_port),
                    "--console-proxy-port",
                    "0",
                ],
                logs / "api.log",
                ports["api"],
                env={"STRATUS_BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD},
            ),
            "agent": ServiceProcess(
                "agent",
                [
                    *module("agent"),
                    "--log-format",
                    "json",
                    "--log-level",
                    "debug",
                    "--conductor-endpoints",
                    f"127.0.0.1:{ports['conductor']}",
                    "--agent-token",
                    AGENT_TOKEN,
                    "--hosts",
                    str(self.hosts),
                    "--host-prefix",
                    "node-",
                    "--host-vcpus",
                    str(self.host_vcpus),
                    "--host-memory-mb",
                    str(self.host_memory_mb),
                    "--state-dir",
                    str(self.root / "agent"),
                    "--reconnect-max-seconds",
                    "0.5",
                ],
                logs / "agent.log",
            ),
        }
        if self.with_metrics:
            for name, service in self.services.items():
                self.metrics_ports[name] = free_port()
                service.argv.extend(["--metrics-port", str(self.metrics_ports[name])])
        self._base_length = {name: len(service.argv) for name, service in self.services.items()}

    @contextlib.contextmanager
    def running(self) -> Iterator[Cloud]:
        """The cloud started, and stopped at the end; its logs printed if it fails to start."""
        try:
            self.start()
            yield self
        except Exception:
            print(self.logs())
            raise
        finally:
            self.stop()

    def start(self) -> None:
        self.etcd = EtcdServer(self.root / "etcd", log_file=self.root / "logs" / "etcd.log")
        self.etcd.start()
        self._define()
        for name, args in self.extra_args.items():
            self.services[name].argv.extend(args)
        for name in ("scheduler", "conductor", "api", "agent"):
            self.start_service(name)
        self.wait_for_hosts(self.hosts)

    def start_service(self, name: str, timeout: float = 30.0) -> None:
        service = self.services[name]
        service.start()
        if service.grpc_port and not _wait_serving(service.grpc_port, timeout):
            raise RuntimeError(f"{name} did not become healthy:\n{service.log_tail()}")

    def restart_service(self, name: str, extra_args: list[str] | None = None) -> None:
        """Stop `name` gracefully and start it again: its cloud-wide extra flags, then these."""
        service = self.services[name]
        service.stop()
        base = self.services[name].argv[: self._base_length[name]]
        service.argv = [*base, *self.extra_args.get(name, []), *(extra_args or [])]
        self.start_service(name)

    def add_scheduler(self, name: str, extra_args: list[str] | None = None) -> ServiceProcess:
        """Another scheduler replica on its own port, sharing etcd with the first."""
        port = free_port()
        first = self.services["scheduler"]
        base = first.argv[: self._base_length["scheduler"]]
        at = base.index("--grpc-port") + 1
        argv = self._own_metrics_port(name, [*base[:at], str(port), *base[at + 1 :]])
        self.services[name] = ServiceProcess(
            name, [*argv, *(extra_args or [])], self.root / "logs" / f"{name}.log", port
        )
        self._base_length[name] = len(argv)
        self.start_service(name)
        return self.services[name]

    def add_agent(
        self, name: str, *, hosts: int, prefix: str, vcpus: int, memory_mb: int
    ) -> ServiceProcess:
        """Another agent process with hosts of its own (its own state directory)."""
        base = self.services["agent"].argv[: self._base_length["agent"]]
        overrides = {
            "--hosts": str(hosts),
            "--host-prefix": prefix,
            "--host-vcpus": str(vcpus),
            "--host-memory-mb": str(memory_mb),
            "--state-dir": str(self.root / name),
        }
        argv = list(base)
        for flag, value in overrides.items():
            argv[argv.index(flag) + 1] = value
        argv = self._own_metrics_port(name, argv)
        self.services[name] = ServiceProcess(name, argv, self.root / "logs" / f"{name}.log")
        self._base_length[name] = len(argv)
        self.start_service(name)
        return self.services[name]

    def _own_metrics_port(self, name: str, argv: list[str]) -> list[str]:
        """`argv` copied from another replica, with a /metrics port of its own."""
        if "--metrics-port" not in argv:
            return argv
        self.metrics_ports[name] = free_port()
        at = argv.index("--metrics-port") + 1
        return [*argv[:at], str(self.metrics_ports[name]), *argv[at + 1 :]]

    def wait_for_hosts(self, count: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            hosts = self._list_hosts()
            if sum(1 for h in hosts if h.up) >= count:
                return
            time.sleep(0.2)
        raise RuntimeError(f"{count} hosts did not come up:\n{self.services['agent'].log_tail()}")

    def login(
        self, user: str = "admin", password: str = ADMIN_PASSWORD, project: str = "admin"
    ) -> identity_pb2.AuthenticateResponse:
        """A project-scoped token (blocking on purpose: callable from a running event loop)."""
        with grpc.insecure_channel(self.api_target) as channel:
            reply: identity_pb2.AuthenticateResponse = identity_pb2_grpc.IdentityStub(
                channel
            ).Authenticate(
                identity_pb2.AuthenticateRequest(
                    user_name=user, password=password, project_name=project
                ),
                timeout=10,
            )
            return reply

    def project_id(self, name: str) -> str:
        """The id of project `name`, created (by the admin) if missing."""
        with grpc.insecure_channel(self.api_target) as channel:
            identity = identity_pb2_grpc.IdentityStub(channel)
            auth = [("x-auth-token", self.admin.token)]
            found = identity.ListProjects(
                identity_pb2.ListProjectsRequest(name=name), metadata=auth, timeout=10
            ).projects
            if found:
                return str(found[0].id)
            created = identity.CreateProject(
                identity_pb2.CreateProjectRequest(name=name), metadata=auth, timeout=10
            )
            return str(created.id)

    def token_for(
        self, project: str, *roles: str, user: str = ""
    ) -> identity_pb2.AuthenticateResponse:
        """A token of user `user` (default: one per project and roles) holding `roles` in
        `project` (global roles admin and it_security on the system scope), all created by
        the admin if missing."""
        user = user or f"{project}-{'-'.join(roles) or 'none'}"
        password = f"{user}-password"
        project_id = self.project_id(project)
        with grpc.insecure_channel(self.api_target) as channel:
            identity = identity_pb2_grpc.IdentityStub(channel)
            auth = [("x-auth-token", self.admin.token)]
            found = identity.ListUsers(
                identity_pb2.ListUsersRequest(name=user), metadata=auth, timeout=10
            ).users
            user_id = (
                found[0].id
                if found
                else identity.CreateUser(
                    identity_pb2.CreateUserRequest(name=user, password=password),
                    metadata=auth,
                    timeout=10,
                ).id
            )
            for role in roles:
                scope = "*" if role in ("admin", "it_security") else project_id
                identity.AssignRole(
                    identity_pb2.RoleAssignmentRequest(
                        user_id=user_id, project_id=scope, role=role
                    ),
                    metadata=auth,
                    timeout=10,
                )
        return self.login(user, password, project)

    @property
    def admin(self) -> identity_pb2.AuthenticateResponse:
        """The bootstrap admin's token, scoped to the admin project (issued once)."""
        if self._admin is None:
            self._admin = self.login()
        return self._admin

    def _list_hosts(self) -> list[compute_pb2.HostView]:
        # Blocking on purpose: callable from a test's running event loop.
        with grpc.insecure_channel(self.api_target) as channel:
            stub = compute_pb2_grpc.ComputeStub(channel)
            try:
                reply = stub.ListHosts(
                    compute_pb2.ListHostsRequest(),
                    timeout=5,
                    metadata=[("x-auth-token", self.admin.token)],
                )
            except grpc.RpcError:
                return []
            return list(reply.hosts)

    def stop(self) -> None:
        order = ["agent", "api", "conductor", "scheduler"]
        for name in [n for n in self.services if n not in order] + order:
            if name in self.services:
                self.services[name].stop()
        if self.etcd is not None:
            self.etcd.stop()

    def logs(self) -> str:
        return "\n".join(
            f"===== {name} =====\n{service.log_tail(60)}" for name, service in self.services.items()
        )


async def seed(stub: compute_pb2_grpc.ComputeStub, project_id: str) -> None:
    """The flavors and image the scenarios boot from, and no quota on the admin's project
    (scenarios boot more than Nova's default 10 instances and 20 cores into it)."""
    await stub.UpdateQuotaSet(
        compute_pb2.UpdateQuotaSetRequest(
            project_id=project_id, limits={"instances": -1, "cores": -1, "ram": -1}
        )
    )
    for flavor in (
        types_pb2.Flavor(id="1", name="m1.tiny", vcpus=1, ram_mb=512, disk_gb=1, is_public=True),
        types_pb2.Flavor(id="2", name="m1.small", vcpus=1, ram_mb=2048, disk_gb=20, is_public=True),
        types_pb2.Flavor(
            id="huge", name="huge", vcpus=64, ram_mb=1_000_000, disk_gb=10, is_public=True
        ),
    ):
        await stub.CreateFlavor(compute_pb2.CreateFlavorRequest(flavor=flavor))
    await stub.CreateImage(
        compute_pb2.CreateImageRequest(
            image=types_pb2.Image(
                id="cirros",
                name="cirros",
                disk_format="qcow2",
                container_format="bare",
                min_disk_gb=1,
                properties={"architecture": "x86_64"},
            )
        )
    )
