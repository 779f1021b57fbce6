"""ComputeCapabilitiesFilter: flavor extra specs against what the host reports.

As Nova's: a key scoped `capabilities:` names a host fact, which the host must have and
whose value must satisfy the requirement; an unscoped key is checked only when it names
a fact the host has (Nova: a HostState attribute or a stat), and ignored otherwise
(`ssd=true` is for AggregateInstanceExtraSpecsFilter); a key of any other scope (`hw:`,
`aggregate_instance_extra_specs:`, `quota:`, ...) belongs to someone else and is ignored.
Values are compared as the host reports them (`hypervisor_type` is `QEMU`, not `qemu`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from services.scheduler.filters import extra_specs_ops
from services.scheduler.filters.base import BaseFilter, Mask, Rows
from services.scheduler.filters.distinct import per_distinct_value
from services.scheduler.host_state import FACTS, HOST_FACTS, HostState, HostTable
from services.scheduler.request_spec import RequestSpec

SCOPE = "capabilities"


@dataclass(frozen=True)
class Wanted:
    """One extra spec this filter checks: the fact's name, the requirement, and whether
    the key was scoped (a scoped fact the host lacks fails; an unscoped one is skipped)."""

    fact: str
    requirement: str
    scoped: bool


def wanted(extra_specs: Mapping[str, str]) -> list[Wanted]:
    found = []
    for key, requirement in extra_specs.items():
        scope, colon, rest = key.partition(":")
        if not colon:
            found.append(Wanted(key, requirement, scoped=False))
        elif scope == SCOPE:
            found.append(Wanted(rest, requirement, scoped=True))
    return found


def satisfied(
    wants: list[Wanted], capabilities: Mapping[str, str], host: HostState | None = None
) -> bool:
    """Whether the host's facts satisfy every wanted spec; `host` is read for the facts
    that change with claims or differ on every host (HOST_FACTS), when one is named."""
    for want in wants:
        if want.fact in HOST_FACTS and host is not None:
            value: str | None = str(FACTS[want.fact](host))
        else:
            value = capabilities.get(want.fact)
        if value is None:
            if want.scoped:
                return False  # the host does not report what the flavor asks of it
            continue
        if not extra_specs_ops.match(value, want.requirement):
            return False
    return True


class ComputeCapabilitiesFilter(BaseFilter):
    """Passes hosts whose reported facts satisfy the flavor's capability extra specs."""

    name = "ComputeCapabilitiesFilter"

    def applies(self, spec: RequestSpec) -> bool:
        return bool(wanted(spec.extra_specs))

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        return satisfied(wanted(spec.extra_specs), host.capabilities, host)

    def passes(self, table: HostTable, rows: Rows, spec: RequestSpec) -> Mask:
        wants = wanted(spec.extra_specs)
        if any(want.fact in HOST_FACTS for want in wants):
            return super().passes(table, rows, spec)  # facts of each host, host by host
        return per_distinct_value(
            table, rows, "capabilities", lambda capabilities: satisfied(wants, capabilities)
        )

    def reason(self, spec: RequestSpec) -> str:
        asked = ", ".join(f"{want.fact}={want.requirement}" for want in wanted(spec.extra_specs))
        return f"lack the capabilities {asked}"
