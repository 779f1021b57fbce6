from __future__ import annotations

import ipaddress

from services.scheduler.filters.base import BaseFilter
from services.scheduler.host_state import HostState
from services.scheduler.request_spec import RequestSpec

DEFAULT_CIDR = "/24"  # Nova's default when only build_near_host_ip is given


def network(
    build_near_host_ip: str, cidr: str
) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """The network of `build_near_host_ip` and `cidr`, None when they make none.

    `cidr` is a prefix length (`/24`) or, as Nova's netaddr reads it, a netmask
    (`/255.255.255.0`) or a host mask (`/0.0.0.255`).
    """
    try:
        return ipaddress.ip_network(build_near_host_ip + (cidr or DEFAULT_CIDR), strict=False)
    except ValueError:
        return None


class SimpleCIDRAffinityFilter(BaseFilter):
    """Passes hosts whose IP is in the network of build_near_host_ip and cidr."""

    name = "SimpleCIDRAffinityFilter"

    def applies(self, spec: RequestSpec) -> bool:
        return bool(spec.build_near_host_ip)

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        if not spec.build_near_host_ip:
            return True  # no hint, no constraint (Nova)
        near = network(spec.build_near_host_ip, spec.cidr)
        if near is None:
            return False  # a malformed hint places nowhere rather than anywhere
        try:
            return ipaddress.ip_address(host.host_ip) in near
        except ValueError:
            return False  # a host without a usable IP cannot be shown to be near

    def reason(self, spec: RequestSpec) -> str:
        cidr = spec.cidr or DEFAULT_CIDR
        if network(spec.build_near_host_ip, spec.cidr) is None:
            return f"were refused: {spec.build_near_host_ip}{cidr} is not a valid network"
        return f"have no IP in {spec.build_near_host_ip}{cidr}"
