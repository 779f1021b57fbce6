"""`stratus up` as a user runs it: a cloud comes up, serves, and Ctrl-C leaves nothing behind."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from services.cli import credentials
from services.state.etcd_server import free_port
from tests.waiting import eventually


@dataclass
class RunningUp:
    process: subprocess.Popen[str]
    output: list[str]
    ports: dict[str, int]
    data_dir: Path

    @property
    def pids(self) -> dict[str, int]:
        found = {}
        for line in self.output:
            match = re.search(r"✓ (\w+)\s+pid (\d+)", line)
            if match:
                found[match.group(1)] = int(match.group(2))
        return found


def sample(exposition: str, name: str, **labels: str) -> float:
    """The value of one sample of a Prometheus text exposition, 0 when absent."""
    for family in text_string_to_metric_families(exposition):
        for found in family.samples:
            if found.name == name and all(found.labels.get(k) == v for k, v in labels.items()):
                return float(found.value)
    return 0.0


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie has exited; only its parent has not collected it yet.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


def command_line(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")


def stratus_cli(running_up: RunningUp, *args: str) -> subprocess.CompletedProcess[str]:
    """A `stratus` command as a user runs it: no OS_* variable, nothing in the home or
    working directory; only STRATUS_DATA_DIR says where the cloud is."""
    workdir = running_up.data_dir.parent
    return subprocess.run(
        [sys.executable, "-c", "from services.cli.main import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("OS_")},
            "STRATUS_DATA_DIR": str(running_up.data_dir),
            "STRATUS_API": f"127.0.0.1:{running_up.ports['api']}",
            "HOME": str(workdir),
            "COLUMNS": "200",
        },
        cwd=workdir,
    )


@pytest.fixture
def running_up(tmp_path: Path) -> Iterator[RunningUp]:
    ports = {
        name: free_port()
        for name in ("rest", "api", "conductor", "scheduler", "etcd", "etcd-peer", "console")
    }
    metrics_from = free_port()
    argv = [
        sys.executable,
        "-c",
        "from services.cli.main import main; main()",
        "up",
        "--hosts",
        "2",
        "--data-dir",
        str(tmp_path / "data"),
        "--metrics-ports-from",
        str(metrics_from),
        *(arg for name, port in ports.items() for arg in (f"--{name}-port", str(port))),
    ]
    ports["metrics"] = metrics_from
    process = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    output: list[str] = []
    deadline = time.monotonic() + 90
    assert process.stdout is not None
    for line in process.stdout:
        output.append(line)
        if "Ctrl-C stops everything" in line or time.monotonic() > deadline:
            break
    up = RunningUp(process, output, ports, tmp_path / "data")
    try:
        assert process.poll() is None, "".join(output)
        yield up
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


async def test_up_serves_a_cloud_and_ctrl_c_stops_every_process(running_up: RunningUp) -> None:
    text = "".join(running_up.output)
    assert "ready in" in text and "curl" in text and "grpcurl" in text
    pids = running_up.pids
    assert {"etcd", "scheduler", "conductor", "api"} <= pids.keys(), text

    # The admin's password is in the data dir's clouds.yaml alone: owner-only, and on no
    # command line.
    clouds_yaml = running_up.data_dir / "clouds.yaml"
    assert str(clouds_yaml) in text and "X-Auth-Token: $TOKEN" in text
    assert clouds_yaml.stat().st_mode & 0o777 == 0o600
    password = credentials.admin_password(clouds_yaml)
    assert password and password not in text
    assert not [pid for pid in pids.values() if password in command_line(pid)]

    root = f"http://127.0.0.1:{running_up.ports['rest']}"
    async with httpx.AsyncClient(timeout=10) as anonymous:
        assert (await anonymous.get(f"{root}/v2.1/flavors")).status_code == 401
        issued = await anonymous.post(
            f"{root}/identity/v3/auth/tokens",
            json={
                "auth": {
                    "identity": {
                        "methods": ["password"],
                        "password": {
                            "user": {
                                "name": "admin",
                                "domain": {"name": "Default"},
                                "password": password,
                            }
                        },
                    },
                    "scope": {"project": {"name": "admin", "domain": {"name": "Default"}}},
                }
            },
        )
        assert issued.status_code == 201, issued.text
        token = issued.headers["X-Subject-Token"]

    # The CLI finds the same clouds.yaml in the data dir by itself.
    listed = await asyncio.to_thread(stratus_cli, running_up, "flavor", "list")
    assert listed.returncode == 0, listed.stderr + listed.stdout
    assert "m1.tiny" in listed.stdout

    base = f"{root}/v2.1"
    headers = {"X-Auth-Token": token}
    async with httpx.AsyncClient(base_url=base, timeout=10, headers=headers) as rest:
        flavors = (await rest.get("/flavors")).json()["flavors"]
        assert {f["name"] for f in flavors} >= {"m1.tiny", "m1.small"}  # seeded
        reply = await rest.post(
            "/servers",
            json={"server": {"name": "from-curl", "flavorRef": "1", "imageRef": "cirros"}},
        )
        assert reply.status_code == 202, reply.text
        server_id = reply.json()["server"]["id"]

        async def active() -> bool:
            server = (await rest.get(f"/servers/{server_id}")).json()["server"]
            return server["status"] == "ACTIVE" and server["OS-EXT-STS:power_state"] == 1

        await eventually(active)
        hypervisors = (await rest.get("/os-hypervisors/detail")).json()["hypervisors"]
        assert len(hypervisors) == 2
        metrics = (await rest.get(f"http://127.0.0.1:{running_up.ports['metrics']}/metrics")).text
        conductor_metrics = (
            await rest.get(f"http://127.0.0.1:{running_up.ports['metrics'] + 1}/metrics")
        ).text

    created_flavors = sample(
        metrics,
        "stratus_grpc_server_handled_total",
        grpc_service="stratus.v1.Compute",
        grpc_method="CreateFlavor",
        grpc_code="OK",
    )
    assert created_flavors >= 5, "api metrics lack per-method gRPC request counts"
    rest_creates = sample(
        metrics, "stratus_rest_requests_total", method="POST", route="/v2.1/servers", code="202"
    )
    assert rest_creates == 1, "api metrics lack REST request counts by route"
    assert "stratus_conductor_tasks_total" in conductor_metrics

    every_pid = list(pids.values())
    running_up.process.send_signal(signal.SIGINT)
    assert running_up.process.wait(30) == 0
    assert not [pid for pid in every_pid if alive(pid)], "processes left behind"
