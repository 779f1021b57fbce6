"""The console calls of the REST gateway: shapes, parsing and errors (service layer faked)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from rest_fakes import SERVER_ID, FakeComputeApi, as_admin

from services.api.consoles import check_console_type, console_url, token_key
from services.api.rest import create_app
from services.api.rest.consoles import console_length
from services.api.rest.errors import ApiError
from services.runtime.context import RequestContext
from services.runtime.errors import Conflict, InvalidArgument, NotFound
from stratus.v1 import compute_pb2

URL = "http://127.0.0.1:6080/vnc_lite.html?path=websockify%3Ftoken%3Dabc"


class FakeConsoles:
    """Records calls; unknown servers are NotFound, a stopped one is a Conflict."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def _check(self, server_id: str) -> None:
        if server_id == "stopped":
            raise Conflict("Instance stopped is not running.")
        if server_id != SERVER_ID:
            raise NotFound(f"Instance {server_id} could not be found.")

    async def get_console_output(
        self, ctx: RequestContext, server_id: str, length: int
    ) -> compute_pb2.GetConsoleOutputResponse:
        self.calls.append(("output", server_id, length))
        self._check(server_id)
        return compute_pb2.GetConsoleOutputResponse(output="STRATUS-GUEST-BOOTED\n")

    async def create_remote_console(
        self, ctx: RequestContext, server_id: str, protocol: str, console_type: str
    ) -> compute_pb2.RemoteConsole:
        self.calls.append(("remote", server_id, protocol, console_type))
        check_console_type(protocol, console_type)
        self._check(server_id)
        return compute_pb2.RemoteConsole(protocol=protocol, type=console_type, url=URL)


@pytest.fixture
def consoles() -> FakeConsoles:
    return FakeConsoles()


@pytest.fixture
async def http(consoles: FakeConsoles) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(FakeComputeApi(), as_admin)
    app.state.console_api = consoles
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    # remote-consoles exists from microversion 2.6.
    headers = {"OpenStack-API-Version": "compute 2.6"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", headers=headers
    ) as client:
        yield client


async def test_console_output_answers_with_the_output(
    http: httpx.AsyncClient, consoles: FakeConsoles
) -> None:
    reply = await http.post(
        f"/v2.1/servers/{SERVER_ID}/action", json={"os-getConsoleOutput": {"length": 5}}
    )
    assert reply.status_code == 200
    assert reply.json() == {"output": "STRATUS-GUEST-BOOTED\n"}
    assert consoles.calls == [("output", SERVER_ID, 5)]


@pytest.mark.parametrize(
    ("body", "length"),
    [({}, 0), (None, 0), ({"length": None}, 0), ({"length": -1}, 0), ({"length": "12"}, 12)],
)
async def test_console_output_length_defaults_to_everything(
    http: httpx.AsyncClient, consoles: FakeConsoles, body: Any, length: int
) -> None:
    reply = await http.post(f"/v2.1/servers/{SERVER_ID}/action", json={"os-getConsoleOutput": body})
    assert reply.status_code == 200, reply.text
    assert consoles.calls == [("output", SERVER_ID, length)]


@pytest.mark.parametrize(
    "body",
    [{"length": "ten"}, {"length": -2}, {"length": 1.5}, {"length": True}, {"lines": 3}, [1]],
)
async def test_bad_console_output_requests_are_refused_before_any_call(
    http: httpx.AsyncClient, consoles: FakeConsoles, body: Any
) -> None:
    reply = await http.post(f"/v2.1/servers/{SERVER_ID}/action", json={"os-getConsoleOutput": body})
    assert reply.status_code == 400, reply.text
    assert reply.json()["badRequest"]["message"]
    assert consoles.calls == []


async def test_remote_console_answers_in_novas_shape(
    http: httpx.AsyncClient, consoles: FakeConsoles
) -> None:
    reply = await http.post(
        f"/v2.1/servers/{SERVER_ID}/remote-consoles",
        json={"remote_console": {"protocol": "vnc", "type": "novnc"}},
    )
    assert reply.status_code == 200
    assert reply.json() == {"remote_console": {"protocol": "vnc", "type": "novnc", "url": URL}}


async def test_the_older_vnc_action_gives_the_same_console(http: httpx.AsyncClient) -> None:
    reply = await http.post(
        f"/v2.1/servers/{SERVER_ID}/action", json={"os-getVNCConsole": {"type": "novnc"}}
    )
    assert reply.status_code == 200
    assert reply.json() == {"console": {"type": "novnc", "url": URL}}


@pytest.mark.parametrize(
    "body",
    [
        {"remote_console": {"protocol": "spice", "type": "novnc"}},
        {"remote_console": {"protocol": "vnc", "type": "spice-html5"}},
        {"remote_console": {"protocol": "vnc"}},
        {"remote_console": "vnc"},
        {"console": {"type": "novnc"}},
    ],
)
async def test_unsupported_or_malformed_remote_consoles_are_bad_requests(
    http: httpx.AsyncClient, body: Any
) -> None:
    reply = await http.post(f"/v2.1/servers/{SERVER_ID}/remote-consoles", json=body)
    assert reply.status_code == 400, reply.text


async def test_vnc_action_without_a_type_is_a_bad_request(http: httpx.AsyncClient) -> None:
    reply = await http.post(f"/v2.1/servers/{SERVER_ID}/action", json={"os-getVNCConsole": {}})
    assert reply.status_code == 400


async def test_unknown_server_is_404_and_a_stopped_one_409(http: httpx.AsyncClient) -> None:
    body = {"remote_console": {"protocol": "vnc", "type": "novnc"}}
    assert (await http.post("/v2.1/servers/nope/remote-consoles", json=body)).status_code == 404
    reply = await http.post("/v2.1/servers/stopped/remote-consoles", json=body)
    assert reply.status_code == 409
    assert reply.json()["conflictingRequest"]["message"] == "Instance stopped is not running."


def test_console_length_parsing() -> None:
    assert console_length(None) == 0
    assert console_length(-1) == 0
    assert console_length(" 7 ") == 7
    with pytest.raises(ApiError):
        console_length("-3")


def test_console_url_carries_the_token_in_novncs_path() -> None:
    assert console_url("http://p:6080/vnc_lite.html", "t-1") == (
        "http://p:6080/vnc_lite.html?path=websockify%3Ftoken%3Dt-1"
    )
    assert console_url("http://p/vnc.html?autoconnect=true", "x").endswith(
        "&path=websockify%3Ftoken%3Dx"
    )


def test_only_vnc_through_novnc_is_served() -> None:
    check_console_type("vnc", "novnc")
    for protocol, kind in (("spice", "spice-html5"), ("vnc", "xvpvnc"), ("", "")):
        with pytest.raises(InvalidArgument):
            check_console_type(protocol, kind)


def test_tokens_are_stored_under_their_hash_only() -> None:
    key = token_key("secret-token")
    assert "secret-token" not in key
    assert key == token_key("secret-token") != token_key("secret-token2")


async def test_remote_consoles_begin_at_microversion_2_6(http: httpx.AsyncClient) -> None:
    body = {"remote_console": {"protocol": "vnc", "type": "novnc"}}
    path = f"/v2.1/servers/{SERVER_ID}/remote-consoles"
    old = await http.post(path, json=body, headers={"OpenStack-API-Version": "compute 2.5"})
    assert old.status_code == 404
    assert list(old.json()) == ["itemNotFound"]
    assert (await http.post(path, json=body)).status_code == 200


async def test_remote_consoles_without_a_version_404_naming_the_one_it_needs(
    http: httpx.AsyncClient,
) -> None:
    body = {"remote_console": {"protocol": "vnc", "type": "novnc"}}
    path = f"/v2.1/servers/{SERVER_ID}/remote-consoles"
    reply = await http.post(path, json=body, headers={"OpenStack-API-Version": "compute 2.1"})
    assert reply.status_code == 404
    message = reply.json()["itemNotFound"]["message"]
    assert message.startswith("The resource could not be found.")
    assert "served from compute microversion 2.6" in message
    assert "asked for 2.1" in message
    assert "OpenStack-API-Version: compute 2.6" in message
