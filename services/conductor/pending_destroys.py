"""Destroys that wait for their host: durable in etcd until the host's agent confirms them.

A server deleted while its host is unreachable loses its records at once (Nova's local
delete), but its domain may still run there. So that it cannot outlive its server, the
delete writes `<prefix><host>/<instance id>` (the value: the request id that asked) in the
same transaction that removes the record. Whenever the host's agent connects, and at once
if it is already back, a conductor sends the destroy and removes the key only after the
agent answered that the domain is gone. A conductor that dies meanwhile leaves the key for
the next one; destroying twice is safe. Every conductor also looks for destroys owed by the
hosts it holds now and then: the delete may have run on another replica.

The resync after every connect is the second net: any domain no server owns is destroyed.
"""

from __future__ import annotations

import structlog

from services.conductor.agents import AgentHub
from services.state import etcd, keys
from services.state.store import Store
from stratus.v1 import agent_pb2
from stratus.v1 import types_pb2 as t

log = structlog.get_logger(__name__)

PREFIX = keys.PENDING_DESTROYS


def key(host: str, instance_id: str) -> str:
    return f"{PREFIX}{host}/{instance_id}"


def put_op(host: str, instance_id: str, request_id: str) -> object:
    """The write that records a destroy owed to `host`, for a transaction."""
    return etcd.put(key(host, instance_id), request_id.encode())


async def pending(store: Store, host: str) -> list[str]:
    """The instance ids whose domains `host` still has to destroy."""
    kvs, _ = await store.etcd.list(f"{PREFIX}{host}/")
    return [kv.key.rsplit("/", 1)[-1] for kv in kvs]


async def hosts_owing(store: Store) -> set[str]:
    """Every host that still owes a destroy."""
    kvs, _ = await store.etcd.list(PREFIX)
    return {kv.key[len(PREFIX) :].split("/", 1)[0] for kv in kvs}


async def carry_out(store: Store, hub: AgentHub, host: str, timeout_seconds: float) -> int:
    """Send every destroy owed to `host`; forget each the agent confirmed. How many."""
    kvs, _ = await store.etcd.list(f"{PREFIX}{host}/")
    done = 0
    for kv in kvs:
        instance_id = kv.key.rsplit("/", 1)[-1]
        found = await store.instances.get(instance_id)
        if (
            found is not None
            and found.message.host == host
            and found.message.vm_state != t.VM_STATE_DELETED
        ):
            # A server lives on this host under that id: its domain is no orphan.
            await store.etcd.delete_key(kv.key)
            continue
        result = await hub.command(
            host,
            agent_pb2.Command.OP_DESTROY,
            instance_id,
            request_id=kv.value.decode() or f"req-pending-destroy-{host}",
            timeout_seconds=timeout_seconds,
        )
        if not result.ok:
            log.warning(
                "pending destroy failed; kept for the next connect",
                host=host,
                instance_id=instance_id,
                error=result.error,
            )
            continue
        await store.etcd.delete_key(kv.key)
        done += 1
        log.info("pending destroy carried out", host=host, instance_id=instance_id)
    return done
