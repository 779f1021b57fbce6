from __future__ import annotations

import numpy as np

from services.scheduler.filters.base import BaseFilter, Mask, Rows
from services.scheduler.host_state import HostState, HostTable
from services.scheduler.request_spec import RequestSpec
from services.state.placement import group_allows_host


class ServerGroupAffinityFilter(BaseFilter):
    """Passes, for an affinity group with members placed, only the hosts they run on."""

    name = "ServerGroupAffinityFilter"

    def applies(self, spec: RequestSpec) -> bool:
        # The first member of a group may go anywhere; the rest follow it.
        return spec.group_policy == "affinity" and bool(spec.group_hosts)

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        if spec.group_policy != "affinity":
            return True
        # The claim asks the same question of the placement it commits onto.
        return group_allows_host(spec.group_policy, spec.group_rules, spec.group_hosts, host.name)

    def passes(self, table: HostTable, rows: Rows, spec: RequestSpec) -> Mask:
        if not self.applies(spec):
            return np.ones(len(rows), dtype=bool)
        members = [table.index[h] for h, n in spec.group_hosts.items() if n and h in table.index]
        return np.isin(rows, members)

    def reason(self, spec: RequestSpec) -> str:
        return "run no member of the request's affinity server group"
