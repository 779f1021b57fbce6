"""The `stratus` client commands: servers, flavors, images, hosts and services over gRPC.

Every command talks to the api's public Compute service, the same contract any gRPC client
uses. Each command runs under a fresh request context, so its request id travels in the
call metadata to every service that handles it; when a call fails the id is printed, and
an operator can find every log line and action record the command caused.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias, TypeVar

import click
import grpc
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from services.api.status import server_status
from services.cli import credentials, render
from services.runtime import context, grpc_client
from stratus.v1 import compute_pb2, compute_pb2_grpc, types_pb2

T = TypeVar("T")

DEFAULT_API = "127.0.0.1:8780"
DEFAULT_TIMEOUT_SECONDS = 30.0
DEFAULT_WAIT_SECONDS = 300.0
POLL_SECONDS = 2.0

# compute_pb2_grpc.ComputeStub; generated modules are not type-checked, so it is Any to mypy.
Stub: TypeAlias = Any


class CommandError(click.ClickException):
    """A failed command: one readable line, the request id to grep for, exit code 1."""

    exit_code = 1

    def __init__(self, message: str, request_id: str | None = None) -> None:
        super().__init__(message)
        self.request_id = request_id

    def show(self, file: Any = None) -> None:
        stream = file or sys.stderr
        click.echo(f"error: {self.message}", file=stream)
        if self.request_id:
            click.echo(f"request id {self.request_id}", file=stream)


@dataclass(frozen=True)
class Settings:
    """Where and how a command talks and prints; from the command's or the group's options."""

    api: str = DEFAULT_API
    fmt: str = "table"
    timeout: float = DEFAULT_TIMEOUT_SECONDS


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    # ctx.meta is shared by the whole command chain: a leaf's option overrides the group's.
    if value is not None and param.name:
        ctx.meta[f"stratus.{param.name}"] = value
    return value


def _secret(flag: str, envvar: str, text: str) -> Any:
    return click.option(
        flag,
        envvar=envvar,
        default=None,
        expose_value=False,
        callback=_remember,
        help=f"{text} [env {envvar}]",
    )


def connection_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """`--api`, `--format`, `--timeout` and the credentials (`--os-*`), accepted on the
    group and on every command."""
    options = [
        click.option(
            "--api",
            envvar="STRATUS_API",
            default=None,
            expose_value=False,
            callback=_remember,
            help=f"api gRPC endpoint host:port [env STRATUS_API; default {DEFAULT_API}]",
        ),
        click.option(
            "--format",
            "format",
            type=click.Choice(render.FORMATS),
            default=None,
            expose_value=False,
            callback=_remember,
            help="output: a table for people or JSON for scripts [default: table]",
        ),
        click.option(
            "--timeout",
            type=click.FloatRange(min=0.1),
            default=None,
            expose_value=False,
            callback=_remember,
            help=f"seconds to wait for each call [default: {DEFAULT_TIMEOUT_SECONDS:g}]",
        ),
        _secret("--os-token", "OS_TOKEN", "a token"),
        _secret("--os-username", "OS_USERNAME", "user name (with --os-password)"),
        _secret("--os-password", "OS_PASSWORD", "password"),
        _secret("--os-project-name", "OS_PROJECT_NAME", "project to scope to"),
        _secret(
            "--os-cloud",
            "OS_CLOUD",
            f"cloud in clouds.yaml, read when no token or password is given "
            f"[default: {credentials.DEFAULT_CLOUD}]",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def settings() -> Settings:
    meta = click.get_current_context().meta
    return Settings(
        api=meta.get("stratus.api", DEFAULT_API),
        fmt=meta.get("stratus.format", "table"),
        timeout=meta.get("stratus.timeout", DEFAULT_TIMEOUT_SECONDS),
    )


def given_credentials() -> credentials.Given:
    """The credential options and OS_* variables of this command (a leaf's win)."""
    meta = click.get_current_context().meta
    return credentials.Given(
        token=meta.get("stratus.os_token"),
        username=meta.get("stratus.os_username"),
        password=meta.get("stratus.os_password"),
        project_name=meta.get("stratus.os_project_name"),
        cloud=meta.get("stratus.os_cloud"),
    )


def resolve_credentials() -> credentials.Credentials:
    try:
        return credentials.resolve(given_credentials())
    except credentials.CredentialsError as error:
        raise CommandError(str(error)) from None


def describe(error: grpc.aio.AioRpcError, api: str) -> str:
    """The server's own message; for an unreachable api, a hint instead of a stack of causes."""
    code = error.code()
    if code == grpc.StatusCode.UNAVAILABLE and "connect" in (error.details() or "").lower():
        return f"cannot reach the api at {api} (is `stratus up` running? set --api or STRATUS_API)"
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return f"the api at {api} did not answer in time"
    if code == grpc.StatusCode.UNAUTHENTICATED:
        return f"authentication failed: {error.details() or code.name}"
    details = error.details() or code.name
    return f"{details} ({code.name})"


def run(action: Callable[[Stub], Awaitable[T]], stub_class: Any = None) -> T:
    """Run one command's calls under a fresh request context, authenticated as the
    credentials say; gRPC and credential errors become one line.

    `stub_class` is the generated stub the action gets (default: the Compute service's).
    """
    conf = settings()
    creds = resolve_credentials()
    ctx = context.RequestContext()
    with context.bound(ctx):
        try:
            return asyncio.run(_with_stub(conf, creds, action, stub_class))
        except grpc.aio.AioRpcError as error:
            raise CommandError(describe(error, conf.api), ctx.request_id) from None
        except credentials.CredentialsError as error:
            raise CommandError(str(error), ctx.request_id) from None
        except CommandError as error:
            error.request_id = error.request_id or ctx.request_id
            raise


async def _with_stub(
    conf: Settings,
    creds: credentials.Credentials,
    action: Callable[[Stub], Awaitable[T]],
    stub_class: Any,
) -> T:
    token = await credentials.token(conf.api, creds, conf.timeout)
    channel = grpc_client.channel(conf.api, token=token)
    try:
        return await action((stub_class or compute_pb2_grpc.ComputeStub)(channel))
    finally:
        await channel.close()


def emit(table: Any, data: Any) -> None:
    """Print the table, or the JSON form when `--format json` was asked for."""
    out = render.console()
    if settings().fmt == "json":
        render.print_json(out, data)
    else:
        out.print(table)


def show_list(
    fetch: Callable[[Stub, float], Awaitable[Any]],
    field: str,
    table: Callable[[list[Any]], Any],
) -> None:
    """Call a List* RPC (`fetch(stub, timeout)`), take its repeated `field`, and print it."""
    conf = settings()

    async def action(stub: Stub) -> list[Any]:
        return list(getattr(await fetch(stub, conf.timeout), field))

    items = run(action)
    emit(table(items), [render.to_dict(item) for item in items])


def parse_meta(ctx: click.Context, param: click.Parameter, values: Sequence[str]) -> dict[str, str]:
    """`--meta k=v` repeated into a dict; anything else is a usage error naming the value."""
    metadata: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", ctx=ctx, param=param)
        metadata[key.strip()] = value
    return metadata


# --- waiting for servers -------------------------------------------------------------------


@dataclass
class Waiter:
    """What one server must reach for a `--wait` to end, and what has been seen of it."""

    server_id: str
    label: str
    target: int | None  # the vm_state that means success; None: the server must be gone
    request_id: str = ""
    needs_transition: bool = False  # reboot: the target is also the state it starts from
    before: types_pb2.Instance | None = None  # the server as it was before the request
    instance: types_pb2.Instance | None = None
    gone: bool = False
    saw_task: bool = False
    action_result: str = ""
    action_message: str = ""
    outcome: str | None = None  # "ok" or "error" once decided
    message: str = ""
    history: list[str] = field(default_factory=list)

    def observe(self, instance: types_pb2.Instance | None) -> None:
        """Take a newer view of the server; a stale one (the watch's snapshot arriving after
        a poll saw a later state) is ignored."""
        if self.outcome:
            return
        if instance is None:
            self.gone = True
        else:
            seen = self.instance
            if seen is not None and _updated(instance) < _updated(seen):
                return
            self.instance = instance
            if instance.task_state != types_pb2.TASK_STATE_NONE:
                self.saw_task = True
        self.decide()

    def state_text(self) -> str:
        if self.gone:
            return "deleted"
        if self.instance is None:
            return "waiting"
        i = self.instance
        task = render.task_state_name(i.task_state)
        return f"{server_status(i)} {task} {render.power_state_name(i.power_state)}"

    def decide(self) -> None:
        if self.outcome:
            return
        i = self.instance
        if self.target is None:
            if self.gone or (i is not None and i.vm_state == types_pb2.VM_STATE_DELETED):
                self.outcome = "ok"
            elif self.action_result == "Error":
                self.fail(self.action_message or "delete failed")
            return
        if self.gone:
            self.fail("the server was deleted")
            return
        if i is None:
            return
        if i.vm_state == types_pb2.VM_STATE_ERROR:
            fault = i.fault.message if i.HasField("fault") else ""
            self.fail(fault or "the server went to ERROR")
            return
        if self.action_result == "Error":
            self.fail(self.action_message or "the action failed")
            return
        settled = i.vm_state == self.target and i.task_state == types_pb2.TASK_STATE_NONE
        moved = (
            not self.needs_transition
            or self.saw_task
            or self.action_result == "Success"
            or (self.before is not None and _updated(i) > _updated(self.before))
        )
        if settled and moved:
            self.outcome = "ok"

    def fail(self, message: str) -> None:
        self.outcome = "error"
        self.message = message


def _updated(instance: types_pb2.Instance) -> tuple[int, int]:
    return (instance.updated_at.seconds, instance.updated_at.nanos)


async def _poll(stub: Stub, waiter: Waiter, call_timeout: float) -> None:
    try:
        instance = await stub.GetServer(
            compute_pb2.GetServerRequest(id=waiter.server_id), timeout=call_timeout
        )
    except grpc.aio.AioRpcError as error:
        if error.code() != grpc.StatusCode.NOT_FOUND:
            raise
        waiter.observe(None)
        return
    waiter.observe(instance)
    if waiter.outcome or not waiter.request_id or instance.task_state:
        return
    # Settled but not where it should be: the action log says whether the action failed.
    actions = await stub.ListInstanceActions(
        compute_pb2.ListInstanceActionsRequest(id=waiter.server_id), timeout=call_timeout
    )
    for action in actions.actions:
        if action.request_id == waiter.request_id and action.result:
            waiter.action_result = action.result
            waiter.action_message = action.message
    waiter.decide()


async def wait_for(
    stub: Stub,
    waiters: Sequence[Waiter],
    *,
    wait_seconds: float,
    call_timeout: float,
    show: bool,
) -> None:
    """Follow the servers through WatchServers (polling as a safety net) until each decides.

    The watch gives prompt updates; the poll covers what a watch cannot show, such as a
    server deleted before the watch began or one in another project.
    """
    by_id = {w.server_id: w for w in waiters}
    changed = asyncio.Event()

    async def watch() -> None:
        request = compute_pb2.WatchServersRequest(from_revision=0)
        try:
            async for event in stub.WatchServers(request):
                waiter = by_id.get(event.server.id)
                if waiter is None:
                    continue
                deleted = event.type == compute_pb2.ServerEvent.TYPE_DELETED
                waiter.observe(None if deleted else event.server)
                changed.set()
        except grpc.aio.AioRpcError:
            pass  # polling carries on alone

    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.fields[state]}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=not show,
        transient=False,
    )
    tasks = {w.server_id: progress.add_task(w.label, total=1, state="waiting") for w in waiters}
    overall = (
        progress.add_task(f"{len(waiters)} servers", total=len(waiters), state="")
        if len(waiters) > 1
        else None
    )
    deadline = time.monotonic() + wait_seconds
    watcher = asyncio.create_task(watch())
    try:
        with progress:
            next_poll = 0.0
            while True:
                if time.monotonic() >= next_poll:
                    pending = [w for w in waiters if not w.outcome]
                    await asyncio.gather(*(_poll(stub, w, call_timeout) for w in pending))
                    next_poll = time.monotonic() + POLL_SECONDS
                for waiter in waiters:
                    state = waiter.state_text()
                    if waiter.outcome == "error":
                        state = f"[bold red]{state}: {waiter.message}[/]"
                    elif waiter.outcome == "ok":
                        state = f"[green]{state}[/]"
                    progress.update(
                        tasks[waiter.server_id], state=state, completed=1 if waiter.outcome else 0
                    )
                done = sum(1 for w in waiters if w.outcome)
                if overall is not None:
                    failed = sum(1 for w in waiters if w.outcome == "error")
                    summary = f"{done}/{len(waiters)} done" + (
                        f", {failed} failed" if failed else ""
                    )
                    progress.update(overall, completed=done, state=summary)
                if done == len(waiters):
                    return
                left = deadline - time.monotonic()
                if left <= 0:
                    names = ", ".join(w.label for w in waiters if not w.outcome)
                    raise CommandError(f"timed out after {wait_seconds:g}s waiting for {names}")
                changed.clear()
                try:
                    await asyncio.wait_for(changed.wait(), min(left, 0.5))
                except TimeoutError:
                    pass
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)


def _check_outcomes(waiters: Sequence[Waiter]) -> None:
    failed = [w for w in waiters if w.outcome == "error"]
    if failed:
        raise CommandError("; ".join(f"{w.label}: {w.message}" for w in failed))


# --- commands ------------------------------------------------------------------------------


@click.group()
@connection_options
def server() -> None:
    """Create, list, act on and watch servers."""


wait_option = click.option("--wait", is_flag=True, help="wait until the change is complete")
wait_timeout_option = click.option(
    "--wait-timeout",
    type=click.FloatRange(min=1),
    default=DEFAULT_WAIT_SECONDS,
    show_default=True,
    help="seconds to wait with --wait",
)


@server.command("create")
@click.argument("name")
@click.option("--flavor", required=True, help="flavor id or name")
@click.option("--image", required=True, help="image id or name")
@click.option("--count", type=click.IntRange(min=1), default=1, show_default=True)
@click.option(
    "--meta",
    multiple=True,
    callback=parse_meta,
    metavar="KEY=VALUE",
    help="metadata item; repeat for more",
)
@wait_option
@wait_timeout_option
@connection_options
def server_create(
    name: str,
    flavor: str,
    image: str,
    count: int,
    meta: dict[str, str],
    wait: bool,
    wait_timeout: float,
) -> None:
    """Boot COUNT servers named NAME from a flavor and an image."""
    conf = settings()

    async def action(stub: Stub) -> list[types_pb2.Instance]:
        request = compute_pb2.CreateServersRequest(
            name=name,
            flavor_ref=flavor,
            image_ref=image,
            min_count=count,
            max_count=count,
            metadata=meta,
        )
        response = await stub.CreateServers(request, timeout=conf.timeout)
        servers = list(response.servers)
        if not wait:
            return servers
        waiters = [
            Waiter(
                s.id,
                s.name if len(servers) == 1 else f"{s.name} {s.id[:8]}",
                types_pb2.VM_STATE_ACTIVE,
                instance=s,
            )
            for s in servers
        ]
        try:
            await wait_for(
                stub,
                waiters,
                wait_seconds=wait_timeout,
                call_timeout=conf.timeout,
                show=conf.fmt == "table",
            )
        finally:
            servers = [w.instance or s for w, s in zip(waiters, servers, strict=True)]
            _print_servers(servers)
        _check_outcomes(waiters)
        return servers

    servers = run(action)
    if not wait:
        _print_servers(servers)


def _print_servers(servers: Sequence[types_pb2.Instance]) -> None:
    emit(render.servers_table(servers), [render.to_dict(s) for s in servers])


@server.command("list")
@click.option("--all-projects", is_flag=True, help="every project's servers (admins)")
@click.option("--status", help="Nova status: ACTIVE, SHUTOFF, BUILD, ERROR, ...")
@click.option("--name", help="regular expression the name must match")
@click.option("--host", help="servers on this host (admins)")
@click.option("--limit", type=click.IntRange(min=1), help="at most this many servers")
@connection_options
def server_list(
    all_projects: bool, status: str | None, name: str | None, host: str | None, limit: int | None
) -> None:
    """List servers, following the pages to the end (or to --limit)."""
    conf = settings()

    async def action(stub: Stub) -> list[types_pb2.Instance]:
        servers: list[types_pb2.Instance] = []
        marker = ""
        while True:
            request = compute_pb2.ListServersRequest(
                name=name or "",
                status=(status or "").upper(),
                host=host or "",
                limit=(limit - len(servers)) if limit else 0,
                marker=marker,
                all_projects=all_projects,
            )
            response = await stub.ListServers(request, timeout=conf.timeout)
            servers.extend(response.servers)
            marker = response.next_marker
            if not marker or not response.servers or (limit and len(servers) >= limit):
                return servers

    _print_servers(run(action))


@server.command("show")
@click.argument("server_id", metavar="ID")
@connection_options
def server_show(server_id: str) -> None:
    """Show one server with its states, host, addresses and fault."""
    conf = settings()

    async def action(stub: Stub) -> types_pb2.Instance:
        request = compute_pb2.GetServerRequest(id=server_id)
        return await stub.GetServer(request, timeout=conf.timeout)

    instance = run(action)
    emit(render.server_detail(instance), render.to_dict(instance))


def _act_on_each(
    ids: Sequence[str],
    request_for: Callable[[Stub, str], Awaitable[str]],
    target: int | None,
    *,
    wait: bool,
    wait_timeout: float,
    needs_transition: bool = False,
    verb: str,
) -> None:
    """Send one request per server; with --wait, follow all of them to their end state.

    Each server is tried even when another fails, as `openstack server stop A B` does; the
    command fails if any did.
    """
    conf = settings()
    console = Console(stderr=True)

    async def action(stub: Stub) -> None:
        errors: list[str] = []
        waiters: list[Waiter] = []
        for server_id in ids:
            before: types_pb2.Instance | None = None
            try:
                if wait and needs_transition:
                    # What it looked like before: any later update proves the action ran.
                    before = await stub.GetServer(
                        compute_pb2.GetServerRequest(id=server_id), timeout=conf.timeout
                    )
                request_id = await request_for(stub, server_id)
            except grpc.aio.AioRpcError as error:
                if error.code() == grpc.StatusCode.UNAVAILABLE:
                    raise
                errors.append(f"{server_id}: {describe(error, conf.api)}")
                continue
            if conf.fmt == "table":
                console.print(f"{verb} {server_id}")
            waiters.append(
                Waiter(
                    server_id,
                    server_id,
                    target,
                    request_id=request_id,
                    needs_transition=needs_transition,
                    before=before,
                )
            )
        if wait and waiters:
            await wait_for(
                stub,
                waiters,
                wait_seconds=wait_timeout,
                call_timeout=conf.timeout,
                show=conf.fmt == "table",
            )
            errors.extend(f"{w.label}: {w.message}" for w in waiters if w.outcome == "error")
        if conf.fmt == "json":
            render.print_json(
                render.console(),
                [
                    {"id": w.server_id, "request_id": w.request_id, "outcome": w.outcome}
                    for w in waiters
                ],
            )
        if errors:
            raise CommandError("; ".join(errors))

    run(action)


@server.command("delete")
@click.argument("ids", metavar="ID...", nargs=-1, required=True)
@wait_option
@wait_timeout_option
@connection_options
def server_delete(ids: tuple[str, ...], wait: bool, wait_timeout: float) -> None:
    """Delete servers; with --wait, until they are gone."""
    conf = settings()

    async def request(stub: Stub, server_id: str) -> str:
        response = await stub.DeleteServer(
            compute_pb2.DeleteServerRequest(id=server_id), timeout=conf.timeout
        )
        return str(response.request_id)

    _act_on_each(ids, request, None, wait=wait, wait_timeout=wait_timeout, verb="deleting")


# action -> (vm_state it ends in, message while it runs)
_ACTIONS: dict[str, tuple[int, str]] = {
    "stop": (types_pb2.VM_STATE_STOPPED, "stopping"),
    "start": (types_pb2.VM_STATE_ACTIVE, "starting"),
    "pause": (types_pb2.VM_STATE_PAUSED, "pausing"),
    "unpause": (types_pb2.VM_STATE_ACTIVE, "unpausing"),
    "suspend": (types_pb2.VM_STATE_SUSPENDED, "suspending"),
    "resume": (types_pb2.VM_STATE_ACTIVE, "resuming"),
}


def _server_action(action: str, reboot_type: str = "") -> Callable[[Stub, str], Awaitable[str]]:
    """The request one server action sends, for `_act_on_each`."""

    async def request(stub: Stub, server_id: str) -> str:
        response = await stub.ServerAction(
            compute_pb2.ServerActionRequest(id=server_id, action=action, reboot_type=reboot_type),
            timeout=settings().timeout,
        )
        return str(response.request_id)

    return request


_DONE = {
    "stop": "SHUTOFF",
    "start": "ACTIVE",
    "pause": "PAUSED",
    "unpause": "ACTIVE",
    "suspend": "SUSPENDED",
    "resume": "ACTIVE",
}


def _make_action_command(action: str) -> None:
    target, verb = _ACTIONS[action]

    @server.command(action)
    @click.argument("ids", metavar="ID...", nargs=-1, required=True)
    @wait_option
    @wait_timeout_option
    @connection_options
    def command(ids: tuple[str, ...], wait: bool, wait_timeout: float) -> None:
        request = _server_action(action)
        _act_on_each(ids, request, target, wait=wait, wait_timeout=wait_timeout, verb=verb)

    command.help = f"{action.capitalize()} servers; with --wait, until each is {_DONE[action]}."


for _action in _ACTIONS:
    _make_action_command(_action)


@server.command("reboot")
@click.argument("ids", metavar="ID...", nargs=-1, required=True)
@click.option("--hard", is_flag=True, help="power-cycle instead of asking the guest")
@wait_option
@wait_timeout_option
@connection_options
def server_reboot(ids: tuple[str, ...], hard: bool, wait: bool, wait_timeout: float) -> None:
    """Reboot servers: soft (ask the guest) unless --hard."""
    request = _server_action("reboot", "HARD" if hard else "SOFT")
    _act_on_each(
        ids,
        request,
        types_pb2.VM_STATE_ACTIVE,
        wait=wait,
        wait_timeout=wait_timeout,
        needs_transition=True,
        verb="rebooting",
    )


@server.command("watch")
@click.option(
    "--from-revision",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="etcd revision to start after; 0 lists the current servers first",
)
@click.option("--all-projects", is_flag=True, help="every project's servers (admins)")
@connection_options
def server_watch(from_revision: int, all_projects: bool) -> None:
    """Print one line per server change until Ctrl-C."""
    fmt = settings().fmt

    async def action(stub: Stub) -> None:
        request = compute_pb2.WatchServersRequest(
            from_revision=from_revision, all_projects=all_projects
        )
        async for event in stub.WatchServers(request):
            if fmt == "json":
                click.echo(json.dumps(render.to_dict(event), sort_keys=True))
            else:
                click.echo(render.event_line(event))

    try:
        run(action)
    except KeyboardInterrupt:
        pass


@server.command("actions")
@click.argument("server_id", metavar="ID")
@connection_options
def server_actions(server_id: str) -> None:
    """The server's action log: what was asked, by whom, under which request id, and how
    it ended."""
    show_list(
        lambda stub, timeout: stub.ListInstanceActions(
            compute_pb2.ListInstanceActionsRequest(id=server_id), timeout=timeout
        ),
        "actions",
        render.actions_table,
    )


@click.group()
@connection_options
def flavor() -> None:
    """List and create flavors."""


@flavor.command("list")
@click.option(
    "--all",
    "show_all",
    is_flag=True,
    help="private flavors too, whoever may use them (admins)",
)
@connection_options
def flavor_list(show_all: bool) -> None:
    """List flavors, smallest first: the public ones and the private ones your project may
    use."""
    request = compute_pb2.ListFlavorsRequest(is_public="none" if show_all else "")
    show_list(
        lambda stub, timeout: stub.ListFlavors(request, timeout=timeout),
        "flavors",
        render.flavors_table,
    )


@flavor.command("create")
@click.argument("name")
@click.option("--vcpus", type=click.IntRange(min=1), required=True)
@click.option("--ram", type=click.IntRange(min=1), required=True, help="MB")
@click.option("--disk", type=click.IntRange(min=0), required=True, help="root disk, GB")
@click.option("--ephemeral", type=click.IntRange(min=0), default=0, help="GB")
@click.option("--swap", type=click.IntRange(min=0), default=0, help="MB")
@click.option("--id", "flavor_id", default="", help="flavor id [default: a new UUID]")
@click.option("--private", is_flag=True, help="not visible to every project")
@click.option("--description", default="")
@connection_options
def flavor_create(
    name: str,
    vcpus: int,
    ram: int,
    disk: int,
    ephemeral: int,
    swap: int,
    flavor_id: str,
    private: bool,
    description: str,
) -> None:
    """Create a flavor (admins)."""
    conf = settings()
    message = types_pb2.Flavor(
        id=flavor_id,
        name=name,
        vcpus=vcpus,
        ram_mb=ram,
        disk_gb=disk,
        ephemeral_gb=ephemeral,
        swap_mb=swap,
        is_public=not private,
        rxtx_factor=1.0,
        description=description,
    )

    async def action(stub: Stub) -> types_pb2.Flavor:
        return await stub.CreateFlavor(
            compute_pb2.CreateFlavorRequest(flavor=message), timeout=conf.timeout
        )

    created = run(action)
    emit(render.flavors_table([created]), render.to_dict(created))


@flavor.group("access")
def flavor_access() -> None:
    """Which projects may use a private flavor (admins)."""


@flavor_access.command("list")
@click.argument("flavor_id")
@connection_options
def flavor_access_list(flavor_id: str) -> None:
    """The projects that may use the private flavor FLAVOR_ID."""
    show_list(
        lambda stub, timeout: stub.ListFlavorAccess(
            compute_pb2.ListFlavorAccessRequest(flavor_id=flavor_id), timeout=timeout
        ),
        "access",
        render.flavor_access_table,
    )


@flavor_access.command("add")
@click.argument("flavor_id")
@click.argument("project_id")
@connection_options
def flavor_access_add(flavor_id: str, project_id: str) -> None:
    """Let project PROJECT_ID use the private flavor FLAVOR_ID."""
    show_list(
        lambda stub, timeout: stub.AddFlavorAccess(
            compute_pb2.FlavorAccessRequest(flavor_id=flavor_id, project_id=project_id),
            timeout=timeout,
        ),
        "access",
        render.flavor_access_table,
    )


@flavor_access.command("remove")
@click.argument("flavor_id")
@click.argument("project_id")
@connection_options
def flavor_access_remove(flavor_id: str, project_id: str) -> None:
    """Take the private flavor FLAVOR_ID away from project PROJECT_ID."""
    show_list(
        lambda stub, timeout: stub.RemoveFlavorAccess(
            compute_pb2.FlavorAccessRequest(flavor_id=flavor_id, project_id=project_id),
            timeout=timeout,
        ),
        "access",
        render.flavor_access_table,
    )


@click.group()
@connection_options
def image() -> None:
    """List images."""


@image.command("list")
@click.option("--name", default="", help="only images with this name")
@connection_options
def image_list(name: str) -> None:
    """List images."""
    show_list(
        lambda stub, timeout: stub.ListImages(
            compute_pb2.ListImagesRequest(name=name), timeout=timeout
        ),
        "images",
        render.images_table,
    )


@click.group()
@connection_options
def host() -> None:
    """List compute hosts."""


@host.command("list")
@connection_options
def host_list() -> None:
    """Hosts, whether they are up, and what is claimed on them against their capacity."""
    show_list(
        lambda stub, timeout: stub.ListHosts(compute_pb2.ListHostsRequest(), timeout=timeout),
        "hosts",
        render.hosts_table,
    )


@click.group()
@connection_options
def service() -> None:
    """List control-plane services."""


def agent_services(hosts: Sequence[compute_pb2.HostView]) -> list[compute_pb2.ServiceView]:
    """One `stratus-agent` entry per compute host, as `os-services` lists them.

    Agents never register in etcd (they talk to the conductor alone); their hosts' leases
    are what says they are up. The ids are the compute service ids the REST gateway gives
    from microversion 2.53, so `openstack compute service list` shows the same ones.
    """
    # Late: the REST views pull in the web framework, which no other command needs.
    from services.api.rest import microversions
    from services.api.rest.views.hosts import AGENT_BINARY, compute_service_id

    return [
        compute_pb2.ServiceView(
            service=types_pb2.ServiceRecord(
                id=compute_service_id(view.host.name, microversions.MAX),
                binary=AGENT_BINARY,
                host=view.host.name,
            ),
            up=view.up,
        )
        for view in hosts
    ]


@service.command("list")
@connection_options
def service_list() -> None:
    """Every registered api, conductor and scheduler, then one agent entry per compute
    host, each up or down: the entries of `openstack compute service list`."""

    async def fetch(stub: Stub, call_seconds: float) -> compute_pb2.ListServicesResponse:
        control = await stub.ListServices(compute_pb2.ListServicesRequest(), timeout=call_seconds)
        hosts = await stub.ListHosts(compute_pb2.ListHostsRequest(), timeout=call_seconds)
        return compute_pb2.ListServicesResponse(
            services=[*control.services, *agent_services(hosts.hosts)]
        )

    show_list(fetch, "services", render.services_table)


GROUPS: tuple[click.Group, ...] = (server, flavor, image, host, service)
