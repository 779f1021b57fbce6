"""What every weigher is: a raw number per host; the weighing code normalises and scales it."""

from __future__ import annotations

from services.scheduler.host_state import HostState
from services.scheduler.request_spec import RequestSpec


class BaseWeigher:
    name = "BaseWeigher"

    def __init__(self, multiplier: float) -> None:
        self.multiplier = multiplier

    def weigh(self, host: HostState, spec: RequestSpec) -> float:
        raise NotImplementedError
