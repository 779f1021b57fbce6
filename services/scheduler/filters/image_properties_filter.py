from __future__ import annotations

from collections.abc import Mapping

from services.scheduler.filters.base import BaseFilter, Mask, Rows
from services.scheduler.filters.distinct import per_distinct_value
from services.scheduler.host_state import HostState, HostTable
from services.scheduler.request_spec import RequestSpec

# Image property names, newest first, for each part of "<arch>/<hv_type>/<vm_mode>".
ARCHITECTURE_KEYS = ("hw_architecture", "architecture")
HYPERVISOR_KEYS = ("img_hv_type", "hypervisor_type")
VM_MODE_KEYS = ("hw_vm_mode", "vm_mode")

# Spellings that mean the same thing (Nova canonicalises them the same way).
_ARCH_ALIASES = {
    "amd64": "x86_64",
    "x64": "x86_64",
    "i386": "i686",
    "x86": "i686",
    "arm64": "aarch64",
}
_VM_MODE_ALIASES = {"hv": "hvm", "baremetal": "hvm", "pv": "xen"}
DEFAULT_VM_MODE = "hvm"  # a host entry that leaves vm_mode empty runs full virtualisation

Wanted = tuple[str, str, str]  # "" where the image asks nothing


def _first(properties: Mapping[str, str], names: tuple[str, ...]) -> str:
    for name in names:
        if properties.get(name):
            return str(properties[name]).strip().lower()
    return ""


def wanted(spec: RequestSpec) -> Wanted:
    """What the image asks of the host, canonical; all "" when it asks nothing."""
    properties = spec.image_properties
    arch = _first(properties, ARCHITECTURE_KEYS)
    hv_type = _first(properties, HYPERVISOR_KEYS)
    vm_mode = _first(properties, VM_MODE_KEYS)
    return (_ARCH_ALIASES.get(arch, arch), hv_type, _VM_MODE_ALIASES.get(vm_mode, vm_mode))


def _entry(text: str) -> Wanted:
    arch, _, rest = text.strip().lower().partition("/")
    hv_type, _, vm_mode = rest.partition("/")
    vm_mode = _VM_MODE_ALIASES.get(vm_mode, vm_mode) or DEFAULT_VM_MODE
    return (_ARCH_ALIASES.get(arch, arch), hv_type, vm_mode)


def supports(supported_instances: frozenset[str], asked: Wanted) -> bool:
    if not any(asked):
        return True
    # A host that advertises nothing cannot be shown to run what the image asks for.
    for text in supported_instances:
        entry = _entry(text)
        if all(not want or want == have for want, have in zip(asked, entry, strict=True)):
            return True
    return False


class ImagePropertiesFilter(BaseFilter):
    """Passes hosts that support the image's architecture, hypervisor type and vm_mode."""

    name = "ImagePropertiesFilter"

    def applies(self, spec: RequestSpec) -> bool:
        return any(wanted(spec))

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        return supports(host.supported_instances, wanted(spec))

    def passes(self, table: HostTable, rows: Rows, spec: RequestSpec) -> Mask:
        asked = wanted(spec)
        return per_distinct_value(
            table, rows, "supported_instances", lambda supported: supports(supported, asked)
        )

    def reason(self, spec: RequestSpec) -> str:
        arch, hv_type, vm_mode = wanted(spec)
        asked = "/".join(part or "*" for part in (arch, hv_type, vm_mode))
        return f"do not support the image's {asked} (architecture/hypervisor/vm_mode)"
