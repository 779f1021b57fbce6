"""The policy table: who may do what, the rule language, operator overrides, and that
every operation of the service layer is guarded by exactly one entry."""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from services.api import policy
from services.api.consoles import ConsoleApi
from services.api.policy import DEFAULT_RULES, Policy, PolicyError, parse_rule
from services.api.service import ComputeApi
from services.runtime.context import RequestContext
from services.runtime.errors import PermissionDenied
from stratus.v1 import compute_pb2
from stratus.v1 import types_pb2 as t

ADMIN, SECURITY, MANAGER, NETWORK, MEMBER = (
    "admin",
    "it_security",
    "project_manager",
    "network_manager",
    "member",
)
EVERYONE = {ADMIN, SECURITY, MANAGER, NETWORK, MEMBER}
RUNNERS = {ADMIN, MANAGER, MEMBER}
ISOLATORS = {ADMIN, SECURITY, MANAGER, MEMBER}

# The seed's roles, as the table must grant them (each caller holds one role).
EXPECTED: dict[str, set[str]] = {
    "compute:create_server": RUNNERS,
    "compute:delete_server": RUNNERS,
    "compute:get_server": EVERYONE,
    "compute:list_servers": EVERYONE,
    "compute:list_instance_actions": EVERYONE,
    "compute:stop": ISOLATORS,
    "compute:start": ISOLATORS,
    "compute:pause": ISOLATORS,
    "compute:unpause": ISOLATORS,
    "compute:suspend": ISOLATORS,
    "compute:resume": ISOLATORS,
    "compute:lock": ISOLATORS,
    "compute:unlock": ISOLATORS,
    "compute:reboot": RUNNERS,
    "compute:servers:all_projects": {ADMIN, SECURITY},
    "compute:create_image": {ADMIN, MANAGER},
    "compute:create_flavor": {ADMIN},
    "compute:list_hosts": {ADMIN},
    "compute:list_aggregates": {ADMIN},
    "compute:explain_placement": {ADMIN},
    "compute:create_server_group": RUNNERS,
    "compute:get_quota_set": EVERYONE,
    "compute:get_limits": EVERYONE,
    "compute:update_quota_set": {ADMIN},
    "compute:delete_quota_set": {ADMIN},
    "identity:add_project_user": {ADMIN, MANAGER},
    "network:allocate_floating_ip": {ADMIN, NETWORK},
    "network:update_security_group_rule": {ADMIN, NETWORK},
}


def caller(*roles: str, project: str = "p1") -> RequestContext:
    return RequestContext(user_id="u", project_id=project, roles=roles)


@pytest.mark.parametrize("action", sorted(EXPECTED))
@pytest.mark.parametrize("role", sorted(EVERYONE))
def test_each_role_may_do_exactly_what_the_seed_gives_it(role: str, action: str) -> None:
    allowed = role in EXPECTED[action]
    assert Policy().allows(caller(role), action) is allowed


def test_an_admin_may_do_everything() -> None:
    table = Policy()
    assert all(table.allows(caller(ADMIN, project="other"), a, "p1") for a in DEFAULT_RULES)


def test_no_role_may_do_nothing() -> None:
    table = Policy()
    assert not any(table.allows(caller(), action) for action in DEFAULT_RULES)


def test_only_an_admin_reads_another_projects_quota() -> None:
    table = Policy()
    for role in EVERYONE - {ADMIN}:
        assert table.allows(caller(role), "compute:get_quota_set", "p1")
        assert not table.allows(caller(role), "compute:get_quota_set", "p2")
    assert table.allows(caller(ADMIN), "compute:get_quota_set", "p2")


def test_a_refusal_names_the_action_and_its_rule() -> None:
    with pytest.raises(PermissionDenied) as refused:
        Policy().enforce(caller(SECURITY), "compute:delete_server")
    assert refused.value.message == (
        "Policy doesn't allow compute:delete_server to be performed. "
        "Rule: role:admin or role:project_manager or role:member"
    )


def test_an_unknown_action_is_refused() -> None:
    with pytest.raises(PermissionDenied, match="Rule: !"):
        Policy().enforce(caller(ADMIN), "compute:no_such_thing")


# ---------------------------------------------------------------------------- the language


@pytest.mark.parametrize(
    ("rule", "roles", "target", "allowed"),
    [
        ("@", (), None, True),
        ("!", (ADMIN,), None, False),
        ("role:member", (MEMBER,), None, True),
        ("role:member", (ADMIN,), None, False),
        ("role:a or role:b", ("b",), None, True),
        ("role:a and role:b", ("b",), None, False),
        ("role:a and role:b", ("a", "b"), None, True),
        ("not role:a", ("b",), None, True),
        ("not role:a", ("a",), None, False),
        # "and" binds tighter than "or".
        ("role:a or role:b and role:c", ("a",), None, True),
        ("(role:a or role:b) and role:c", ("a",), None, False),
        ("project_scoped", (), None, True),
        ("project_scoped", (), "p1", True),
        ("project_scoped", (), "p2", False),
        ("project_scoped and role:member", (MEMBER,), "p2", False),
    ],
)
def test_rules_mean_what_they_say(
    rule: str, roles: tuple[str, ...], target: str | None, allowed: bool
) -> None:
    assert parse_rule(rule)(caller(*roles), target) is allowed


@pytest.mark.parametrize(
    "rule", ["", "role:", "role:a or", "(role:a", "role:a)", "owner", "role:a role:b", "and"]
)
def test_a_rule_that_does_not_parse_is_refused(rule: str) -> None:
    with pytest.raises(PolicyError):
        parse_rule(rule)


# ---------------------------------------------------------------------------- overrides


def test_an_operator_file_in_json_overrides_entries(tmp_path: Path) -> None:
    path = tmp_path / "policy.json"
    path.write_text('{"compute:create_server": "role:admin or role:network_manager"}')
    table = Policy.load(path)
    assert table.allows(caller(NETWORK), "compute:create_server")
    assert not table.allows(caller(MEMBER), "compute:create_server")
    assert table.allows(caller(MEMBER), "compute:delete_server")  # the others keep defaults


def test_an_operator_file_in_yaml_overrides_entries(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(
        "# isolation is the security team's job only\n"
        '"compute:pause": "role:admin or role:it_security"\n'
        "compute:unpause: 'role:it_security'  # not even admins\n"
    )
    table = Policy.load(path)
    assert not table.allows(caller(MEMBER), "compute:pause")
    assert table.allows(caller(SECURITY), "compute:pause")
    assert table.rule("compute:unpause") == "role:it_security"


@pytest.mark.parametrize(
    ("name", "text", "complaint"),
    [
        ("p.json", '{"compute:fly": "@"}', "Unknown policy entries: compute:fly"),
        ("p.json", '{"compute:pause": "role:"}', "compute:pause"),
        ("p.json", "[1, 2]", "must map each action"),
        ("p.json", "{nope", "not JSON"),
        ("p.yaml", "just words\n", "expected"),
    ],
)
def test_a_bad_operator_file_stops_the_start(
    tmp_path: Path, name: str, text: str, complaint: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(PolicyError, match=complaint):
        Policy.load(path)


def test_a_missing_operator_file_stops_the_start(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="Cannot read"):
        Policy.load(tmp_path / "absent.json")


def test_configure_makes_the_table_the_one_in_force(tmp_path: Path) -> None:
    path = tmp_path / "policy.json"
    path.write_text('{"compute:list_flavors": "role:admin"}')
    try:
        policy.configure(path)
        assert not policy.allows(caller(MEMBER), "compute:list_flavors")
    finally:
        policy.configure()
    assert policy.allows(caller(MEMBER), "compute:list_flavors")


# ---------------------------------------------------------------------------- coverage


# Not operations a caller's token is checked for: closing, and the console proxy's check
# of a console token (that token is the credential).
NOT_OPERATIONS = frozenset({"close", "authorize"})


def operations() -> list[tuple[type, str]]:
    """Every public operation of the service layer (its mixins and the consoles included)."""
    return sorted(
        (
            (cls, name)
            for cls in (ComputeApi, ConsoleApi)
            for name, member in inspect.getmembers(cls)
            if not name.startswith("_") and callable(member) and name not in NOT_OPERATIONS
        ),
        key=lambda pair: pair[1],
    )


def enforced_actions(method: Callable[..., Any]) -> set[str]:
    """The entries the first statement of `method` (after its docstring) enforces."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(method)))
    function = tree.body[0]
    assert isinstance(function, ast.AsyncFunctionDef)
    body = list(function.body)
    if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    first = body[0]
    assert isinstance(first, ast.Expr) and isinstance(first.value, ast.Call), function.name
    call = first.value
    assert ast.unparse(call.func) == "policy.enforce", f"{function.name} starts otherwise"
    actions: set[str] = set()
    for node in ast.walk(call.args[1]):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            actions.add(node.value)
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "server_action_rule":
            actions |= set(policy.SERVER_ACTION_RULES.values())
    return actions


def test_every_operation_enforces_its_own_entries_first() -> None:
    claimed: dict[str, str] = {}
    for cls, name in operations():
        actions = enforced_actions(getattr(cls, name))
        assert actions, f"{name} enforces no entry"
        for action in actions:
            assert action in DEFAULT_RULES, f"{name} enforces {action}, which is not in the table"
            assert action not in claimed, f"{action} guards both {claimed[action]} and {name}"
            claimed[action] = name
    unguarded = set(DEFAULT_RULES) - set(claimed) - policy.SUB_RULES - policy.RESERVED_RULES
    assert not unguarded, f"entries no operation uses: {sorted(unguarded)}"
    assert not (set(claimed) & policy.RESERVED_RULES)


class Untouchable:
    """A store that fails any test that reaches it."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the store was used ({name}) before the policy was checked")


def dummy(name: str, annotation: str) -> Any:
    if name == "action":
        return "stop"
    if "Request" in annotation:
        return getattr(compute_pb2, annotation.rsplit(".", 1)[-1])()
    if annotation.startswith("t."):
        return getattr(t, annotation[2:])()
    if annotation.startswith(("dict", "Mapping")):
        return {}
    if annotation == "int":
        return 0
    return "x"


@pytest.mark.parametrize(
    ("cls", "name"), operations(), ids=lambda value: getattr(value, "__name__", value)
)
async def test_a_caller_without_roles_is_refused_before_anything_is_read(
    cls: type, name: str
) -> None:
    api = object.__new__(cls)
    api.store = Untouchable()
    method = getattr(api, name)
    arguments = [
        dummy(p.name, str(p.annotation))
        for p in list(inspect.signature(method).parameters.values())[1:]
        if p.default is inspect.Parameter.empty and p.kind is not p.KEYWORD_ONLY
    ]
    with pytest.raises(PermissionDenied, match="Policy doesn't allow"):
        result = method(caller(), *arguments)
        if inspect.isasyncgen(result):
            await result.__anext__()
        else:
            await result
