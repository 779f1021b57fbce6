"""A real cloud on real guests: libvirtd (qemu:///system), the tiny guest, the console proxy.

One cloud for the whole e2e session: etcd and the four services on free loopback ports,
the agent on qemu:///system. libvirtd is used when it already answers, else started here
and stopped again at the end (by its PID). Every server a test creates is deleted through
the API at the end, and any domain of this cloud still left is destroyed through libvirt.

Prerequisites (root, Debian's qemu-system-x86, libvirt-daemon, libvirt-daemon-driver-qemu,
libvirt-clients, chromium, chromium-driver; `./dev e2e` installs them): missing ones skip
these tests, or fail them when STRATUS_E2E_REQUIRED=1 (as `./dev test` sets it in CI).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest

from services.cli import real_guests
from services.runtime import grpc_client
from services.state.etcd_server import free_port
from stratus.v1 import compute_pb2, compute_pb2_grpc, types_pb2
from tests.integration.cloud import Cloud

FLAVOR = "e2e-tiny"
TOKEN_TTL_SECONDS = 8
SHUTDOWN_TIMEOUT_SECONDS = 30
LIBVIRTD_START_SECONDS = 60


def _missing() -> list[str]:
    missing = []
    if os.geteuid() != 0:
        missing.append("root (libvirtd runs guests as root here)")
    for path in ("/usr/bin/qemu-system-x86_64", real_guests.LIBVIRTD):
        if not Path(path).exists():
            missing.append(path)
    return missing


def require(what: list[str]) -> None:
    if not what:
        return
    message = "e2e prerequisites missing: " + ", ".join(what) + " (run ./dev e2e)"
    if os.environ.get("STRATUS_E2E_REQUIRED") == "1":
        pytest.fail(message)
    pytest.skip(message)


@dataclass
class RealCloud:
    cloud: Cloud
    guest: real_guests.GuestImage
    console_port: int
    artifacts: Path
    created: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def rest(self) -> str:
        return self.cloud.rest_url + "/v2.1"

    @property
    def proxy(self) -> str:
        return f"127.0.0.1:{self.console_port}"

    @property
    def headers(self) -> dict[str, str]:
        """The bootstrap admin's token, which every call to the api carries."""
        return {"X-Auth-Token": self.cloud.admin.token}

    def channel(self) -> grpc.aio.Channel:
        """A gRPC channel to the api whose every call carries the admin's token."""
        return grpc_client.channel(self.cloud.api_target, token=self.cloud.admin.token)


@contextlib.contextmanager
def _libvirtd(log_path: Path) -> Iterator[None]:
    """libvirtd for the session: the running one, or one started (and stopped) here."""
    if real_guests.libvirt_answers():
        yield
        return
    with open(log_path, "ab") as log:
        daemon = subprocess.Popen(
            real_guests.libvirtd_argv(),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + LIBVIRTD_START_SECONDS
        while not real_guests.libvirt_answers():
            if daemon.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"libvirtd did not start; see {log_path}")
            time.sleep(0.2)
        yield
    finally:
        if daemon.poll() is None:
            daemon.send_signal(signal.SIGTERM)
            try:
                daemon.wait(20)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait()


def _destroy_leftovers(instance_ids: list[str]) -> None:
    """Domains of this session's servers that the API did not remove (a failed test)."""
    import libvirt

    try:
        conn = libvirt.open(real_guests.SYSTEM_URI)
    except libvirt.libvirtError:
        return
    try:
        for instance_id in instance_ids:
            try:
                dom = conn.lookupByUUIDString(instance_id)
            except libvirt.libvirtError:
                continue
            with contextlib.suppress(libvirt.libvirtError):
                if dom.isActive():
                    dom.destroy()
            with contextlib.suppress(libvirt.libvirtError):
                dom.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE)
    finally:
        conn.close()


def _delete_all(
    rest: str, headers: dict[str, str], instance_ids: list[str], timeout_seconds: float = 60
) -> None:
    with httpx.Client(base_url=rest, timeout=10, headers=headers) as client:
        for instance_id in instance_ids:
            with contextlib.suppress(httpx.HTTPError):
                client.delete(f"/servers/{instance_id}")
        deadline = time.monotonic() + timeout_seconds
        for instance_id in instance_ids:
            while time.monotonic() < deadline:
                try:
                    if client.get(f"/servers/{instance_id}").status_code == 404:
                        break
                except httpx.HTTPError:
                    break
                time.sleep(0.2)


@pytest.fixture(scope="session")
def real_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealCloud]:
    require(_missing())
    root: Path = tmp_path_factory.mktemp("real-cloud")
    (root / "logs").mkdir()
    real_guests.setup_libvirt()
    guest = real_guests.build_guest()
    novnc = real_guests.fetch_novnc()
    console_port = free_port()
    cloud = Cloud(root, hosts=1)
    cloud.extra_args = {
        "agent": [
            "--hypervisor",
            real_guests.SYSTEM_URI,
            "--probe-kernel-path",
            guest.kernel_path,
            "--probe-initrd-path",
            guest.initrd_path,
            "--virt-probe-timeout-seconds",
            "15",
            "--shutdown-timeout-seconds",
            str(SHUTDOWN_TIMEOUT_SECONDS),
        ],
        "api": [
            "--console-proxy-port",
            str(console_port),
            "--console-token-ttl-seconds",
            str(TOKEN_TTL_SECONDS),
            "--novnc-dir",
            str(novnc),
        ],
    }
    artifacts = Path(os.environ.get("STRATUS_E2E_ARTIFACTS") or root / "artifacts")
    artifacts.mkdir(parents=True, exist_ok=True)
    real = RealCloud(cloud, guest, console_port, artifacts)
    with _libvirtd(root / "logs" / "libvirtd.log"):
        try:
            cloud.start()
            _seed(real)
            yield real
        except Exception:
            print(cloud.logs())
            raise
        finally:
            try:
                if cloud.services.get("api") is not None and cloud.services["api"].alive():
                    _delete_all(real.rest, real.headers, real.created)
            finally:
                cloud.stop()
                _destroy_leftovers(real.created)
                if real.timings:
                    report = artifacts / "timings.json"
                    report.write_text(json.dumps(real.timings, indent=2))
                    print(f"\nreal guest timings ({report}): {json.dumps(real.timings)}")


def _seed(real: RealCloud) -> None:
    """A small flavor and the tiny guest's image, through the public API."""

    async def seed() -> None:
        async with real.channel() as channel:
            stub = compute_pb2_grpc.ComputeStub(channel)
            flavor = types_pb2.Flavor(
                id=FLAVOR, name="e2e.tiny", vcpus=1, ram_mb=256, disk_gb=1, is_public=True
            )
            await stub.CreateFlavor(compute_pb2.CreateFlavorRequest(flavor=flavor))
            await real_guests.register_image(stub, real.guest)

    asyncio.run(seed())


@pytest.fixture
async def rest(real_cloud: RealCloud) -> AsyncIterator[httpx.AsyncClient]:
    # Microversion 2.6: the one console API (POST /servers/{id}/remote-consoles).
    headers = {**real_cloud.headers, "OpenStack-API-Version": "compute 2.6"}
    async with httpx.AsyncClient(base_url=real_cloud.rest, timeout=30, headers=headers) as client:
        yield client


def pytest_collection_modifyitems(items: list[Any]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.timeout(600))
