from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from services.state.etcd import Etcd
from services.state.etcd_server import EtcdServer
from services.state.store import Store


@pytest.fixture(scope="module")
def etcd_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EtcdServer]:
    """A real etcd on free loopback ports, in a temporary directory."""
    root: Path = tmp_path_factory.mktemp("etcd")
    server = EtcdServer(root / "data", log_file=root / "etcd.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def store(etcd_server: EtcdServer) -> AsyncIterator[Store]:
    etcd = Etcd(etcd_server.endpoint)
    await etcd.connect()
    # Each test starts from an empty keyspace.
    await etcd.client.delete_prefix(b"/stratus/")
    yield Store(etcd)
    await etcd.close()
