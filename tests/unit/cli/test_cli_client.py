"""The client commands against a fake Compute service: arguments, output, errors."""

from __future__ import annotations

import json

import pytest
from cli_fakes import FakeCompute
from click.testing import CliRunner

from services.cli.main import cli
from stratus.v1 import compute_pb2, types_pb2


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.output


def server(server_id: str, name: str, vm_state: int, **kwargs: object) -> types_pb2.Instance:
    return types_pb2.Instance(id=server_id, name=name, vm_state=vm_state, **kwargs)  # type: ignore[arg-type]


def test_meta_pairs_reach_the_request_with_a_request_id(fake_api: tuple[FakeCompute, str]) -> None:
    fake, _ = fake_api
    code, output = invoke(
        "server",
        "create",
        "web",
        "--flavor",
        "m1.tiny",
        "--image",
        "cirros",
        "--meta",
        "role=web",
        "--meta",
        "query=a=b",
        "--count",
        "2",
    )
    assert code == 0, output
    [(request, metadata)] = fake.calls("CreateServers")
    assert dict(request.metadata) == {"role": "web", "query": "a=b"}
    assert (request.flavor_ref, request.image_ref) == ("m1.tiny", "cirros")
    assert (request.min_count, request.max_count) == (2, 2)
    assert metadata["x-request-id"].startswith("req-")
    assert "srv-1" in output and "srv-2" in output and "BUILD" in output


def test_bad_meta_is_a_usage_error_naming_the_value() -> None:
    result = CliRunner().invoke(
        cli, ["server", "create", "web", "--flavor", "1", "--image", "i", "--meta", "novalue"]
    )
    assert result.exit_code == 2
    assert "'novalue' is not KEY=VALUE" in result.output
    result = CliRunner().invoke(
        cli, ["server", "create", "web", "--flavor", "1", "--image", "i", "--meta", "=v"]
    )
    assert result.exit_code == 2


def test_missing_required_options_are_usage_errors() -> None:
    result = CliRunner().invoke(cli, ["server", "create", "web", "--image", "cirros"])
    assert result.exit_code == 2
    assert "--flavor" in result.output


def test_grpc_error_is_one_line_with_the_request_id(fake_api: tuple[FakeCompute, str]) -> None:
    fake, _ = fake_api
    code, output = invoke("server", "show", "nope")
    assert code == 1
    assert "error: server nope not found (NOT_FOUND)" in output
    [(_, metadata)] = fake.calls("GetServer")
    assert f"request id {metadata['x-request-id']}" in output
    assert "Traceback" not in output


def test_each_command_sends_a_fresh_request_id(fake_api: tuple[FakeCompute, str]) -> None:
    fake, _ = fake_api
    invoke("server", "list")
    invoke("server", "list")
    ids = [md["x-request-id"] for _, md in fake.calls("ListServers")]
    assert len(ids) == 2 and ids[0] != ids[1]


def test_unreachable_api_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    from services.state.etcd_server import free_port

    monkeypatch.setenv("OS_PASSWORD", "any")

    code, output = invoke("--api", f"127.0.0.1:{free_port()}", "--timeout", "2", "flavor", "list")
    assert code == 1
    assert "error: cannot reach the api" in output
    assert "request id req-" in output


def test_server_list_table_and_json(fake_api: tuple[FakeCompute, str]) -> None:
    fake, _ = fake_api
    fake.servers["a"] = server(
        "a",
        "web1",
        types_pb2.VM_STATE_ACTIVE,
        host="host-1",
        power_state=types_pb2.POWER_STATE_RUNNING,
        addresses=[types_pb2.Address(network="private", addr="10.0.0.5")],
    )
    code, output = invoke("server", "list", "--status", "active", "--limit", "5")
    assert code == 0, output
    assert "web1" in output and "ACTIVE" in output and "private=10.0.0.5" in output
    [(request, _)] = fake.calls("ListServers")
    assert (request.status, request.limit) == ("ACTIVE", 5)

    code, output = invoke("server", "list", "--format", "json")
    assert code == 0
    [data] = json.loads(output)
    assert data["name"] == "web1" and data["vm_state"] == "VM_STATE_ACTIVE"


def test_api_option_on_the_group_or_the_command(fake_api: tuple[FakeCompute, str]) -> None:
    fake, endpoint = fake_api
    runner = CliRunner()
    result = runner.invoke(cli, ["--api", endpoint, "flavor", "list"], env={"STRATUS_API": ""})
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["flavor", "list", "--api", endpoint], env={"STRATUS_API": "x:1"})
    assert result.exit_code == 0, result.output
    assert len(fake.calls("ListFlavors")) == 2


def test_create_wait_follows_the_watch_to_active(fake_api: tuple[FakeCompute, str]) -> None:
    fake, _ = fake_api
    fake.create_outcome = server(
        "", "", types_pb2.VM_STATE_ACTIVE, power_state=types_pb2.POWER_STATE_RUNNING
    )
    code, output = invoke("server", "create", "web", "--flavor", "1", "--image", "cirros", "--wait")
    assert code == 0, output
    assert "ACTIVE" in output
    assert fake.calls("WatchServers")


def test_create_wait_fails_with_the_fault(fake_api: tuple[FakeCompute, str]) -> None:
    fake, _ = fake_api
    fake.create_outcome = server(
        "",
        "",
        types_pb2.VM_STATE_ERROR,
        fault=types_pb2.Fault(code=500, message="No valid host was found."),
    )
    code, output = invoke("server", "create", "web", "--flavor", "1", "--image", "cirros", "--wait")
    assert code == 1
    assert "error: web: No valid host was found." in output
    assert "request id req-" in output


def test_stop_wait_and_partial_failure(fake_api: tuple[FakeCompute, str]) -> None:
    fake, _ = fake_api
    fake.servers["a"] = server("a", "web1", types_pb2.VM_STATE_ACTIVE)
    fake.action_outcome["stop"] = types_pb2.VM_STATE_STOPPED
    code, output = invoke("server", "stop", "a", "--wait", "--wait-timeout", "10")
    assert code == 0, output
    [(request, _)] = fake.calls("ServerAction")
    assert request.action == "stop"

    code, output = invoke("server", "start", "a", "missing")
    assert code == 1
    assert "missing: server missing not found" in output
    assert [r.id for r, _ in fake.calls("ServerAction")] == ["a", "a", "missing"]


def test_reboot_hard_and_delete_wait(fake_api: tuple[FakeCompute, str]) -> None:
    fake, _ = fake_api
    fake.servers["a"] = server("a", "web1", types_pb2.VM_STATE_ACTIVE)
    code, output = invoke("server", "reboot", "a", "--hard")
    assert code == 0, output
    [(request, _)] = fake.calls("ServerAction")
    assert (request.action, request.reboot_type) == ("reboot", "HARD")

    code, output = invoke("server", "delete", "a", "--wait", "--wait-timeout", "10")
    assert code == 0, output
    assert "a" not in fake.servers


def test_flavor_access_add_list_and_remove(fake_api: tuple[FakeCompute, str]) -> None:
    fake, _ = fake_api
    code, output = invoke("flavor", "access", "add", "gold", "proj-a")
    assert code == 0, output
    assert "proj-a" in output
    ((request, _),) = fake.calls("AddFlavorAccess")
    assert (request.flavor_id, request.project_id) == ("gold", "proj-a")

    code, output = invoke("--format", "json", "flavor", "access", "list", "gold")
    assert code == 0, output
    assert json.loads(output) == [{"flavor_id": "gold", "project_id": "proj-a"}]

    code, output = invoke("flavor", "access", "remove", "gold", "proj-a")
    assert code == 0, output
    assert fake.flavor_access == []
    code, output = invoke("flavor", "access", "remove", "gold", "proj-a")
    assert code != 0 and "Flavor access not found" in output


def test_flavor_list_all_asks_for_every_flavor(fake_api: tuple[FakeCompute, str]) -> None:
    fake, _ = fake_api
    assert invoke("flavor", "list")[0] == 0
    assert invoke("flavor", "list", "--all")[0] == 0
    assert [r.is_public for r, _ in fake.calls("ListFlavors")] == ["", "none"]


def test_flavor_create_and_host_list(fake_api: tuple[FakeCompute, str]) -> None:
    fake, _ = fake_api
    code, output = invoke(
        "flavor", "create", "m1.big", "--vcpus", "2", "--ram", "4096", "--disk", "40", "--id", "9"
    )
    assert code == 0, output
    assert fake.flavors[0].id == "9" and fake.flavors[0].ram_mb == 4096
    fake.hosts.append(
        compute_pb2.HostView(
            host=types_pb2.Host(name="host-1", vcpus=16, memory_mb=32768, enabled=True),
            up=True,
            usage=types_pb2.HostUsage(vcpus_used=3, memory_mb_used=1536),
        )
    )
    code, output = invoke("host", "list")
    assert code == 0, output
    assert "host-1" in output and "3/16" in output and "1536/32768" in output


def test_create_count_wait_shows_the_total(fake_api: tuple[FakeCompute, str]) -> None:
    fake, _ = fake_api
    fake.create_outcome = server("", "", types_pb2.VM_STATE_ACTIVE, host="host-1")
    code, output = invoke(
        "server", "create", "web", "--flavor", "1", "--image", "cirros", "--count", "2", "--wait"
    )
    assert code == 0, output
    assert "2/2 done" in output


def test_watch_prints_one_line_per_change(fake_api: tuple[FakeCompute, str]) -> None:
    fake, _ = fake_api
    fake.watch_ends = True
    for name in ("web-1", "web-2"):
        instance = server(name, name, types_pb2.VM_STATE_ACTIVE, host="host-1")
        fake.events.put(
            compute_pb2.ServerEvent(type=compute_pb2.ServerEvent.TYPE_CHANGED, server=instance)
        )
    code, output = invoke("server", "watch", "--from-revision", "7")
    assert code == 0, output
    lines = output.strip().splitlines()
    assert len(lines) == 2
    assert all("changed" in line and "ACTIVE" in line and "host-1" in line for line in lines)
    [(request, _)] = fake.calls("WatchServers")[-1:]
    assert request.from_revision == 7


def test_service_list_shows_the_control_services_and_an_agent_per_host(
    fake_api: tuple[FakeCompute, str],
) -> None:
    fake, _ = fake_api
    fake.services = [
        compute_pb2.ServiceView(
            service=types_pb2.ServiceRecord(id="c1", binary="stratus-conductor", host="ctl"),
            up=True,
        )
    ]
    fake.hosts = [
        compute_pb2.HostView(host=types_pb2.Host(name="node-1"), up=True),
        compute_pb2.HostView(host=types_pb2.Host(name="node-2"), up=False),
    ]
    code, output = invoke("service", "list", "--format", "json")
    assert code == 0, output
    entries = {
        (entry["service"]["binary"], entry["service"]["host"]): entry.get("up", False)
        for entry in json.loads(output)
    }
    assert entries == {
        ("stratus-conductor", "ctl"): True,
        ("stratus-agent", "node-1"): True,
        ("stratus-agent", "node-2"): False,
    }
    code, table = invoke("service", "list")
    assert code == 0, table
    assert table.count("stratus-agent") == 2
