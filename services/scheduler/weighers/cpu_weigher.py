from __future__ import annotations

from services.scheduler.host_state import HostState, HostTable
from services.scheduler.request_spec import RequestSpec
from services.scheduler.weighers.base import BaseWeigher, Rows, Weights


class CPUWeigher(BaseWeigher):
    """Free vCPUs under the host's own allocation ratio (its aggregates', else the configured
    one): positive spreads, negative stacks."""

    name = "CPUWeigher"
    minval = 0.0  # Nova's: weighed from empty, not from the least free candidate

    def weigh(self, host: HostState, spec: RequestSpec) -> float:
        return float(host.free_vcpus)

    def weights(self, table: HostTable, rows: Rows, spec: RequestSpec) -> Weights:
        limit = table.column("vcpus")[rows] * table.column("cpu_allocation_ratio")[rows]
        return limit - table.column("vcpus_used")[rows]
