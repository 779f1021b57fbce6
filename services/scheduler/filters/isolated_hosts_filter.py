from __future__ import annotations

from services.scheduler.config import SchedulerConfig
from services.scheduler.filters.base import BaseFilter
from services.scheduler.host_state import HostState
from services.scheduler.request_spec import RequestSpec


def _names(text: str) -> frozenset[str]:
    return frozenset(name.strip() for name in text.split(",") if name.strip())


class IsolatedHostsFilter(BaseFilter):
    """Keeps isolated images on isolated hosts and, if restricted, other images off them."""

    name = "IsolatedHostsFilter"

    def __init__(self, config: SchedulerConfig) -> None:
        super().__init__(config)
        self.hosts = _names(config.isolated_hosts)
        self.images = _names(config.isolated_images)
        self.restrict = config.restrict_isolated_hosts_to_isolated_images

    def applies(self, spec: RequestSpec) -> bool:
        # Nothing configured: a configuration gap, not a reason to refuse hosts (Nova).
        return bool(self.hosts or self.images)

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        host_isolated = host.name in self.hosts
        if not self.images:
            # No image may use isolated hosts: with the restriction, nobody uses them.
            return not self.restrict or not host_isolated
        image_isolated = spec.image_id in self.images
        if self.restrict:
            return image_isolated == host_isolated
        return not image_isolated or host_isolated

    def reason(self, spec: RequestSpec) -> str:
        if spec.image_id in self.images:
            return f"are not isolated hosts, and image {spec.image_id} runs only on those"
        return f"are isolated hosts reserved for other images than {spec.image_id or '(none)'}"
