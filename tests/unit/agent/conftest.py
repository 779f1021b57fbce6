"""Fixtures for agent tests: simulated hosts on libvirt's real test driver, no mocks.

libvirt accepts one event-loop implementation per process, so every async agent test runs
in the session's event loop (`pytestmark = pytest.mark.asyncio(loop_scope="session")`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from agent_helpers import open_host

from services.agent.libvirt_driver import LibvirtDriver
from stratus.v1 import agent_pb2


@pytest_asyncio.fixture(loop_scope="session")
async def events() -> asyncio.Queue[agent_pb2.PowerStateEvent]:
    return asyncio.Queue()


@pytest_asyncio.fixture(loop_scope="session")
async def driver(
    tmp_path: Path, events: asyncio.Queue[agent_pb2.PowerStateEvent]
) -> AsyncIterator[LibvirtDriver]:
    host = open_host(tmp_path, "host-1", events)
    yield host
    await host.close()
