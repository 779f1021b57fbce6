"""`stratus up` as a user runs it: a cloud comes up, serves, and Ctrl-C leaves nothing behind."""

from __future__ import annotations

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

from services.state.etcd_server import free_port
from tests.waiting import eventually


@dataclass
class RunningUp:
    process: subprocess.Popen[str]
    output: list[str]
    ports: dict[str, int]

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
    up = RunningUp(process, output, ports)
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

    base = f"http://127.0.0.1:{running_up.ports['rest']}/v2.1"
    async with httpx.AsyncClient(base_url=base, timeout=10) as rest:
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
