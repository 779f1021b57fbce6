from __future__ import annotations

from services.scheduler.host_state import HostState, HostTable
from services.scheduler.request_spec import RequestSpec
from services.scheduler.weighers.base import BaseWeigher, Rows, Weights


class DiskWeigher(BaseWeigher):
    """Free disk (GB, no ratio, as Nova): positive spreads, negative stacks."""

    name = "DiskWeigher"
    minval = 0.0  # Nova's: weighed from empty, not from the least free candidate

    def weigh(self, host: HostState, spec: RequestSpec) -> float:
        return float(host.free_disk_gb)

    def weights(self, table: HostTable, rows: Rows, spec: RequestSpec) -> Weights:
        return table.column("local_gb")[rows] - table.column("local_gb_used")[rows]
