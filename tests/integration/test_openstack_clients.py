"""The stock OpenStack clients (`openstack` CLI, openstacksdk) against a real cloud, unchanged.

Skipped when python-openstackclient and openstacksdk are not installed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.integration.cloud import ADMIN_PASSWORD, Cloud
from tests.integration.helpers import Stub

openstack = pytest.importorskip("openstack")

CLI = shutil.which("openstack", path=str(Path(sys.executable).parent)) or shutil.which("openstack")
if CLI is None:
    pytest.skip("the openstack command is not installed", allow_module_level=True)

CLOUD_NAME = "stratus-tests"


@pytest.fixture
def clouds_yaml(cloud: Cloud, seeded: Stub, tmp_path: Path) -> Path:
    """A clouds.yaml for the harness's admin (JSON is YAML)."""
    config = {
        "clouds": {
            CLOUD_NAME: {
                "auth": {
                    "auth_url": f"{cloud.rest_url}/identity/v3",
                    "username": "admin",
                    "password": ADMIN_PASSWORD,
                    "project_name": "admin",
                    "user_domain_name": "Default",
                    "project_domain_name": "Default",
                },
                "region_name": "RegionOne",
                "interface": "public",
                "identity_api_version": 3,
            }
        }
    }
    path = tmp_path / "clouds.yaml"
    path.write_text(json.dumps(config))
    return path


@pytest.fixture
def osc(clouds_yaml: Path):  # type: ignore[no-untyped-def]
    """Runs `openstack <args>`; returns the parsed `-f json` output (None without it)."""
    env = {
        **os.environ,
        "OS_CLIENT_CONFIG_FILE": str(clouds_yaml),
        "OS_CLOUD": CLOUD_NAME,
    }
    for key in [k for k in env if k.startswith("OS_")]:
        if key not in ("OS_CLIENT_CONFIG_FILE", "OS_CLOUD"):
            del env[key]

    def run(*args: str, compute_version: str | None = None) -> Any:
        """`compute_version` pins the compute microversion (else the client negotiates
        the highest both sides speak)."""
        run_env = dict(env)
        if compute_version is not None:
            run_env["OS_COMPUTE_API_VERSION"] = compute_version
        done = subprocess.run(
            [str(CLI), *args], env=run_env, capture_output=True, text=True, timeout=180
        )
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        if "-f" in args and args[args.index("-f") + 1] == "json":
            return json.loads(done.stdout)
        return None

    return run


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_token_catalog_and_reads(osc) -> None:  # type: ignore[no-untyped-def]
    token = osc("token", "issue", "-f", "json")
    assert token["id"] and token["project_id"] and token["user_id"]

    flavors = osc("flavor", "list", "-f", "json")
    assert "m1.tiny" in {f["Name"] for f in flavors}
    tiny = osc("flavor", "show", "m1.tiny", "-f", "json")
    assert tiny["id"] == "1" and tiny["ram"] == 512 and tiny["vcpus"] == 1

    images = osc("image", "list", "-f", "json")
    assert "cirros" in {i["Name"] for i in images}
    assert osc("image", "show", "cirros", "-f", "json")["name"] == "cirros"

    hypervisors = osc("hypervisor", "list", "-f", "json")
    assert len(hypervisors) == 3
    name = hypervisors[0]["Hypervisor Hostname"]
    shown = osc("hypervisor", "show", name, "-f", "json")
    assert shown["hypervisor_hostname"] == name and shown["state"] == "up"

    services = osc("compute", "service", "list", "-f", "json")
    assert {"stratus-scheduler", "stratus-conductor"} <= {s["Binary"] for s in services}
    zones = osc("availability", "zone", "list", "-f", "json")
    assert zones and all(z["Zone Status"] == "available" for z in zones)

    assert osc("quota", "show", "-f", "json")
    osc("quota", "set", "--instances", "500", "admin")
    limits = osc("limits", "show", "--absolute", "-f", "json")
    assert {row["Name"]: row["Value"] for row in limits}["max_total_instances"] == 500


def test_flavor_create_and_delete(osc) -> None:  # type: ignore[no-untyped-def]
    name = unique("osc-flavor")
    made = osc(
        "flavor", "create", "--ram", "256", "--disk", "1", "--vcpus", "1", name, "-f", "json"
    )
    assert made["name"] == name and made["ram"] == 256
    assert name in {f["Name"] for f in osc("flavor", "list", "-f", "json")}
    osc("flavor", "delete", name)
    assert name not in {f["Name"] for f in osc("flavor", "list", "-f", "json")}


def test_private_flavor_access(osc) -> None:  # type: ignore[no-untyped-def]
    """`flavor set/unset --project` reach os-flavor-access; `flavor list` shows a private
    flavor only with --private or --all, as against Nova."""
    name = unique("osc-private")
    made = osc(
        "flavor", "create", "--private", "--ram", "256", "--disk", "1", "--vcpus", "1", name,
        "-f", "json",
    )  # fmt: skip
    project = osc("project", "create", unique("osc-access"), "-f", "json")
    osc("flavor", "set", "--project", project["id"], made["id"])
    shown = osc("flavor", "show", made["id"], "-f", "json")
    assert shown["os-flavor-access:is_public"] is False
    assert shown["access_project_ids"] == [project["id"]]
    assert name not in {f["Name"] for f in osc("flavor", "list", "-f", "json")}
    assert name in {f["Name"] for f in osc("flavor", "list", "--private", "-f", "json")}
    assert name in {f["Name"] for f in osc("flavor", "list", "--all", "-f", "json")}
    osc("flavor", "unset", "--project", project["id"], made["id"])
    assert osc("flavor", "show", made["id"], "-f", "json")["access_project_ids"] == []
    osc("flavor", "delete", made["id"])
    osc("project", "delete", project["id"])


def test_server_create_forms_and_list_paging(osc) -> None:  # type: ignore[no-untyped-def]
    name = unique("osc-many")
    osc(
        "server",
        "create",
        "--flavor",
        "m1.tiny",
        "--image",
        "cirros",
        "--min",
        "2",
        "--max",
        "2",
        "--hint",
        "purpose=test",
        "--availability-zone",
        "nova",
        "--wait",
        name,
        "-f",
        "json",
    )
    mine = osc("server", "list", "--name", f"^{name}", "--all-projects", "-f", "json")
    assert len(mine) == 2 and all(s["Status"] == "ACTIVE" for s in mine)
    first = osc("server", "list", "--name", f"^{name}", "--limit", "1", "-f", "json")
    rest = osc(
        "server",
        "list",
        "--name",
        f"^{name}",
        "--limit",
        "1",
        "--marker",
        first[0]["ID"],
        "-f",
        "json",
    )
    assert len(first) == 1 and len(rest) == 1 and first[0]["ID"] != rest[0]["ID"]
    osc("server", "delete", "--wait", *(s["ID"] for s in mine))


@pytest.mark.parametrize("compute_version", [None, "2.1"], ids=["negotiated", "2.1"])
def test_server_lifecycle(osc, compute_version: str | None) -> None:  # type: ignore[no-untyped-def]
    """The whole lifecycle at the newest microversion and at 2.1, each shaped as asked."""

    def run(*args: str) -> Any:
        return osc(*args, compute_version=compute_version)

    name = unique("osc-server")
    made = run(
        "server", "create", "--flavor", "m1.tiny", "--image", "cirros", "--wait", name, "-f", "json"
    )
    assert made["status"] == "ACTIVE" and made["name"] == name
    server_id = made["id"]

    listed = run("server", "list", "--name", name, "-f", "json")
    assert [s["ID"] for s in listed] == [server_id]
    long = run("server", "list", "--long", "--status", "ACTIVE", "-f", "json")
    row = next(s for s in long if s["ID"] == server_id)
    # From 2.47 the server embeds its flavor, whose name the CLI then shows as "Flavor".
    flavor_column = "Flavor Name" if compute_version == "2.1" else "Flavor"
    assert row[flavor_column] == "m1.tiny" and row["Host"]
    assert server_id in {s["ID"] for s in run("server", "list", "--all-projects", "-f", "json")}
    assert len(run("server", "list", "--limit", "1", "-f", "json")) == 1

    shown = run("server", "show", name, "-f", "json")
    assert shown["id"] == server_id
    if compute_version == "2.1":
        assert shown["flavor"].startswith("m1.tiny")
        assert shown["OS-EXT-SRV-ATTR:hostname"] is None  # a 2.3 attribute: not sent at 2.1
    else:
        assert shown["flavor"]["original_name"] == "m1.tiny"
        assert shown["flavor"]["vcpus"] == 1
        assert shown["pinned_availability_zone"] is None
        assert shown["OS-EXT-SRV-ATTR:hostname"] == name
        assert shown["host_status"] == "UP"

    for action, status in (
        (["stop"], "SHUTOFF"),
        (["start"], "ACTIVE"),
        (["reboot"], "ACTIVE"),
        (["reboot", "--hard"], "ACTIVE"),
        (["pause"], "PAUSED"),
        (["unpause"], "ACTIVE"),
        (["suspend"], "SUSPENDED"),
        (["resume"], "ACTIVE"),
    ):
        run("server", *action, name)
        wait_status(osc, name, status)

    events = run("server", "event", "list", name, "-f", "json")
    assert {"create", "stop", "start", "reboot", "pause", "suspend"} <= {
        e["Action"] for e in events
    }
    request_id = next(e["Request ID"] for e in events if e["Action"] == "stop")
    event = run("server", "event", "show", name, request_id, "-f", "json")
    assert event["action"] == "stop"
    run("console", "log", "show", name)

    run("server", "delete", "--wait", name)
    assert run("server", "list", "--name", name, "-f", "json") == []


def test_server_description_tags_and_rename(osc) -> None:  # type: ignore[no-untyped-def]
    name = unique("osc-tagged")
    made = osc(
        "server",
        "create",
        "--flavor",
        "m1.tiny",
        "--image",
        "cirros",
        "--description",
        "first words",
        "--tag",
        "web",
        "--tag",
        "blue",
        "--wait",
        name,
        "-f",
        "json",
    )
    assert made["description"] == "first words"
    assert sorted(made["tags"]) == ["blue", "web"]
    osc("server", "set", "--tag", "green", "--description", "second words", name)
    osc("server", "unset", "--tag", "blue", name)
    shown = osc("server", "show", name, "-f", "json")
    assert (sorted(shown["tags"]), shown["description"]) == (["green", "web"], "second words")
    tagged = osc("server", "list", "--tags", "green", "-f", "json")
    assert [s["Name"] for s in tagged] == [name]
    assert name not in {s["Name"] for s in osc("server", "list", "--tags", "blue", "-f", "json")}
    renamed = unique("osc-renamed")
    osc("server", "set", "--name", renamed, name)
    assert osc("server", "show", renamed, "-f", "json")["id"] == made["id"]
    osc("server", "delete", "--wait", renamed)


def wait_status(osc, name: str, status: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 60
    while True:
        shown = osc("server", "show", name, "-f", "json")
        if shown["status"] == status and shown["OS-EXT-STS:task_state"] is None:
            return
        assert time.monotonic() < deadline, shown
        time.sleep(0.5)


def test_server_groups_and_aggregates(osc) -> None:  # type: ignore[no-untyped-def]
    group = unique("osc-group")
    made = osc("server", "group", "create", "--policy", "anti-affinity", group, "-f", "json")
    assert made["name"] == group
    assert group in {g["Name"] for g in osc("server", "group", "list", "-f", "json")}
    assert osc("server", "group", "show", group, "-f", "json")["id"] == made["id"]
    osc("server", "group", "delete", group)

    aggregate = unique("osc-agg")
    made = osc("aggregate", "create", "--zone", "osc-zone", aggregate, "-f", "json")
    assert made["name"] == aggregate and made["availability_zone"] == "osc-zone"
    assert aggregate in {a["Name"] for a in osc("aggregate", "list", "-f", "json")}
    host = osc("hypervisor", "list", "-f", "json")[0]["Hypervisor Hostname"]
    added = osc("aggregate", "add", "host", aggregate, host, "-f", "json")
    assert host in added["hosts"]
    osc("aggregate", "set", "--property", "ssd=true", aggregate)
    shown = osc("aggregate", "show", aggregate, "-f", "json")
    assert shown["properties"]["ssd"] == "true"


def test_identity(osc) -> None:  # type: ignore[no-untyped-def]
    project = unique("osc-project")
    user = unique("osc-user")
    assert osc("project", "create", project, "-f", "json")["name"] == project
    assert project in {p["Name"] for p in osc("project", "list", "-f", "json")}
    made = osc(
        "user", "create", "--password", "osc-secret-1", "--project", project, user, "-f", "json"
    )
    assert made["name"] == user
    assert user in {u["Name"] for u in osc("user", "list", "-f", "json")}
    osc("role", "add", "--user", user, "--project", project, "member")


def test_openstacksdk(clouds_yaml: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(clouds_yaml))
    conn = openstack.connect(cloud=CLOUD_NAME)
    try:
        image = conn.image.find_image("cirros")
        flavor = conn.compute.find_flavor("m1.tiny")
        assert image is not None and flavor is not None
        name = unique("sdk-server")
        # From microversion 2.37, which the SDK negotiates, networks must be given.
        server = conn.compute.create_server(
            name=name, image_id=image.id, flavor_id=flavor.id, networks="auto"
        )
        server = conn.compute.wait_for_server(server, wait=120)
        assert server.status == "ACTIVE"
        assert server.flavor.original_name == "m1.tiny"  # embedded from 2.47
        assert server.addresses
        assert server.id in {s.id for s in conn.compute.servers()}
        conn.compute.delete_server(server)
        conn.compute.wait_for_delete(server, wait=120)
        assert server.id not in {s.id for s in conn.compute.servers()}
    finally:
        conn.close()
