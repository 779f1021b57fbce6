"""The scheduler request a boot resolves to: hints and group members become hosts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from services.state.placement import placement_request
from services.state.repository import Versioned
from services.state.store import Store
from stratus.v1 import types_pb2 as t


@dataclass
class FakeRepository:
    records: dict[str, Any] = field(default_factory=dict)

    async def get(self, record_id: str) -> Versioned[Any] | None:
        found = self.records.get(record_id)
        return Versioned(record_id, found, 1) if found is not None else None


@dataclass
class FakeStore:
    instances: FakeRepository = field(default_factory=FakeRepository)
    allocations: FakeRepository = field(default_factory=FakeRepository)
    server_groups: FakeRepository = field(default_factory=FakeRepository)
    server_group_placements: FakeRepository = field(default_factory=FakeRepository)


def store_with(
    instances: dict[str, str], claims: dict[str, str], project_id: str = "p"
) -> FakeStore:
    store = FakeStore()
    for instance_id, host in instances.items():
        store.instances.records[instance_id] = t.Instance(
            id=instance_id, host=host, project_id=project_id
        )
    for instance_id, host in claims.items():
        store.allocations.records[instance_id] = t.Allocation(instance_id=instance_id, host=host)
    return store


FLAVOR = t.Flavor(id="1", vcpus=1, ram_mb=512)
IMAGE = t.Image(id="img")


async def test_the_request_carries_the_instance_zone_and_hints() -> None:
    hints = t.SchedulerHints(query='["=", "$host", "h1"]', cidr="/24")
    instance = t.Instance(id="i", project_id="p", availability_zone="az1", scheduler_hints=hints)
    request = await placement_request(cast(Store, FakeStore()), instance, FLAVOR, IMAGE)
    assert (request.instance_id, request.project_id, request.availability_zone) == (
        "i",
        "p",
        "az1",
    )
    assert request.flavor == FLAVOR and request.image == IMAGE and request.hints == hints
    assert not request.HasField("group") and list(request.group_hosts) == []


async def test_hint_servers_become_their_hosts_claims_first() -> None:
    store = store_with({"a": "h1", "b": "", "c": "h3"}, {"b": "h2"})
    hints = t.SchedulerHints(same_host=["a", "b"], different_host=["c", "gone"])
    instance = t.Instance(id="i", project_id="p", scheduler_hints=hints)
    request = await placement_request(cast(Store, store), instance, FLAVOR, IMAGE)
    assert list(request.same_host_hosts) == ["h1", "h2"]
    assert list(request.different_host_hosts) == ["h3"]


async def test_another_projects_server_in_a_hint_is_as_unknown_as_a_missing_one() -> None:
    """A hint naming a stranger's server must not reveal or use where it runs."""
    store = store_with({"theirs": "h1"}, {"theirs": "h1"}, project_id="other")
    hints = t.SchedulerHints(same_host=["theirs"], different_host=["theirs"])
    instance = t.Instance(id="i", project_id="p", scheduler_hints=hints)
    request = await placement_request(cast(Store, store), instance, FLAVOR, IMAGE)
    assert list(request.same_host_hosts) == [] and list(request.different_host_hosts) == []


async def test_the_group_comes_with_the_hosts_of_its_other_claimed_members() -> None:
    store = store_with({}, {})
    group = t.ServerGroup(id="g", policy="anti-affinity", members=["m1", "m2", "m3", "m4", "i"])
    store.server_groups.records["g"] = group
    # Where members are claimed is the group's placement record; m3 is not claimed yet.
    store.server_group_placements.records["g"] = t.ServerGroupPlacement(
        group_id="g", member_hosts={"m1": "h1", "m2": "h1", "m4": "h2", "i": "h9"}
    )
    instance = t.Instance(id="i", server_group_id="g")
    request = await placement_request(cast(Store, store), instance, FLAVOR, IMAGE)
    assert request.group == group
    assert list(request.group_hosts) == ["h1", "h1", "h2"]  # one per member; itself left out


async def test_a_group_with_no_member_claimed_has_no_hosts() -> None:
    store = store_with({"m1": "h1"}, {})
    store.server_groups.records["g"] = t.ServerGroup(id="g", policy="affinity", members=["m1"])
    instance = t.Instance(id="i", server_group_id="g")
    request = await placement_request(cast(Store, store), instance, FLAVOR, IMAGE)
    assert request.HasField("group") and list(request.group_hosts) == []


async def test_a_deleted_group_is_left_out() -> None:
    instance = t.Instance(id="i", server_group_id="g")
    request = await placement_request(cast(Store, FakeStore()), instance, FLAVOR, IMAGE)
    assert not request.HasField("group")
