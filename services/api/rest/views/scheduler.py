"""The scheduler's explanation of a placement."""

from __future__ import annotations

from typing import Any

from stratus.v1 import scheduler_pb2


def explain(response: scheduler_pb2.ExplainResponse) -> dict[str, Any]:
    """`POST /os-scheduler/explain`: hosts left after each filter, the top weighed hosts."""
    return {
        "explain": {
            "hosts_total": response.hosts_total,
            "filters": [
                {
                    "filter": result.filter,
                    "hosts_before": result.hosts_before,
                    "hosts_removed": result.hosts_removed,
                    "reason": result.reason,
                    "hosts_left_sample": list(result.hosts_left_sample),
                }
                for result in response.filters
            ],
            "weighed": [
                {
                    "host": host.host,
                    "weight": host.weight,
                    "parts": dict(sorted(host.parts.items())),
                }
                for host in response.weighed
            ],
            "no_valid_host_reason": response.no_valid_host_reason or None,
        }
    }
