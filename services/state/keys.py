"""The key layout in etcd: `/stratus/v1/<kind>/<id>`, one prefix per kind."""

from __future__ import annotations

ROOT = "/stratus/v1/"

INSTANCES = ROOT + "instances/"
INSTANCE_ACTIONS = ROOT + "instance_actions/"  # <instance id>/<start time ns>-<request id>
FLAVORS = ROOT + "flavors/"
FLAVOR_NAMES = ROOT + "flavor_names/"  # <quoted name> -> flavor id (uniqueness)
FLAVOR_ACCESS = ROOT + "flavor_access/"  # <flavor id>/<project id>: may use a private flavor
IMAGES = ROOT + "images/"
HOSTS = ROOT + "hosts/"  # the host as last reported by its agent
HOST_ALIVE = ROOT + "host_alive/"  # under the lease of the agent's stream: absent means down
HOST_USAGE = ROOT + "host_usage/"  # what the scheduler has claimed on a host
# <host>/<instance id> -> request id: a domain the host must destroy once it is reachable
PENDING_DESTROYS = ROOT + "pending_destroys/"
ALLOCATIONS = ROOT + "allocations/"  # <instance id>: one instance's claim
SERVICES = ROOT + "services/"  # <binary>/<id>, under the service's lease
TASKS = ROOT + "tasks/"
NETWORKS = ROOT + "networks/"
AGGREGATES = ROOT + "aggregates/"
SERVER_GROUPS = ROOT + "server_groups/"
# <group id>: where the group's members are claimed (compared and written by claims)
SERVER_GROUP_PLACEMENTS = ROOT + "server_group_placements/"
FIXED_IPS = ROOT + "fixed_ips/"  # <network>/<address> -> instance id
QUOTAS = ROOT + "quotas/"  # <project>: the project's overrides of the default limits
QUOTA_USAGE = ROOT + "quota_usage/"  # <project>: what the project uses
QUOTA_CHARGES = ROOT + "quota_charges/"  # <instance id>: what one server counts

# Identity.
PROJECTS = ROOT + "projects/"
PROJECT_NAMES = ROOT + "project_names/"  # <domain>/<quoted name> -> project id (uniqueness)
USERS = ROOT + "users/"
USER_NAMES = ROOT + "user_names/"  # <domain>/<quoted name> -> user id (uniqueness)
USER_PASSWORDS = ROOT + "user_passwords/"  # <user id>: the password hash, apart from the user
ROLE_ASSIGNMENTS = ROOT + "role_assignments/"  # <project id or "*">/<user id>/<role>
FERNET_KEYS = ROOT + "fernet_keys/"  # <index>: 0 staged, the highest primary
REVOCATIONS = ROOT + "revocations/"  # <id>, each under a lease of the longest token lifetime


def key(prefix: str, *parts: str) -> str:
    return prefix + "/".join(parts)
