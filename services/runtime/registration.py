"""Service registration: each process keeps a record of itself in etcd under a lease.

When the process stops the lease is revoked; when it dies the lease expires after its
TTL. Either way the record disappears and the service shows as gone.
"""

from __future__ import annotations

import uuid

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from services.runtime import grpc_client
from services.runtime.config import CommonConfig
from services.runtime.errors import Unavailable
from services.state import keys
from services.state.etcd import Etcd, LeaseKeeper
from stratus.v1 import types_pb2 as t

VERSION = "0.1.0"


async def register(
    etcd: Etcd,
    binary: str,
    *,
    host: str,
    grpc_endpoint: str,
    metrics_endpoint: str,
    ttl_seconds: int,
    service_id: str = "",
) -> tuple[t.ServiceRecord, LeaseKeeper]:
    """Write this process's record under a kept-alive lease; stop the keeper to deregister."""
    started = Timestamp()
    started.GetCurrentTime()
    record = t.ServiceRecord(
        id=service_id or str(uuid.uuid4()),
        binary=binary,
        host=host,
        grpc_endpoint=grpc_endpoint,
        metrics_endpoint=metrics_endpoint,
        started_at=started,
        version=VERSION,
    )
    key = f"{keys.SERVICES}{binary}/{record.id}"

    async def write(lease_id: int) -> None:
        await etcd.put(key, record.SerializeToString(), lease=lease_id)

    keeper = LeaseKeeper(etcd, ttl_seconds, write)
    await keeper.start()
    return record, keeper


async def register_process(
    etcd: Etcd, binary: str, config: CommonConfig, grpc_port: int, service_id: str = ""
) -> LeaseKeeper:
    """Register a service process as its config describes it; stop the keeper to leave."""
    _, keeper = await register(
        etcd,
        binary,
        host=config.hostname,
        grpc_endpoint=f"{config.bind_host}:{grpc_port}",
        metrics_endpoint=f"{config.bind_host}:{config.metrics_port}" if config.metrics_port else "",
        ttl_seconds=config.service_lease_ttl_seconds,
        service_id=service_id,
    )
    return keeper


async def endpoints_of(etcd: Etcd, binary: str) -> list[str]:
    """gRPC endpoints of the live replicas of `binary`."""
    kvs, _ = await etcd.list(f"{keys.SERVICES}{binary}/")
    endpoints = []
    for kv in kvs:
        record = t.ServiceRecord()
        record.ParseFromString(kv.value)
        if record.grpc_endpoint:
            endpoints.append(record.grpc_endpoint)
    return sorted(endpoints)


class Replicas:
    """A channel to the live replicas of one service, refreshed as they come and go."""

    def __init__(self, etcd: Etcd, binary: str) -> None:
        self.etcd = etcd
        self.binary = binary
        self._endpoints: list[str] = []
        self._channel: grpc.aio.Channel | None = None

    async def channel(self) -> grpc.aio.Channel:
        endpoints = await endpoints_of(self.etcd, self.binary)
        if not endpoints:
            raise Unavailable(f"no {self.binary} is running")
        if endpoints != self._endpoints or self._channel is None:
            if self._channel is not None:
                await self._channel.close()
            self._channel = grpc_client.channel(endpoints)
            self._endpoints = endpoints
        return self._channel

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close()
            self._channel = None
