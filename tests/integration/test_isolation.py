"""Isolation between projects and roles against a real cloud, over gRPC and REST.

The matrix is generated: every method of the Compute service and every REST route of the
api that is not identity's, called with a token of each role (and with none), on a
resource of the caller's own project and on one of another project. Each answer must be
what the policy table (services/api/policy.py) says:

- refused by the table: 403 (PERMISSION_DENIED);
- allowed by the table but the target is another project's server or server group the
  caller may not see: 404 (NOT_FOUND), as in Nova, and the message names nothing of it;
- allowed: anything but 401/403 and never a server error (a call may still answer
  400/404/409 for reasons of its own);
- no token, or the token of a user holding no role (identity never scopes a token to a
  project where the user has no role, so that user's only token is unscoped): 401.

Then no leaks: what a member of project B lists, watches or is told about project A's ids
never shows project A's ids or names; and tampered, revoked and unassigned tokens stop
working.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import grpc
import httpx
import pytest
from google.protobuf import text_format
from google.protobuf.message import Message

from services.api import policy
from services.api.authn import OPEN_PATHS
from services.api.identity.auth import is_identity_path
from services.runtime.context import RequestContext
from stratus.v1 import compute_pb2, compute_pb2_grpc, identity_pb2, identity_pb2_grpc
from stratus.v1 import types_pb2 as t
from tests.integration.cloud import Cloud

# The victim project A and the callers' own project B.
PROJECT_A = "iso-a"
PROJECT_B = "iso-b"
# Every name given to a resource of project A carries this mark; no answer to a caller of
# project B may contain it.
SECRET = "alpha-secret"

ROLES = ("admin", "it_security", "project_manager", "network_manager", "member")
NO_ROLE = "no-role"
ANONYMOUS = "anonymous"
CALLERS = (*ROLES, NO_ROLE, ANONYMOUS)
SIDES = ("own", "other")

ALLOWED = 0  # the expectation of a cell the table allows
UNLIMITED = {
    "instances": -1,
    "cores": -1,
    "ram": -1,
    "server_groups": -1,
    "server_group_members": -1,
}
POLICY = policy.Policy()
MISSING_PROJECT = "iso-no-such-project"
# The roles that see every project's servers (admin, it_security).
GLOBAL_READERS = tuple(
    role
    for role in ROLES
    if POLICY.allows(RequestContext(roles=(role,)), "compute:servers:all_projects")
)

GRPC_HTTP = {
    grpc.StatusCode.OK: 200,
    grpc.StatusCode.DEADLINE_EXCEEDED: 200,  # a stream that stayed open: it was allowed
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 413,
    grpc.StatusCode.UNKNOWN: 500,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.UNAVAILABLE: 503,
}


def auth(token: str) -> list[tuple[str, str]]:
    return [("x-auth-token", token)]


# ---------------------------------------------------------------------------- the world


@dataclass
class Side:
    """One project's resources the matrix aims at."""

    project_id: str
    member_token: str
    server_id: str = ""
    server_name: str = ""
    group_id: str = ""
    request_id: str = ""  # an instance action of the server
    aggregate_id: str = ""  # a fresh aggregate (aggregates belong to no project)


@dataclass
class World:
    cloud: Cloud
    channel: grpc.Channel
    admin: compute_pb2_grpc.ComputeStub  # the bootstrap admin
    stub: compute_pb2_grpc.ComputeStub  # no token unless a call sends one
    identity: identity_pb2_grpc.IdentityStub
    rest: httpx.Client
    sides: dict[str, Side]
    tokens: dict[str, str] = field(default_factory=dict)  # caller → token ("" for none)
    aggregate_id: str = ""
    flavor_id: str = "iso-flavor"

    @property
    def a(self) -> Side:
        return self.sides["other"]

    @property
    def b(self) -> Side:
        return self.sides["own"]

    def boot(self, side: Side, name: str) -> str:
        reply = self.stub.CreateServers(
            compute_pb2.CreateServersRequest(name=name, flavor_ref="1", image_ref="cirros"),
            metadata=auth(side.member_token),
            timeout=10,
        )
        return str(reply.servers[0].id)

    def new_group(self, side: Side, name: str) -> str:
        group = self.stub.CreateServerGroup(
            compute_pb2.CreateServerGroupRequest(name=name, policy="soft-anti-affinity"),
            metadata=auth(side.member_token),
            timeout=10,
        )
        return str(group.id)

    def name_for(self, side: Side, what: str) -> str:
        return f"{SECRET}-{what}" if side is self.a else f"bravo-{what}"

    def target(self, side_name: str, fresh: str) -> Side:
        """The side's resources; with `fresh`, a new resource of that kind in place of the
        shared one (for a call that destroys its target)."""
        side = self.sides[side_name]
        if fresh == "server":
            return Side(
                side.project_id, side.member_token, self.boot(side, self.name_for(side, "doomed"))
            )
        if fresh == "aggregate":
            return Side(side.project_id, side.member_token, aggregate_id=self.new_aggregate())
        if fresh == "group":
            return Side(
                side.project_id,
                side.member_token,
                group_id=self.new_group(side, self.name_for(side, "doomed-group")),
            )
        return side

    def new_aggregate(self) -> str:
        created = self.admin.CreateAggregate(
            compute_pb2.CreateAggregateRequest(name=f"iso-doomed-{uuid.uuid4().hex[:8]}"),
            timeout=10,
        )
        return str(created.id)

    def lift_quotas(self) -> None:
        for side in self.sides.values():
            self.admin.UpdateQuotaSet(
                compute_pb2.UpdateQuotaSetRequest(
                    project_id=side.project_id, limits=UNLIMITED, force=True
                ),
                timeout=10,
            )


def _seed(admin: compute_pb2_grpc.ComputeStub) -> None:
    """The flavor and image the boots use (the cloud of this module is seeded only here)."""
    for flavor in (
        t.Flavor(id="1", name="m1.tiny", vcpus=1, ram_mb=512, disk_gb=1, is_public=True),
        t.Flavor(id="iso-flavor", name="iso-flavor", vcpus=1, ram_mb=256, disk_gb=1),
    ):
        admin.CreateFlavor(compute_pb2.CreateFlavorRequest(flavor=flavor), timeout=10)
    admin.SetFlavorExtraSpecs(
        compute_pb2.SetFlavorExtraSpecsRequest(flavor_id="iso-flavor", extra_specs={"iso:k": "v"}),
        timeout=10,
    )
    admin.CreateImage(
        compute_pb2.CreateImageRequest(
            image=t.Image(
                id="cirros",
                name="cirros",
                disk_format="qcow2",
                container_format="bare",
                min_disk_gb=1,
                properties={"architecture": "x86_64"},
            )
        ),
        timeout=10,
    )


def _no_role_token(cloud: Cloud, identity: identity_pb2_grpc.IdentityStub) -> str:
    """The token of a user with no role at all: identity refuses to scope it to project B,
    so it can only be unscoped."""
    user = f"{PROJECT_B}-nobody"
    with pytest.raises(grpc.RpcError) as refused:
        cloud.token_for(PROJECT_B, user=user)
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED  # type: ignore[attr-defined]
    token = cloud.login(user, f"{user}-password", "")
    assert token.info.project_id == ""
    return str(token.token)


def _first_request_id(admin: compute_pb2_grpc.ComputeStub, server_id: str) -> str:
    reply = admin.ListInstanceActions(
        compute_pb2.ListInstanceActionsRequest(id=server_id), timeout=10
    )
    return str(reply.actions[0].request_id)


@pytest.fixture(scope="module")
def world(cloud: Cloud) -> Iterator[World]:
    channel = grpc.insecure_channel(cloud.api_target)
    admin = compute_pb2_grpc.ComputeStub(
        grpc.intercept_channel(channel, _AddToken(cloud.admin.token))
    )
    identity = identity_pb2_grpc.IdentityStub(channel)
    _seed(admin)
    member_a = cloud.token_for(PROJECT_A, "member")
    member_b = cloud.token_for(PROJECT_B, "member")
    sides = {
        "own": Side(member_b.info.project_id, member_b.token),
        "other": Side(member_a.info.project_id, member_a.token),
    }
    rest = httpx.Client(base_url=cloud.rest_url, timeout=10)
    world = World(
        cloud, channel, admin, compute_pb2_grpc.ComputeStub(channel), identity, rest, sides
    )
    world.lift_quotas()
    for side in sides.values():
        side.server_name = world.name_for(side, "web")
        side.server_id = world.boot(side, side.server_name)
        side.group_id = world.new_group(side, world.name_for(side, "group"))
        side.request_id = _first_request_id(admin, side.server_id)
    world.aggregate_id = str(
        admin.CreateAggregate(compute_pb2.CreateAggregateRequest(name="iso-agg"), timeout=10).id
    )
    world.tokens = {role: cloud.token_for(PROJECT_B, role).token for role in ROLES}
    world.tokens[NO_ROLE] = _no_role_token(cloud, identity)
    world.tokens[ANONYMOUS] = ""
    try:
        yield world
    finally:
        rest.close()
        channel.close()


class _AddToken(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):
    """Sends a token on every call that names no metadata of its own."""

    def __init__(self, token: str) -> None:
        self.token = token

    def _with_token(self, details: Any) -> Any:
        if details.metadata:
            return details
        return details._replace(metadata=auth(self.token))

    def intercept_unary_unary(self, continuation, client_call_details, request):  # type: ignore[no-untyped-def]
        return continuation(self._with_token(client_call_details), request)

    def intercept_unary_stream(self, continuation, client_call_details, request):  # type: ignore[no-untyped-def]
        return continuation(self._with_token(client_call_details), request)


# ---------------------------------------------------------------------------- expectations


@dataclass(frozen=True)
class Op:
    """One operation of the matrix: the policy entry it is checked against (None: the table
    has none), what it aims at ("server", "group", "project" or None) and, for a call that
    destroys its target, the kind of resource to make afresh for a cell that may do it."""

    name: str
    action: str | None
    target: str | None
    fresh: str = ""


def expected(caller: str, op: Op, side: str, world: World) -> int:
    """What the policy table says a caller of project B gets; ALLOWED for a permitted call."""
    if caller in (NO_ROLE, ANONYMOUS):
        return 401
    ctx = RequestContext(user_id="caller", project_id=world.b.project_id, roles=(caller,))
    target_project = world.sides[side].project_id if op.target == "project" else None
    if op.action is not None and not POLICY.allows(ctx, op.action, target_project):
        return 403
    hidden = op.target in ("server", "group") and side == "other"
    if hidden and not POLICY.allows(ctx, "compute:servers:all_projects"):
        return 404
    return ALLOWED


def check(status: int, text: str, want: int, caller: str, side: str) -> None:
    if want == ALLOWED:
        assert status not in (401, 403), (status, text)
        assert status < 500, (status, text)
    else:
        assert status == want, (status, text)
    if side == "other" and caller not in GLOBAL_READERS:
        assert SECRET not in text, text


def cells(ops: list[Any]) -> list[Any]:
    return [
        pytest.param(
            op,
            caller,
            side,
            id=f"{op.name}-{caller}-{side}",
            marks=XFAIL.get((op.name, caller, side), ()),
        )
        for op in ops
        for caller in CALLERS
        for side in (SIDES if op.target else ("own",))
    ]


# Cells whose answer differs from the table (known defects of the service layer).
XFAIL: dict[tuple[str, str, str], Any] = {}


# ---------------------------------------------------------------------------- gRPC


@dataclass(frozen=True)
class GrpcOp(Op):
    method: str = ""
    request: Callable[[World, Side], Message] = field(default=lambda w, s: None)  # type: ignore[assignment,return-value]
    restore_quotas: bool = False


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _boot_request(w: World, s: Side) -> Message:
    return compute_pb2.CreateServersRequest(name="bravo-made", flavor_ref="1", image_ref="cirros")


def _action_request(action: str) -> Callable[[World, Side], Message]:
    def request(w: World, s: Side) -> Message:
        reboot_type = "SOFT" if action == "reboot" else ""
        return compute_pb2.ServerActionRequest(
            id=s.server_id, action=action, reboot_type=reboot_type
        )

    return request


C = compute_pb2
GRPC_OPS: list[GrpcOp] = [
    GrpcOp(
        "CreateServers",
        "compute:create_server",
        None,
        method="CreateServers",
        request=_boot_request,
    ),
    GrpcOp(
        "GetServer",
        "compute:get_server",
        "server",
        method="GetServer",
        request=lambda w, s: C.GetServerRequest(id=s.server_id),
    ),
    GrpcOp(
        "ListServers",
        "compute:list_servers",
        None,
        method="ListServers",
        request=lambda w, s: C.ListServersRequest(all_projects=True),
    ),
    GrpcOp(
        "DeleteServer",
        "compute:delete_server",
        "server",
        "server",
        method="DeleteServer",
        request=lambda w, s: C.DeleteServerRequest(id=s.server_id),
    ),
    *(
        GrpcOp(
            f"ServerAction-{action}",
            rule,
            "server",
            method="ServerAction",
            request=_action_request(action),
        )
        for action, rule in policy.SERVER_ACTION_RULES.items()
    ),
    GrpcOp(
        "ListInstanceActions",
        "compute:list_instance_actions",
        "server",
        method="ListInstanceActions",
        request=lambda w, s: C.ListInstanceActionsRequest(id=s.server_id),
    ),
    GrpcOp(
        "WatchServers",
        "compute:watch_servers",
        None,
        method="WatchServers",
        request=lambda w, s: C.WatchServersRequest(from_revision=0, all_projects=True),
    ),
    GrpcOp(
        "ListFlavors",
        "compute:list_flavors",
        None,
        method="ListFlavors",
        request=lambda w, s: C.ListFlavorsRequest(),
    ),
    GrpcOp(
        "GetFlavor",
        "compute:get_flavor",
        None,
        method="GetFlavor",
        request=lambda w, s: C.GetFlavorRequest(id="1"),
    ),
    GrpcOp(
        "CreateFlavor",
        "compute:create_flavor",
        None,
        method="CreateFlavor",
        request=lambda w, s: C.CreateFlavorRequest(
            flavor=t.Flavor(id=_unique("iso"), name=_unique("iso"), vcpus=1, ram_mb=128, disk_gb=1)
        ),
    ),
    GrpcOp(
        "DeleteFlavor",
        "compute:delete_flavor",
        None,
        method="DeleteFlavor",
        request=lambda w, s: C.DeleteFlavorRequest(id="iso-no-such-flavor"),
    ),
    GrpcOp(
        "ListImages",
        "compute:list_images",
        None,
        method="ListImages",
        request=lambda w, s: C.ListImagesRequest(),
    ),
    GrpcOp(
        "GetImage",
        "compute:get_image",
        None,
        method="GetImage",
        request=lambda w, s: C.GetImageRequest(id="cirros"),
    ),
    GrpcOp(
        "CreateImage",
        "compute:create_image",
        None,
        method="CreateImage",
        request=lambda w, s: C.CreateImageRequest(
            image=t.Image(
                id=_unique("iso"), name=_unique("iso"), disk_format="qcow2", container_format="bare"
            )
        ),
    ),
    GrpcOp(
        "ListHosts",
        "compute:list_hosts",
        None,
        method="ListHosts",
        request=lambda w, s: C.ListHostsRequest(),
    ),
    GrpcOp(
        "ListServices",
        "compute:list_services",
        None,
        method="ListServices",
        request=lambda w, s: C.ListServicesRequest(),
    ),
    GrpcOp(
        "SetFlavorExtraSpecs",
        "compute:set_flavor_extra_specs",
        None,
        method="SetFlavorExtraSpecs",
        request=lambda w, s: C.SetFlavorExtraSpecsRequest(
            flavor_id=w.flavor_id, extra_specs={"iso:k": "v"}
        ),
    ),
    GrpcOp(
        "DeleteFlavorExtraSpec",
        "compute:delete_flavor_extra_spec",
        None,
        method="DeleteFlavorExtraSpec",
        request=lambda w, s: C.DeleteFlavorExtraSpecRequest(
            flavor_id=w.flavor_id, key="iso:missing"
        ),
    ),
    GrpcOp(
        "ListFlavorAccess",
        "compute:list_flavor_access",
        None,
        method="ListFlavorAccess",
        request=lambda w, s: C.ListFlavorAccessRequest(flavor_id=w.flavor_id),
    ),
    # Grants name a project that does not exist, so the shared flavor's access never changes.
    GrpcOp(
        "AddFlavorAccess",
        "compute:add_flavor_access",
        None,
        method="AddFlavorAccess",
        request=lambda w, s: C.FlavorAccessRequest(
            flavor_id=w.flavor_id, project_id=MISSING_PROJECT
        ),
    ),
    GrpcOp(
        "RemoveFlavorAccess",
        "compute:remove_flavor_access",
        None,
        method="RemoveFlavorAccess",
        request=lambda w, s: C.FlavorAccessRequest(
            flavor_id=w.flavor_id, project_id=MISSING_PROJECT
        ),
    ),
    GrpcOp(
        "CreateServerGroup",
        "compute:create_server_group",
        None,
        method="CreateServerGroup",
        request=lambda w, s: C.CreateServerGroupRequest(name="bravo-made-group", policy="affinity"),
    ),
    GrpcOp(
        "ListServerGroups",
        "compute:list_server_groups",
        None,
        method="ListServerGroups",
        request=lambda w, s: C.ListServerGroupsRequest(all_projects=True),
    ),
    GrpcOp(
        "GetServerGroup",
        "compute:get_server_group",
        "group",
        method="GetServerGroup",
        request=lambda w, s: C.GetServerGroupRequest(id=s.group_id),
    ),
    GrpcOp(
        "DeleteServerGroup",
        "compute:delete_server_group",
        "group",
        "group",
        method="DeleteServerGroup",
        request=lambda w, s: C.DeleteServerGroupRequest(id=s.group_id),
    ),
    GrpcOp(
        "CreateAggregate",
        "compute:create_aggregate",
        None,
        method="CreateAggregate",
        request=lambda w, s: C.CreateAggregateRequest(name=_unique("iso-agg")),
    ),
    GrpcOp(
        "ListAggregates",
        "compute:list_aggregates",
        None,
        method="ListAggregates",
        request=lambda w, s: C.ListAggregatesRequest(),
    ),
    GrpcOp(
        "GetAggregate",
        "compute:get_aggregate",
        None,
        method="GetAggregate",
        request=lambda w, s: C.GetAggregateRequest(id=w.aggregate_id),
    ),
    GrpcOp(
        "UpdateAggregate",
        "compute:update_aggregate",
        None,
        method="UpdateAggregate",
        request=lambda w, s: C.UpdateAggregateRequest(id=w.aggregate_id, name="iso-agg"),
    ),
    GrpcOp(
        "DeleteAggregate",
        "compute:delete_aggregate",
        None,
        "aggregate",
        method="DeleteAggregate",
        request=lambda w, s: C.DeleteAggregateRequest(id=s.aggregate_id or w.aggregate_id),
    ),
    GrpcOp(
        "AddAggregateHost",
        "compute:add_aggregate_host",
        None,
        method="AddAggregateHost",
        request=lambda w, s: C.AggregateHostRequest(id=w.aggregate_id, host="node-1"),
    ),
    GrpcOp(
        "RemoveAggregateHost",
        "compute:remove_aggregate_host",
        None,
        method="RemoveAggregateHost",
        request=lambda w, s: C.AggregateHostRequest(id=w.aggregate_id, host="node-2"),
    ),
    GrpcOp(
        "SetAggregateMetadata",
        "compute:set_aggregate_metadata",
        None,
        method="SetAggregateMetadata",
        request=lambda w, s: C.SetAggregateMetadataRequest(
            id=w.aggregate_id, metadata={"iso": "1"}
        ),
    ),
    GrpcOp(
        "ListAvailabilityZones",
        "compute:list_availability_zones",
        None,
        method="ListAvailabilityZones",
        request=lambda w, s: C.ListAvailabilityZonesRequest(),
    ),
    GrpcOp(
        "ListAvailabilityZones-detail",
        "compute:list_availability_zones:detail",
        None,
        method="ListAvailabilityZones",
        request=lambda w, s: C.ListAvailabilityZonesRequest(detail=True),
    ),
    GrpcOp(
        "ExplainPlacement",
        "compute:explain_placement",
        None,
        method="ExplainPlacement",
        request=_boot_request,
    ),
    GrpcOp(
        "GetConsoleOutput",
        "compute:get_console_output",
        "server",
        method="GetConsoleOutput",
        request=lambda w, s: C.GetConsoleOutputRequest(id=s.server_id, length=10),
    ),
    GrpcOp(
        "CreateRemoteConsole",
        "compute:create_remote_console",
        "server",
        method="CreateRemoteConsole",
        request=lambda w, s: C.CreateRemoteConsoleRequest(
            id=s.server_id, protocol="vnc", type="novnc"
        ),
    ),
    GrpcOp(
        "GetQuotaSet",
        "compute:get_quota_set",
        "project",
        method="GetQuotaSet",
        request=lambda w, s: C.GetQuotaSetRequest(project_id=s.project_id),
    ),
    GrpcOp(
        "UpdateQuotaSet",
        "compute:update_quota_set",
        "project",
        method="UpdateQuotaSet",
        request=lambda w, s: C.UpdateQuotaSetRequest(
            project_id=s.project_id, limits={"instances": -1}
        ),
        restore_quotas=True,
    ),
    GrpcOp(
        "DeleteQuotaSet",
        "compute:delete_quota_set",
        "project",
        method="DeleteQuotaSet",
        request=lambda w, s: C.DeleteQuotaSetRequest(project_id=s.project_id),
        restore_quotas=True,
    ),
    GrpcOp(
        "GetQuotaDefaults",
        "compute:get_quota_defaults",
        "project",
        method="GetQuotaDefaults",
        request=lambda w, s: C.GetQuotaDefaultsRequest(project_id=s.project_id),
    ),
    GrpcOp(
        "GetLimits",
        "compute:get_limits",
        "project",
        method="GetLimits",
        request=lambda w, s: C.GetLimitsRequest(project_id=s.project_id),
    ),
]


def test_the_grpc_matrix_covers_every_compute_method() -> None:
    methods = set(compute_pb2.DESCRIPTOR.services_by_name["Compute"].methods_by_name)
    assert {op.method for op in GRPC_OPS} == methods


def call_grpc(world: World, op: GrpcOp, target: Side, token: str) -> tuple[int, str]:
    """The answer's HTTP-like status and every text it carried."""
    method = getattr(world.stub, op.method)
    metadata = auth(token) if token else None
    request = op.request(world, target)
    try:
        if op.method == "WatchServers":
            stream = method(request, metadata=metadata, timeout=2)
            texts = []
            try:
                texts.append(text_format.MessageToString(next(stream)))
            except StopIteration:
                pass
            stream.cancel()
            return 200, "".join(texts)
        reply = method(request, metadata=metadata, timeout=10)
        return 200, text_format.MessageToString(reply)
    except grpc.RpcError as error:
        code = error.code()  # type: ignore[attr-defined]
        if code == grpc.StatusCode.CANCELLED:
            return 200, ""
        return GRPC_HTTP.get(code, 500), f"{code.name}: {error.details()}"  # type: ignore[attr-defined]


@pytest.mark.parametrize(("op", "caller", "side"), cells(GRPC_OPS))
def test_grpc_cell(world: World, op: GrpcOp, caller: str, side: str) -> None:
    want = expected(caller, op, side, world)
    target = world.target(side, op.fresh if want == ALLOWED else "")
    try:
        status, text = call_grpc(world, op, target, world.tokens[caller])
    finally:
        if op.restore_quotas:
            world.lift_quotas()
    check(status, text, want, caller, side)


# ---------------------------------------------------------------------------- REST


@dataclass(frozen=True)
class RestOp(Op):
    verb: str = "GET"
    route: str = ""  # as the OpenAPI document names it
    # The path and JSON body of a call on a side's resources.
    build: Callable[[World, Side], tuple[str, Any]] = field(default=lambda w, s: ("", None))  # type: ignore[assignment]
    restore_quotas: bool = False
    microversion: str = ""  # the compute microversion the call asks for ("" = 2.1)


def _rest(
    name: str,
    action: str | None,
    target: str | None,
    verb: str,
    route: str,
    body: Any = None,
    fresh: str = "",
    restore_quotas: bool = False,
    microversion: str = "",
) -> RestOp:
    """An operation whose path is the route with the side's ids filled in."""

    def build(w: World, s: Side) -> tuple[str, Any]:
        path = route.format(
            server_id=s.server_id,
            request_id=s.request_id,
            group_id=s.group_id,
            project_id=s.project_id,
            flavor_id=w.flavor_id,
            # Deleting: a flavor that does not exist, so the shared one survives every cell.
            missing_flavor_id="iso-no-such-flavor",
            key="iso:k",
            image_id="cirros",
            aggregate_id=s.aggregate_id or w.aggregate_id,
            hypervisor_id="iso-missing-host",
            tag="iso",
        )
        return path, body() if callable(body) else body

    return RestOp(
        name,
        action,
        target,
        fresh,
        verb=verb,
        route=route,
        build=build,
        restore_quotas=restore_quotas,
        microversion=microversion,
    )


SERVER_BOOT = {"server": {"name": "bravo-made", "flavorRef": "1", "imageRef": "cirros"}}
REST_ACTION_BODIES = {
    "stop": {"os-stop": None},
    "start": {"os-start": None},
    "reboot": {"reboot": {"type": "SOFT"}},
    "pause": {"pause": None},
    "unpause": {"unpause": None},
    "suspend": {"suspend": None},
    "resume": {"resume": None},
}
S = "/v2.1/servers/{server_id}"
A = "/v2.1/os-aggregates/{aggregate_id}"
Q = "/v2.1/os-quota-sets/{project_id}"
X = "/v2.1/flavors/{flavor_id}/os-extra_specs"
REST_OPS: list[RestOp] = [
    _rest("list-servers", "compute:list_servers", None, "GET", "/v2.1/servers"),
    _rest("create-server", "compute:create_server", None, "POST", "/v2.1/servers", SERVER_BOOT),
    _rest("list-servers-detail", "compute:list_servers", None, "GET", "/v2.1/servers/detail"),
    _rest("show-server", "compute:get_server", "server", "GET", S),
    _rest("delete-server", "compute:delete_server", "server", "DELETE", S, fresh="server"),
    _rest(
        "update-server",
        "compute:update_server",
        "server",
        "PUT",
        S,
        {"server": {"description": "isolation"}},
        microversion="2.19",
    ),
    _rest("list-tags", "compute:get_server", "server", "GET", S + "/tags", microversion="2.26"),
    _rest(
        "replace-tags",
        "compute:set_server_tags",
        "server",
        "PUT",
        S + "/tags",
        {"tags": ["iso"]},
        microversion="2.26",
    ),
    _rest(
        "delete-tags",
        "compute:set_server_tags",
        "server",
        "DELETE",
        S + "/tags",
        microversion="2.26",
    ),
    _rest(
        "check-tag", "compute:get_server", "server", "GET", S + "/tags/{tag}", microversion="2.26"
    ),
    _rest(
        "add-tag",
        "compute:set_server_tags",
        "server",
        "PUT",
        S + "/tags/{tag}",
        microversion="2.26",
    ),
    _rest(
        "delete-tag",
        "compute:set_server_tags",
        "server",
        "DELETE",
        S + "/tags/{tag}",
        microversion="2.26",
    ),
    *(
        _rest(
            f"server-action-{action}",
            policy.SERVER_ACTION_RULES[action],
            "server",
            "POST",
            S + "/action",
            body,
        )
        for action, body in REST_ACTION_BODIES.items()
    ),
    _rest(
        "console-output",
        "compute:get_console_output",
        "server",
        "POST",
        S + "/action",
        {"os-getConsoleOutput": {"length": 10}},
    ),
    _rest(
        "vnc-console",
        "compute:create_remote_console",
        "server",
        "POST",
        S + "/action",
        {"os-getVNCConsole": {"type": "novnc"}},
    ),
    _rest(
        "remote-console",
        "compute:create_remote_console",
        "server",
        "POST",
        S + "/remote-consoles",
        {"remote_console": {"protocol": "vnc", "type": "novnc"}},
        microversion="2.6",
    ),
    _rest(
        "instance-actions",
        "compute:list_instance_actions",
        "server",
        "GET",
        S + "/os-instance-actions",
    ),
    _rest(
        "instance-action",
        "compute:list_instance_actions",
        "server",
        "GET",
        S + "/os-instance-actions/{request_id}",
    ),
    _rest("list-flavors", "compute:list_flavors", None, "GET", "/v2.1/flavors"),
    _rest(
        "create-flavor",
        "compute:create_flavor",
        None,
        "POST",
        "/v2.1/flavors",
        lambda: {"flavor": {"name": _unique("iso"), "ram": 128, "vcpus": 1, "disk": 1}},
    ),
    _rest(
        "delete-flavor",
        "compute:delete_flavor",
        None,
        "DELETE",
        "/v2.1/flavors/{missing_flavor_id}",
    ),
    _rest("list-flavors-detail", "compute:list_flavors", None, "GET", "/v2.1/flavors/detail"),
    _rest("show-flavor", "compute:get_flavor", None, "GET", "/v2.1/flavors/{flavor_id}"),
    _rest("list-extra-specs", "compute:get_flavor", None, "GET", X),
    _rest(
        "create-extra-specs",
        "compute:set_flavor_extra_specs",
        None,
        "POST",
        X,
        {"extra_specs": {"iso:k": "v"}},
    ),
    _rest("show-extra-spec", "compute:get_flavor", None, "GET", X + "/{key}"),
    _rest(
        "update-extra-spec",
        "compute:set_flavor_extra_specs",
        None,
        "PUT",
        X + "/{key}",
        {"iso:k": "v"},
    ),
    _rest(
        "delete-extra-spec", "compute:delete_flavor_extra_spec", None, "DELETE", X + "/iso:missing"
    ),
    _rest(
        "list-flavor-access",
        "compute:list_flavor_access",
        None,
        "GET",
        "/v2.1/flavors/{flavor_id}/os-flavor-access",
    ),
    _rest(
        "add-flavor-access",
        "compute:add_flavor_access",
        None,
        "POST",
        "/v2.1/flavors/{flavor_id}/action",
        {"addTenantAccess": {"tenant": MISSING_PROJECT}},
    ),
    _rest(
        "remove-flavor-access",
        "compute:remove_flavor_access",
        None,
        "POST",
        "/v2.1/flavors/{flavor_id}/action",
        {"removeTenantAccess": {"tenant": MISSING_PROJECT}},
    ),
    *(
        op
        for prefix in ("/v2", "/image/v2")
        for op in (
            _rest(
                f"glance{prefix.replace('/', '-')}-list-images",
                "compute:list_images",
                None,
                "GET",
                prefix + "/images",
            ),
            _rest(
                f"glance{prefix.replace('/', '-')}-show-image",
                "compute:get_image",
                None,
                "GET",
                prefix + "/images/{image_id}",
            ),
        )
    ),
    _rest("list-images", "compute:list_images", None, "GET", "/v2.1/images"),
    _rest("list-images-detail", "compute:list_images", None, "GET", "/v2.1/images/detail"),
    _rest("show-image", "compute:get_image", None, "GET", "/v2.1/images/{image_id}"),
    _rest("hypervisors", "compute:list_hosts", None, "GET", "/v2.1/os-hypervisors"),
    _rest("hypervisors-detail", "compute:list_hosts", None, "GET", "/v2.1/os-hypervisors/detail"),
    _rest(
        "show-hypervisor", "compute:list_hosts", None, "GET", "/v2.1/os-hypervisors/{hypervisor_id}"
    ),
    _rest(
        "search-hypervisors",
        "compute:list_hosts",
        None,
        "GET",
        "/v2.1/os-hypervisors/{hypervisor_id}/search",
    ),
    _rest("services", "compute:list_services", None, "GET", "/v2.1/os-services"),
    _rest(
        "list-server-groups",
        "compute:list_server_groups",
        None,
        "GET",
        "/v2.1/os-server-groups?all_projects=True",
    ),
    _rest(
        "create-server-group",
        "compute:create_server_group",
        None,
        "POST",
        "/v2.1/os-server-groups",
        {"server_group": {"name": "bravo-made-group", "policies": ["affinity"]}},
    ),
    _rest(
        "show-server-group",
        "compute:get_server_group",
        "group",
        "GET",
        "/v2.1/os-server-groups/{group_id}",
    ),
    _rest(
        "delete-server-group",
        "compute:delete_server_group",
        "group",
        "DELETE",
        "/v2.1/os-server-groups/{group_id}",
        fresh="group",
    ),
    _rest("list-aggregates", "compute:list_aggregates", None, "GET", "/v2.1/os-aggregates"),
    _rest(
        "create-aggregate",
        "compute:create_aggregate",
        None,
        "POST",
        "/v2.1/os-aggregates",
        lambda: {"aggregate": {"name": _unique("iso-agg")}},
    ),
    _rest("show-aggregate", "compute:get_aggregate", None, "GET", A),
    _rest(
        "update-aggregate",
        "compute:update_aggregate",
        None,
        "PUT",
        A,
        {"aggregate": {"name": "iso-agg"}},
    ),
    _rest("delete-aggregate", "compute:delete_aggregate", None, "DELETE", A, fresh="aggregate"),
    _rest(
        "aggregate-add-host",
        "compute:add_aggregate_host",
        None,
        "POST",
        A + "/action",
        {"add_host": {"host": "node-1"}},
    ),
    _rest(
        "aggregate-remove-host",
        "compute:remove_aggregate_host",
        None,
        "POST",
        A + "/action",
        {"remove_host": {"host": "node-2"}},
    ),
    _rest(
        "aggregate-set-metadata",
        "compute:set_aggregate_metadata",
        None,
        "POST",
        A + "/action",
        {"set_metadata": {"metadata": {"iso": "1"}}},
    ),
    _rest(
        "availability-zones",
        "compute:list_availability_zones",
        None,
        "GET",
        "/v2.1/os-availability-zone",
    ),
    _rest(
        "availability-zones-detail",
        "compute:list_availability_zones:detail",
        None,
        "GET",
        "/v2.1/os-availability-zone/detail",
    ),
    _rest(
        "explain",
        "compute:explain_placement",
        None,
        "POST",
        "/v2.1/os-scheduler/explain",
        SERVER_BOOT,
    ),
    _rest("show-quota-set", "compute:get_quota_set", "project", "GET", Q),
    _rest(
        "update-quota-set",
        "compute:update_quota_set",
        "project",
        "PUT",
        Q,
        {"quota_set": {"instances": -1}},
        restore_quotas=True,
    ),
    _rest(
        "revert-quota-set", "compute:delete_quota_set", "project", "DELETE", Q, restore_quotas=True
    ),
    _rest("show-quota-set-detail", "compute:get_quota_set", "project", "GET", Q + "/detail"),
    _rest("quota-defaults", "compute:get_quota_defaults", "project", "GET", Q + "/defaults"),
    _rest("limits", "compute:get_limits", "project", "GET", "/v2.1/limits?tenant_id={project_id}"),
]


def test_the_rest_matrix_covers_every_route(world: World) -> None:
    reply = world.rest.get("/openapi.json", headers={"X-Auth-Token": world.cloud.admin.token})
    assert reply.status_code == 200, reply.text
    routes = {
        (verb.upper(), path)
        for path, operations in reply.json()["paths"].items()
        if path not in OPEN_PATHS and not is_identity_path(path)
        for verb in operations
    }
    covered = {
        (
            op.verb,
            op.route.split("?")[0]
            .replace("/iso:missing", "/{key}")
            .replace("{missing_flavor_id}", "{flavor_id}"),
        )
        for op in REST_OPS
    }
    assert covered == routes


@pytest.mark.parametrize(("op", "caller", "side"), cells(REST_OPS))
def test_rest_cell(world: World, op: RestOp, caller: str, side: str) -> None:
    want = expected(caller, op, side, world)
    target = world.target(side, op.fresh if want == ALLOWED else "")
    path, body = op.build(world, target)
    token = world.tokens[caller]
    headers = {"X-Auth-Token": token} if token else {}
    if op.microversion:
        headers["OpenStack-API-Version"] = f"compute {op.microversion}"
    try:
        reply = world.rest.request(op.verb, path, json=body, headers=headers)
    finally:
        if op.restore_quotas:
            world.lift_quotas()
    check(reply.status_code, reply.text, want, caller, side)
    if reply.status_code == 401:
        assert list(reply.json()) == ["unauthorized"], reply.text
        assert reply.json()["unauthorized"]["code"] == 401


# ---------------------------------------------------------------------------- no leaks


def secrets_of_a(world: World) -> list[str]:
    a = world.a
    return [SECRET, a.project_id, a.server_id, a.group_id, a.request_id]


def assert_nothing_of_a(world: World, text: str) -> None:
    for secret in secrets_of_a(world):
        assert secret not in text, f"{secret!r} leaked: {text[:500]}"


def test_a_member_of_b_lists_nothing_of_project_a(world: World) -> None:
    member = auth(world.b.member_token)
    stub = world.stub
    answers = [
        stub.ListServers(C.ListServersRequest(), metadata=member, timeout=10),
        stub.ListServers(C.ListServersRequest(all_projects=True), metadata=member, timeout=10),
        stub.ListServerGroups(C.ListServerGroupsRequest(), metadata=member, timeout=10),
        stub.ListServerGroups(
            C.ListServerGroupsRequest(all_projects=True), metadata=member, timeout=10
        ),
        stub.ListInstanceActions(
            C.ListInstanceActionsRequest(id=world.b.server_id), metadata=member, timeout=10
        ),
        stub.GetQuotaSet(C.GetQuotaSetRequest(), metadata=member, timeout=10),
        stub.GetLimits(C.GetLimitsRequest(), metadata=member, timeout=10),
    ]
    texts = [text_format.MessageToString(answer) for answer in answers]
    assert world.b.server_id in texts[1] and world.b.group_id in texts[3]
    assert world.b.request_id in texts[4]
    assert f'project_id: "{world.b.project_id}"' in texts[5]

    headers = {"X-Auth-Token": world.b.member_token}
    for path in (
        "/v2.1/servers",
        "/v2.1/servers?all_projects=True",
        "/v2.1/servers/detail?all_projects=1",
        "/v2.1/os-server-groups",
        "/v2.1/os-server-groups?all_projects=True",
        f"/v2.1/servers/{world.b.server_id}/os-instance-actions",
        f"/v2.1/os-quota-sets/{world.b.project_id}",
        f"/v2.1/os-quota-sets/{world.b.project_id}/detail",
        "/v2.1/limits",
    ):
        reply = world.rest.get(path, headers=headers)
        assert reply.status_code == 200, (path, reply.text)
        texts.append(reply.text)
    assert world.b.server_id in texts[-7]
    for text in texts:
        assert_nothing_of_a(world, text)


def test_watching_servers_as_a_member_of_b_shows_nothing_of_project_a(world: World) -> None:
    stream = world.stub.WatchServers(
        C.WatchServersRequest(from_revision=0, all_projects=True),
        metadata=auth(world.b.member_token),
        timeout=1.5,
    )
    # Project A changes while B watches: a new server, and an action on the old one.
    world.boot(world.a, f"{SECRET}-watched")
    try:
        world.admin.ServerAction(
            C.ServerActionRequest(id=world.a.server_id, action="reboot", reboot_type="HARD"),
            timeout=10,
        )
    except grpc.RpcError as busy:  # the matrix may have left it mid-task
        assert busy.code() == grpc.StatusCode.FAILED_PRECONDITION  # type: ignore[attr-defined]
    seen: list[str] = []
    with pytest.raises(grpc.RpcError) as ended:
        for event in stream:
            seen.append(text_format.MessageToString(event))
    assert ended.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED  # type: ignore[attr-defined]
    assert any(world.b.server_id in text for text in seen)
    for text in seen:
        assert_nothing_of_a(world, text)


def test_errors_about_project_a_servers_name_nothing_of_them(world: World) -> None:
    server_id = world.a.server_id
    member = auth(world.b.member_token)
    for call, request in (
        (world.stub.GetServer, C.GetServerRequest(id=server_id)),
        (world.stub.DeleteServer, C.DeleteServerRequest(id=server_id)),
        (world.stub.ServerAction, C.ServerActionRequest(id=server_id, action="stop")),
        (world.stub.ListInstanceActions, C.ListInstanceActionsRequest(id=server_id)),
        (world.stub.GetConsoleOutput, C.GetConsoleOutputRequest(id=server_id)),
    ):
        with pytest.raises(grpc.RpcError) as refused:
            call(request, metadata=member, timeout=10)
        assert refused.value.code() == grpc.StatusCode.NOT_FOUND  # type: ignore[attr-defined]
        assert refused.value.details() == f"Instance {server_id} could not be found."  # type: ignore[attr-defined]
    headers = {"X-Auth-Token": world.b.member_token}
    for verb, path, body in (
        ("GET", f"/v2.1/servers/{server_id}", None),
        ("POST", f"/v2.1/servers/{server_id}/action", {"os-stop": None}),
        ("GET", f"/v2.1/servers/{server_id}/os-instance-actions/{world.a.request_id}", None),
    ):
        reply = world.rest.request(verb, path, json=body, headers=headers)
        assert reply.status_code == 404, reply.text
        assert reply.json() == {
            "itemNotFound": {"code": 404, "message": f"Instance {server_id} could not be found."}
        }


# ---------------------------------------------------------------------------- tokens


def within(seconds: float, probe: Callable[[], bool]) -> float:
    """Poll `probe` until it holds; how long that took. Fails after `seconds`."""
    start = time.monotonic()
    while not probe():
        assert time.monotonic() - start < seconds, f"not within {seconds} s"
        time.sleep(0.05)
    return time.monotonic() - start


def grpc_status(world: World, token: str, key: str = "x-auth-token") -> grpc.StatusCode:
    try:
        world.stub.ListServers(C.ListServersRequest(), metadata=[(key, token)], timeout=10)
    except grpc.RpcError as error:
        return error.code()  # type: ignore[attr-defined,no-any-return]
    return grpc.StatusCode.OK


def rest_status(world: World, token: str) -> int:
    headers = {"X-Auth-Token": token} if token else {}
    return world.rest.get("/v2.1/servers", headers=headers).status_code


def test_no_token_answers_401(world: World) -> None:
    with pytest.raises(grpc.RpcError) as refused:
        world.stub.ListServers(C.ListServersRequest(), timeout=10)
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED  # type: ignore[attr-defined]
    reply = world.rest.get("/v2.1/servers")
    assert reply.status_code == 401
    (body,) = reply.json().values()
    assert list(reply.json()) == ["unauthorized"] and body["code"] == 401
    # The same token is accepted as a bearer token over gRPC, and the caller's own say of
    # who it is counts for nothing.
    member = world.b.member_token
    assert grpc_status(world, f"Bearer {member}", key="authorization") == grpc.StatusCode.OK
    forged = [
        ("x-stratus-user", "admin"),
        ("x-stratus-project", world.a.project_id),
        ("x-stratus-roles", "admin"),
    ]
    with pytest.raises(grpc.RpcError) as refused:
        world.stub.GetServer(C.GetServerRequest(id=world.a.server_id), metadata=forged, timeout=10)
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED  # type: ignore[attr-defined]


def test_a_tampered_token_answers_401(world: World) -> None:
    token = world.b.member_token
    middle = len(token) // 2
    flipped = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    for bad in (flipped, token[:-4], token + "x", "not-a-token"):
        assert grpc_status(world, bad) == grpc.StatusCode.UNAUTHENTICATED, bad
        assert rest_status(world, bad) == 401, bad
    assert grpc_status(world, token) == grpc.StatusCode.OK


def test_a_token_revoked_over_grpc_stops_working_within_3_seconds(world: World) -> None:
    user = f"{PROJECT_B}-member"
    token = world.cloud.login(user, f"{user}-password", PROJECT_B).token
    assert grpc_status(world, token) == grpc.StatusCode.OK
    world.identity.RevokeToken(
        identity_pb2.RevokeTokenRequest(token=token), metadata=auth(token), timeout=10
    )
    within(3, lambda: grpc_status(world, token) == grpc.StatusCode.UNAUTHENTICATED)
    within(3, lambda: rest_status(world, token) == 401)
    # Only that token: the user's others still work.
    assert grpc_status(world, world.b.member_token) == grpc.StatusCode.OK


def test_a_token_revoked_over_rest_stops_working_within_3_seconds(world: World) -> None:
    user = f"{PROJECT_B}-member"
    token = world.cloud.login(user, f"{user}-password", PROJECT_B).token
    assert rest_status(world, token) == 200
    reply = world.rest.delete(
        "/v3/auth/tokens",
        headers={"X-Auth-Token": world.cloud.admin.token, "X-Subject-Token": token},
    )
    assert reply.status_code == 204, reply.text
    within(3, lambda: rest_status(world, token) == 401)
    within(3, lambda: grpc_status(world, token) == grpc.StatusCode.UNAUTHENTICATED)
    assert rest_status(world, world.b.member_token) == 200


def test_a_user_removed_from_the_project_loses_access_within_3_seconds(world: World) -> None:
    user = f"{PROJECT_B}-leaver"
    issued = world.cloud.token_for(PROJECT_B, "member", user=user)
    token = issued.token
    assert grpc_status(world, token) == grpc.StatusCode.OK
    assert rest_status(world, token) == 200
    world.identity.UnassignRole(
        identity_pb2.RoleAssignmentRequest(
            user_id=issued.info.user_id, project_id=world.b.project_id, role="member"
        ),
        metadata=auth(world.cloud.admin.token),
        timeout=10,
    )
    within(3, lambda: grpc_status(world, token) == grpc.StatusCode.UNAUTHENTICATED)
    within(3, lambda: rest_status(world, token) == 401)
    with pytest.raises(grpc.RpcError) as refused:
        world.cloud.login(user, f"{user}-password", PROJECT_B)
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED  # type: ignore[attr-defined]
