"""Who may do what: one table of rules, enforced by the service layer for gRPC and REST.

Every public operation of the api names one action (`compute:create_server`, ...) and
calls `enforce(ctx, action)` first, before it reads anything; a refusal is a
PermissionDenied (HTTP 403) that names the action and the rule. Whether a resource of
another project exists is not the policy's business: those answer NotFound (404), as in
Nova, from the visibility checks of the service layer.

A rule is a small expression, in the spirit of oslo.policy:

    role:<name>      the caller has that role
    project_scoped   the target belongs to the caller's project (an action without a
                     target project is always within the caller's own)
    @                anyone
    !                no one
    not X, X and Y, X or Y, ( X )   ("not" binds tightest, then "and", then "or")

The roles are the seed document's: `admin` (cloud administrator, global), `it_security`
(global: sees every project's servers and may isolate any of them — stop, pause,
suspend, lock and their reverses — but neither creates nor deletes them),
`project_manager` (adds users to the project, manages images, runs and terminates
servers), `network_manager` (public IPs and firewall rules; may see the project's servers
but not run them) and `member` (a developer: runs and manages the project's servers).

An operator overrides entries with a file (`policy_file` in the api's config): a JSON
object, or YAML's flat `"action": "rule"` mapping, of the entries to change. An entry the
table does not know, or a rule that does not parse, stops the process at start.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from services.runtime.context import RequestContext
from services.runtime.errors import PermissionDenied

ROLES = ("admin", "it_security", "project_manager", "network_manager", "member")

# The groups of roles the defaults are written in.
ADMIN = "role:admin"
ANY_ROLE = " or ".join(f"role:{role}" for role in ROLES)
GLOBAL_READER = "role:admin or role:it_security"
RUNS_SERVERS = "role:admin or role:project_manager or role:member"
ISOLATES_SERVERS = "role:admin or role:it_security or role:project_manager or role:member"
MANAGES_IMAGES = "role:admin or role:project_manager"
MANAGES_NETWORK = "role:admin or role:network_manager"
OWN_PROJECT_READER = (
    "role:admin or (project_scoped and (role:it_security or role:project_manager "
    "or role:network_manager or role:member))"
)
ADDS_PROJECT_USERS = "role:admin or (project_scoped and role:project_manager)"

# The server actions (the service layer's names) and the entry each is checked against.
SERVER_ACTION_RULES = {
    "stop": "compute:stop",
    "start": "compute:start",
    "reboot": "compute:reboot",
    "pause": "compute:pause",
    "unpause": "compute:unpause",
    "suspend": "compute:suspend",
    "resume": "compute:resume",
}

DEFAULT_RULES: dict[str, str] = {
    # Servers.
    "compute:create_server": RUNS_SERVERS,
    "compute:get_server": ANY_ROLE,
    "compute:list_servers": ANY_ROLE,
    "compute:delete_server": RUNS_SERVERS,
    "compute:update_server": RUNS_SERVERS,
    "compute:set_server_tags": RUNS_SERVERS,
    "compute:stop": ISOLATES_SERVERS,
    "compute:start": ISOLATES_SERVERS,
    "compute:reboot": RUNS_SERVERS,
    "compute:pause": ISOLATES_SERVERS,
    "compute:unpause": ISOLATES_SERVERS,
    "compute:suspend": ISOLATES_SERVERS,
    "compute:resume": ISOLATES_SERVERS,
    "compute:lock": ISOLATES_SERVERS,
    "compute:unlock": ISOLATES_SERVERS,
    "compute:list_instance_actions": ANY_ROLE,
    # Consoles show what runs inside a guest: those who run the project's servers.
    "compute:get_console_output": RUNS_SERVERS,
    "compute:create_remote_console": RUNS_SERVERS,
    "compute:watch_servers": ANY_ROLE,
    "compute:explain_placement": ADMIN,
    # Which callers see every project's servers and server groups (all_projects).
    "compute:servers:all_projects": GLOBAL_READER,
    # Booting onto a named host ("zone:host").
    "compute:create_server:forced_host": ADMIN,
    # Flavors.
    "compute:list_flavors": ANY_ROLE,
    "compute:get_flavor": ANY_ROLE,
    "compute:create_flavor": ADMIN,
    "compute:delete_flavor": ADMIN,
    "compute:set_flavor_extra_specs": ADMIN,
    "compute:delete_flavor_extra_spec": ADMIN,
    # Which projects may use a non-public flavor (Nova's os-flavor-access).
    "compute:list_flavor_access": ADMIN,
    "compute:add_flavor_access": ADMIN,
    "compute:remove_flavor_access": ADMIN,
    # Images.
    "compute:list_images": ANY_ROLE,
    "compute:get_image": ANY_ROLE,
    "compute:create_image": MANAGES_IMAGES,
    "image:update_image": MANAGES_IMAGES,
    "image:delete_image": MANAGES_IMAGES,
    # Hosts and services.
    "compute:list_hosts": ADMIN,
    "compute:list_services": ADMIN,
    # Server groups.
    "compute:create_server_group": RUNS_SERVERS,
    "compute:list_server_groups": ANY_ROLE,
    "compute:get_server_group": ANY_ROLE,
    "compute:delete_server_group": RUNS_SERVERS,
    # Aggregates and availability zones.
    "compute:list_aggregates": ADMIN,
    "compute:get_aggregate": ADMIN,
    "compute:create_aggregate": ADMIN,
    "compute:update_aggregate": ADMIN,
    "compute:delete_aggregate": ADMIN,
    "compute:add_aggregate_host": ADMIN,
    "compute:remove_aggregate_host": ADMIN,
    "compute:set_aggregate_metadata": ADMIN,
    "compute:list_availability_zones": ANY_ROLE,
    "compute:list_availability_zones:detail": ADMIN,
    # Quotas and limits.
    "compute:get_quota_set": OWN_PROJECT_READER,
    "compute:update_quota_set": ADMIN,
    "compute:delete_quota_set": ADMIN,
    "compute:get_quota_defaults": ANY_ROLE,
    "compute:get_limits": OWN_PROJECT_READER,
    # Identity: projects, users and their roles.
    "identity:create_project": ADMIN,
    "identity:delete_project": ADMIN,
    "identity:list_projects": ADMIN,
    "identity:create_user": ADMIN,
    "identity:delete_user": ADMIN,
    "identity:add_project_user": ADDS_PROJECT_USERS,
    "identity:remove_project_user": ADDS_PROJECT_USERS,
    "identity:list_project_users": ADDS_PROJECT_USERS,
    # Network: public addresses and firewall rules.
    "network:allocate_floating_ip": MANAGES_NETWORK,
    "network:release_floating_ip": MANAGES_NETWORK,
    "network:associate_floating_ip": MANAGES_NETWORK,
    "network:disassociate_floating_ip": MANAGES_NETWORK,
    "network:create_security_group": MANAGES_NETWORK,
    "network:delete_security_group": MANAGES_NETWORK,
    "network:create_security_group_rule": MANAGES_NETWORK,
    "network:update_security_group_rule": MANAGES_NETWORK,
    "network:delete_security_group_rule": MANAGES_NETWORK,
}

# Entries a service-layer method checks besides its own one (not an operation of their own).
SUB_RULES = frozenset(
    {
        "compute:servers:all_projects",
        "compute:create_server:forced_host",
        "compute:list_availability_zones:detail",
    }
)
# Entries for operations that other services, or later versions, carry out.
RESERVED_RULES = frozenset(
    action for action in DEFAULT_RULES if not action.startswith("compute:")
) | {"compute:lock", "compute:unlock"}


class PolicyError(ValueError):
    """A rule that does not parse, or an override of an entry the table does not know."""


Check = Callable[[RequestContext, str | None], bool]

_TOKEN = re.compile(r"\(|\)|[^\s()]+")


def _tokens(text: str) -> Iterator[str]:
    position = 0
    for match in _TOKEN.finditer(text):
        if text[position : match.start()].strip():
            raise PolicyError(f"Cannot parse rule {text!r} at {position}.")
        position = match.end()
        yield match.group()


class _Parser:
    """Recursive descent over: or := and ("or" and)*; and := not ("and" not)*;
    not := "not" not | atom; atom := "(" or ")" | role:NAME | project_scoped | @ | !"""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = list(_tokens(text))
        self.at = 0

    def parse(self) -> Check:
        if not self.tokens:
            raise PolicyError("An empty rule; write '@' for anyone or '!' for no one.")
        check = self._or()
        if self.at != len(self.tokens):
            raise PolicyError(f"Unexpected {self.tokens[self.at]!r} in rule {self.text!r}.")
        return check

    def _peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def _take(self) -> str:
        token = self._peek()
        if token is None:
            raise PolicyError(f"Rule {self.text!r} ends too early.")
        self.at += 1
        return token

    def _or(self) -> Check:
        parts = [self._and()]
        while self._peek() == "or":
            self.at += 1
            parts.append(self._and())
        if len(parts) == 1:
            return parts[0]
        return lambda ctx, target: any(part(ctx, target) for part in parts)

    def _and(self) -> Check:
        parts = [self._not()]
        while self._peek() == "and":
            self.at += 1
            parts.append(self._not())
        if len(parts) == 1:
            return parts[0]
        return lambda ctx, target: all(part(ctx, target) for part in parts)

    def _not(self) -> Check:
        if self._peek() == "not":
            self.at += 1
            inner = self._not()
            return lambda ctx, target: not inner(ctx, target)
        return self._atom()

    def _atom(self) -> Check:
        token = self._take()
        if token == "(":
            inner = self._or()
            if self._take() != ")":
                raise PolicyError(f"Missing ')' in rule {self.text!r}.")
            return inner
        if token == "@":
            return lambda ctx, target: True
        if token == "!":
            return lambda ctx, target: False
        if token == "project_scoped":
            return lambda ctx, target: target is None or target == ctx.project_id
        if token.startswith("role:") and len(token) > len("role:"):
            role = token[len("role:") :]
            return lambda ctx, target: role in ctx.roles
        raise PolicyError(f"Unknown term {token!r} in rule {self.text!r}.")


def parse_rule(text: str) -> Check:
    """The check a rule's text means; PolicyError when it does not parse."""
    return _Parser(text).parse()


@dataclass(frozen=True)
class Rule:
    text: str
    check: Check


class Policy:
    """The table in force: the defaults with the operator's overrides applied."""

    def __init__(self, overrides: Mapping[str, str] | None = None) -> None:
        unknown = sorted(set(overrides or {}) - set(DEFAULT_RULES))
        if unknown:
            raise PolicyError(f"Unknown policy entries: {', '.join(unknown)}.")
        texts = {**DEFAULT_RULES, **(overrides or {})}
        rules: dict[str, Rule] = {}
        for action, text in texts.items():
            if not isinstance(text, str):
                raise PolicyError(f"The rule of {action} must be a string.")
            try:
                rules[action] = Rule(text, parse_rule(text))
            except PolicyError as exc:
                raise PolicyError(f"{action}: {exc}") from None
        self.rules = rules

    @classmethod
    def load(cls, path: str | Path) -> Policy:
        """The defaults with the overrides of a JSON or YAML file applied."""
        return cls(read_overrides(Path(path)))

    def rule(self, action: str) -> str:
        found = self.rules.get(action)
        return found.text if found else "!"

    def allows(self, ctx: RequestContext, action: str, target_project: str | None = None) -> bool:
        found = self.rules.get(action)
        return found is not None and found.check(ctx, target_project)

    def enforce(self, ctx: RequestContext, action: str, target_project: str | None = None) -> None:
        """Nothing if `ctx` may perform `action` (on `target_project`'s resources); else
        PermissionDenied naming the action and its rule."""
        if not self.allows(ctx, action, target_project):
            raise PermissionDenied(
                f"Policy doesn't allow {action} to be performed. Rule: {self.rule(action)}"
            )


def read_overrides(path: Path) -> dict[str, str]:
    """An operator's policy file: a JSON object or a flat YAML mapping of action → rule."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise PolicyError(f"Cannot read policy file {path}: {exc.strerror}.") from None
    if path.suffix in (".yaml", ".yml"):
        document: object = _flat_yaml(text, path)
    else:
        try:
            document = json.loads(text) if text.strip() else {}
        except ValueError as exc:
            raise PolicyError(f"Policy file {path} is not JSON: {exc}.") from None
    if not isinstance(document, dict):
        raise PolicyError(f"Policy file {path} must map each action to a rule.")
    return {str(action): rule for action, rule in document.items()}


def _flat_yaml(text: str, path: Path) -> dict[str, str]:
    """YAML's flat `"action": "rule"` mapping (what policy.yaml files hold): one entry a
    line, keys and values plain or quoted, `#` comments."""
    entries: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#") or line == "---":
            continue
        match = re.match(r"""^("[^"]*"|'[^']*'|[^#'"\s].*?)\s*:\s+(.*)$""", line + " ")
        if match is None:
            raise PolicyError(f'{path}:{number}: expected \'"action": "rule"\'.')
        key = _unquote(match.group(1))
        value = match.group(2).strip()
        if value[:1] in ("'", '"'):
            end = value.find(value[0], 1)
            if end < 0 or value[end + 1 :].strip()[:1] not in ("", "#"):
                raise PolicyError(f"{path}:{number}: unbalanced quotes.")
            value = value[1:end]
        else:
            value = value.split(" #", 1)[0].strip()
        entries[key] = value
    return entries


def _unquote(text: str) -> str:
    return text[1:-1] if text[:1] in ("'", '"') and text[-1:] == text[:1] else text


_active = Policy()


def configure(path: str | Path = "") -> Policy:
    """Make the defaults, with the overrides of the file at `path` if given, the table in
    force for this process; the table."""
    global _active
    _active = Policy.load(path) if path else Policy()
    return _active


def active() -> Policy:
    """The table in force."""
    return _active


def enforce(ctx: RequestContext, action: str, target_project: str | None = None) -> None:
    """Nothing if the table in force lets `ctx` perform `action`; else PermissionDenied."""
    _active.enforce(ctx, action, target_project)


def allows(ctx: RequestContext, action: str, target_project: str | None = None) -> bool:
    return _active.allows(ctx, action, target_project)
