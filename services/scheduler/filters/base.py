"""What every filter is: a pure check of one host against one request."""

from __future__ import annotations

from dataclasses import dataclass

from services.scheduler.host_state import HostState
from services.scheduler.request_spec import RequestSpec


@dataclass(frozen=True)
class AllocationRatios:
    cpu: float = 16.0
    ram: float = 1.5
    disk: float = 1.0


class BaseFilter:
    """A filter never raises: it says pass or fail, and `reason` explains a failure."""

    name = "BaseFilter"

    def __init__(self, ratios: AllocationRatios) -> None:
        self.ratios = ratios

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        raise NotImplementedError

    def reason(self, spec: RequestSpec) -> str:
        """Why hosts fail this filter for `spec`, in words an operator understands."""
        return "does not pass"
