"""Fixtures: the recording service layer and a gateway client over it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from rest_fakes import FakeComputeApi, as_admin

from services.api.rest import create_app


@pytest.fixture
def compute() -> FakeComputeApi:
    return FakeComputeApi()


@pytest.fixture
async def client(compute: FakeComputeApi) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the gateway over `compute`, links pointing at http://cloud.example:8774."""
    app = create_app(compute, as_admin, public_url="http://cloud.example:8774")
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
