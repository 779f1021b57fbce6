"""Hostile and malformed input: every refusal is a 400 (or 413, 415) with a message, or
INVALID_ARGUMENT over gRPC; nothing reaches the service layer that it could not store.

The bounds are Nova's (nova/api/validation/parameter_types.py, the flavor, quota and action
schemas in nova/api/openstack/compute/schemas/), the tables below are read from them.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc
import httpx
import pytest
from rest_fakes import SERVER_ID, FakeComputeApi

from services.api import quotas as quota_rules
from services.api import validation
from services.api.rest import consoles, parsing, quotas
from services.api.rest.app import FAULT_RESPONSES
from services.runtime.errors import InvalidArgument
from services.runtime.grpc_server import ServiceInterceptor
from stratus.v1 import types_pb2

INT32_MAX = 2**31 - 1
BOOT = {"server": {"name": "web", "flavorRef": "1", "imageRef": "img-1"}}


def bad_request(response: httpx.Response) -> str:
    """The message of a Nova 400 fault; fails if the response is anything else."""
    assert response.status_code == 400, response.text
    body = response.json()
    assert list(body) == ["badRequest"]
    message: str = body["badRequest"]["message"]
    assert message
    return message


def called(compute: FakeComputeApi, method: str) -> bool:
    return any(name == method for name, _, _ in compute.calls)


# ---------------------------------------------------------------------------- JSON bodies


async def test_a_body_nested_ten_thousand_deep_is_a_400_not_a_crash(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    body = b"[" * 10_000 + b"]" * 10_000
    response = await client.post(
        "/v2.1/servers", content=body, headers={"content-type": "application/json"}
    )
    assert "nest more than 32 levels" in bad_request(response)
    assert not called(compute, "create_servers")


@pytest.mark.parametrize(("depth", "refused"), [(32, False), (33, True)])
def test_json_nests_at_most_32_levels(depth: int, refused: bool) -> None:
    text = "[" * depth + "]" * depth
    if refused:
        with pytest.raises(parsing.BadRequest, match="nest more than 32"):
            parsing.decode_json(text)
    else:
        assert parsing.decode_json(text) is not None


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    text = '{"name": "' + "[{" * 500 + '\\"[[[", "x": ["]]]]"]}'
    assert parsing.decode_json(text)["x"] == ["]]]]"]


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(constant: str) -> None:
    with pytest.raises(parsing.BadRequest, match=f"{constant} is not a JSON value"):
        parsing.decode_json('{"flavor": {"rxtx_factor": ' + constant + "}}")


@pytest.mark.parametrize(
    "body",
    [
        '{"server": {"name": "web\\ud800", "flavorRef": "1", "imageRef": "img-1"}}',
        '{"server": {"name": "web", "flavorRef": "1", "imageRef": "img-1",'
        ' "metadata": {"k\\udfff": "v"}}}',
        '{"server": {"name": "web", "flavorRef": "1", "imageRef": "img-1",'
        ' "metadata": {"k": "\\ud83d"}}}',
    ],
    ids=["name", "metadata key", "metadata value"],
)
async def test_an_unpaired_surrogate_anywhere_is_a_400(
    client: httpx.AsyncClient, compute: FakeComputeApi, body: str
) -> None:
    response = await client.post(
        "/v2.1/servers", content=body.encode(), headers={"content-type": "application/json"}
    )
    assert "unpaired surrogate" in bad_request(response)
    assert not called(compute, "create_servers")


def test_a_surrogate_pair_is_one_valid_character() -> None:
    assert parsing.decode_json('{"name": "\\ud83d\\ude00"}') == {"name": "\U0001f600"}


async def test_a_body_over_novas_size_limit_is_a_413(client: httpx.AsyncClient) -> None:
    body = b'{"server": {"name": "' + b"x" * parsing.MAX_BODY_BYTES + b'"}}'
    response = await client.post(
        "/v2.1/servers", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert "too large" in response.json()["overLimit"]["message"]


# ---------------------------------------------------------------------------- paging


@pytest.mark.parametrize("limit", [str(INT32_MAX + 1), "9" * 5000, "-1", "1.5", "\u0663", "ten"])
@pytest.mark.parametrize("path", ["/v2.1/servers", "/v2.1/servers/detail"])
async def test_a_limit_that_is_not_a_non_negative_int32_is_a_400(
    client: httpx.AsyncClient, compute: FakeComputeApi, path: str, limit: str
) -> None:
    response = await client.get(path, params={"limit": limit})
    assert "limit param must" in bad_request(response)
    assert not called(compute, "list_servers")


async def test_the_largest_int32_limit_is_a_page_size(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    response = await client.get("/v2.1/servers", params={"limit": str(INT32_MAX)})
    assert response.status_code == 200
    assert compute.last("list_servers")[0].limit == INT32_MAX


async def test_limit_zero_is_an_empty_page_as_in_nova(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    response = await client.get("/v2.1/servers/detail", params={"limit": "0"})
    assert response.status_code == 200
    assert response.json() == {"servers": []}


FLAVOR_IDS = ["1", "2", "3"]


@pytest.mark.parametrize("path", ["/v2.1/flavors", "/v2.1/flavors/detail"])
async def test_flavors_are_paged_by_marker_and_limit_as_in_nova(
    client: httpx.AsyncClient, compute: FakeComputeApi, path: str
) -> None:
    compute.flavors = [
        types_pb2.Flavor(id=i, name=f"f{i}", vcpus=1, ram_mb=512, disk_gb=1, is_public=True)
        for i in FLAVOR_IDS
    ]
    empty = await client.get(path, params={"limit": "0"})
    assert empty.status_code == 200 and empty.json()["flavors"] == []
    first = (await client.get(path, params={"limit": "2"})).json()
    assert [f["id"] for f in first["flavors"]] == ["1", "2"]
    assert "marker=2" in first["flavors_links"][0]["href"]
    rest = (await client.get(path, params={"limit": "2", "marker": "2"})).json()
    assert [f["id"] for f in rest["flavors"]] == ["3"] and "flavors_links" not in rest
    assert "Marker nope could not be found." in bad_request(
        await client.get(path, params={"marker": "nope"})
    )
    for limit in (str(INT32_MAX + 1), "-1", "abc"):
        assert "limit param must" in bad_request(await client.get(path, params={"limit": limit}))


async def test_server_groups_are_paged_by_offset_and_limit_as_in_nova(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    compute.groups = [
        types_pb2.ServerGroup(id=f"g{i}", name=f"g{i}", policy="affinity") for i in range(4)
    ]
    page = await client.get("/v2.1/os-server-groups", params={"offset": "1", "limit": "2"})
    assert [g["id"] for g in page.json()["server_groups"]] == ["g1", "g2"]
    empty = await client.get("/v2.1/os-server-groups", params={"limit": "0"})
    assert empty.json()["server_groups"] == []
    for key, value in (("limit", "abc"), ("offset", "-1"), ("limit", str(INT32_MAX + 1))):
        assert f"{key} param must" in bad_request(
            await client.get("/v2.1/os-server-groups", params={key: value})
        )


async def test_limit_zero_is_an_empty_page_of_hypervisors(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    from stratus.v1 import compute_pb2

    compute.hosts = [compute_pb2.HostView(host=types_pb2.Host(name="node-1"), up=True)]
    response = await client.get(
        "/v2.1/os-hypervisors",
        params={"limit": "0"},
        headers={"OpenStack-API-Version": "compute 2.53"},
    )
    assert response.status_code == 200
    assert response.json()["hypervisors"] == []


async def test_a_hypervisor_limit_beyond_int32_is_a_400(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/v2.1/os-hypervisors",
        params={"limit": str(2**63)},
        headers={"OpenStack-API-Version": "compute 2.53"},
    )
    assert "limit param must be at most" in bad_request(response)


@pytest.mark.parametrize(
    "moment", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-23:59", "yesterday"]
)
@pytest.mark.parametrize("key", ["changes-since", "changes-before"])
async def test_a_time_outside_the_calendar_is_a_400(
    client: httpx.AsyncClient, compute: FakeComputeApi, key: str, moment: str
) -> None:
    response = await client.get(
        "/v2.1/servers", params={key: moment}, headers={"OpenStack-API-Version": "compute 2.66"}
    )
    assert f"query parameter {key}" in bad_request(response)
    assert not called(compute, "list_servers")


# ---------------------------------------------------------------------------- flavors


def flavor_body(**fields: Any) -> dict[str, Any]:
    return {"flavor": {"name": "f", "ram": 512, "vcpus": 1, "disk": 1, **fields}}


# Nova's flavor_param_positive / flavor_param_non_negative: integers or digit strings,
# from 1 (ram, vcpus) or 0 (disk, ephemeral, swap) up to 2147483647.
FLAVOR_INTEGERS = [
    ("ram", INT32_MAX, True),
    ("ram", INT32_MAX + 1, False),
    ("ram", str(INT32_MAX + 1), False),
    ("ram", "9" * 5000, False),
    ("ram", 0, False),
    ("vcpus", 2**63, False),
    ("vcpus", "\u0663", False),
    ("vcpus", "3", True),
    ("disk", 0, True),
    ("disk", -1, False),
    ("OS-FLV-EXT-DATA:ephemeral", INT32_MAX + 1, False),
    ("swap", 2**40, False),
    ("swap", 0, True),
]


@pytest.mark.parametrize(("field", "value", "accepted"), FLAVOR_INTEGERS)
async def test_flavor_integers_are_bounded_as_in_nova(
    client: httpx.AsyncClient, compute: FakeComputeApi, field: str, value: Any, accepted: bool
) -> None:
    response = await client.post("/v2.1/flavors", json=flavor_body(**{field: value}))
    if accepted:
        assert response.status_code == 200, response.text
    else:
        assert f"field/attribute {field}" in bad_request(response)
        assert not called(compute, "create_flavor")


# Nova's rxtx_factor: a number or a decimal string, above 0, at most 3.40282e+38.
RXTX_FACTORS = [
    (1.5, True),
    ("2.0", True),
    (3.40282e38, True),
    (1e-9, True),
    (0, False),
    (-1, False),
    (1e300, False),
    ("Infinity", False),
    ("NaN", False),
    ("1e5", False),
    (True, False),
]


@pytest.mark.parametrize(("value", "accepted"), RXTX_FACTORS)
async def test_rxtx_factor_is_a_finite_positive_number(
    client: httpx.AsyncClient, compute: FakeComputeApi, value: Any, accepted: bool
) -> None:
    response = await client.post("/v2.1/flavors", json=flavor_body(rxtx_factor=value))
    if accepted:
        assert response.status_code == 200, response.text
        sent = compute.last("create_flavor")[0]
        assert math.isfinite(sent.rxtx_factor) and sent.rxtx_factor > 0
    else:
        assert "field/attribute rxtx_factor" in bad_request(response)


def _flavor(**fields: Any) -> types_pb2.Flavor:
    spec: dict[str, Any] = dict(name="f", vcpus=1, ram_mb=512, disk_gb=1)
    spec.update(fields)
    return types_pb2.Flavor(**spec)


@pytest.mark.parametrize(
    "fields",
    [
        dict(ram_mb=INT32_MAX + 1),
        dict(disk_gb=2**62),
        dict(ephemeral_gb=-1),
        dict(swap_mb=2**40),
        dict(vcpus=0),
        dict(rxtx_factor=math.nan),
        dict(rxtx_factor=math.inf),
        dict(rxtx_factor=-0.5),
        dict(id="a/b"),
        dict(id=" lead"),
        dict(id="ctl\x07"),
        dict(name="tab\tname"),
        dict(description="bell\x07"),
    ],
)
def test_the_service_layer_refuses_flavors_nova_would_not_store(fields: dict[str, Any]) -> None:
    with pytest.raises(InvalidArgument):
        validation.check_flavor(_flavor(**fields))


def test_the_largest_flavor_nova_stores_is_accepted() -> None:
    largest = _flavor(
        id="m1.huge 2",
        vcpus=INT32_MAX,
        ram_mb=INT32_MAX,
        disk_gb=INT32_MAX,
        ephemeral_gb=INT32_MAX,
        swap_mb=INT32_MAX,
        rxtx_factor=3.4e38,
    )
    assert validation.check_flavor(largest) is largest


# ---------------------------------------------------------------------------- quotas


@pytest.mark.parametrize("value", ["9" * 5000, "-" + "9" * 5000, 10**30])
def test_a_quota_limit_of_any_size_is_read_without_overflow(value: Any) -> None:
    limits, _ = quotas.quota_update({"quota_set": {"cores": value}})
    with pytest.raises(InvalidArgument, match="must be -1 \\(unlimited\\) or between 0"):
        quota_rules.check_limits(limits)


def test_quota_limits_are_bounded_as_in_nova() -> None:
    assert quota_rules.check_limits({"cores": -1, "ram": INT32_MAX}) == {
        "cores": -1,
        "ram": INT32_MAX,
    }
    for limit in (-2, INT32_MAX + 1):
        with pytest.raises(InvalidArgument):
            quota_rules.check_limits({"cores": limit})


def test_servers_that_fit_cannot_overflow_at_the_bounds() -> None:
    """The largest limits and flavors: the count stays exact (Python integers), and no
    more servers fit than the limit allows."""
    fit = quota_rules.servers_that_fit(
        {"instances": INT32_MAX, "cores": INT32_MAX, "ram": INT32_MAX},
        {"instances": 0, "cores": 0, "ram": INT32_MAX - 1},
        {"instances": 1, "cores": INT32_MAX, "ram": INT32_MAX},
        100,
    )
    assert fit == 0


# ---------------------------------------------------------------------------- actions

# The power actions take no argument: null (what the OpenStack clients send) or an empty
# object; anything else is a 400 (Nova's schemas are `{}` today, with a note that they mean
# to restrict the value to null). Reboot is an object with exactly `type`, one of six
# spellings, as in Nova.
ACTIONS = [
    ({"suspend": None}, 202),
    ({"suspend": "x"}, 400),
    ({"resume": {}}, 202),
    ({"resume": {"now": True}}, 400),
    ({"pause": 1}, 400),
    ({"unpause": []}, 400),
    ({"os-start": None}, 202),
    ({"os-stop": 1}, 400),
    ({"os-stop": None}, 202),
    ({"reboot": {"type": "HARD"}}, 202),
    ({"reboot": {"type": "Soft"}}, 202),
    ({"reboot": {"type": "soft"}}, 202),
    ({"reboot": "x"}, 400),
    ({"reboot": None}, 400),
    ({"reboot": {}}, 400),
    ({"reboot": {"type": "hArD"}}, 400),
    ({"reboot": {"type": 1}}, 400),
    ({"reboot": {"type": "HARD", "force": True}}, 400),
    ({"suspend": None, "resume": None}, 400),
    ({"os-migrate": None}, 400),
]


@pytest.mark.parametrize(("body", "status"), ACTIONS)
async def test_action_bodies_are_read_as_novas_schemas_read_them(
    client: httpx.AsyncClient, compute: FakeComputeApi, body: dict[str, Any], status: int
) -> None:
    response = await client.post(f"/v2.1/servers/{SERVER_ID}/action", json=body)
    assert response.status_code == status, response.text
    if status == 400:
        assert bad_request(response)
        assert not called(compute, "server_action")


def test_a_console_length_beyond_any_log_means_all_of_it() -> None:
    assert consoles.console_length(2**70) == 0
    assert consoles.console_length("9" * 5000) == 0
    assert consoles.console_length("25") == 25
    with pytest.raises(parsing.BadRequest):
        consoles.console_length(-2)


# ---------------------------------------------------------------------------- text


@pytest.mark.parametrize(
    "name",
    ["nul\x00", "bell\x07", "esc\x1b[31m", "del\x7f", "line\u2028sep", "bidi\u202e", "\ud800"],
)
def test_names_with_characters_nova_does_not_print_are_refused(name: str) -> None:
    with pytest.raises(InvalidArgument, match="non-printable character U\\+"):
        validation.check_name("Server", "x" + name)


@pytest.mark.parametrize("name", ["web 1", "caf\u00e9", "\u6771\u4eac", "a\u00a0b"])
def test_printable_names_are_accepted(name: str) -> None:
    assert validation.check_name("Server", name) == name


@pytest.mark.parametrize("key", ["k\x00", "k\x07", "k/v", "k\u00e9", "", "k" * 256])
def test_metadata_keys_are_novas_characters(key: str) -> None:
    with pytest.raises(InvalidArgument, match="metadata key"):
        validation.check_metadata({key: "v"})


@pytest.mark.parametrize("value", ["v\x00", "v\x1b", "v\ud800"])
def test_metadata_values_hold_no_control_characters(value: str) -> None:
    with pytest.raises(InvalidArgument, match="control character"):
        validation.check_metadata({"k": value})


async def test_aggregate_metadata_is_checked_as_server_metadata() -> None:
    """Nova's aggregate metadata is its `metadata_with_null` type: the same keys."""
    from services.api.aggregates import AggregateOps
    from services.runtime.context import RequestContext

    class Aggregates(AggregateOps):
        store = None  # type: ignore[assignment]

    admin = RequestContext(request_id="req-1", roles=("admin",))
    for metadata in ({"k\x01": "v"}, {"k": "v\x00"}):
        with pytest.raises(InvalidArgument):
            await Aggregates().set_aggregate_metadata(admin, "agg-1", metadata)


def test_metadata_values_may_hold_tabs_and_line_breaks() -> None:
    validation.check_metadata({"role.name_1:x y-z": "two\nlines\tand\r\n"})


async def test_a_metadata_value_that_is_not_a_string_is_a_400(
    client: httpx.AsyncClient, compute: FakeComputeApi
) -> None:
    body = {"server": {**BOOT["server"], "metadata": {"k": 1}}}
    response = await client.post("/v2.1/servers", json=body)
    assert "is not of type 'string'" in bad_request(response)
    assert not called(compute, "create_servers")


@pytest.mark.parametrize("depth", [33, 5000])
def test_a_json_hint_nested_too_deep_is_refused(depth: int) -> None:
    with pytest.raises(InvalidArgument, match="nests more than 32 levels"):
        validation.check_json_document("scheduler hint query", "[" * depth + "]" * depth)


def test_a_json_hint_within_the_depth_is_parsed() -> None:
    query = '["and", [">=", "$free_ram_mb", 1024], [">=", "$free_disk_mb", 200]]'
    assert validation.check_json_document("scheduler hint query", query)


# ---------------------------------------------------------------------------- OpenAPI


async def openapi(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


async def test_no_operation_documents_a_422_the_gateway_never_answers(
    client: httpx.AsyncClient,
) -> None:
    document = await openapi(client)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert "422" not in operation["responses"], (method, path)
            for status in FAULT_RESPONSES:
                assert status in operation["responses"], (method, path, status)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("delete", "/v2.1/flavors/{flavor_id}", "202"),
        ("post", "/v2.1/servers/{server_id}/action", "202"),
        ("delete", "/v2.1/os-quota-sets/{project_id}", "202"),
        ("delete", "/v2.1/servers/{server_id}", "204"),
        ("put", "/v2.1/servers/{server_id}/tags/{tag}", "204"),
        ("delete", "/v2.1/os-aggregates/{aggregate_id}", "200"),
        ("delete", "/v2.1/flavors/{flavor_id}/os-extra_specs/{key}", "200"),
    ],
)
async def test_answers_without_a_body_document_no_content_type(
    client: httpx.AsyncClient, method: str, path: str, status: str
) -> None:
    document = await openapi(client)
    entry = document["paths"][path][method]["responses"][status]
    assert not entry.get("content"), entry


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("DELETE", "/v2.1/flavors/1", None),
        ("POST", f"/v2.1/servers/{SERVER_ID}/action", {"os-stop": None}),
        ("DELETE", f"/v2.1/servers/{SERVER_ID}", None),
    ],
)
async def test_answers_without_a_body_carry_no_content_type(
    client: httpx.AsyncClient, method: str, path: str, body: Any
) -> None:
    response = await client.request(method, path, json=body)
    assert response.status_code in (202, 204), response.text
    assert response.content == b""
    assert "content-type" not in response.headers


async def test_the_boot_answer_documents_json(client: httpx.AsyncClient) -> None:
    document = await openapi(client)
    entry = document["paths"]["/v2.1/servers"]["post"]["responses"]["202"]
    assert "application/json" in entry["content"]
    response = await client.post("/v2.1/servers", json=BOOT)
    assert response.status_code == 202
    assert response.headers["content-type"] == "application/json"


# ---------------------------------------------------------------------------- gRPC decoding


def _raw(method: str) -> str:
    return f"/test.Echo/{method}"


def _echo_handlers() -> grpc.GenericRpcHandler:
    """A service of each of gRPC's four kinds whose requests are Flavor messages."""
    decode: Callable[[bytes], Any] = types_pb2.Flavor.FromString
    encode: Callable[[Any], bytes] = types_pb2.Flavor.SerializeToString

    async def unary(request: types_pb2.Flavor, _: Any) -> types_pb2.Flavor:
        return request

    async def server_stream(request: types_pb2.Flavor, _: Any) -> AsyncIterator[types_pb2.Flavor]:
        yield request

    async def client_stream(requests: AsyncIterator[types_pb2.Flavor], _: Any) -> types_pb2.Flavor:
        last = types_pb2.Flavor()
        async for request in requests:
            last = request
        return last

    async def both(
        requests: AsyncIterator[types_pb2.Flavor], _: Any
    ) -> AsyncIterator[types_pb2.Flavor]:
        async for request in requests:
            yield request

    async def swallowing(requests: AsyncIterator[types_pb2.Flavor], _: Any) -> types_pb2.Flavor:
        """A stream method that swallows its stream's errors (as a hub might)."""
        try:
            async for _request in requests:
                pass
        except Exception:
            pass
        return types_pb2.Flavor(name="swallowed")

    kinds = {
        "Unary": grpc.unary_unary_rpc_method_handler(unary, decode, encode),
        "ServerStream": grpc.unary_stream_rpc_method_handler(server_stream, decode, encode),
        "ClientStream": grpc.stream_unary_rpc_method_handler(client_stream, decode, encode),
        "Both": grpc.stream_stream_rpc_method_handler(both, decode, encode),
        "Swallowing": grpc.stream_unary_rpc_method_handler(swallowing, decode, encode),
    }
    return grpc.method_handlers_generic_handler("test.Echo", kinds)


@pytest.fixture
async def echo() -> AsyncIterator[grpc.aio.Channel]:
    server = grpc.aio.server(interceptors=[ServiceInterceptor()])
    server.add_generic_rpc_handlers((_echo_handlers(),))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield channel
    finally:
        await channel.close()
        await server.stop(None)


UNDECODABLE = b"\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
GOOD = types_pb2.Flavor(name="ok").SerializeToString()


def _identity(raw: bytes) -> bytes:
    return raw


async def _status_of(call: Any) -> grpc.StatusCode:
    try:
        result = call
        if hasattr(result, "__aiter__"):
            async for _ in result:
                pass
        else:
            await result
    except grpc.aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK


async def _many(*payloads: bytes) -> AsyncIterator[bytes]:
    for payload in payloads:
        yield payload


@pytest.mark.parametrize(("payload", "status"), [(UNDECODABLE, "INVALID_ARGUMENT"), (GOOD, "OK")])
@pytest.mark.parametrize("kind", ["Unary", "ServerStream", "ClientStream", "Both", "Swallowing"])
async def test_a_request_that_does_not_decode_is_an_invalid_argument_for_every_kind(
    echo: grpc.aio.Channel, kind: str, payload: bytes, status: str
) -> None:
    path = _raw(kind)
    if kind == "Unary":
        call: Any = echo.unary_unary(path, _identity, _identity)(payload, timeout=5)
    elif kind == "ServerStream":
        call = echo.unary_stream(path, _identity, _identity)(payload, timeout=5)
    elif kind in ("ClientStream", "Swallowing"):
        call = echo.stream_unary(path, _identity, _identity)(_many(GOOD, payload), timeout=5)
    else:
        call = echo.stream_stream(path, _identity, _identity)(_many(GOOD, payload), timeout=5)
    assert (await _status_of(call)).name == status
