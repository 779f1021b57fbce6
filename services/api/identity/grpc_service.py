"""The `stratus.v1.Identity` gRPC service over IdentityApi.

Every call but Authenticate takes the caller's token from the `x-auth-token` metadata and
validates it here, whatever the server's interceptor did: identity never trusts a caller
it has not checked itself. StratusErrors raised here become gRPC statuses in the server's
interceptor (services.runtime.grpc_server).
"""

from __future__ import annotations

import grpc

from services.api.identity.auth import AUTH_TOKEN_METADATA, MISSING
from services.api.identity.service import IdentityApi, caller_context
from services.api.identity.tokens import TokenManager, TokenPayload
from services.runtime import context
from services.runtime.context import RequestContext
from services.runtime.errors import InvalidArgument, Unauthenticated
from stratus.v1 import identity_pb2 as ident
from stratus.v1 import identity_pb2_grpc

SERVICE_NAME = ident.DESCRIPTOR.services_by_name["Identity"].full_name


class IdentityService(identity_pb2_grpc.IdentityServicer):
    def __init__(self, api: IdentityApi, tokens: TokenManager) -> None:
        self.api = api
        self.tokens = tokens

    def _payload(self, servicer_context: grpc.aio.ServicerContext) -> TokenPayload:
        token = ""
        for key, value in servicer_context.invocation_metadata() or ():
            if key == AUTH_TOKEN_METADATA and isinstance(value, str):
                token = value
        if not token:
            raise Unauthenticated(MISSING.replace("X-Auth-Token", "x-auth-token metadata"))
        return self.tokens.validate(token)

    def _ctx(self, servicer_context: grpc.aio.ServicerContext) -> RequestContext:
        return caller_context(self._payload(servicer_context), context.current().request_id)

    async def Authenticate(
        self, request: ident.AuthenticateRequest, servicer_context: grpc.aio.ServicerContext
    ) -> ident.AuthenticateResponse:
        if not request.user_id and not request.user_name:
            raise InvalidArgument("user_id or user_name is required")
        result = await self.api.authenticate(
            password=request.password,
            user_id=request.user_id,
            user_name=request.user_name,
            project_id=request.project_id,
            project_name=request.project_name,
        )
        return ident.AuthenticateResponse(
            token=result.issued.token, info=result.issued.payload.to_proto()
        )

    async def ValidateToken(
        self, request: ident.ValidateTokenRequest, servicer_context: grpc.aio.ServicerContext
    ) -> ident.Token:
        caller = self._payload(servicer_context)
        return self.api.validate_token(caller, request.token).to_proto()

    async def RevokeToken(
        self, request: ident.RevokeTokenRequest, servicer_context: grpc.aio.ServicerContext
    ) -> ident.RevokeTokenResponse:
        await self.api.revoke_token(self._payload(servicer_context), request.token)
        return ident.RevokeTokenResponse()

    async def ListProjects(
        self, request: ident.ListProjectsRequest, servicer_context: grpc.aio.ServicerContext
    ) -> ident.ListProjectsResponse:
        projects = await self.api.list_projects(self._ctx(servicer_context), request.name)
        return ident.ListProjectsResponse(projects=projects)

    async def GetProject(
        self, request: ident.GetProjectRequest, servicer_context: grpc.aio.ServicerContext
    ) -> ident.Project:
        return await self.api.get_project(self._ctx(servicer_context), request.id)

    async def CreateProject(
        self, request: ident.CreateProjectRequest, servicer_context: grpc.aio.ServicerContext
    ) -> ident.Project:
        return await self.api.create_project(
            self._ctx(servicer_context),
            request.name,
            request.description,
            enabled=not request.disabled,
        )

    async def UpdateProject(
        self, request: ident.UpdateProjectRequest, servicer_context: grpc.aio.ServicerContext
    ) -> ident.Project:
        return await self.api.update_project(
            self._ctx(servicer_context),
            request.id,
            name=request.name if request.HasField("name") else None,
            description=request.description if request.HasField("description") else None,
            enabled=request.enabled if request.HasField("enabled") else None,
        )

    async def DeleteProject(
        self, request: ident.DeleteProjectRequest, servicer_context: grpc.aio.ServicerContext
    ) -> ident.DeleteProjectResponse:
        await self.api.delete_project(self._ctx(servicer_context), request.id)
        return ident.DeleteProjectResponse()

    async def ListUsers(
        self, request: ident.ListUsersRequest, servicer_context: grpc.aio.ServicerContext
    ) -> ident.ListUsersResponse:
        users = await self.api.list_users(self._ctx(servicer_context), request.name)
        return ident.ListUsersResponse(users=users)

    async def GetUser(
        self, request: ident.GetUserRequest, servicer_context: grpc.aio.ServicerContext
    ) -> ident.User:
        return await self.api.get_user(self._ctx(servicer_context), request.id)

    async def CreateUser(
        self, request: ident.CreateUserRequest, servicer_context: grpc.aio.ServicerContext
    ) -> ident.User:
        return await self.api.create_user(
            self._ctx(servicer_context),
            request.name,
            request.password,
            default_project_id=request.default_project_id,
            description=request.description,
            email=request.email,
            enabled=not request.disabled,
        )

    async def UpdateUser(
        self, request: ident.UpdateUserRequest, servicer_context: grpc.aio.ServicerContext
    ) -> ident.User:
        def optional(field: str) -> str | None:
            return getattr(request, field) if request.HasField(field) else None

        return await self.api.update_user(
            self._ctx(servicer_context),
            request.id,
            name=optional("name"),
            password=optional("password"),
            enabled=request.enabled if request.HasField("enabled") else None,
            description=optional("description"),
            email=optional("email"),
            default_project_id=optional("default_project_id"),
        )

    async def DeleteUser(
        self, request: ident.DeleteUserRequest, servicer_context: grpc.aio.ServicerContext
    ) -> ident.DeleteUserResponse:
        await self.api.delete_user(self._ctx(servicer_context), request.id)
        return ident.DeleteUserResponse()

    async def ListRoles(
        self, request: ident.ListRolesRequest, servicer_context: grpc.aio.ServicerContext
    ) -> ident.ListRolesResponse:
        self._payload(servicer_context)
        return ident.ListRolesResponse(roles=self.api.list_roles())

    async def AssignRole(
        self, request: ident.RoleAssignmentRequest, servicer_context: grpc.aio.ServicerContext
    ) -> ident.RoleAssignmentResponse:
        await self.api.assign_role(
            self._ctx(servicer_context), request.project_id, request.user_id, request.role
        )
        return ident.RoleAssignmentResponse()

    async def CheckRole(
        self, request: ident.RoleAssignmentRequest, servicer_context: grpc.aio.ServicerContext
    ) -> ident.CheckRoleResponse:
        assigned = await self.api.check_role(
            self._ctx(servicer_context), request.project_id, request.user_id, request.role
        )
        return ident.CheckRoleResponse(assigned=assigned)

    async def UnassignRole(
        self, request: ident.RoleAssignmentRequest, servicer_context: grpc.aio.ServicerContext
    ) -> ident.RoleAssignmentResponse:
        await self.api.unassign_role(
            self._ctx(servicer_context), request.project_id, request.user_id, request.role
        )
        return ident.RoleAssignmentResponse()

    async def ListRoleAssignments(
        self,
        request: ident.ListRoleAssignmentsRequest,
        servicer_context: grpc.aio.ServicerContext,
    ) -> ident.ListRoleAssignmentsResponse:
        assignments = await self.api.list_role_assignments(
            self._ctx(servicer_context), user_id=request.user_id, project_id=request.project_id
        )
        return ident.ListRoleAssignmentsResponse(assignments=assignments)


def register(server: grpc.aio.Server, api: IdentityApi, tokens: TokenManager) -> None:
    """Add the Identity servicer to `server` (pass SERVICE_NAME to start_server too)."""
    identity_pb2_grpc.add_IdentityServicer_to_server(IdentityService(api, tokens), server)
