"""The hint forms Nova's schema accepts reach the service as given: a netmask `cidr`."""

from __future__ import annotations

import re

import httpx
import pytest
from rest_fakes import FakeComputeApi

from services.api.rest.server_requests import CREATE_SCHEMA

BOOT = {"server": {"name": "web", "flavorRef": "1", "imageRef": "img-1"}}
CIDR_PATTERN = CREATE_SCHEMA["properties"]["os:scheduler_hints"]["properties"]["cidr"]["pattern"]  # type: ignore[index]


@pytest.mark.parametrize("cidr", ["/24", "/255.255.255.0", "/0.0.0.255", "/32"])
async def test_a_prefix_or_a_netmask_cidr_is_accepted(
    client: httpx.AsyncClient, compute: FakeComputeApi, cidr: str
) -> None:
    assert re.search(CIDR_PATTERN, cidr), "the documented schema admits it"
    hints = {"build_near_host_ip": "10.0.0.1", "cidr": cidr}
    reply = await client.post("/v2.1/servers", json={**BOOT, "os:scheduler_hints": hints})
    assert reply.status_code == 202, reply.text
    (request,) = compute.last("create_servers")
    assert request.hints.cidr == cidr


@pytest.mark.parametrize("cidr", ["24", "/", "/24 ", "/x-1"])
def test_the_documented_cidr_pattern_is_novas(cidr: str) -> None:
    # Nova's servers schema: '^/[0-9a-f.:]+$' (the service checks the network itself).
    assert not re.search(CIDR_PATTERN, cidr)
