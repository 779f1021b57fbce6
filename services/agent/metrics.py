"""Prometheus metrics of stratus-agent (labels bounded: operations and outcomes, no ids)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

COMMANDS = Counter(
    "stratus_agent_commands_total",
    "Commands from the conductor executed, by operation and outcome (ok, error, rejected).",
    ["op", "outcome"],
)
COMMAND_SECONDS = Histogram(
    "stratus_agent_command_seconds",
    "Time to execute a command, from its arrival to its result, by operation.",
    ["op"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
POWER_EVENTS = Counter(
    "stratus_agent_power_events_total",
    "Power-state events forwarded to the conductor, by libvirt event name.",
    ["event"],
)
CONNECTED = Gauge(
    "stratus_agent_conductor_connected",
    "1 while the stream to a conductor is open, else 0.",
)
CONNECTS = Counter(
    "stratus_agent_conductor_connects_total",
    "Streams to a conductor opened (the first connect and every reconnect).",
)
HEARTBEAT_TIMEOUTS = Counter(
    "stratus_agent_heartbeat_timeouts_total",
    "Streams dropped because the conductor was silent past the heartbeat deadline.",
)
HOSTS = Gauge("stratus_agent_hosts", "Hosts this agent serves.")
