from __future__ import annotations

import numpy as np

from services.scheduler.filters.base import BaseFilter, Mask, Rows
from services.scheduler.host_state import HostState, HostTable
from services.scheduler.request_spec import RequestSpec
from services.state import placement


def max_server_per_host(spec: RequestSpec) -> int:
    """The group's rule (Nova's anti-affinity rule), 1 when unset or unusable."""
    return placement.max_server_per_host(spec.group_rules)


class ServerGroupAntiAffinityFilter(BaseFilter):
    """Passes, for an anti-affinity group, hosts running fewer than max_server_per_host members."""

    name = "ServerGroupAntiAffinityFilter"

    def applies(self, spec: RequestSpec) -> bool:
        return spec.group_policy == "anti-affinity" and bool(spec.group_hosts)

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        if spec.group_policy != "anti-affinity":
            return True
        # The claim asks the same question of the placement it commits onto.
        return placement.group_allows_host(
            spec.group_policy, spec.group_rules, spec.group_hosts, host.name
        )

    def passes(self, table: HostTable, rows: Rows, spec: RequestSpec) -> Mask:
        if spec.group_policy != "anti-affinity":
            return np.ones(len(rows), dtype=bool)
        limit = max_server_per_host(spec)
        full = [
            table.index[h]
            for h, members in spec.group_hosts.items()
            if members >= limit and h in table.index
        ]
        return np.isin(rows, full, invert=True)

    def reason(self, spec: RequestSpec) -> str:
        limit = max_server_per_host(spec)
        return f"already run {limit} member(s) of the request's anti-affinity server group"
