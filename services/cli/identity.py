"""`stratus project|user|role|token`: identity over the api's gRPC Identity service.

Credentials come as in the OpenStack CLI: a token (`--os-token` / OS_TOKEN), or a user
name and password (`--os-username`, `--os-password`, `--os-project-name`, or the OS_*
variables), exchanged for a token by each command.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click
import grpc
from rich.table import Table

from services.api.identity.auth import AUTH_TOKEN_METADATA
from services.cli import client, render
from services.runtime import context, grpc_client
from stratus.v1 import identity_pb2 as ident
from stratus.v1 import identity_pb2_grpc

T = TypeVar("T")
Stub = Any  # identity_pb2_grpc.IdentityStub; generated modules are not type-checked


def credential_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--os-token", envvar="OS_TOKEN", default=None, help="a token [env OS_TOKEN]"),
        click.option(
            "--os-username",
            envvar="OS_USERNAME",
            default="admin",
            show_default=True,
            help="user name [env OS_USERNAME]",
        ),
        click.option(
            "--os-password", envvar="OS_PASSWORD", default=None, help="password [env OS_PASSWORD]"
        ),
        click.option(
            "--os-project-name",
            envvar="OS_PROJECT_NAME",
            default="admin",
            show_default=True,
            help="project to scope to [env OS_PROJECT_NAME]",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return client.connection_options(func)


def _authenticate_request(username: str, password: str | None, project: str) -> Any:
    if not password:
        raise client.CommandError("give a token (OS_TOKEN) or a password (OS_PASSWORD)")
    return ident.AuthenticateRequest(user_name=username, password=password, project_name=project)


def run(creds: dict[str, Any], action: Callable[[Stub, list[tuple[str, str]]], Awaitable[T]]) -> T:
    """Run `action` with an Identity stub and the metadata carrying the caller's token."""
    conf = client.settings()
    ctx = context.RequestContext()

    async def go() -> T:
        channel = grpc_client.channel(conf.api)
        try:
            stub = identity_pb2_grpc.IdentityStub(channel)
            token = creds.get("os_token")
            if not token:
                request = _authenticate_request(
                    creds["os_username"], creds.get("os_password"), creds["os_project_name"]
                )
                token = (await stub.Authenticate(request, timeout=conf.timeout)).token
            return await action(stub, [(AUTH_TOKEN_METADATA, token)])
        finally:
            await channel.close()

    with context.bound(ctx):
        try:
            return asyncio.run(go())
        except grpc.aio.AioRpcError as error:
            raise client.CommandError(client.describe(error, conf.api), ctx.request_id) from None


def _table(title: str, columns: list[str], rows: list[list[str]]) -> Table:
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    return table


@click.group()
def project() -> None:
    """Projects (Keystone's tenants)."""


@project.command("list")
@credential_options
def project_list(**creds: Any) -> None:
    timeout = client.settings().timeout

    async def call(stub: Stub, md: list[tuple[str, str]]) -> Any:
        return await stub.ListProjects(ident.ListProjectsRequest(), metadata=md, timeout=timeout)

    reply = run(creds, call)
    rows = [[p.id, p.name, "yes" if p.enabled else "no"] for p in reply.projects]
    client.emit(
        _table("Projects", ["ID", "Name", "Enabled"], rows),
        [render.to_dict(p) for p in reply.projects],
    )


@project.command("create")
@click.argument("name")
@click.option("--description", default="")
@credential_options
def project_create(name: str, description: str, **creds: Any) -> None:
    timeout = client.settings().timeout

    async def call(stub: Stub, md: list[tuple[str, str]]) -> Any:
        request = ident.CreateProjectRequest(name=name, description=description)
        return await stub.CreateProject(request, metadata=md, timeout=timeout)

    created = run(creds, call)
    client.emit(
        _table("Project", ["ID", "Name"], [[created.id, created.name]]), render.to_dict(created)
    )


@click.group()
def user() -> None:
    """Users."""


@user.command("list")
@credential_options
def user_list(**creds: Any) -> None:
    timeout = client.settings().timeout

    async def call(stub: Stub, md: list[tuple[str, str]]) -> Any:
        return await stub.ListUsers(ident.ListUsersRequest(), metadata=md, timeout=timeout)

    reply = run(creds, call)
    rows = [[u.id, u.name, "yes" if u.enabled else "no"] for u in reply.users]
    client.emit(
        _table("Users", ["ID", "Name", "Enabled"], rows), [render.to_dict(u) for u in reply.users]
    )


@user.command("create")
@click.argument("name")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="the new user's password (asked for when not given)",
)
@click.option("--project", "default_project", default="", help="default project id")
@credential_options
def user_create(name: str, password: str, default_project: str, **creds: Any) -> None:
    timeout = client.settings().timeout

    async def call(stub: Stub, md: list[tuple[str, str]]) -> Any:
        request = ident.CreateUserRequest(
            name=name, password=password, default_project_id=default_project
        )
        return await stub.CreateUser(request, metadata=md, timeout=timeout)

    created = run(creds, call)
    client.emit(
        _table("User", ["ID", "Name"], [[created.id, created.name]]), render.to_dict(created)
    )


@click.group()
def role() -> None:
    """Role assignments: admin and it_security are global; the others per project."""


async def _project_id(stub: Stub, md: list[tuple[str, str]], ref: str, call_seconds: float) -> str:
    if ref == "*":
        return ref
    reply = await stub.ListProjects(
        ident.ListProjectsRequest(name=ref), metadata=md, timeout=call_seconds
    )
    return reply.projects[0].id if reply.projects else ref


async def _user_id(stub: Stub, md: list[tuple[str, str]], ref: str, call_seconds: float) -> str:
    reply = await stub.ListUsers(
        ident.ListUsersRequest(name=ref), metadata=md, timeout=call_seconds
    )
    return reply.users[0].id if reply.users else ref


def _role_command(name: str, rpc: str, verb: str) -> None:
    @role.command(name)
    @click.option("--user", "user_ref", required=True, help="user name or id")
    @click.option(
        "--project",
        "project_ref",
        default="*",
        show_default=True,
        help="project name or id; * for a global role (admin, it_security)",
    )
    @click.argument("role_name", metavar="ROLE")
    @credential_options
    def command(user_ref: str, project_ref: str, role_name: str, **creds: Any) -> None:
        timeout = client.settings().timeout

        async def call(stub: Stub, md: list[tuple[str, str]]) -> None:
            request = ident.RoleAssignmentRequest(
                user_id=await _user_id(stub, md, user_ref, timeout),
                project_id=await _project_id(stub, md, project_ref, timeout),
                role=role_name,
            )
            await getattr(stub, rpc)(request, metadata=md, timeout=timeout)

        run(creds, call)
        click.echo(f"role {role_name} {verb} user {user_ref} on {project_ref}")

    command.__doc__ = f"{verb.capitalize()} ROLE to/from a user on a project (or globally)."


_role_command("add", "AssignRole", "given to")
_role_command("remove", "UnassignRole", "taken from")


@click.group()
def token() -> None:
    """Tokens."""


@token.command("issue")
@credential_options
def token_issue(**creds: Any) -> None:
    """Authenticate and print a token (export it as OS_TOKEN)."""
    conf = client.settings()
    request = _authenticate_request(
        creds["os_username"], creds.get("os_password"), creds["os_project_name"]
    )
    ctx = context.RequestContext()

    async def go() -> Any:
        channel = grpc_client.channel(conf.api)
        try:
            stub = identity_pb2_grpc.IdentityStub(channel)
            return await stub.Authenticate(request, timeout=conf.timeout)
        finally:
            await channel.close()

    with context.bound(ctx):
        try:
            reply = asyncio.run(go())
        except grpc.aio.AioRpcError as error:
            raise client.CommandError(client.describe(error, conf.api), ctx.request_id) from None
    info = reply.info
    rows = [
        ["id", reply.token],
        ["expires", render.timestamp(info.expires_at)],
        ["project_id", info.project_id],
        ["user_id", info.user_id],
        ["roles", ",".join(info.roles)],
    ]
    client.emit(
        _table("Token", ["Field", "Value"], rows),
        {**render.to_dict(info), "token": reply.token},
    )


GROUPS = (project, user, role, token)
