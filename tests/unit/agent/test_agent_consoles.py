"""Serial console output, the VNC endpoint and the choice of domain type."""

from __future__ import annotations

import json
from pathlib import Path

import libvirt
import pytest
from agent_helpers import spawn_spec

from services.agent import virt_probe
from services.agent.driver import DomainNotFound, DriverError
from services.agent.libvirt_driver import LibvirtDriver, tail_lines

SESSION_LOOP = pytest.mark.asyncio(loop_scope="session")


def test_tail_lines_takes_the_last_lines_as_clean_text() -> None:
    data = b"one\r\ntwo\n\rthree\r\n\x00four\xff\r\n"
    assert tail_lines(data, 0) == "one\ntwo\nthree\nfour\ufffd\n"
    assert tail_lines(data, 2) == "three\nfour\ufffd\n"
    assert tail_lines(data, 100) == tail_lines(data, 0)
    assert tail_lines(b"", 5) == ""


@SESSION_LOOP
async def test_a_simulated_host_has_no_serial_log_and_no_vnc(driver: LibvirtDriver) -> None:
    spec = spawn_spec()
    await driver.spawn(spec)
    assert await driver.console_output(spec.instance_id, 10) == ""
    with pytest.raises(DriverError):
        await driver.vnc_console(spec.instance_id)


@SESSION_LOOP
async def test_consoles_of_a_missing_domain_are_not_found(driver: LibvirtDriver) -> None:
    missing = "6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d"
    with pytest.raises(DomainNotFound):
        await driver.console_output(missing, 10)
    with pytest.raises(DomainNotFound):
        await driver.vnc_console(missing)


@SESSION_LOOP
async def test_a_configured_virt_type_is_kept_and_a_wrong_one_refused(tmp_path: Path) -> None:
    conn = libvirt.open("test:///default")
    try:
        for wanted in ("qemu", "kvm"):
            choice = await virt_probe.choose(
                conn,
                wanted,
                probe_kernel_path="",
                probe_initrd_path="",
                state_dir=tmp_path,
                timeout_seconds=1,
            )
            assert choice == virt_probe.Choice(wanted, "configured")
        with pytest.raises(ValueError, match="virt_type"):
            await virt_probe.choose(
                conn,
                "xen",
                probe_kernel_path="",
                probe_initrd_path="",
                state_dir=tmp_path,
                timeout_seconds=1,
            )
    finally:
        conn.close()


@SESSION_LOOP
async def test_auto_without_a_proof_that_kvm_boots_chooses_tcg(tmp_path: Path) -> None:
    conn = libvirt.open("test:///default")
    try:
        choice = await virt_probe.choose(
            conn,
            "auto",
            probe_kernel_path="",
            probe_initrd_path="",
            state_dir=tmp_path,
            timeout_seconds=1,
        )
    finally:
        conn.close()
    assert choice.virt_type == virt_probe.TCG
    assert choice.reason


def test_a_cached_verdict_is_used_only_for_the_same_key(tmp_path: Path) -> None:
    cache = tmp_path / virt_probe.CACHE_FILE
    virt_probe._write_cache(cache, "k1", virt_probe.Choice("kvm", "a probe guest booted"))
    assert json.loads(cache.read_text())["virt_type"] == "kvm"
    cached = virt_probe._read_cache(cache, "k1")
    assert cached is not None and cached.virt_type == "kvm"
    assert virt_probe._read_cache(cache, "k2") is None
    cache.write_text("not json")
    assert virt_probe._read_cache(cache, "k1") is None


def test_the_probe_domain_boots_the_image_under_kvm_and_powers_off() -> None:
    xml = virt_probe.probe_xml("probe", "/k", "/i", "/log")
    assert 'type="kvm"' in xml
    assert virt_probe.PROBE_ARGUMENT in xml
    assert "<kernel>/k</kernel>" in xml and "<initrd>/i</initrd>" in xml
