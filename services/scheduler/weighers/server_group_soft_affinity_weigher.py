from __future__ import annotations

import numpy as np

from services.scheduler.host_state import HostState, HostTable
from services.scheduler.request_spec import RequestSpec
from services.scheduler.weighers.base import BaseWeigher, Rows, Weights


def members_on(table: HostTable, rows: Rows, spec: RequestSpec) -> Weights:
    """The request's group members on each host at `rows` (0 for most hosts)."""
    counts = np.zeros(len(table))
    for host, members in spec.group_hosts.items():
        row = table.index.get(host)
        if row is not None:
            counts[row] = members
    return counts[rows]


class ServerGroupSoftAffinityWeigher(BaseWeigher):
    """Group members on the host, for a soft-affinity group: members gather where they can."""

    name = "ServerGroupSoftAffinityWeigher"

    def applies(self, spec: RequestSpec) -> bool:
        return self.multiplier != 0 and spec.group_policy == "soft-affinity"

    def weigh(self, host: HostState, spec: RequestSpec) -> float:
        return float(spec.group_hosts.get(host.name, 0))

    def weights(self, table: HostTable, rows: Rows, spec: RequestSpec) -> Weights:
        return members_on(table, rows, spec)
