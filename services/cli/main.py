"""The `stratus` command: `stratus up` for a local cloud, and the client commands."""

from __future__ import annotations

import click

from services.cli import client, identity
from services.cli.bench import bench
from services.cli.up import up


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@client.connection_options
def cli() -> None:
    """Stratus: a compute control plane in the architecture of OpenStack Nova.

    `stratus up` runs a whole cloud on this machine; the other commands talk to its api
    over gRPC (--api or STRATUS_API, default 127.0.0.1:8780), authenticated as OS_TOKEN,
    OS_USERNAME/OS_PASSWORD, or the cloud OS_CLOUD (default "stratus") of a clouds.yaml,
    which `stratus up` writes to its data dir.
    """


cli.add_command(up)
cli.add_command(bench)
for group in (*client.GROUPS, *identity.GROUPS):
    cli.add_command(group)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="stratus")


if __name__ == "__main__":
    main()
