"""The hard server group policies, as Nova's ServerGroup(Anti)AffinityFilter define them.

`group_allows_host` is the one definition the filters and the claim share: given how many
of the group's other members each host runs, may one more member go to this host?
"""

from __future__ import annotations

import pytest

from services.state.placement import group_allows_host, max_server_per_host

NONE: dict[str, int] = {}


@pytest.mark.parametrize(
    ("policy", "rules", "members", "host", "allowed"),
    [
        # Affinity: the first member goes anywhere, the rest only where members run.
        ("affinity", {}, NONE, "h1", True),
        ("affinity", {}, {"h1": 1}, "h1", True),
        ("affinity", {}, {"h1": 1}, "h2", False),
        ("affinity", {}, {"h1": 0}, "h2", True),  # a host with no member fixes nothing
        # Anti-affinity: fewer than max_server_per_host (default 1) members on the host.
        ("anti-affinity", {}, NONE, "h1", True),
        ("anti-affinity", {}, {"h1": 1}, "h1", False),
        ("anti-affinity", {}, {"h1": 1}, "h2", True),
        ("anti-affinity", {"max_server_per_host": "2"}, {"h1": 1}, "h1", True),
        ("anti-affinity", {"max_server_per_host": "2"}, {"h1": 2}, "h1", False),
        # Soft policies are weighers, never a refusal.
        ("soft-affinity", {}, {"h1": 3}, "h2", True),
        ("soft-anti-affinity", {}, {"h1": 3}, "h1", True),
        ("", {}, {"h1": 3}, "h1", True),
    ],
)
def test_group_allows_host(
    policy: str, rules: dict[str, str], members: dict[str, int], host: str, allowed: bool
) -> None:
    assert group_allows_host(policy, rules, members, host) is allowed


@pytest.mark.parametrize(
    ("rules", "limit"),
    [
        ({}, 1),
        ({"max_server_per_host": "3"}, 3),
        ({"max_server_per_host": "0"}, 1),
        ({"max_server_per_host": "x"}, 1),
    ],
)
def test_max_server_per_host_is_one_when_unset_or_unusable(
    rules: dict[str, str], limit: int
) -> None:
    assert max_server_per_host(rules) == limit
