"""Console tokens in a real etcd: stored under a lease, refused for every stale reason."""

from __future__ import annotations

import time

import pytest

from services.api.consoles import ConsoleApi, ConsoleRefused, token_key
from services.runtime.context import RequestContext
from services.runtime.errors import Conflict, InvalidArgument, NotFound
from services.state.etcd import put
from services.state.store import Store
from stratus.v1 import conductor_pb2
from stratus.v1 import types_pb2 as t

INSTANCE = "0f2b4c6d-8e9f-4a1b-9c3d-5e7f9a1b3c5d"


async def store_token(
    store: Store, token: str, *, expires_in_seconds: float = 60, host: str = "node-1"
) -> None:
    record = conductor_pb2.ConsoleToken(
        instance_id=INSTANCE,
        host=host,
        address="127.0.0.1",
        port=5900,
        protocol="vnc",
        console_type="novnc",
        expires_at_unix_ms=int((time.time() + expires_in_seconds) * 1000),
    )
    lease = await store.etcd.grant_lease(60)
    await store.etcd.txn([], [put(token_key(token), record.SerializeToString(), lease)])


async def add_instance(store: Store, **fields: object) -> None:
    values: dict[str, object] = dict(
        id=INSTANCE,
        name="vm",
        project_id="demo",
        host="node-1",
        vm_state=t.VM_STATE_ACTIVE,
        power_state=t.POWER_STATE_RUNNING,
    )
    values.update(fields)
    await store.instances.create(INSTANCE, t.Instance(**values))  # type: ignore[arg-type]


async def refusal(api: ConsoleApi, token: str) -> str:
    with pytest.raises(ConsoleRefused) as refused:
        await api.authorize(token)
    return refused.value.outcome


async def test_unknown_and_malformed_tokens_are_refused(store: Store) -> None:
    api = ConsoleApi(store)
    assert await refusal(api, "") == "malformed"
    assert await refusal(api, "x" * 500) == "malformed"
    assert await refusal(api, "never-issued") == "unknown"


async def test_an_expired_token_is_refused_and_removed(store: Store) -> None:
    await add_instance(store)
    await store_token(store, "old", expires_in_seconds=-1)
    api = ConsoleApi(store)
    assert await refusal(api, "old") == "expired"
    assert await store.etcd.get(token_key("old")) is None


async def test_a_token_of_a_deleted_or_moved_or_stopped_server_is_refused(store: Store) -> None:
    api = ConsoleApi(store)
    await store_token(store, "t1")
    assert await refusal(api, "t1") == "deleted"
    await add_instance(store, host="node-2")
    assert await refusal(api, "t1") == "moved"

    def stopped(instance: t.Instance) -> None:
        instance.host = "node-1"
        instance.vm_state = t.VM_STATE_STOPPED
        instance.power_state = t.POWER_STATE_SHUTDOWN

    await store.instances.update(INSTANCE, stopped)
    assert await refusal(api, "t1") == "not_running"

    def deleting(instance: t.Instance) -> None:
        instance.vm_state = t.VM_STATE_ACTIVE
        instance.power_state = t.POWER_STATE_RUNNING
        instance.task_state = t.TASK_STATE_DELETING

    await store.instances.update(INSTANCE, deleting)
    assert await refusal(api, "t1") == "deleted"


async def test_a_running_server_whose_host_is_unreachable_is_not_connected_to(
    store: Store,
) -> None:
    # Nothing vouches for the VNC port without the host's agent: refuse, never guess.
    await add_instance(store)
    await store_token(store, "t2")
    assert await refusal(ConsoleApi(store), "t2") == "unchecked"


async def test_consoles_of_missing_other_project_and_stopped_servers(store: Store) -> None:
    api = ConsoleApi(store)
    member = RequestContext(project_id="other", roles=("member",))
    with pytest.raises(NotFound):
        await api.create_remote_console(RequestContext(), "no-such-server", "vnc", "novnc")
    await add_instance(store, vm_state=t.VM_STATE_STOPPED, power_state=t.POWER_STATE_SHUTDOWN)
    with pytest.raises(NotFound):
        await api.create_remote_console(member, INSTANCE, "vnc", "novnc")
    with pytest.raises(Conflict):
        await api.create_remote_console(RequestContext(), INSTANCE, "vnc", "novnc")
    with pytest.raises(InvalidArgument):
        await api.create_remote_console(RequestContext(), INSTANCE, "spice", "spice-html5")
    with pytest.raises(InvalidArgument):
        await api.get_console_output(RequestContext(), INSTANCE, -1)
