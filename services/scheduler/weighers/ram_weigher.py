from __future__ import annotations

from services.scheduler.host_state import HostState
from services.scheduler.request_spec import RequestSpec
from services.scheduler.weighers.base import BaseWeigher


class RAMWeigher(BaseWeigher):
    """Free RAM: a positive multiplier spreads instances, a negative one stacks them."""

    name = "RAMWeigher"

    def weigh(self, host: HostState, spec: RequestSpec) -> float:
        return float(host.free_memory_mb)
