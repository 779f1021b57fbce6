"""A fake Compute service: records the requests the client commands send."""

from __future__ import annotations

import queue
import threading
from typing import Any

import grpc

from stratus.v1 import compute_pb2, compute_pb2_grpc, identity_pb2, identity_pb2_grpc, types_pb2


class FakeCompute(compute_pb2_grpc.ComputeServicer):
    """Records what it was asked and answers from in-memory servers."""

    def __init__(self) -> None:
        self.servers: dict[str, types_pb2.Instance] = {}
        self.flavors: list[types_pb2.Flavor] = []
        self.taken_flavor_ids: set[str] = set()  # kept when a test empties `flavors`
        self.flavor_access: list[str] = []  # the projects with access, whatever the flavor
        self.images: list[types_pb2.Image] = []
        self.hosts: list[compute_pb2.HostView] = []
        self.services: list[compute_pb2.ServiceView] = []
        self.actions: list[types_pb2.InstanceAction] = []
        self.requests: list[tuple[str, Any, dict[str, str]]] = []
        self.events: queue.Queue[compute_pb2.ServerEvent] = queue.Queue()
        # What a created server turns into when the client waits: the watch sends it.
        self.create_outcome: types_pb2.Instance | None = None
        # vm_state a server action leads to, as the conductor would record it.
        self.action_outcome: dict[str, Any] = {}
        self.watch_ends = False  # end the stream once the queued events are sent
        self.lock = threading.Lock()
        self.identity: FakeIdentity | None = None  # served beside it by the fake_api fixture

    def _record(self, name: str, request: Any, context: grpc.ServicerContext) -> None:
        metadata = {key: value for key, value in context.invocation_metadata()}
        with self.lock:
            self.requests.append((name, request, metadata))

    def calls(self, name: str) -> list[tuple[Any, dict[str, str]]]:
        with self.lock:
            return [(req, md) for n, req, md in self.requests if n == name]

    def CreateServers(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._record("CreateServers", request, context)
        count = max(request.min_count, 1)
        created = []
        for index in range(count):
            instance = types_pb2.Instance(
                id=f"srv-{len(self.servers) + 1}",
                name=request.name,
                vm_state=types_pb2.VM_STATE_BUILDING,
                task_state=types_pb2.TASK_STATE_SCHEDULING,
                metadata=dict(request.metadata),
                launch_index=index,
            )
            self.servers[instance.id] = instance
            created.append(instance)
            if self.create_outcome is not None:
                final = types_pb2.Instance()
                final.CopyFrom(self.create_outcome)
                final.id = instance.id
                final.name = instance.name
                self.servers[instance.id] = final
                self.events.put(
                    compute_pb2.ServerEvent(
                        type=compute_pb2.ServerEvent.TYPE_CHANGED, server=final, revision=5
                    )
                )
        return compute_pb2.CreateServersResponse(reservation_id="r-1", servers=created)

    def GetServer(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._record("GetServer", request, context)
        if request.id not in self.servers:
            context.abort(grpc.StatusCode.NOT_FOUND, f"server {request.id} not found")
        return self.servers[request.id]

    def ListServers(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._record("ListServers", request, context)
        return compute_pb2.ListServersResponse(servers=list(self.servers.values()))

    def DeleteServer(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._record("DeleteServer", request, context)
        if request.id not in self.servers:
            context.abort(grpc.StatusCode.NOT_FOUND, f"server {request.id} not found")
        del self.servers[request.id]
        return compute_pb2.DeleteServerResponse(request_id="req-delete")

    def ServerAction(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._record("ServerAction", request, context)
        if request.id not in self.servers:
            context.abort(grpc.StatusCode.NOT_FOUND, f"server {request.id} not found")
        if request.action in self.action_outcome:
            self.servers[request.id].vm_state = self.action_outcome[request.action]
        return compute_pb2.ServerActionResponse(request_id="req-action")

    def ListInstanceActions(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._record("ListInstanceActions", request, context)
        return compute_pb2.ListInstanceActionsResponse(actions=self.actions)

    def WatchServers(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._record("WatchServers", request, context)
        while context.is_active():
            try:
                yield self.events.get(timeout=0.05)
            except queue.Empty:
                if self.watch_ends:
                    return

    def UpdateQuotaSet(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._record("UpdateQuotaSet", request, context)
        return compute_pb2.QuotaSetResponse(project_id=request.project_id, limits=request.limits)

    def ListFlavors(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._record("ListFlavors", request, context)
        return compute_pb2.ListFlavorsResponse(flavors=self.flavors)

    def CreateFlavor(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._record("CreateFlavor", request, context)
        if request.flavor.id in self.taken_flavor_ids:
            context.abort(grpc.StatusCode.ALREADY_EXISTS, "flavor exists")
        self.taken_flavor_ids.add(request.flavor.id)
        self.flavors.append(request.flavor)
        return request.flavor

    def AddFlavorAccess(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._record("AddFlavorAccess", request, context)
        self.flavor_access.append(request.project_id)
        return self._access(request.flavor_id)

    def RemoveFlavorAccess(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._record("RemoveFlavorAccess", request, context)
        if request.project_id not in self.flavor_access:
            context.abort(grpc.StatusCode.NOT_FOUND, "Flavor access not found")
        self.flavor_access.remove(request.project_id)
        return self._access(request.flavor_id)

    def ListFlavorAccess(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._record("ListFlavorAccess", request, context)
        return self._access(request.flavor_id)

    def _access(self, flavor_id: str) -> compute_pb2.FlavorAccessList:
        return compute_pb2.FlavorAccessList(
            access=[
                compute_pb2.FlavorAccess(flavor_id=flavor_id, project_id=project)
                for project in self.flavor_access
            ]
        )

    def ListImages(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._record("ListImages", request, context)
        return compute_pb2.ListImagesResponse(images=self.images)

    def CreateImage(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._record("CreateImage", request, context)
        self.images.append(request.image)
        return request.image

    def ListHosts(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._record("ListHosts", request, context)
        return compute_pb2.ListHostsResponse(hosts=self.hosts)

    def ListServices(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._record("ListServices", request, context)
        return compute_pb2.ListServicesResponse(services=self.services)


FAKE_PASSWORD = "fake-password"
FAKE_PROJECT_ID = "project-admin-id"


class FakeIdentity(identity_pb2_grpc.IdentityServicer):
    """Authenticate: user admin with FAKE_PASSWORD gets a token naming its project."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, Any, dict[str, str]]] = []
        self.lock = threading.Lock()

    def _record(self, name: str, request: Any, context: grpc.ServicerContext) -> None:
        metadata = {key: value for key, value in context.invocation_metadata()}
        with self.lock:
            self.requests.append((name, request, metadata))

    def calls(self, name: str) -> list[tuple[Any, dict[str, str]]]:
        with self.lock:
            return [(req, md) for n, req, md in self.requests if n == name]

    def Authenticate(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._record("Authenticate", request, context)
        if request.user_name != "admin" or request.password != FAKE_PASSWORD:
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "the user name or password is wrong")
        project = request.project_name or "admin"
        return identity_pb2.AuthenticateResponse(
            token=f"token-of-{request.user_name}-in-{project}",
            info=identity_pb2.Token(user_id="user-admin", project_id=FAKE_PROJECT_ID),
        )

    def ListProjects(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._record("ListProjects", request, context)
        return identity_pb2.ListProjectsResponse(
            projects=[identity_pb2.Project(id=FAKE_PROJECT_ID, name="admin", enabled=True)]
        )
