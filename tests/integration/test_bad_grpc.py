"""Malformed gRPC calls against a real cloud: bytes that are not the method's message, and
messages whose fields are out of bounds, are INVALID_ARGUMENT (never INTERNAL or UNKNOWN),
and the cloud's stored state is the same afterwards."""

from __future__ import annotations

import base64
import json
import math
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from google.protobuf.message import Message

from services.api.validation import MAX_JSON_DEPTH
from services.runtime import grpc_client
from stratus.v1 import compute_pb2, identity_pb2, types_pb2
from tests.integration.cloud import Cloud
from tests.integration.helpers import Stub

# What a request changes when it is wrongly accepted: every kind a user's call writes.
STORED_KINDS = (
    "instances/",
    "instance_actions/",
    "flavors/",
    "flavor_access/",
    "images/",
    "tasks/",
    "aggregates/",
    "server_groups/",
    "quotas/",
    "quota_usage/",
    "quota_charges/",
    "allocations/",
    "projects/",
    "users/",
    "role_assignments/",
)

# Bytes no protobuf message decodes: a field tag whose varint never ends.
TRUNCATED = b"\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"


def stored_state(cloud: Cloud) -> dict[bytes, tuple[bytes, int]]:
    """Every key of the kinds a user's call writes, with its value and mod revision, read
    from etcd itself."""
    assert cloud.etcd is not None
    etcdctl = Path(sys.executable).with_name("etcdctl")
    listing = subprocess.run(
        [
            str(etcdctl),
            "--endpoints",
            cloud.etcd.endpoint,
            "get",
            "--prefix",
            "/stratus/v1/",
            "--write-out",
            "json",
        ],
        check=True,
        capture_output=True,
        timeout=30,
    ).stdout
    kinds = tuple(f"/stratus/v1/{kind}".encode() for kind in STORED_KINDS)
    state = {}
    for pair in json.loads(listing).get("kvs", []):
        key = base64.b64decode(pair["key"])
        if key.startswith(kinds):
            state[key] = (base64.b64decode(pair.get("value", "")), int(pair["mod_revision"]))
    return state


@pytest.fixture
async def raw_channel(cloud: Cloud) -> AsyncIterator[grpc.aio.Channel]:
    channel = grpc_client.channel(cloud.api_target, token=cloud.admin.token)
    try:
        yield channel
    finally:
        await channel.close()


async def call_raw(channel: grpc.aio.Channel, method: str, payload: bytes) -> grpc.StatusCode:
    """Send `payload` as the request of `method` (as it is on the wire); the status."""
    call = channel.unary_unary(
        method,
        request_serializer=lambda raw: raw,
        response_deserializer=lambda raw: raw,
    )
    try:
        await call(payload, timeout=10)
    except grpc.aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK


def invalid_utf8_in(message_type: type[Message], field: str) -> bytes:
    """A message of `message_type` whose string `field` holds bytes that are not UTF-8."""
    number = message_type.DESCRIPTOR.fields_by_name[field].number
    value = b"web-\xff\xfe"
    return bytes([number << 3 | 2, len(value)]) + value


UNDECODABLE_CALLS = [
    ("/stratus.v1.Compute/CreateServers", TRUNCATED),
    (
        "/stratus.v1.Compute/CreateServers",
        invalid_utf8_in(compute_pb2.CreateServersRequest, "name"),
    ),
    ("/stratus.v1.Compute/CreateFlavor", TRUNCATED),
    ("/stratus.v1.Compute/UpdateQuotaSet", TRUNCATED),
    ("/stratus.v1.Compute/ListServers", TRUNCATED),
    ("/stratus.v1.Compute/DeleteServer", invalid_utf8_in(compute_pb2.DeleteServerRequest, "id")),
    ("/stratus.v1.Compute/CreateAggregate", b"\xff"),
    ("/stratus.v1.Identity/CreateProject", TRUNCATED),
    (
        "/stratus.v1.Identity/Authenticate",
        invalid_utf8_in(identity_pb2.AuthenticateRequest, "user_name"),
    ),
    ("/grpc.health.v1.Health/Check", TRUNCATED),
]


@pytest.mark.parametrize(("method", "payload"), UNDECODABLE_CALLS)
async def test_a_message_that_does_not_decode_is_an_invalid_argument(
    cloud: Cloud, seeded: Stub, raw_channel: grpc.aio.Channel, method: str, payload: bytes
) -> None:
    before = stored_state(cloud)
    assert before, "the seeded flavors, image and quota are in the listing"
    assert await call_raw(raw_channel, method, payload) == grpc.StatusCode.INVALID_ARGUMENT
    assert stored_state(cloud) == before


async def test_a_streamed_answer_to_an_undecodable_request_is_an_invalid_argument(
    raw_channel: grpc.aio.Channel,
) -> None:
    watch = raw_channel.unary_stream(
        "/stratus.v1.Compute/WatchServers",
        request_serializer=lambda raw: raw,
        response_deserializer=lambda raw: raw,
    )
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        async for _ in watch(TRUNCATED, timeout=10):
            pass
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def _flavor(**fields: object) -> types_pb2.Flavor:
    spec: dict[str, object] = dict(name="bad", vcpus=1, ram_mb=512, disk_gb=1)
    spec.update(fields)
    return types_pb2.Flavor(**spec)  # type: ignore[arg-type]


def flavor(**fields: object) -> compute_pb2.CreateFlavorRequest:
    return compute_pb2.CreateFlavorRequest(flavor=_flavor(**fields))


def boot(**fields: object) -> compute_pb2.CreateServersRequest:
    spec: dict[str, object] = dict(name="ok", flavor_ref="1", image_ref="cirros")
    spec.update(fields)
    return compute_pb2.CreateServersRequest(**spec)  # type: ignore[arg-type]


def quota(**limits: int) -> compute_pb2.UpdateQuotaSetRequest:
    return compute_pb2.UpdateQuotaSetRequest(project_id="p", limits=limits)


def console_output(length: int) -> compute_pb2.GetConsoleOutputRequest:
    return compute_pb2.GetConsoleOutputRequest(id="no-such-server", length=length)


def query(depth: int) -> types_pb2.SchedulerHints:
    return types_pb2.SchedulerHints(query="[" * depth + "]" * depth)


OUT_OF_BOUNDS = [
    ("flavor ram beyond int32", "CreateFlavor", flavor(ram_mb=2**40)),
    ("flavor disk beyond int32", "CreateFlavor", flavor(disk_gb=2**33)),
    ("negative swap", "CreateFlavor", flavor(swap_mb=-1)),
    ("NaN rxtx_factor", "CreateFlavor", flavor(rxtx_factor=math.nan)),
    ("infinite rxtx_factor", "CreateFlavor", flavor(rxtx_factor=math.inf)),
    ("negative rxtx_factor", "CreateFlavor", flavor(rxtx_factor=-1.0)),
    ("flavor id with a control character", "CreateFlavor", flavor(id="a\x01b")),
    ("flavor name with a control character", "CreateFlavor", flavor(name="a\x1bb")),
    ("quota beyond int32", "UpdateQuotaSet", quota(cores=2**40)),
    ("quota below unlimited", "UpdateQuotaSet", quota(cores=-2)),
    ("negative page size", "ListServers", compute_pb2.ListServersRequest(limit=-1)),
    ("server name with a control character", "CreateServers", boot(name="a\x00b")),
    ("server name with a line separator", "CreateServers", boot(name="a\u2028b")),
    ("metadata key with a control character", "CreateServers", boot(metadata={"k\x07": "v"})),
    ("metadata value with a control character", "CreateServers", boot(metadata={"k": "v\x00"})),
    ("hint query nested 5000 deep", "CreateServers", boot(hints=query(5000))),
    ("hint query one level too deep", "CreateServers", boot(hints=query(MAX_JSON_DEPTH + 1))),
    ("negative min_count", "CreateServers", boot(min_count=-5)),
    ("console output of negative length", "GetConsoleOutput", console_output(length=-7)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "request_message"),
    [(method, message) for _, method, message in OUT_OF_BOUNDS],
    ids=[case for case, _, _ in OUT_OF_BOUNDS],
)
async def test_a_field_out_of_bounds_is_an_invalid_argument(
    cloud: Cloud, seeded: Stub, method: str, request_message: Message
) -> None:
    before = stored_state(cloud)
    assert before, "the seeded flavors, image and quota are in the listing"
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await getattr(seeded, method)(request_message, timeout=10)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, refused.value.details()
    assert refused.value.details()
    assert stored_state(cloud) == before


@pytest.mark.parametrize("revision", [2**63 - 1, -1])
async def test_a_watch_from_a_revision_no_watch_can_start_after_is_an_invalid_argument(
    seeded: Stub, revision: int
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        async for _ in seeded.WatchServers(
            compute_pb2.WatchServersRequest(from_revision=revision), timeout=10
        ):
            pass
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_the_largest_bounds_are_accepted(seeded: Stub) -> None:
    """The bounds are Nova's, not tighter: the largest flavor Nova stores is stored."""
    largest = _flavor(
        id="largest",
        name="largest",
        vcpus=2**31 - 1,
        ram_mb=2**31 - 1,
        disk_gb=2**31 - 1,
        ephemeral_gb=2**31 - 1,
        swap_mb=2**31 - 1,
        rxtx_factor=3.4e38,
    )
    created = await seeded.CreateFlavor(compute_pb2.CreateFlavorRequest(flavor=largest))
    try:
        assert created.ram_mb == 2**31 - 1
    finally:
        await seeded.DeleteFlavor(compute_pb2.DeleteFlavorRequest(id="largest"))
