"""`stratus project|user|role|token`: identity over the api's gRPC Identity service.

Credentials are found as for every other command (services.cli.credentials): a token, a
user name and password, or a cloud of a clouds.yaml (the one `stratus up` writes).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click
import grpc
from rich.table import Table

from services.cli import client, credentials, render
from services.runtime import context
from stratus.v1 import identity_pb2 as ident
from stratus.v1 import identity_pb2_grpc

T = TypeVar("T")
Stub = Any  # identity_pb2_grpc.IdentityStub; generated modules are not type-checked


def run(action: Callable[[Stub], Awaitable[T]]) -> T:
    """Run `action` with an Identity stub whose channel carries the caller's token."""
    return client.run(action, identity_pb2_grpc.IdentityStub)


def _table(title: str, columns: list[str], rows: list[list[str]]) -> Table:
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    return table


@click.group()
@client.connection_options
def project() -> None:
    """Projects (Keystone's tenants)."""


@project.command("list")
@client.connection_options
def project_list() -> None:
    timeout = client.settings().timeout

    async def call(stub: Stub) -> Any:
        return await stub.ListProjects(ident.ListProjectsRequest(), timeout=timeout)

    reply = run(call)
    rows = [[p.id, p.name, "yes" if p.enabled else "no"] for p in reply.projects]
    client.emit(
        _table("Projects", ["ID", "Name", "Enabled"], rows),
        [render.to_dict(p) for p in reply.projects],
    )


@project.command("create")
@click.argument("name")
@click.option("--description", default="")
@client.connection_options
def project_create(name: str, description: str) -> None:
    timeout = client.settings().timeout

    async def call(stub: Stub) -> Any:
        request = ident.CreateProjectRequest(name=name, description=description)
        return await stub.CreateProject(request, timeout=timeout)

    created = run(call)
    client.emit(
        _table("Project", ["ID", "Name"], [[created.id, created.name]]), render.to_dict(created)
    )


@click.group()
@client.connection_options
def user() -> None:
    """Users."""


@user.command("list")
@client.connection_options
def user_list() -> None:
    timeout = client.settings().timeout

    async def call(stub: Stub) -> Any:
        return await stub.ListUsers(ident.ListUsersRequest(), timeout=timeout)

    reply = run(call)
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
@client.connection_options
def user_create(name: str, password: str, default_project: str) -> None:
    timeout = client.settings().timeout

    async def call(stub: Stub) -> Any:
        request = ident.CreateUserRequest(
            name=name, password=password, default_project_id=default_project
        )
        return await stub.CreateUser(request, timeout=timeout)

    created = run(call)
    client.emit(
        _table("User", ["ID", "Name"], [[created.id, created.name]]), render.to_dict(created)
    )


@click.group()
@client.connection_options
def role() -> None:
    """Role assignments: admin and it_security are global; the others per project."""


async def _project_id(stub: Stub, ref: str, call_seconds: float) -> str:
    if ref == "*":
        return ref
    reply = await stub.ListProjects(ident.ListProjectsRequest(name=ref), timeout=call_seconds)
    return reply.projects[0].id if reply.projects else ref


async def _user_id(stub: Stub, ref: str, call_seconds: float) -> str:
    reply = await stub.ListUsers(ident.ListUsersRequest(name=ref), timeout=call_seconds)
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
    @client.connection_options
    def command(user_ref: str, project_ref: str, role_name: str) -> None:
        timeout = client.settings().timeout

        async def call(stub: Stub) -> None:
            request = ident.RoleAssignmentRequest(
                user_id=await _user_id(stub, user_ref, timeout),
                project_id=await _project_id(stub, project_ref, timeout),
                role=role_name,
            )
            await getattr(stub, rpc)(request, timeout=timeout)

        run(call)
        click.echo(f"role {role_name} {verb} user {user_ref} on {project_ref}")

    command.__doc__ = f"{verb.capitalize()} ROLE to/from a user on a project (or globally)."


_role_command("add", "AssignRole", "given to")
_role_command("remove", "UnassignRole", "taken from")


@click.group()
@client.connection_options
def token() -> None:
    """Tokens."""


@token.command("issue")
@client.connection_options
def token_issue() -> None:
    """Authenticate and print a token (export it as OS_TOKEN)."""
    creds = client.resolve_credentials()
    if creds.token:
        raise client.CommandError("a token is already given (OS_TOKEN): nothing to issue")
    conf = client.settings()
    ctx = context.RequestContext()
    with context.bound(ctx):
        try:
            reply = asyncio.run(credentials.authenticate(conf.api, creds, conf.timeout))
        except grpc.aio.AioRpcError as error:
            raise client.CommandError(client.describe(error, conf.api), ctx.request_id) from None
        except credentials.CredentialsError as error:
            raise client.CommandError(str(error), ctx.request_id) from None
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
