"""The `stratus up` supervisor: process stopping, command lines, ports, restarts."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from services.cli import up
from services.cli.main import cli
from services.state.etcd_server import free_port


def alive(pid: int) -> bool:
    """Running and not a zombie waiting for its parent."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2] != "Z"


def test_sigterm_stops_a_cooperative_child() -> None:
    process = subprocess.Popen(["sleep", "60"], start_new_session=True)
    assert alive(process.pid)
    began = time.monotonic()
    killed = up.stop_process(process, grace_seconds=10)
    assert not killed
    assert time.monotonic() - began < 5
    assert process.returncode is not None
    assert not alive(process.pid)


IGNORES_TERM = """
import signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen(["sleep", "60"])  # inherits the ignored SIGTERM
print(child.pid, flush=True)
time.sleep(60)
"""


def test_sigkill_after_grace_takes_the_whole_group() -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", IGNORES_TERM], stdout=subprocess.PIPE, start_new_session=True
    )
    assert process.stdout is not None
    grandchild = int(process.stdout.readline())
    assert alive(grandchild)
    began = time.monotonic()
    killed = up.stop_process(process, grace_seconds=0.5)
    assert killed
    assert 0.5 <= time.monotonic() - began < 5
    assert not alive(process.pid)
    assert not alive(grandchild)
    process.stdout.close()


def test_hurry_skips_the_grace_period() -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", IGNORES_TERM], stdout=subprocess.PIPE, start_new_session=True
    )
    assert process.stdout is not None
    process.stdout.readline()
    began = time.monotonic()
    assert up.stop_process(process, grace_seconds=30, hurry=lambda: True)
    assert time.monotonic() - began < 5
    process.stdout.close()


def plan(tmp_path: Path, **kwargs: object) -> up.Plan:
    ports = up.Ports(
        rest=18774,
        api=18780,
        conductor=18781,
        scheduler=18782,
        etcd=12379,
        etcd_peer=12380,
        metrics_from=19180,
    )
    values: dict[str, object] = {
        "hosts": 3,
        "data_dir": tmp_path,
        "ports": ports,
        "etcd_endpoints": "",
    }
    values.update(kwargs)
    return up.Plan(**values)  # type: ignore[arg-type]


def flag(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def test_service_command_lines(tmp_path: Path) -> None:
    p = plan(tmp_path)
    api = p.service_argv("api")
    assert api[:3] == [sys.executable, "-c", "from services.api.main import main; main()"]
    assert flag(api, "--grpc-port") == "18780" and flag(api, "--rest-port") == "18774"
    assert flag(api, "--etcd-endpoints") == "127.0.0.1:12379"
    assert flag(api, "--metrics-port") == "19180" and flag(api, "--log-format") == "json"
    assert flag(api, "--bind-host") == "127.0.0.1"
    assert flag(p.service_argv("conductor"), "--metrics-port") == "19181"
    assert flag(p.service_argv("scheduler"), "--grpc-port") == "18782"
    agent = p.service_argv("agent")
    assert flag(agent, "--conductor-endpoints") == "127.0.0.1:18781"
    assert flag(agent, "--hosts") == "3" and flag(agent, "--hypervisor") == "test"
    assert flag(agent, "--state-dir") == str(tmp_path / "agent")
    assert flag(agent, "--metrics-port") == "19183"
    assert "--grpc-port" not in agent


def test_metrics_zero_disables_and_config_is_passed(tmp_path: Path) -> None:
    ports = up.Ports(1, 2, 3, 4, 5, 6, metrics_from=0)
    p = plan(tmp_path, ports=ports, config_file=tmp_path / "s.toml")
    argv = p.service_argv("agent")
    assert flag(argv, "--metrics-port") == "0"
    assert flag(argv, "--config") == str(tmp_path / "s.toml")
    assert all(flag != "--metrics-ports-from" for _, flag in p.ports_to_bind())


def test_children_start_in_order_and_external_etcd_is_not_started(tmp_path: Path) -> None:
    names = [c.name for c in plan(tmp_path).children()]
    assert names == ["etcd", "scheduler", "conductor", "api", "agent"]
    external = plan(tmp_path, etcd_endpoints="10.1.1.1:2379")
    assert [c.name for c in external.children()][:1] == ["scheduler"]
    assert flag(external.service_argv("api"), "--etcd-endpoints") == "10.1.1.1:2379"
    assert all(f not in ("--etcd-port", "--etcd-peer-port") for _, f in external.ports_to_bind())
    logs = {c.name: c.log_path for c in plan(tmp_path).children()}
    assert logs["api"] == tmp_path / "logs" / "api.log"
    assert logs["etcd"] == tmp_path / "logs" / "etcd.log"


def test_children_import_the_code_this_process_runs(tmp_path: Path) -> None:
    env = plan(tmp_path).child_env()
    code = "import services, stratus.v1.compute_pb2; print(services.__file__)"
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd="/", capture_output=True, text=True, check=True
    )
    import services

    assert out.stdout.strip() == services.__file__


def test_busy_port_is_named_with_its_flag(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        busy = sock.getsockname()[1]
        assert not up.port_free(busy)
        args = ["up", "--data-dir", str(tmp_path), "--api-port", str(busy)]
        for option in (
            "--rest-port",
            "--conductor-port",
            "--scheduler-port",
            "--etcd-port",
            "--etcd-peer-port",
        ):
            args += [option, str(free_port())]
        args += ["--metrics-ports-from", "0"]
        result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert f"{busy} (--api-port)" in result.output
    assert not (tmp_path / "logs").exists()  # refused before starting anything


def test_child_that_dies_at_start_shows_its_log(tmp_path: Path) -> None:
    child = up.Child(
        "api",
        lambda: [sys.executable, "-c", "import sys; print('bad flag --nope'); sys.exit(2)"],
        tmp_path / "logs" / "api.log",
        grpc_port=free_port(),
    )
    supervisor = up.Supervisor(plan(tmp_path), Console(file=open(os.devnull, "w")), 10)
    child.start()
    with pytest.raises(up.StartupError) as error:
        supervisor.wait_ready(child)
    assert "api exited with code 2" in error.value.message
    assert str(child.log_path) in error.value.message
    assert "bad flag --nope" in child.log_tail()


def test_supervise_restarts_with_backoff_then_gives_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(up, "RESTART_BACKOFF_SECONDS", (0.01, 0.02))
    monkeypatch.setattr(up, "MAX_RESTARTS", 2)
    marker = tmp_path / "starts"
    child = up.Child(
        "scheduler",
        lambda: [sys.executable, "-c", f"open({str(marker)!r}, 'a').write('x'); exit(3)"],
        tmp_path / "scheduler.log",
    )
    supervisor = up.Supervisor(plan(tmp_path), Console(file=open(os.devnull, "w")), 10)
    supervisor.started = [child]
    child.start()
    with pytest.raises(up.StartupError) as error:
        supervisor.supervise()
    assert "scheduler exited with code 3, 2 restarts did not help" in error.value.message
    assert marker.read_text() == "xxx"  # first start and two restarts


def test_ready_panel_has_endpoints_and_examples(tmp_path: Path) -> None:
    console = Console(width=250, record=True, color_system=None)
    up.print_ready(
        console, plan(tmp_path), 3.2, ["flavor m1.tiny", "flavor m1.small", "image cirros"]
    )
    # Commands are continued over lines with backslashes: join them to look for one.
    out = console.export_text().replace(" \\\n      ", " ")
    for expected in (
        "http://127.0.0.1:18774/v2.1",
        "127.0.0.1:18780",
        "api :19180",
        "agent :19183",
        "127.0.0.1:12379 (started here)",
        str(tmp_path / "logs"),
        "ready in 3.2s",
        "flavors m1.tiny m1.small; images cirros",
        'grpcurl -plaintext -H "x-auth-token: $TOKEN" 127.0.0.1:18780 list',
        f"export OS_CLIENT_CONFIG_FILE={tmp_path / 'clouds.yaml'} OS_CLOUD=stratus",
        "curl -si -X POST http://127.0.0.1:18774/identity/v3/auth/tokens",
        '-H "X-Auth-Token: $TOKEN"',
        '"flavorRef": "1", "imageRef": "cirros"',
        "--api 127.0.0.1:18780",
        "stratus service list",
    ):
        assert expected in out, expected
    # Run from a virtual environment, a new shell must activate it to find the commands.
    activate = up.venv_activate()
    assert activate is None or f"source {activate}" in out


def test_the_banner_fits_in_80_columns_when_not_on_a_terminal(tmp_path: Path) -> None:
    console = Console(width=80, record=True, color_system=None, force_terminal=False)
    deep = tmp_path / "a-data-directory-whose-path-is-long-enough-to-need-a-line-of-its-own"
    up.print_ready(
        console,
        plan(deep, ports=up.Ports(18774, 18780, 18781, 18782, 12379, 12380, 19180, 16080)),
        1.0,
        ["flavor m1.tiny", "flavor m1.small", "image cirros", "quota admin=unlimited"],
    )
    lines = console.export_text().splitlines()
    assert lines[0] == "Stratus is up — ready in 1.0s"
    too_wide = [line for line in lines if len(line) > 80 and str(deep) not in line]
    assert too_wide == []
    # A value too long to sit beside its name is moved whole, never broken.
    assert f"      {deep / 'clouds.yaml'} (cloud stratus, user admin)" in lines


def test_simulated_hosts_do_not_advertise_a_console_page(tmp_path: Path) -> None:
    ports = up.Ports(18774, 18780, 18781, 18782, 12379, 12380, 19180, 16080)
    simulated = dict(up.ready_rows(plan(tmp_path, ports=ports), []))
    assert "vnc_lite.html" not in simulated["console proxy"]
    assert "real guests only" in simulated["console proxy"]
    real = dict(up.ready_rows(plan(tmp_path, ports=ports, hypervisor="qemu:///system"), []))
    assert real["console proxy"] == "http://127.0.0.1:16080/vnc_lite.html"


def test_data_dir_default_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRATUS_DATA_DIR", "/srv/stratus")
    assert up.default_data_dir() == Path("/srv/stratus")
    monkeypatch.delenv("STRATUS_DATA_DIR")
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    assert up.default_data_dir() == Path.home() / ".local" / "share" / "stratus"


def test_up_rejects_zero_hosts() -> None:
    result = CliRunner().invoke(cli, ["up", "--hosts", "0"])
    assert result.exit_code == 2
