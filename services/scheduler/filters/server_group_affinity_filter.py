from __future__ import annotations

import numpy as np

from services.scheduler.filters.base import BaseFilter, Mask, Rows
from services.scheduler.host_state import HostState, HostTable
from services.scheduler.request_spec import RequestSpec


class ServerGroupAffinityFilter(BaseFilter):
    """Passes, for an affinity group with members placed, only the hosts they run on."""

    name = "ServerGroupAffinityFilter"

    def applies(self, spec: RequestSpec) -> bool:
        # The first member of a group may go anywhere; the rest follow it.
        return spec.group_policy == "affinity" and bool(spec.group_hosts)

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        return not self.applies(spec) or host.name in spec.group_hosts

    def passes(self, table: HostTable, rows: Rows, spec: RequestSpec) -> Mask:
        if not self.applies(spec):
            return np.ones(len(rows), dtype=bool)
        members = [table.index[h] for h in spec.group_hosts if h in table.index]
        return np.isin(rows, members)

    def reason(self, spec: RequestSpec) -> str:
        return "run no member of the request's affinity server group"
