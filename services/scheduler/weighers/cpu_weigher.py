from __future__ import annotations

from services.scheduler.host_state import HostState, HostTable
from services.scheduler.request_spec import RequestSpec
from services.scheduler.weighers.base import BaseWeigher, Rows, Weights


class CPUWeigher(BaseWeigher):
    """Free vCPUs under the allocation ratio: positive spreads, negative stacks."""

    name = "CPUWeigher"

    def weigh(self, host: HostState, spec: RequestSpec) -> float:
        return float(host.free_vcpus)

    def weights(self, table: HostTable, rows: Rows, spec: RequestSpec) -> Weights:
        limit = table.column("vcpus")[rows] * table.column("cpu_allocation_ratio")[rows]
        return limit - table.column("vcpus_used")[rows]
