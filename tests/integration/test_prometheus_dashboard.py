"""Every query of the Grafana dashboard returns data from a running cloud, as a real
Prometheus scraping it with the project's scrape config evaluates it.

A cloud with /metrics on every process, a Prometheus scraping it every second, a small boot
load (servers over gRPC and REST, one that finds no valid host, a delete), then each panel's
expression, with Grafana's variables filled in as Grafana would, through /api/v1/query.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.runtime import grpc_client
from services.state.etcd_server import free_port
from stratus.v1 import compute_pb2, compute_pb2_grpc
from tests.integration import helpers
from tests.integration.cloud import Cloud, seed
from tests.integration.prometheus import Prometheus, scrape_config
from tests.waiting import eventually

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "stratus.json"
SERVICES = ("api", "conductor", "scheduler", "agent")
# What Grafana puts for its built-in interval variables at a 1 s scrape interval.
BUILT_INS = {"__rate_interval": "1m", "__interval": "1s", "__range": "5m"}


def dashboard_queries() -> list[tuple[str, str]]:
    """(panel title, expression) for every target of every panel, variables substituted:
    Grafana's built-ins as above, each template variable as its "All" value."""
    document = json.loads(DASHBOARD.read_text())
    values = dict(BUILT_INS)
    for variable in document["templating"]["list"]:
        if variable["type"] == "query":
            values[variable["name"]] = variable["allValue"]

    def substitute(expr: str) -> str:
        return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: values[m.group(1) or m.group(2)], expr)

    found = []
    for panel in document["panels"]:
        for target in panel.get("targets", []):
            found.append((panel["title"], substitute(target["expr"])))
    return found


@pytest.fixture(scope="module")
def metrics_ports() -> dict[str, int]:
    return {service: free_port() for service in SERVICES}


@pytest.fixture(scope="module")
def cloud(
    tmp_path_factory: pytest.TempPathFactory, metrics_ports: dict[str, int]
) -> Iterator[Cloud]:
    """A cloud whose four processes each serve /metrics on a port of their own."""
    with Cloud(
        tmp_path_factory.mktemp("cloud"),
        extra_args={s: ["--metrics-port", str(port)] for s, port in metrics_ports.items()},
    ).running() as cloud:
        yield cloud


@pytest.fixture(scope="module")
def prometheus(
    cloud: Cloud, metrics_ports: dict[str, int], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Prometheus]:
    """Prometheus scraping `cloud` (started first, so its targets are there to scrape)."""
    server = Prometheus(tmp_path_factory.mktemp("prometheus"), scrape_config(metrics_ports))
    try:
        server.start()
        yield server
    except Exception:
        print(server.log_tail())
        raise
    finally:
        server.stop()


@pytest.fixture
async def compute(cloud: Cloud) -> AsyncIterator[compute_pb2_grpc.ComputeStub]:
    channel = grpc_client.channel(cloud.api_target, token=cloud.admin.token)
    try:
        stub = compute_pb2_grpc.ComputeStub(channel)
        await seed(stub, cloud.admin.info.project_id)
        yield stub
    finally:
        await channel.close()


async def boot_load(cloud: Cloud, compute: compute_pb2_grpc.ComputeStub) -> None:
    """Three servers over gRPC and one over REST reach ACTIVE, one finds no valid host,
    one is deleted."""
    booted = await helpers.create(compute, "dash", count=3)
    async with httpx.AsyncClient(
        base_url=cloud.rest_url + "/v2.1", timeout=10, headers={"X-Auth-Token": cloud.admin.token}
    ) as rest:
        reply = await rest.post(
            "/servers",
            json={"server": {"name": "dash-rest", "flavorRef": "1", "imageRef": "cirros"}},
        )
        assert reply.status_code == 202, reply.text
        booted.append(reply.json()["server"]["id"])
        assert (await rest.get("/servers/detail")).status_code == 200
    (too_big,) = await helpers.create(compute, "dash-huge", flavor="huge")
    for server_id in booted:
        await helpers.wait_status(compute, server_id, "ACTIVE")
    await helpers.wait_status(compute, too_big, "ERROR")
    await compute.DeleteServer(compute_pb2.DeleteServerRequest(id=booted[0]))
    await helpers.wait_gone(compute, booted[0])


def value(series: list[dict[str, Any]]) -> float:
    return sum(float(s["value"][1]) for s in series)


async def test_every_dashboard_query_returns_series_under_a_boot_load(
    cloud: Cloud, prometheus: Prometheus, compute: compute_pb2_grpc.ComputeStub
) -> None:
    await eventually(
        lambda: set(prometheus.targets_up().values()) == {"up"}, within_seconds=20, interval=0.5
    )
    await boot_load(cloud, compute)

    # Prometheus has scraped what the load left: the boots, the failure and the delete.
    def scraped() -> bool:
        builds = prometheus.query("sum by (outcome) (stratus_conductor_builds_total)")
        outcomes = {s["metric"]["outcome"]: float(s["value"][1]) for s in builds}
        deleted = prometheus.query('sum(stratus_agent_commands_total{op="destroy"})')
        quota = prometheus.query('max(stratus_quota_in_use{resource="instances"})')
        return (
            outcomes.get("active", 0) >= 4
            and outcomes.get("error", 0) >= 1
            and value(deleted) >= 1
            and value(quota) >= 3
        )

    await eventually(scraped, within_seconds=30, interval=0.5)

    queries = dashboard_queries()
    assert len(queries) >= 40

    def without_series() -> list[tuple[str, str]]:
        return [(title, expr) for title, expr in queries if not prometheus.query(expr)]

    # A rate needs two samples of a series: give the scrapes after the load a few seconds.
    with contextlib.suppress(AssertionError):
        await eventually(lambda: not without_series(), within_seconds=10, interval=1)
    empty = without_series()
    assert not empty, "dashboard queries without series:\n" + "\n".join(
        f"  {title}: {expr}" for title, expr in empty
    )

    # The panels show the load, not only zeros.
    no_valid_host = prometheus.query(
        "sum by (filter) (increase(stratus_scheduler_no_valid_host_total[1m]))"
    )
    causes = {s["metric"]["filter"] for s in no_valid_host if float(s["value"][1]) > 0}
    assert causes and causes.isdisjoint({"no_hosts", "claims_lost"}), no_valid_host
    p99 = prometheus.query(
        "histogram_quantile(0.99, sum by (le) "
        "(rate(stratus_conductor_build_to_active_seconds_bucket[1m])))"
    )
    assert 0 < value(p99) < float("inf")
    assert value(prometheus.query("max(stratus_scheduler_used_vcpus)")) >= 3
    assert value(prometheus.query('sum(up{job=~"stratus-.*"})')) == len(SERVICES)
