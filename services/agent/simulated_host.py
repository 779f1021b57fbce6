"""A host simulated by libvirt's test driver: its node file and the domains it keeps.

The test driver holds everything in memory and forgets it when the process exits. So that
a restarted agent finds its domains again (as a restarted nova-compute finds its running
guests), each defined domain is saved as `<host dir>/domains/<uuid>.xml`: the domain's
inactive XML plus, in the test driver's own namespace, its last run state
(`<test:runstate>`, a virDomainState number) and whether it has a managed-save image
(`<test:hasmanagedsave/>`). On open, `write_node` embeds every saved domain into the node
file, and the test driver brings them back in exactly that state (verified with libvirt
12.8: running, paused, shut off and shut off with a managed-save image all come back).
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path

import structlog

from services.agent import domain_xml

TEST_NAMESPACE = "http://libvirt.org/schemas/domain/test/1.0"
# Saved files keep readable prefixes: test: for the driver's, stratus: for our metadata.
ET.register_namespace("test", TEST_NAMESPACE)
ET.register_namespace(domain_xml.PREFIX, domain_xml.NAMESPACE)

log = structlog.get_logger(__name__)


def _text(parent: ET.Element, tag: str, text: str) -> None:
    ET.SubElement(parent, tag).text = text


def node_element(vcpus: int, memory_mb: int, model: str = "x86_64") -> ET.Element:
    """The test driver's `<node>`: one socket with `vcpus` cores and `memory_mb` of RAM."""
    node = ET.Element("node")
    cpu = ET.SubElement(node, "cpu")
    for tag, value in (
        ("nodes", 1),
        ("sockets", 1),
        ("cores", vcpus),
        ("threads", 1),
        ("active", vcpus),
        ("mhz", 2400),
    ):
        _text(cpu, tag, str(value))
    _text(cpu, "model", model)
    _text(node, "memory", str(memory_mb * 1024))  # KiB
    return node


class SimulatedHost:
    """The files of one simulated host under `<state_dir>/<host>/`."""

    def __init__(self, host_dir: Path) -> None:
        self.host_dir = host_dir
        self.node_path = host_dir / "node.xml"
        self.domains_dir = host_dir / "domains"
        # Last content written per domain: most events change nothing worth a write.
        self._written: dict[str, str] = {}

    def write_node(self, vcpus: int, memory_mb: int) -> Path:
        """Write the node file with every saved domain embedded; returns its path."""
        self.domains_dir.mkdir(parents=True, exist_ok=True)
        node = node_element(vcpus, memory_mb)
        for domain in self.saved_domains():
            node.append(domain)
        _write_atomically(self.node_path, ET.tostring(node, encoding="unicode"))
        return self.node_path

    def saved_domains(self) -> list[ET.Element]:
        """The saved domains, parsed; an unreadable file is logged and left out."""
        domains = []
        for path in sorted(self.domains_dir.glob("*.xml")):
            try:
                text = path.read_text()
                element = ET.fromstring(text)
            except (OSError, ET.ParseError) as exc:
                log.warning("saved domain unreadable, skipped", path=str(path), error=str(exc))
                continue
            self._written[path.stem] = text
            domains.append(element)
        return domains

    def save(self, uuid: str, inactive_xml: str, state: int, has_managed_save: bool) -> None:
        """Record a domain's definition and run state; writes only when something changed."""
        domain = ET.fromstring(inactive_xml)
        ET.SubElement(domain, f"{{{TEST_NAMESPACE}}}runstate").text = str(state)
        if has_managed_save:
            ET.SubElement(domain, f"{{{TEST_NAMESPACE}}}hasmanagedsave")
        text = ET.tostring(domain, encoding="unicode")
        if self._written.get(uuid) == text:
            return
        self.domains_dir.mkdir(parents=True, exist_ok=True)
        _write_atomically(self.domains_dir / f"{uuid}.xml", text)
        self._written[uuid] = text

    def remove(self, uuid: str) -> None:
        """Forget a domain (it was undefined); removing an unknown one is fine."""
        self._written.pop(uuid, None)
        (self.domains_dir / f"{uuid}.xml").unlink(missing_ok=True)


def _write_atomically(path: Path, text: str) -> None:
    """A crash mid-write leaves the old file, never half a file."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
