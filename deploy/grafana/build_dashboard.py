#!/usr/bin/env python3
"""Writes stratus.json, the Grafana dashboard of a Stratus cloud, from the rows below.

Each row answers one question an operator of a compute cloud asks; docs/operations.md says
what each row means and what to do when it looks wrong. Edit the rows here, then run
    python3 deploy/grafana/build_dashboard.py          # rewrite stratus.json
    python3 deploy/grafana/build_dashboard.py --check  # exit 1 if stratus.json is stale
The JSON imports as is (Dashboards -> New -> Import); its `datasource` variable picks the
Prometheus that scrapes deploy/prometheus/prometheus.yml.

Queries use `$__rate_interval` for rates, and facts every replica reports alike (hosts,
capacity, task backlog, quota usage) take the `max` over replicas.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OUTPUT = Path(__file__).with_name("stratus.json")
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
RATE = "$__rate_interval"


@dataclass
class Query:
    expr: str
    legend: str = ""


@dataclass
class Panel:
    title: str
    description: str
    queries: list[Query]
    unit: str = "short"
    kind: str = "timeseries"  # or "stat"
    stack: bool = False


@dataclass
class Row:
    title: str
    panels: list[Panel] = field(default_factory=list)


def rate(metric: str, by: str = "", where: str = "") -> str:
    """Per-second rate of a counter summed `by` labels."""
    selector = f"{metric}{{{where}}}" if where else metric
    grouping = f" by ({by})" if by else ""
    return f"sum{grouping} (rate({selector}[{RATE}]))"


def quantile(q: float, histogram: str, by: str = "", where: str = "") -> str:
    """The q-quantile of a histogram over the rate interval, per `by` labels."""
    selector = f"{histogram}_bucket{{{where}}}" if where else f"{histogram}_bucket"
    labels = ", ".join(["le", *([by] if by else [])])
    return f"histogram_quantile({q}, sum by ({labels}) (rate({selector}[{RATE}])))"


def p50_p99(histogram: str, by: str = "", where: str = "") -> list[Query]:
    prefix = f"{{{{{by}}}}} " if by else ""
    return [
        Query(quantile(0.5, histogram, by, where), f"{prefix}p50"),
        Query(quantile(0.99, histogram, by, where), f"{prefix}p99"),
    ]


ROWS = [
    Row(
        "Services",
        [
            Panel(
                "Processes up",
                "1 while Prometheus can scrape the process, per job and instance.",
                [Query('up{job=~"$job"}', "{{job}} {{instance}}")],
                kind="stat",
            ),
            Panel(
                "Hosts up and down",
                "Registered hosts whose agent holds a liveness lease (up) or none (down).",
                [Query("max by (state) (stratus_scheduler_hosts)", "{{state}}")],
                kind="stat",
            ),
            Panel(
                "Hosts disabled",
                "Hosts an operator disabled: they take no new servers.",
                [
                    Query(
                        "sum(1 - max by (host) (stratus_scheduler_host_enabled))",
                        "disabled",
                    )
                ],
                kind="stat",
            ),
        ],
    ),
    Row(
        "API requests",
        [
            Panel(
                "REST requests by route and status",
                "Requests per second the REST gateway answered, by route template and HTTP status.",
                [
                    Query(
                        rate("stratus_rest_requests_total", "method, route, code"),
                        "{{method}} {{route}} {{code}}",
                    )
                ],
                unit="reqps",
            ),
            Panel(
                "REST latency by route (p50, p99)",
                "Time to answer a REST request.",
                p50_p99("stratus_rest_request_seconds", "route"),
                unit="s",
            ),
            Panel(
                "REST responses by status",
                "Answers per second by HTTP status: 5xx are the cloud's fault, 4xx the caller's.",
                [Query(rate("stratus_rest_requests_total", "code"), "{{code}}")],
                unit="reqps",
                stack=True,
            ),
            Panel(
                "gRPC API calls by method and code",
                "Public gRPC calls per second the api answered, by method and status code.",
                [
                    Query(
                        rate(
                            "stratus_grpc_server_handled_total",
                            "grpc_method, grpc_code",
                            'job="stratus-api"',
                        ),
                        "{{grpc_method}} {{grpc_code}}",
                    )
                ],
                unit="reqps",
            ),
            Panel(
                "gRPC API latency by method (p99)",
                "Time from receiving a public gRPC call to its answer.",
                [
                    Query(
                        quantile(
                            0.99,
                            "stratus_grpc_server_handled_seconds",
                            "grpc_method",
                            'job="stratus-api"',
                        ),
                        "{{grpc_method}}",
                    )
                ],
                unit="s",
            ),
        ],
    ),
    Row(
        "Boots",
        [
            Panel(
                "Builds finished by outcome",
                "Builds per second that reached ACTIVE or ended in ERROR.",
                [Query(rate("stratus_conductor_builds_total", "outcome"), "{{outcome}}")],
                unit="ops",
                stack=True,
            ),
            Panel(
                "Time to ACTIVE (p50, p99)",
                "From the api creating the server to the conductor recording it ACTIVE.",
                p50_p99("stratus_conductor_build_to_active_seconds"),
                unit="s",
            ),
            Panel(
                "Builds failed and rescheduled",
                "Builds that ended in ERROR, and spawns that failed on a host and went back "
                "to the scheduler.",
                [
                    Query(
                        rate("stratus_conductor_builds_total", where='outcome="error"'), "failed"
                    ),
                    Query(rate("stratus_conductor_build_reschedules_total"), "rescheduled"),
                ],
                unit="ops",
            ),
        ],
    ),
    Row(
        "Scheduler",
        [
            Panel(
                "Placement decisions by outcome",
                "Decisions per second: placed, or no_valid_host.",
                [Query(rate("stratus_scheduler_decisions_total", "outcome"), "{{outcome}}")],
                unit="ops",
                stack=True,
            ),
            Panel(
                "NoValidHost by filter",
                "NoValidHost answers per second, by the filter that removed the last "
                "candidate hosts (no_hosts: none registered; claims_lost: all filled up "
                "while claiming).",
                [Query(rate("stratus_scheduler_no_valid_host_total", "filter"), "{{filter}}")],
                unit="ops",
            ),
            Panel(
                "Hosts removed by filter",
                "Hosts each filter removed per second, over every request (placed or not).",
                [
                    Query(
                        rate("stratus_scheduler_filter_rejections_total", "filter"),
                        "{{filter}}",
                    )
                ],
                unit="ops",
            ),
            Panel(
                "Decision time (p50, p99)",
                "Time to filter and weigh hosts for one request, claim excluded.",
                p50_p99("stratus_scheduler_decision_seconds"),
                unit="s",
            ),
            Panel(
                "Claim and group conflicts",
                "Claims lost to a concurrent change of the host's usage (the next host was "
                "tried), and requests decided again because a server group moved.",
                [
                    Query(rate("stratus_scheduler_claim_conflicts_total"), "claim conflicts"),
                    Query(rate("stratus_scheduler_group_conflicts_total"), "group conflicts"),
                ],
                unit="ops",
            ),
            Panel(
                "SelectDestination as the conductor sees it (p99)",
                "Time from the conductor asking for a host to the scheduler's answer, "
                "claim included.",
                [
                    Query(
                        quantile(
                            0.99,
                            "stratus_grpc_client_handled_seconds",
                            where='job="stratus-conductor", grpc_method="SelectDestination"',
                        ),
                        "p99",
                    )
                ],
                unit="s",
            ),
        ],
    ),
    Row(
        "Conductor tasks",
        [
            Panel(
                "Task backlog",
                "Unfinished tasks in etcd (running or waiting), and the tasks each conductor "
                "runs now.",
                [
                    Query("max(stratus_conductor_tasks_queued)", "in etcd"),
                    Query(
                        "sum by (instance) (stratus_conductor_tasks_running)",
                        "running on {{instance}}",
                    ),
                ],
            ),
            Panel(
                "Oldest task age",
                "Age of the oldest unfinished task: a line that keeps rising is a stuck task.",
                [Query("max(stratus_conductor_oldest_task_age_seconds)", "oldest task")],
                unit="s",
            ),
            Panel(
                "Tasks finished by kind and outcome",
                "Tasks per second that finished: done, failed (retried), interrupted.",
                [
                    Query(
                        rate("stratus_conductor_tasks_total", "kind, outcome"),
                        "{{kind}} {{outcome}}",
                    )
                ],
                unit="ops",
            ),
        ],
    ),
    Row(
        "Agents",
        [
            Panel(
                "Agent commands by operation and outcome",
                "Commands agents executed per second (spawn, destroy, power actions...).",
                [Query(rate("stratus_agent_commands_total", "op, outcome"), "{{op}} {{outcome}}")],
                unit="ops",
            ),
            Panel(
                "Agent command latency by operation (p50, p99)",
                "From a command's arrival at the agent to its result.",
                p50_p99("stratus_agent_command_seconds", "op"),
                unit="s",
            ),
            Panel(
                "Commands sent by conductors",
                "Commands conductors sent down agent streams, by operation and outcome.",
                [
                    Query(
                        rate("stratus_conductor_agent_commands_total", "op, outcome"),
                        "{{op}} {{outcome}}",
                    )
                ],
                unit="ops",
            ),
            Panel(
                "Agent streams",
                "Hosts whose agent holds a stream to a conductor, stream (re)connects and "
                "heartbeat timeouts.",
                [
                    Query("sum(stratus_conductor_connected_hosts)", "hosts connected"),
                    Query(rate("stratus_agent_conductor_connects_total"), "connects/s"),
                    Query(
                        rate("stratus_conductor_agent_heartbeat_timeouts_total"),
                        "heartbeat timeouts/s",
                    ),
                ],
            ),
        ],
    ),
    Row(
        "Capacity",
        [
            Panel(
                "Capacity used",
                "Claimed over allocatable (physical times allocation ratio, hosts up and "
                "enabled) for vCPUs, memory and disk.",
                [
                    Query(
                        "max(stratus_scheduler_used_vcpus) / max(stratus_scheduler_capacity_vcpus)",
                        "vCPUs",
                    ),
                    Query(
                        "max(stratus_scheduler_used_memory_bytes) / "
                        "max(stratus_scheduler_capacity_memory_bytes)",
                        "memory",
                    ),
                    Query(
                        "max(stratus_scheduler_used_disk_bytes) / "
                        "max(stratus_scheduler_capacity_disk_bytes)",
                        "disk",
                    ),
                ],
                unit="percentunit",
            ),
            Panel(
                "vCPUs",
                "Allocatable and claimed vCPUs.",
                [
                    Query("max(stratus_scheduler_capacity_vcpus)", "allocatable"),
                    Query("max(stratus_scheduler_used_vcpus)", "claimed"),
                ],
            ),
            Panel(
                "Memory",
                "Allocatable and claimed memory.",
                [
                    Query("max(stratus_scheduler_capacity_memory_bytes)", "allocatable"),
                    Query("max(stratus_scheduler_used_memory_bytes)", "claimed"),
                ],
                unit="bytes",
            ),
        ],
    ),
    Row(
        "Quota usage per project",
        [
            Panel(
                "Instances per project",
                "Servers counted against each project's quota (the 20 projects using the "
                "most cores; the rest summed as other).",
                [
                    Query(
                        'max by (project) (stratus_quota_in_use{resource="instances"})',
                        "{{project}}",
                    )
                ],
                stack=True,
            ),
            Panel(
                "Cores per project",
                "vCPUs counted against each project's quota.",
                [Query('max by (project) (stratus_quota_in_use{resource="cores"})', "{{project}}")],
                stack=True,
            ),
            Panel(
                "RAM per project",
                "Memory counted against each project's quota.",
                [Query('max by (project) (stratus_quota_in_use{resource="ram"})', "{{project}}")],
                unit="decmbytes",
                stack=True,
            ),
        ],
    ),
    Row(
        "etcd",
        [
            Panel(
                "Transactions by process and outcome",
                "etcd transactions per second: committed, conflict (a compare lost to a "
                "concurrent write, then retried), error (no answer from etcd).",
                [
                    Query(
                        rate("stratus_etcd_transactions_total", "job, outcome"),
                        "{{job}} {{outcome}}",
                    )
                ],
                unit="ops",
            ),
            Panel(
                "Transaction failures",
                "Transactions that got no answer from etcd, and the share that lost their compare.",
                [
                    Query(
                        rate("stratus_etcd_transactions_total", "job", 'outcome="error"'),
                        "{{job}} errors/s",
                    ),
                    Query(
                        rate("stratus_etcd_transactions_total", where='outcome="conflict"')
                        + " / "
                        + rate("stratus_etcd_transactions_total"),
                        "conflict share",
                    ),
                ],
            ),
            Panel(
                "Watch restarts",
                "Watches re-created after the connection to etcd broke or a compaction.",
                [Query(rate("stratus_etcd_watch_restarts_total", "job"), "{{job}}")],
                unit="ops",
            ),
        ],
    ),
    Row(
        "Processes",
        [
            Panel(
                "CPU",
                "CPU seconds per second each process used (1 = one core).",
                [
                    Query(
                        f'rate(process_cpu_seconds_total{{job=~"$job"}}[{RATE}])',
                        "{{job}} {{instance}}",
                    )
                ],
                unit="percentunit",
            ),
            Panel(
                "Resident memory",
                "Resident set size of each process.",
                [Query('process_resident_memory_bytes{job=~"$job"}', "{{job}} {{instance}}")],
                unit="bytes",
            ),
            Panel(
                "Open file descriptors",
                "File descriptors each process holds, against its limit.",
                [
                    Query('process_open_fds{job=~"$job"}', "{{job}} {{instance}}"),
                ],
            ),
        ],
    ),
]


def _panel(panel: Panel, panel_id: int, x: int, y: int, width: int) -> dict[str, Any]:
    targets = [
        {
            "datasource": DATASOURCE,
            "expr": q.expr,
            "legendFormat": q.legend or "__auto",
            "refId": chr(ord("A") + i),
        }
        for i, q in enumerate(panel.queries)
    ]
    defaults: dict[str, Any] = {"unit": panel.unit}
    if panel.kind == "timeseries":
        defaults["custom"] = {
            "drawStyle": "line",
            "fillOpacity": 20 if panel.stack else 0,
            "stacking": {"mode": "normal" if panel.stack else "none"},
            "showPoints": "never",
        }
    result: dict[str, Any] = {
        "id": panel_id,
        "type": panel.kind,
        "title": panel.title,
        "description": panel.description,
        "datasource": DATASOURCE,
        "gridPos": {"h": 8 if panel.kind == "timeseries" else 5, "w": width, "x": x, "y": y},
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "targets": targets,
    }
    if panel.kind == "timeseries":
        result["options"] = {
            "legend": {"displayMode": "list", "placement": "bottom"},
            "tooltip": {"mode": "multi"},
        }
    else:
        result["options"] = {"reduceOptions": {"calcs": ["lastNotNull"]}, "colorMode": "value"}
    return result


def dashboard() -> dict[str, Any]:
    panels: list[dict[str, Any]] = []
    next_id = 1
    y = 0
    for row in ROWS:
        panels.append(
            {
                "id": next_id,
                "type": "row",
                "title": row.title,
                "collapsed": False,
                "gridPos": {"h": 1, "w": 24, "x": 0, "y": y},
                "panels": [],
            }
        )
        next_id += 1
        y += 1
        per_line = 3
        for start in range(0, len(row.panels), per_line):
            line = row.panels[start : start + per_line]
            width = 24 // len(line)
            for i, panel in enumerate(line):
                panels.append(_panel(panel, next_id, i * width, y, width))
                next_id += 1
            y += max(8 if p.kind == "timeseries" else 5 for p in line)
    return {
        "uid": "stratus-overview",
        "title": "Stratus",
        "description": "A Stratus compute cloud: API, boots, scheduler, conductor tasks, "
        "agents, capacity, quota, etcd and processes. See docs/operations.md.",
        "tags": ["stratus"],
        "editable": True,
        "schemaVersion": 39,
        "version": 1,
        "time": {"from": "now-1h", "to": "now"},
        "refresh": "30s",
        "timezone": "browser",
        "graphTooltip": 1,
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "label": "Prometheus",
                    "type": "datasource",
                    "query": "prometheus",
                    "current": {},
                    "hide": 0,
                },
                {
                    "name": "job",
                    "label": "Process",
                    "type": "query",
                    "datasource": DATASOURCE,
                    "query": {"query": "label_values(up, job)", "refId": "job"},
                    "definition": "label_values(up, job)",
                    "regex": "/stratus-.*/",
                    "multi": True,
                    "includeAll": True,
                    "allValue": "stratus-.*",
                    "current": {"text": "All", "value": "$__all"},
                    "refresh": 2,
                    "hide": 0,
                },
            ]
        },
        "annotations": {"list": []},
        "panels": panels,
    }


def render() -> str:
    return json.dumps(dashboard(), indent=2) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if OUTPUT.read_text() != text:
            print(f"{OUTPUT} is stale: run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
