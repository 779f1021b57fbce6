"""The README's shell examples run as written, against a real cloud.

Every fenced ```sh block of README.md is taken from the file itself and run, in order, in
one bash process started in the checkout (so `source .venv/bin/activate` works as it does
for a newcomer, and a variable such as TOKEN or ID set by one block serves the next). A
block that cannot run here is skipped only when the line before it says why:

    <!-- not run: reason -->

What the examples assume of `./dev up`, the test provides on the harness's cloud:

- HOME is a fresh directory whose `~/.local/share/stratus/clouds.yaml` holds the admin's
  credentials, as `stratus up` writes it, and the flavors, image and quota are the ones
  `stratus up` seeds (services/cli/seed.py).
- The cloud listens on free ports, not the defaults: in the extracted text, the default
  endpoints `127.0.0.1:8774` (REST), `:8780` (api gRPC) and `:8781` (conductor) are
  replaced by the cloud's, and STRATUS_API (which every `stratus` command honours) names
  its api. The OpenStack tools follow the auth_url of clouds.yaml.
- Every command must exit 0 (`set -e -o pipefail`), and curl, which exits 0 on an HTTP
  error, runs with `--fail-with-body` through a wrapper first on PATH, so a 401 or a 404
  fails the run.

Where a block says what it prints, the output is checked too. The start banner's "Try:"
commands (services/cli/up.py) are run the same way, from a shell that has nothing set.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from services.api.identity import bootstrap
from services.cli import seed, up
from services.runtime import grpc_client
from stratus.v1 import compute_pb2_grpc
from tests.integration.cloud import ADMIN_PASSWORD, Cloud

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
RUN_SECONDS = 150.0

_FENCE_OPEN = re.compile(r"^```sh\s*$")
_NOT_RUN = re.compile(r"^<!--\s*not run:\s*(?P<reason>.+?)\s*-->$")
# What a block prints, keyed by a text its commands contain.
EXPECTED_OUTPUT = {
    # REST: the detail list, then the stopped server's action log.
    "/v2.1/servers/detail": ['"servers": [', '"action":"stop"'],
    # gRPC: reflection lists the public service; the conductor's health answers.
    "grpc.health.v1.Health/Check": ["stratus.v1.Compute", '"status": "SERVING"'],
    # The CLI: an agent entry for each of the cloud's three hosts; the private flavor.
    "stratus service list": ["stratus-agent", "node-1", "node-2", "node-3", "gold"],
    "openstack server list --long": ["web3"],
}


@dataclass(frozen=True)
class Block:
    line: int  # where its first command is in README.md
    text: str
    skip_reason: str | None

    @property
    def first_line(self) -> str:
        return self.text.splitlines()[0] if self.text else ""


def readme_blocks(text: str) -> list[Block]:
    """Every ```sh block of a Markdown text, with the reason given for not running it."""
    blocks: list[Block] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        if not _FENCE_OPEN.match(lines[index]):
            index += 1
            continue
        before = next((lines[i] for i in range(index - 1, -1, -1) if lines[i].strip()), "")
        marker = _NOT_RUN.match(before.strip())
        end = index + 1
        while end < len(lines) and lines[end].strip() != "```":
            end += 1
        blocks.append(
            Block(
                line=index + 2,
                text="\n".join(lines[index + 1 : end]),
                skip_reason=marker.group("reason") if marker else None,
            )
        )
        index = end + 1
    return blocks


def on_cloud(text: str, cloud: Cloud) -> str:
    """The text with the default endpoints replaced by the test cloud's."""
    ports = {
        "8774": cloud.rest_port,
        "8780": cloud.services["api"].grpc_port,
        "8781": cloud.services["conductor"].grpc_port,
    }
    return re.sub(
        r"127\.0\.0\.1:(8774|8780|8781)\b", lambda m: f"127.0.0.1:{ports[m.group(1)]}", text
    )


def script(blocks: list[Block]) -> str:
    """One bash script running the blocks in order; it names the block a failure is in,
    and marks on stdout where each block's output ends (on a line of its own: curl's
    output ends without a newline)."""
    parts = [
        "set -e -o pipefail",
        "trap 'echo \"README.md block at line $README_LINE failed: $BASH_COMMAND\" >&2' ERR",
    ]
    for block in blocks:
        parts += [
            f"README_LINE={block.line}",
            block.text,
            f"printf '\\n@@ end of line {block.line}\\n'",
        ]
    return "\n".join(parts) + "\n"


def run_bash(text: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", text],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_SECONDS,
        check=False,
    )


def outputs(stdout: str) -> dict[int, str]:
    """Each block's stdout, by its README line."""
    found: dict[int, str] = {}
    current: list[str] = []
    for line in stdout.splitlines():
        match = re.fullmatch(r"@@ end of line (\d+)", line)
        if match:
            found[int(match.group(1))] = "\n".join(current)
            current = []
        else:
            current.append(line)
    return found


# --- the shell a newcomer has --------------------------------------------------------------


@pytest.fixture(scope="module")
def home(cloud: Cloud, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home directory with the clouds.yaml `stratus up` would write for this cloud."""
    home = tmp_path_factory.mktemp("home")
    data_dir = home / ".local" / "share" / "stratus"
    bootstrap.write_clouds_yaml(
        data_dir / up.CLOUDS_YAML, f"{cloud.rest_url}/identity/v3", ADMIN_PASSWORD
    )
    return home


@pytest.fixture(scope="module")
def seeded_like_up(cloud: Cloud) -> None:
    """What `stratus up` seeds on a first start: the classic flavors, cirros, no quota."""

    async def run() -> None:
        channel = grpc_client.channel(cloud.api_target, token=cloud.admin.token)
        try:
            await seed.seed(
                compute_pb2_grpc.ComputeStub(channel), project_id=cloud.admin.info.project_id
            )
        finally:
            await channel.close()

    asyncio.run(run())


def shell_env(home: Path, shims: Path) -> dict[str, str]:
    """A login-like environment: this machine's PATH behind the curl wrapper, the new
    home, and none of the caller's credentials, cloud settings or virtual environment."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("OS_", "STRATUS_", "XDG_", "VIRTUAL_ENV", "PYTHON"))
    }
    venv_bin = str(Path(sys.prefix) / "bin")
    path = [p for p in env.get("PATH", "").split(os.pathsep) if p and p != venv_bin]
    env.update(HOME=str(home), PATH=os.pathsep.join([str(shims), *path]))
    return env


@pytest.fixture
def shims(tmp_path: Path) -> Path:
    """`curl` that fails on an HTTP error, as the examples' output must be a success."""
    folder = tmp_path / "shims"
    folder.mkdir()
    real = next(
        Path(p) / "curl"
        for p in os.environ.get("PATH", "").split(os.pathsep)
        if (Path(p) / "curl").is_file()
    )
    wrapper = folder / "curl"
    wrapper.write_text(f'#!/bin/sh\nexec {real} --fail-with-body "$@"\n')
    wrapper.chmod(0o755)
    return folder


# --- the tests -----------------------------------------------------------------------------


def test_every_skipped_block_says_why_and_most_of_them_run() -> None:
    blocks = readme_blocks(README.read_text())
    run = [b for b in blocks if b.skip_reason is None]
    assert len(run) >= 5, [b.first_line for b in blocks]
    for block in blocks:
        assert block.text.strip(), f"empty block at README.md line {block.line}"
        assert block.skip_reason is None or len(block.skip_reason) > 10


def test_the_readme_examples_run_as_written(
    cloud: Cloud, seeded_like_up: None, home: Path, shims: Path
) -> None:
    blocks = [b for b in readme_blocks(README.read_text()) if b.skip_reason is None]
    runnable = [Block(b.line, on_cloud(b.text, cloud), None) for b in blocks]
    env = {**shell_env(home, shims), "STRATUS_API": cloud.api_target}
    result = run_bash(script(runnable), env)
    assert result.returncode == 0, (
        f"{result.stderr[-4000:]}\n--- stdout ---\n{result.stdout[-3000:]}"
    )
    printed = outputs(result.stdout)
    assert sorted(printed) == [b.line for b in blocks]
    for needle, expected in EXPECTED_OUTPUT.items():
        owners = [b.line for b in blocks if needle in b.text]
        assert owners, f"no README block that runs contains {needle!r} any more"
        for text in expected:
            assert text in printed[owners[0]], (needle, text, printed[owners[0]][-2000:])


def test_the_start_banner_commands_run_from_a_new_shell(
    cloud: Cloud, seeded_like_up: None, home: Path, shims: Path
) -> None:
    etcd = cloud.etcd
    assert etcd is not None
    plan = up.Plan(
        hosts=cloud.hosts,
        data_dir=home / ".local" / "share" / "stratus",
        ports=up.Ports(
            rest=cloud.rest_port,
            api=cloud.services["api"].grpc_port,
            conductor=cloud.services["conductor"].grpc_port,
            scheduler=cloud.services["scheduler"].grpc_port,
            etcd=etcd.client_port,
            etcd_peer=0,
            metrics_from=0,
        ),
        etcd_endpoints="",
    )
    commands = up.examples(plan)
    assert any(line.startswith("source ") for line in commands)
    # Nothing set: no STRATUS_API, no OS_*, no virtual environment on PATH.
    result = run_bash("set -e -o pipefail\n" + "\n".join(commands) + "\n", shell_env(home, shims))
    assert result.returncode == 0, (
        f"{result.stderr[-4000:]}\n--- stdout ---\n{result.stdout[-3000:]}"
    )
    assert "stratus-agent" in result.stdout
    assert "stratus.v1.Compute" in result.stdout
