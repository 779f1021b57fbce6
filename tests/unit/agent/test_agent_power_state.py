"""The libvirt -> power state mapping, row by row as DESIGN.md's table says."""

from __future__ import annotations

import libvirt
import pytest

from services.agent import power_state
from stratus.v1 import types_pb2


@pytest.mark.parametrize(
    ("domain_state", "expected"),
    [
        (libvirt.VIR_DOMAIN_NOSTATE, types_pb2.POWER_STATE_NOSTATE),
        (libvirt.VIR_DOMAIN_RUNNING, types_pb2.POWER_STATE_RUNNING),
        (libvirt.VIR_DOMAIN_BLOCKED, types_pb2.POWER_STATE_RUNNING),
        (libvirt.VIR_DOMAIN_PAUSED, types_pb2.POWER_STATE_PAUSED),
        (libvirt.VIR_DOMAIN_SHUTDOWN, types_pb2.POWER_STATE_SHUTDOWN),
        (libvirt.VIR_DOMAIN_SHUTOFF, types_pb2.POWER_STATE_SHUTDOWN),
        (libvirt.VIR_DOMAIN_CRASHED, types_pb2.POWER_STATE_CRASHED),
        (libvirt.VIR_DOMAIN_PMSUSPENDED, types_pb2.POWER_STATE_SUSPENDED),
    ],
)
def test_domain_state_maps_as_the_table_says(domain_state: int, expected: int) -> None:
    assert power_state.from_domain_state(domain_state) == expected


def test_every_libvirt_domain_state_has_a_row() -> None:
    states = {
        v
        for k, v in vars(libvirt).items()
        if k.startswith("VIR_DOMAIN_")
        and k[len("VIR_DOMAIN_") :]
        in {
            "NOSTATE",
            "RUNNING",
            "BLOCKED",
            "PAUSED",
            "SHUTDOWN",
            "SHUTOFF",
            "CRASHED",
            "PMSUSPENDED",
        }
    }
    assert states == set(power_state.DOMAIN_STATES)


def test_an_unknown_domain_state_is_nostate() -> None:
    assert power_state.from_domain_state(99) == types_pb2.POWER_STATE_NOSTATE


def test_a_shut_off_domain_with_a_managed_save_image_is_suspended() -> None:
    assert power_state.from_domain(libvirt.VIR_DOMAIN_SHUTOFF, has_managed_save=True) == (
        types_pb2.POWER_STATE_SUSPENDED
    )
    assert power_state.from_domain(libvirt.VIR_DOMAIN_SHUTOFF, has_managed_save=False) == (
        types_pb2.POWER_STATE_SHUTDOWN
    )


@pytest.mark.parametrize(
    ("event", "name", "expected"),
    [
        (libvirt.VIR_DOMAIN_EVENT_STARTED, "STARTED", types_pb2.POWER_STATE_RUNNING),
        (libvirt.VIR_DOMAIN_EVENT_RESUMED, "RESUMED", types_pb2.POWER_STATE_RUNNING),
        (libvirt.VIR_DOMAIN_EVENT_SUSPENDED, "SUSPENDED", types_pb2.POWER_STATE_PAUSED),
        (libvirt.VIR_DOMAIN_EVENT_PMSUSPENDED, "PMSUSPENDED", types_pb2.POWER_STATE_SUSPENDED),
        (libvirt.VIR_DOMAIN_EVENT_STOPPED, "STOPPED", types_pb2.POWER_STATE_SHUTDOWN),
        (libvirt.VIR_DOMAIN_EVENT_SHUTDOWN, "SHUTDOWN", types_pb2.POWER_STATE_SHUTDOWN),
        (libvirt.VIR_DOMAIN_EVENT_CRASHED, "CRASHED", types_pb2.POWER_STATE_CRASHED),
        (libvirt.VIR_DOMAIN_EVENT_DEFINED, "DEFINED", None),
        (libvirt.VIR_DOMAIN_EVENT_UNDEFINED, "UNDEFINED", None),
    ],
)
def test_lifecycle_event_implies_a_power_state_and_has_a_name(
    event: int, name: str, expected: int | None
) -> None:
    assert power_state.from_event(event) == expected
    assert power_state.event_name(event) == name
