"""Domain XML built from a spawn spec: parses, and says what the instance is."""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET

import pytest

from services.agent import domain_xml
from stratus.v1 import agent_pb2, types_pb2

NS = {"s": domain_xml.NAMESPACE}
INSTANCE_ID = "6f1c1f7e-9a53-4b8e-9d0c-2f3f4f5a6b7c"


def spawn(**overrides: object) -> agent_pb2.SpawnSpec:
    fields: dict[str, object] = {
        "instance_id": INSTANCE_ID,
        "name": "web-1",
        "vcpus": 2,
        "memory_mb": 1024,
        "disk_gb": 20,
        "image": types_pb2.Image(id="img-1"),
        "addresses": [types_pb2.Address(network="private", addr="10.0.0.7", version=4)],
    }
    fields.update(overrides)
    return agent_pb2.SpawnSpec(**fields)  # type: ignore[arg-type]


def built(spec: agent_pb2.SpawnSpec, domain_type: str = "test") -> ET.Element:
    spec_ = domain_xml.spec_from_spawn(spec, domain_type=domain_type)
    return ET.fromstring(domain_xml.build(spec_))


def test_domain_has_the_instance_uuid_name_and_sizes() -> None:
    root = built(spawn())
    assert root.get("type") == "test"
    assert root.findtext("uuid") == INSTANCE_ID
    assert root.findtext("name") == f"instance-{INSTANCE_ID}"
    assert root.findtext("vcpu") == "2"
    memory = root.find("memory")
    assert memory is not None and memory.text == "1024" and memory.get("unit") == "MiB"


def test_nic_mac_is_deterministic_with_the_openstack_prefix() -> None:
    root = built(spawn())
    mac = root.find("devices/interface/mac")
    assert mac is not None
    address = mac.get("address", "")
    assert re.fullmatch(r"fa:16:3e(:[0-9a-f]{2}){3}", address)
    assert address == domain_xml.mac_address(INSTANCE_ID, 0)
    assert domain_xml.mac_address(INSTANCE_ID, 0) != domain_xml.mac_address(INSTANCE_ID, 1)
    assert domain_xml.mac_address(INSTANCE_ID) != domain_xml.mac_address(str(uuid.uuid4()))


def test_a_mac_given_by_the_conductor_is_kept() -> None:
    address = types_pb2.Address(addr="10.0.0.8", version=4, mac_addr="fa:16:3e:aa:bb:cc")
    root = built(spawn(addresses=[address]))
    mac = root.find("devices/interface/mac")
    assert mac is not None and mac.get("address") == "fa:16:3e:aa:bb:cc"


def test_stratus_metadata_carries_id_name_flavor_and_ip() -> None:
    root = built(spawn())
    instance = root.find("metadata/s:instance", NS)
    assert instance is not None
    assert instance.findtext("s:id", namespaces=NS) == INSTANCE_ID
    assert instance.findtext("s:name", namespaces=NS) == "web-1"
    flavor = instance.find("s:flavor", NS)
    assert flavor is not None
    assert (flavor.get("vcpus"), flavor.get("memory_mb"), flavor.get("disk_gb")) == (
        "2",
        "1024",
        "20",
    )
    port = instance.find("s:ports/s:port", NS)
    assert port is not None
    assert port.get("ip") == "10.0.0.7"
    assert port.get("mac") == domain_xml.mac_address(INSTANCE_ID, 0)


def test_metadata_reads_back_from_the_xml() -> None:
    text = domain_xml.build(domain_xml.spec_from_spawn(spawn()))
    assert domain_xml.read_metadata(text) == domain_xml.InstanceMetadata(
        instance_id=INSTANCE_ID, name="web-1", vcpus=2, memory_mb=1024, disk_gb=20
    )


def test_a_domain_without_stratus_metadata_reads_as_none() -> None:
    assert domain_xml.read_metadata("<domain type='test'><name>x</name></domain>") is None


def test_markup_in_values_stays_text() -> None:
    root = built(spawn(name="<evil & 'name'>"))
    assert root.findtext("title") == "<evil & 'name'>"


def test_qemu_domain_boots_the_image_kernel_with_a_serial_log_and_vnc() -> None:
    image = types_pb2.Image(
        id="tiny", properties={"kernel_path": "/img/vmlinuz", "initrd_path": "/img/initrd"}
    )
    spec = domain_xml.spec_from_spawn(
        spawn(image=image), domain_type="qemu", serial_log_path="/var/log/c.log"
    )
    root = ET.fromstring(domain_xml.build(spec))
    assert root.get("type") == "qemu"
    assert root.findtext("os/kernel") == "/img/vmlinuz"
    assert root.findtext("os/initrd") == "/img/initrd"
    assert root.find("features/acpi") is not None
    source = root.find("devices/serial/source")
    assert source is not None and source.get("path") == "/var/log/c.log"
    graphics = root.find("devices/graphics")
    assert graphics is not None and graphics.get("listen") == "127.0.0.1"


@pytest.mark.parametrize(
    "bad",
    [
        {"instance_id": "not-a-uuid"},
        {"vcpus": 0},
        {"memory_mb": 0},
        {"disk_gb": -1},
    ],
)
def test_a_spec_libvirt_cannot_take_is_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        domain_xml.spec_from_spawn(spawn(**bad))
