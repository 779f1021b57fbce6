"""Which domain type a real hypervisor runs guests with: KVM where a guest really boots.

`/dev/kvm` opening is no proof: under some nested setups KVM starts a guest whose kernel
then stalls. So with `virt_type = "auto"` the agent boots the probe image (the tiny guest,
with `stratus.probe=1` on its command line it prints its boot marker and powers off) as a
transient KVM domain and waits for the marker on its serial log. KVM if it shows up within
the timeout, TCG (`qemu`) otherwise. The verdict is cached in the state directory, keyed by
everything that could change it (host kernel, libvirt and QEMU versions, the probe kernel).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import libvirt
import structlog

log = structlog.get_logger(__name__)

AUTO = "auto"
KVM = "kvm"
TCG = "qemu"
VIRT_TYPES = (AUTO, KVM, TCG)
PROBE_ARGUMENT = "stratus.probe=1"
DEFAULT_MARKER = "STRATUS-GUEST-BOOTED"
CACHE_FILE = "virt_type.json"


@dataclass(frozen=True)
class Choice:
    """The domain type to use and why, in words an operator reads in the log."""

    virt_type: str
    reason: str


def kvm_offered(conn: libvirt.virConnect) -> bool:
    """Whether libvirt offers KVM domains for x86_64 guests on this host."""
    try:
        capabilities = ET.fromstring(conn.getCapabilities())
    except (libvirt.libvirtError, ET.ParseError):
        return False
    for guest in capabilities.findall("guest"):
        if guest.find("arch[@name='x86_64']/domain[@type='kvm']") is not None:
            return True
    return False


def probe_xml(name: str, kernel: str, initrd: str, serial_log: str) -> str:
    """A transient KVM domain that boots the probe image and logs its serial port."""
    domain = ET.Element("domain", {"type": KVM})
    ET.SubElement(domain, "name").text = name
    ET.SubElement(domain, "memory", {"unit": "MiB"}).text = "128"
    ET.SubElement(domain, "vcpu").text = "1"
    os_element = ET.SubElement(domain, "os")
    ET.SubElement(os_element, "type", {"arch": "x86_64", "machine": "pc"}).text = "hvm"
    ET.SubElement(os_element, "kernel").text = kernel
    ET.SubElement(os_element, "initrd").text = initrd
    ET.SubElement(os_element, "cmdline").text = f"console=ttyS0 {PROBE_ARGUMENT}"
    ET.SubElement(ET.SubElement(domain, "features"), "acpi")
    ET.SubElement(domain, "on_poweroff").text = "destroy"
    ET.SubElement(domain, "on_reboot").text = "destroy"
    devices = ET.SubElement(domain, "devices")
    serial = ET.SubElement(devices, "serial", {"type": "file"})
    ET.SubElement(serial, "source", {"path": serial_log})
    return ET.tostring(domain, encoding="unicode")


def _cache_key(conn: libvirt.virConnect, kernel: str) -> str:
    stat = os.stat(kernel)
    return "|".join(
        (
            os.uname().release,
            str(conn.getLibVersion()),
            str(conn.getVersion()),
            f"{kernel}:{stat.st_size}:{int(stat.st_mtime)}",
        )
    )


async def boots_under_kvm(
    conn: libvirt.virConnect,
    kernel: str,
    initrd: str,
    work_dir: Path,
    timeout_seconds: float,
    marker: str = DEFAULT_MARKER,
) -> bool:
    """Boot the probe image under KVM; True once its marker reaches the serial log."""
    _make_dir(work_dir)
    name = f"stratus-virt-probe-{uuid.uuid4().hex[:8]}"
    serial_log = work_dir / f"{name}.log"
    dom = None
    try:
        try:
            dom = conn.createXML(probe_xml(name, kernel, initrd, str(serial_log)), 0)
        except libvirt.libvirtError as error:
            log.info("KVM refused to start the probe guest", error=str(error))
            return False
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_seconds
        while loop.time() < deadline:
            if marker.encode() in _read(serial_log):
                return True
            await asyncio.sleep(0.1)
        return False
    finally:
        if dom is not None:
            with contextlib.suppress(libvirt.libvirtError):
                dom.destroy()  # transient: destroying also removes it
        _remove(serial_log)


async def choose(
    conn: libvirt.virConnect,
    requested: str,
    *,
    probe_kernel_path: str,
    probe_initrd_path: str,
    state_dir: Path,
    timeout_seconds: float,
) -> Choice:
    """The domain type for this host: `requested` unless it is "auto", else probed."""
    if requested not in VIRT_TYPES:
        raise ValueError(f"virt_type must be one of {', '.join(VIRT_TYPES)}; got {requested!r}")
    if requested != AUTO:
        return Choice(requested, "configured")
    if not _exists(Path("/dev/kvm")):
        return Choice(TCG, "no /dev/kvm on this host")
    if not kvm_offered(conn):
        return Choice(TCG, "libvirt offers no KVM domains on this host")
    if not (probe_kernel_path and probe_initrd_path):
        return Choice(TCG, "no probe image configured to prove that KVM boots guests")
    key = _cache_key(conn, probe_kernel_path)
    cache = state_dir / CACHE_FILE
    cached = _read_cache(cache, key)
    if cached is not None:
        return cached
    log.info("probing whether KVM boots guests", timeout_seconds=timeout_seconds)
    if await boots_under_kvm(
        conn, probe_kernel_path, probe_initrd_path, state_dir / "probe", timeout_seconds
    ):
        choice = Choice(KVM, "a probe guest booted under KVM")
    else:
        choice = Choice(
            TCG, f"a probe guest did not boot under KVM within {timeout_seconds:g}s (using TCG)"
        )
    _write_cache(cache, key, choice)
    return choice


# Small file operations, kept out of the coroutines above (they do not block noticeably).


def _exists(path: Path) -> bool:
    return path.exists()


def _make_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def _read_cache(cache: Path, key: str) -> Choice | None:
    try:
        cached = json.loads(cache.read_text())
        if cached["key"] == key:
            return Choice(cached["virt_type"], f"{cached['reason']} (cached in {cache})")
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def _write_cache(cache: Path, key: str, choice: Choice) -> None:
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(
        json.dumps({"key": key, "virt_type": choice.virt_type, "reason": choice.reason})
    )
