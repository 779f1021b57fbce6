from __future__ import annotations

from collections.abc import Mapping

from services.scheduler.filters import extra_specs_ops
from services.scheduler.filters.base import BaseFilter, Mask, Rows
from services.scheduler.filters.distinct import per_distinct_value
from services.scheduler.host_state import HostState, HostTable
from services.scheduler.request_spec import RequestSpec

SCOPE = "capabilities"


def capabilities_satisfy(capabilities: Mapping[str, str], wanted: list[tuple[str, str]]) -> bool:
    # A capability the host does not report fails any requirement on it (Nova).
    return all(
        extra_specs_ops.match(capabilities.get(key), requirement) for key, requirement in wanted
    )


class ComputeCapabilitiesFilter(BaseFilter):
    """Passes hosts whose capabilities satisfy the flavor's extra specs."""

    name = "ComputeCapabilitiesFilter"

    def applies(self, spec: RequestSpec) -> bool:
        return any(True for _ in extra_specs_ops.requirements(spec.extra_specs, SCOPE))

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        wanted = list(extra_specs_ops.requirements(spec.extra_specs, SCOPE))
        return capabilities_satisfy(host.capabilities, wanted)

    def passes(self, table: HostTable, rows: Rows, spec: RequestSpec) -> Mask:
        wanted = list(extra_specs_ops.requirements(spec.extra_specs, SCOPE))
        return per_distinct_value(
            table,
            rows,
            "capabilities",
            lambda capabilities: capabilities_satisfy(capabilities, wanted),
        )

    def reason(self, spec: RequestSpec) -> str:
        wanted = ", ".join(
            f"{key}={requirement}"
            for key, requirement in extra_specs_ops.requirements(spec.extra_specs, SCOPE)
        )
        return f"lack the capabilities {wanted}"
