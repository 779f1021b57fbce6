"""libvirt domain XML built from a typed spec, and Stratus' metadata read back from it.

The XML is built with ElementTree so no value is ever pasted into markup. Each domain
carries a Stratus metadata element (namespace `NAMESPACE`) with the instance id, name,
flavor sizes and ports: the agent reads capacity usage from it after a restart, and an
operator running `virsh dumpxml` sees which instance a domain is.
"""

from __future__ import annotations

import hashlib
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass

from stratus.v1 import agent_pb2

NAMESPACE = "http://stratus.dev/xmlns/instance/1"
PREFIX = "stratus"
# Nova's (and OpenStack's) locally administered MAC prefix.
MAC_PREFIX = "fa:16:3e"

ET.register_namespace(PREFIX, NAMESPACE)


def _q(tag: str) -> str:
    return f"{{{NAMESPACE}}}{tag}"


def domain_name(instance_id: str) -> str:
    """The libvirt domain name of an instance, as Nova names them: `instance-<id>`."""
    return f"instance-{instance_id}"


def mac_address(instance_id: str, index: int = 0) -> str:
    """A MAC for an instance's NIC `index`: fa:16:3e plus 3 bytes derived from the id.

    Deterministic, so a respawned instance keeps its MAC and tests can predict it.
    """
    digest = hashlib.sha256(f"{instance_id}/{index}".encode()).digest()
    return MAC_PREFIX + "".join(f":{b:02x}" for b in digest[:3])


@dataclass(frozen=True)
class Nic:
    """One network interface: its MAC and the fixed IP the conductor allocated."""

    mac: str
    ip: str
    network: str = ""
    ip_version: int = 4


@dataclass(frozen=True)
class DomainSpec:
    """Everything that goes into one domain's XML."""

    instance_id: str  # becomes the domain UUID
    name: str  # the instance's display name (metadata only)
    vcpus: int
    memory_mb: int
    disk_gb: int  # flavor root disk, accounted through metadata
    domain_type: str = "test"  # "test" for libvirt's test driver, "qemu" or "kvm"
    arch: str = "x86_64"
    nics: tuple[Nic, ...] = ()
    image_id: str = ""
    kernel_path: str = ""  # direct kernel boot when set (qemu/kvm)
    initrd_path: str = ""
    kernel_cmdline: str = "console=ttyS0"
    serial_log_path: str = ""  # serial console to a file when set (qemu/kvm)
    console_listen: str = "127.0.0.1"  # VNC listen address (qemu/kvm)

    @property
    def domain_name(self) -> str:
        return domain_name(self.instance_id)


@dataclass(frozen=True)
class InstanceMetadata:
    """What Stratus wrote into a domain's metadata, read back."""

    instance_id: str
    name: str
    vcpus: int
    memory_mb: int
    disk_gb: int


def spec_from_spawn(
    spawn: agent_pb2.SpawnSpec,
    *,
    domain_type: str = "test",
    serial_log_path: str = "",
    console_listen: str = "127.0.0.1",
) -> DomainSpec:
    """The DomainSpec for a SpawnSpec; raises ValueError for a spec libvirt cannot take."""
    try:
        uuid.UUID(spawn.instance_id)
    except ValueError:
        raise ValueError(f"instance id {spawn.instance_id!r} is not a UUID") from None
    if spawn.vcpus <= 0:
        raise ValueError(f"vcpus must be positive, got {spawn.vcpus}")
    if spawn.memory_mb <= 0:
        raise ValueError(f"memory_mb must be positive, got {spawn.memory_mb}")
    if spawn.disk_gb < 0:
        raise ValueError(f"disk_gb must not be negative, got {spawn.disk_gb}")
    nics = tuple(
        Nic(
            mac=address.mac_addr or mac_address(spawn.instance_id, index),
            ip=address.addr,
            network=address.network,
            ip_version=address.version or 4,
        )
        for index, address in enumerate(spawn.addresses)
    )
    properties: Mapping[str, str] = spawn.image.properties
    return DomainSpec(
        instance_id=spawn.instance_id,
        name=spawn.name,
        vcpus=spawn.vcpus,
        memory_mb=spawn.memory_mb,
        disk_gb=spawn.disk_gb,
        domain_type=domain_type,
        nics=nics,
        image_id=spawn.image.id,
        kernel_path=properties.get("kernel_path", ""),
        initrd_path=properties.get("initrd_path", ""),
        kernel_cmdline=properties.get("kernel_cmdline", "console=ttyS0"),
        serial_log_path=serial_log_path,
        console_listen=console_listen,
    )


def _text(parent: ET.Element, tag: str, text: str, **attrib: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrib)
    element.text = text
    return element


def _metadata(spec: DomainSpec) -> ET.Element:
    instance = ET.Element(_q("instance"))
    _text(instance, _q("id"), spec.instance_id)
    _text(instance, _q("name"), spec.name)
    ET.SubElement(
        instance,
        _q("flavor"),
        {
            "vcpus": str(spec.vcpus),
            "memory_mb": str(spec.memory_mb),
            "disk_gb": str(spec.disk_gb),
        },
    )
    if spec.image_id:
        ET.SubElement(instance, _q("image"), {"id": spec.image_id})
    ports = ET.SubElement(instance, _q("ports"))
    for nic in spec.nics:
        ET.SubElement(
            ports,
            _q("port"),
            {
                "mac": nic.mac,
                "ip": nic.ip,
                "network": nic.network,
                "ip_version": str(nic.ip_version),
            },
        )
    return instance


def build(spec: DomainSpec) -> str:
    """The domain XML for `spec`.

    The test driver gets a minimal machine (it simulates no devices); qemu/kvm get what a
    tiny real guest needs: ACPI (so it can power itself off), direct kernel boot when the
    image names a kernel, a serial console to a file and VNC on the console address.
    """
    simulated = spec.domain_type == "test"
    domain = ET.Element("domain", {"type": spec.domain_type})
    _text(domain, "name", spec.domain_name)
    _text(domain, "uuid", spec.instance_id)
    _text(domain, "title", spec.name)
    ET.SubElement(domain, "metadata").append(_metadata(spec))
    _text(domain, "memory", str(spec.memory_mb), unit="MiB")
    _text(domain, "currentMemory", str(spec.memory_mb), unit="MiB")
    _text(domain, "vcpu", str(spec.vcpus))

    os_element = ET.SubElement(domain, "os")
    type_attrib = {} if simulated else {"arch": spec.arch, "machine": "pc"}
    _text(os_element, "type", "hvm", **type_attrib)
    if spec.kernel_path and not simulated:
        _text(os_element, "kernel", spec.kernel_path)
        if spec.initrd_path:
            _text(os_element, "initrd", spec.initrd_path)
        _text(os_element, "cmdline", spec.kernel_cmdline)
    else:
        ET.SubElement(os_element, "boot", {"dev": "hd"})

    if not simulated:
        features = ET.SubElement(domain, "features")
        ET.SubElement(features, "acpi")
    _text(domain, "on_poweroff", "destroy")
    _text(domain, "on_reboot", "restart")
    _text(domain, "on_crash", "destroy")

    devices = ET.SubElement(domain, "devices")
    for nic in spec.nics:
        interface = ET.SubElement(devices, "interface", {"type": "user"})
        ET.SubElement(interface, "mac", {"address": nic.mac})
        ET.SubElement(interface, "model", {"type": "virtio"})
    if not simulated:
        if spec.serial_log_path:
            serial = ET.SubElement(devices, "serial", {"type": "file"})
            # Appended to, so the log keeps what the guest printed before a restart.
            ET.SubElement(serial, "source", {"path": spec.serial_log_path, "append": "on"})
        else:
            ET.SubElement(devices, "serial", {"type": "pty"})
        ET.SubElement(
            devices,
            "graphics",
            {"type": "vnc", "port": "-1", "autoport": "yes", "listen": spec.console_listen},
        )
    return ET.tostring(domain, encoding="unicode")


def _int(element: ET.Element | None, attribute: str) -> int:
    if element is None:
        return 0
    try:
        return int(element.get(attribute, "0"))
    except ValueError:
        return 0


def read_metadata(domain_xml: str) -> InstanceMetadata | None:
    """Stratus' metadata from a domain's XML, or None for a domain Stratus did not create."""
    root = ET.fromstring(domain_xml)
    instance = root.find(f"metadata/{_q('instance')}")
    if instance is None:
        return None
    flavor = instance.find(_q("flavor"))
    return InstanceMetadata(
        instance_id=instance.findtext(_q("id"), default="") or root.findtext("uuid", ""),
        name=instance.findtext(_q("name"), default=""),
        vcpus=_int(flavor, "vcpus"),
        memory_mb=_int(flavor, "memory_mb"),
        disk_gb=_int(flavor, "disk_gb"),
    )
