"""One typed repository per kind of record, over one etcd connection."""

from __future__ import annotations

from services.state import keys
from services.state.etcd import Etcd
from services.state.repository import Repository
from stratus.v1 import compute_pb2
from stratus.v1 import identity_pb2 as ident
from stratus.v1 import types_pb2 as t


class Store:
    """Everything a stateful service reads and writes in etcd, by kind."""

    def __init__(self, etcd: Etcd) -> None:
        self.etcd = etcd
        self.instances = Repository(etcd, keys.INSTANCES, t.Instance, "Instance")
        self.flavors = Repository(etcd, keys.FLAVORS, t.Flavor, "Flavor")
        self.flavor_access = Repository(
            etcd, keys.FLAVOR_ACCESS, compute_pb2.FlavorAccess, "Flavor access", nested=True
        )
        self.images = Repository(etcd, keys.IMAGES, t.Image, "Image")
        self.hosts = Repository(etcd, keys.HOSTS, t.Host, "Host")
        self.host_usage = Repository(etcd, keys.HOST_USAGE, t.HostUsage, "Host usage")
        self.allocations = Repository(etcd, keys.ALLOCATIONS, t.Allocation, "Allocation")
        self.services = Repository(etcd, keys.SERVICES, t.ServiceRecord, "Service", nested=True)
        self.tasks = Repository(etcd, keys.TASKS, t.Task, "Task")
        self.networks = Repository(etcd, keys.NETWORKS, t.Network, "Network")
        self.aggregates = Repository(etcd, keys.AGGREGATES, t.Aggregate, "Aggregate")
        self.server_groups = Repository(etcd, keys.SERVER_GROUPS, t.ServerGroup, "Server group")
        self.server_group_placements = Repository(
            etcd, keys.SERVER_GROUP_PLACEMENTS, t.ServerGroupPlacement, "Server group placement"
        )
        self.actions = Repository(
            etcd, keys.INSTANCE_ACTIONS, t.InstanceAction, "Instance action", nested=True
        )
        self.quotas = Repository(etcd, keys.QUOTAS, compute_pb2.QuotaSet, "Quota set")
        self.quota_usage = Repository(etcd, keys.QUOTA_USAGE, compute_pb2.QuotaUsage, "Quota usage")
        self.quota_charges = Repository(
            etcd, keys.QUOTA_CHARGES, compute_pb2.QuotaCharge, "Quota charge"
        )
        self.projects = Repository(etcd, keys.PROJECTS, ident.Project, "Project")
        self.users = Repository(etcd, keys.USERS, ident.User, "User")
        self.user_passwords = Repository(
            etcd, keys.USER_PASSWORDS, ident.UserPassword, "User password"
        )
        self.role_assignments = Repository(
            etcd, keys.ROLE_ASSIGNMENTS, ident.RoleAssignment, "Role assignment", nested=True
        )

    @staticmethod
    def action_id(action: t.InstanceAction) -> str:
        """`<instance>/<start ns, zero-padded>-<request id>`: lists in start order per instance."""
        started_ns = action.start_time.seconds * 1_000_000_000 + action.start_time.nanos
        return f"{action.instance_id}/{started_ns:020d}-{action.request_id}"

    async def live_host_names(self) -> set[str]:
        kvs, _ = await self.etcd.list(keys.HOST_ALIVE)
        return {kv.key[len(keys.HOST_ALIVE) :] for kv in kvs}

    async def live_service_ids(self, binary: str) -> set[str]:
        kvs, _ = await self.etcd.list(f"{keys.SERVICES}{binary}/")
        return {kv.key.rsplit("/", 1)[-1] for kv in kvs}

    async def actions_of(self, instance_id: str) -> list[t.InstanceAction]:
        kvs, _ = await self.etcd.list(f"{keys.INSTANCE_ACTIONS}{instance_id}/")
        return [self.actions.decode(kv).message for kv in kvs]
