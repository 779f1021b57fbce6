from __future__ import annotations

from services.scheduler.host_state import HostState, HostTable
from services.scheduler.request_spec import RequestSpec
from services.scheduler.weighers.base import BaseWeigher, Rows, Weights
from services.scheduler.weighers.server_group_soft_affinity_weigher import members_on


class ServerGroupSoftAntiAffinityWeigher(BaseWeigher):
    """Minus group members on the host, for a soft-anti-affinity group: members spread out."""

    name = "ServerGroupSoftAntiAffinityWeigher"

    def applies(self, spec: RequestSpec) -> bool:
        return self.multiplier != 0 and spec.group_policy == "soft-anti-affinity"

    def weigh(self, host: HostState, spec: RequestSpec) -> float:
        return -float(spec.group_hosts.get(host.name, 0))

    def weights(self, table: HostTable, rows: Rows, spec: RequestSpec) -> Weights:
        return -members_on(table, rows, spec)
