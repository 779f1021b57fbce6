"""What a project's quota usage says it still owns, as the 409 of its deletion names it."""

from __future__ import annotations

import pytest

from services.api.identity.service import still_owned
from stratus.v1 import compute_pb2


@pytest.mark.parametrize(
    ("in_use", "said"),
    [
        ({}, ""),
        ({"instances": 0, "cores": 0, "ram": 0, "server_groups": 0}, ""),
        ({"instances": 1, "cores": 2, "ram": 2048}, "1 server"),
        (
            {"instances": 3, "cores": 3, "ram": 1536, "server_groups": 2},
            "3 servers and 2 server groups",
        ),
        ({"server_groups": 1}, "1 server group"),
        # Cores without servers would be an accounting fault: named rather than hidden.
        ({"cores": 4, "server_groups": 1}, "4 cores in use and 1 server group"),
        (
            {"cores": 1, "ram": 512, "server_groups": 1},
            "1 cores in use, 512 ram in use and 1 server group",
        ),
    ],
)
def test_usage_names_what_is_left(in_use: dict[str, int], said: str) -> None:
    assert still_owned(compute_pb2.QuotaUsage(project_id="p", in_use=in_use)) == said
