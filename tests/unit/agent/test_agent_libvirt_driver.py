"""The libvirt driver on libvirt's real test driver: what holds after each action."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from agent_helpers import next_event, open_host, spawn_spec

from services.agent.driver import DomainNotFound, DriverError
from services.agent.libvirt_driver import LibvirtDriver
from stratus.v1 import agent_pb2, types_pb2

pytestmark = pytest.mark.asyncio(loop_scope="session")

RUNNING = types_pb2.POWER_STATE_RUNNING
PAUSED = types_pb2.POWER_STATE_PAUSED
SHUTDOWN = types_pb2.POWER_STATE_SHUTDOWN
SUSPENDED = types_pb2.POWER_STATE_SUSPENDED
NOSTATE = types_pb2.POWER_STATE_NOSTATE

Events = asyncio.Queue[agent_pb2.PowerStateEvent]


async def spawned(driver: LibvirtDriver, **kwargs: int) -> str:
    spec = spawn_spec(**kwargs)  # type: ignore[arg-type]
    assert await driver.spawn(spec) == RUNNING
    return spec.instance_id


async def test_spawn_runs_the_domain(driver: LibvirtDriver) -> None:
    instance_id = await spawned(driver)
    assert await driver.power_state(instance_id) == RUNNING
    assert [(d.instance_id, d.power_state) for d in await driver.list_domains()] == [
        (instance_id, RUNNING)
    ]


async def test_spawn_twice_keeps_one_running_domain(driver: LibvirtDriver) -> None:
    spec = spawn_spec()
    await driver.spawn(spec)
    assert await driver.spawn(spec) == RUNNING
    assert len(await driver.list_domains()) == 1


async def test_spawn_of_a_stopped_domain_starts_it(driver: LibvirtDriver) -> None:
    spec = spawn_spec()
    await driver.spawn(spec)
    await driver.power_off(spec.instance_id)
    assert await driver.spawn(spec) == RUNNING


async def test_spawn_with_an_invalid_spec_raises_and_defines_nothing(
    driver: LibvirtDriver,
) -> None:
    with pytest.raises(DriverError, match="invalid spec"):
        await driver.spawn(spawn_spec(vcpus=0))
    assert await driver.list_domains() == []


async def test_stop_shuts_the_domain_down_and_twice_is_fine(driver: LibvirtDriver) -> None:
    instance_id = await spawned(driver)
    assert await driver.power_off(instance_id) == SHUTDOWN
    assert await driver.power_off(instance_id) == SHUTDOWN


async def test_start_runs_a_stopped_domain_and_twice_is_fine(driver: LibvirtDriver) -> None:
    instance_id = await spawned(driver)
    await driver.power_off(instance_id)
    assert await driver.power_on(instance_id) == RUNNING
    assert await driver.power_on(instance_id) == RUNNING


@pytest.mark.parametrize("hard", [False, True], ids=["soft", "hard"])
async def test_reboot_leaves_the_domain_running(driver: LibvirtDriver, hard: bool) -> None:
    instance_id = await spawned(driver)
    assert await driver.reboot(instance_id, hard=hard) == RUNNING


async def test_reboot_of_a_stopped_domain_starts_it(driver: LibvirtDriver) -> None:
    instance_id = await spawned(driver)
    await driver.power_off(instance_id)
    assert await driver.reboot(instance_id, hard=False) == RUNNING


async def test_pause_and_unpause(driver: LibvirtDriver) -> None:
    instance_id = await spawned(driver)
    assert await driver.pause(instance_id) == PAUSED
    assert await driver.pause(instance_id) == PAUSED
    assert await driver.unpause(instance_id) == RUNNING
    assert await driver.unpause(instance_id) == RUNNING


async def test_pause_of_a_stopped_domain_is_an_error(driver: LibvirtDriver) -> None:
    instance_id = await spawned(driver)
    await driver.power_off(instance_id)
    with pytest.raises(DriverError, match="not running"):
        await driver.pause(instance_id)


async def test_suspend_saves_the_domain_and_resume_brings_it_back(
    driver: LibvirtDriver,
) -> None:
    instance_id = await spawned(driver)
    assert await driver.suspend(instance_id) == SUSPENDED
    assert await driver.suspend(instance_id) == SUSPENDED
    assert await driver.resume(instance_id) == RUNNING
    assert await driver.resume(instance_id) == RUNNING


async def test_suspend_of_a_paused_domain_saves_it(driver: LibvirtDriver) -> None:
    instance_id = await spawned(driver)
    await driver.pause(instance_id)
    assert await driver.suspend(instance_id) == SUSPENDED
    assert await driver.resume(instance_id) == RUNNING


async def test_stop_of_a_suspended_domain_discards_the_saved_image(
    driver: LibvirtDriver,
) -> None:
    instance_id = await spawned(driver)
    await driver.suspend(instance_id)
    assert await driver.power_off(instance_id) == SHUTDOWN


async def test_destroy_removes_the_domain_and_twice_is_fine(driver: LibvirtDriver) -> None:
    instance_id = await spawned(driver)
    await driver.destroy(instance_id)
    assert await driver.list_domains() == []
    assert await driver.power_state(instance_id) == NOSTATE
    await driver.destroy(instance_id)


async def test_destroy_removes_a_suspended_domain_with_its_image(
    driver: LibvirtDriver,
) -> None:
    instance_id = await spawned(driver)
    await driver.suspend(instance_id)
    await driver.destroy(instance_id)
    assert await driver.list_domains() == []


async def test_destroy_of_an_unknown_instance_succeeds(driver: LibvirtDriver) -> None:
    await driver.destroy(str(uuid.uuid4()))


@pytest.mark.parametrize(
    "action", ["power_off", "power_on", "pause", "unpause", "suspend", "resume"]
)
async def test_power_action_on_a_missing_domain_raises(driver: LibvirtDriver, action: str) -> None:
    missing = str(uuid.uuid4())
    with pytest.raises(DomainNotFound, match=missing):
        await getattr(driver, action)(missing)
    with pytest.raises(DomainNotFound):
        await driver.reboot(missing, hard=True)


async def test_capacity_counts_what_defined_domains_use(driver: LibvirtDriver) -> None:
    empty = await driver.host_info()
    assert (empty.vcpus, empty.memory_mb, empty.local_gb) == (16, 32768, 500)
    assert (empty.vcpus_used, empty.memory_mb_used, empty.local_gb_used) == (0, 0, 0)
    assert empty.name == "host-1"
    assert empty.hypervisor_type == "TEST"
    assert empty.hypervisor_uri.startswith("test:///")
    assert empty.host_ip == empty.console_address == "127.0.0.1"

    small = await spawned(driver, vcpus=2, memory_mb=512, disk_gb=10)
    await spawned(driver, vcpus=4, memory_mb=2048, disk_gb=40)
    both = await driver.host_info()
    assert (both.vcpus_used, both.memory_mb_used, both.local_gb_used) == (6, 2560, 50)
    assert both.running_vms == 2

    await driver.power_off(small)
    stopped = await driver.host_info()
    assert (stopped.vcpus_used, stopped.running_vms) == (6, 1)  # a stopped VM keeps its share

    await driver.destroy(small)
    after = await driver.host_info()
    assert (after.vcpus_used, after.memory_mb_used, after.local_gb_used) == (4, 2048, 40)


async def test_two_simulated_hosts_are_independent(tmp_path: Path) -> None:
    first, second = open_host(tmp_path, "host-1"), open_host(tmp_path, "host-2")
    try:
        instance_id = await spawned(first)
        assert [d.instance_id for d in await first.list_domains()] == [instance_id]
        assert await second.list_domains() == []
        assert (await second.host_info()).vcpus_used == 0
        with pytest.raises(DomainNotFound):
            await second.power_off(instance_id)
    finally:
        await first.close()
        await second.close()


async def test_lifecycle_events_arrive_with_the_hypervisor_power_state(
    driver: LibvirtDriver, events: Events
) -> None:
    instance_id = await spawned(driver)

    def on(name: str):  # type: ignore[no-untyped-def]
        return lambda e: e.instance_id == instance_id and e.event == name

    started = await next_event(events, on("STARTED"))
    assert (started.host, started.power_state) == ("host-1", RUNNING)
    assert started.observed_at.seconds > 0

    await driver.pause(instance_id)
    assert (await next_event(events, on("SUSPENDED"))).power_state == PAUSED
    await driver.unpause(instance_id)
    assert (await next_event(events, on("RESUMED"))).power_state == RUNNING
    await driver.power_off(instance_id)
    assert (await next_event(events, on("STOPPED"))).power_state == SHUTDOWN
    await driver.power_on(instance_id)
    assert (await next_event(events, on("STARTED"))).power_state == RUNNING
    await driver.suspend(instance_id)
    assert (await next_event(events, on("STOPPED"))).power_state == SUSPENDED
    await driver.resume(instance_id)
    assert (await next_event(events, on("STARTED"))).power_state == RUNNING


async def test_a_soft_reboot_emits_a_rebooted_event(driver: LibvirtDriver, events: Events) -> None:
    # libvirt's test driver has no lifecycle event for a reboot; the driver makes one.
    instance_id = await spawned(driver)
    await driver.reboot(instance_id, hard=False)
    event = await next_event(events, lambda e: e.event == "REBOOTED")
    assert (event.instance_id, event.power_state) == (instance_id, RUNNING)


async def test_a_restarted_agent_finds_its_domains_in_their_power_states(
    tmp_path: Path,
) -> None:
    before = open_host(tmp_path, "host-1")
    running = await spawned(before, vcpus=1)
    paused = await spawned(before, vcpus=2)
    stopped = await spawned(before, vcpus=3)
    suspended = await spawned(before, vcpus=4)
    gone = await spawned(before, vcpus=5)
    await before.pause(paused)
    await before.power_off(stopped)
    await before.suspend(suspended)
    await before.destroy(gone)
    await before.close()

    after = open_host(tmp_path, "host-1")
    try:
        assert {d.instance_id: d.power_state for d in await after.list_domains()} == {
            running: RUNNING,
            paused: PAUSED,
            stopped: SHUTDOWN,
            suspended: SUSPENDED,
        }
        assert (await after.host_info()).vcpus_used == 1 + 2 + 3 + 4
        # And they are real domains again: the suspended one resumes from its image.
        assert await after.resume(suspended) == RUNNING
        assert await after.unpause(paused) == RUNNING
    finally:
        await after.close()


async def test_external_changes_are_saved_for_the_next_restart(
    tmp_path: Path, events: Events
) -> None:
    # A change nobody asked the driver for (here: libvirt directly) still persists,
    # because the driver records every lifecycle event.
    before = open_host(tmp_path, "host-1", events)
    instance_id = await spawned(before)
    before.conn.lookupByUUIDString(instance_id).suspend()
    await next_event(events, lambda e: e.instance_id == instance_id and e.event == "SUSPENDED")
    await before.close()

    after = open_host(tmp_path, "host-1")
    try:
        assert await after.power_state(instance_id) == PAUSED
    finally:
        await after.close()


async def test_closing_twice_is_fine(tmp_path: Path) -> None:
    host = open_host(tmp_path)
    await host.close()
    await host.close()
    with pytest.raises(DriverError, match="closed"):
        await host.list_domains()
