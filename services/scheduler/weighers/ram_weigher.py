from __future__ import annotations

from services.scheduler.host_state import HostState, HostTable
from services.scheduler.request_spec import RequestSpec
from services.scheduler.weighers.base import BaseWeigher, Rows, Weights


class RAMWeigher(BaseWeigher):
    """Free RAM: a positive multiplier spreads instances, a negative one stacks them."""

    name = "RAMWeigher"
    minval = 0.0  # Nova's: weighed from empty, not from the least free candidate

    def weigh(self, host: HostState, spec: RequestSpec) -> float:
        return float(host.free_memory_mb)

    def weights(self, table: HostTable, rows: Rows, spec: RequestSpec) -> Weights:
        return table.column("memory_mb")[rows] - table.column("memory_mb_used")[rows]
