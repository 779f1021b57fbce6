"""The alert rules against a real Prometheus scraping a running cloud.

Prometheus (Debian's binary) scrapes every service of a test cloud each second with the
project's scrape config and evaluates deploy/prometheus/alerts.yml each second. The rules
are the shipped ones, but for the `for:` of the two alerts the scenarios here trip, which
is shortened to seconds so that stopping a process shows its alert within the test.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from stratus.v1 import compute_pb2_grpc
from tests.integration import helpers
from tests.integration.cloud import Cloud
from tests.integration.prometheus import Prometheus, scrape_config
from tests.waiting import eventually

RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "alerts.yml"
# The alerts the scenarios trip, and the `for:` they get here instead of minutes.
SHORTENED = {"StratusServiceDown": "2s", "StratusHostWithoutAgent": "2s"}
HOSTS = 2


def _shipped_alerts() -> list[dict[str, Any]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def _rules_for_the_test(path: Path) -> Path:
    document = yaml.safe_load(RULES.read_text())
    for group in document["groups"]:
        for rule in group["rules"]:
            if rule.get("alert") in SHORTENED:
                rule["for"] = SHORTENED[rule["alert"]]
    path.write_text(yaml.safe_dump(document))
    return path


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    """A cloud whose every service serves /metrics."""
    with Cloud(tmp_path_factory.mktemp("cloud"), hosts=HOSTS, with_metrics=True).running() as cloud:
        yield cloud


@pytest.fixture(scope="module")
def prometheus(cloud: Cloud, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prometheus]:
    root = tmp_path_factory.mktemp("prometheus")
    config = scrape_config(cloud.metrics_ports)
    config["rule_files"] = [str(_rules_for_the_test(root / "alerts.yml"))]
    server = Prometheus(root / "server", config)
    try:
        server.start()
        yield server
    except Exception:
        print(server.log_tail())
        raise
    finally:
        server.stop()


def _api(prometheus: Prometheus, path: str) -> dict[str, Any]:
    body: dict[str, Any] = httpx.get(f"{prometheus.url}{path}", timeout=10).json()
    assert body["status"] == "success", body
    return body["data"]  # type: ignore[no-any-return]


def _firing(prometheus: Prometheus, alertname: str) -> list[dict[str, str]]:
    """The labels of each firing `alertname` alert (/api/v1/alerts)."""
    return [
        alert["labels"]
        for alert in _api(prometheus, "/api/v1/alerts")["alerts"]
        if alert["labels"]["alertname"] == alertname and alert["state"] == "firing"
    ]


def _services_up(prometheus: Prometheus) -> dict[str, float]:
    return {
        series["metric"]["job"]: float(series["value"][1])
        for series in prometheus.query('up{job=~"stratus-.+"}')
    }


async def _all_scraped(prometheus: Prometheus) -> None:
    await eventually(
        lambda: (
            set(_services_up(prometheus).values()) == {1.0} and len(_services_up(prometheus)) == 4
        ),
        within_seconds=30,
    )


async def test_every_alert_rule_is_loaded_and_evaluates_without_error(
    prometheus: Prometheus,
) -> None:
    await _all_scraped(prometheus)

    def evaluated() -> dict[str, dict[str, Any]] | None:
        rules = {
            rule["name"]: rule
            for group in _api(prometheus, "/api/v1/rules")["groups"]
            for rule in group["rules"]
        }
        return rules if all(rule["health"] != "unknown" for rule in rules.values()) else None

    rules = await eventually(evaluated, within_seconds=20)

    assert set(rules) == {alert["alert"] for alert in _shipped_alerts()}
    assert {name: rule["health"] for name, rule in rules.items()} == dict.fromkeys(rules, "ok")
    for alert in _shipped_alerts():
        prometheus.query(alert["expr"])  # raises with Prometheus' message on an error


async def test_every_metric_an_alert_reads_is_served_by_the_cloud(
    prometheus: Prometheus, seeded: compute_pb2_grpc.ComputeStub
) -> None:
    """An alert on a metric nobody serves would never fire: after one build that succeeds
    and one that finds no host, each metric the rules name has series in Prometheus."""
    [active] = await helpers.create(seeded, "alerted-active")
    [failed] = await helpers.create(seeded, "alerted-no-host", flavor="huge")
    await helpers.wait_status(seeded, active, "ACTIVE")
    await helpers.wait_status(seeded, failed, "ERROR")
    names = {
        name
        for alert in _shipped_alerts()
        for name in re.findall(r"\b(?:stratus_[a-z_]+|up)\b(?=[{\[ )]|$)", alert["expr"])
    }
    assert "stratus_conductor_builds_total" in names  # the pattern finds the metrics

    def missing() -> set[str]:
        return {name for name in names if not prometheus.query(f'count({{__name__="{name}"}})')}

    await eventually(lambda: not missing(), within_seconds=20)
    builds = {
        series["metric"]["outcome"]: float(series["value"][1])
        for series in prometheus.query("sum by (outcome) (stratus_conductor_builds_total)")
    }
    assert builds["active"] >= 1 and builds["error"] >= 1
    hosts_up = prometheus.query("max by (host) (stratus_scheduler_host_up)")
    assert {s["metric"]["host"]: s["value"][1] for s in hosts_up} == {
        f"node-{i}": "1" for i in range(1, HOSTS + 1)
    }


async def test_stopping_a_service_fires_service_down_and_restarting_it_resolves_it(
    cloud: Cloud, prometheus: Prometheus
) -> None:
    await _all_scraped(prometheus)
    assert _firing(prometheus, "StratusServiceDown") == []

    cloud.services["scheduler"].stop()
    try:
        firing = await eventually(lambda: _firing(prometheus, "StratusServiceDown"), 30)
        assert [(a["job"], a["severity"]) for a in firing] == [("stratus-scheduler", "critical")]
        assert firing[0]["instance"] == f"127.0.0.1:{cloud.metrics_ports['scheduler']}"
    finally:
        cloud.start_service("scheduler")

    await eventually(lambda: _firing(prometheus, "StratusServiceDown") == [], 30)
    assert _services_up(prometheus)["stratus-scheduler"] == 1.0


async def test_hosts_whose_agent_stops_fire_host_without_agent_until_it_returns(
    cloud: Cloud, prometheus: Prometheus
) -> None:
    await _all_scraped(prometheus)
    assert _firing(prometheus, "StratusHostWithoutAgent") == []

    cloud.services["agent"].stop()
    try:
        firing = await eventually(
            lambda: (
                len(_firing(prometheus, "StratusHostWithoutAgent")) == HOSTS
                and _firing(prometheus, "StratusHostWithoutAgent")
            ),
            30,
        )
        assert sorted(a["host"] for a in firing) == [f"node-{i}" for i in range(1, HOSTS + 1)]
    finally:
        cloud.start_service("agent")
        cloud.wait_for_hosts(HOSTS)

    await eventually(lambda: _firing(prometheus, "StratusHostWithoutAgent") == [], 30)
