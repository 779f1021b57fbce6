"""Compute API microversions: the one a request asked for, and what changed at each.

Nova versions its API per request. The client sends `OpenStack-API-Version: compute 2.47`
(or the older `X-OpenStack-Nova-API-Version: 2.47`); the answer is shaped for that version
and names it in the same headers. No header means the minimum, 2.1; `latest` the maximum.

The named versions below are the changes this gateway honours, each at the version where
Nova made it; views and routes compare the request's version with them. Changes that
belong to APIs Stratus does not have (volumes, keypairs, migrations, shelve, rebuild, ...)
are not listed: those routes answer 404 at every version.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

from services.api.rest.errors import ApiError

_FORMAT = re.compile(r"^([1-9]\d*)\.([1-9]\d*|0)$")


class Microversion(NamedTuple):
    major: int
    minor: int

    @classmethod
    def parse(cls, text: str) -> Microversion:
        """`"2.47"` → Microversion(2, 47); ValueError for anything else."""
        match = _FORMAT.match(text.strip())
        if not match:
            raise ValueError(text)
        return cls(int(match.group(1)), int(match.group(2)))

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"


MIN = Microversion(2, 1)
MAX = Microversion(2, 100)

# Servers
EXTENDED_SERVER_ATTRIBUTES = Microversion(2, 3)  # reservation_id, hostname, user_data, ...
REMOTE_CONSOLES = Microversion(2, 6)  # POST /servers/{id}/remote-consoles
SERVER_LOCKED = Microversion(2, 9)  # `locked`
HOST_STATUS = Microversion(2, 16)  # `host_status` for those allowed to see it
SERVER_DESCRIPTION = Microversion(2, 19)  # `description` on create, update and show
SERVER_TAGS = Microversion(2, 26)  # `tags`, /servers/{id}/tags, the tag filters
NETWORK_DEVICE_TAGS = Microversion(2, 32)  # `tag` in a requested network (lost 2.37 to 2.41)
NETWORKS_REQUIRED = Microversion(2, 37)  # `networks` required: "auto", "none" or a list
NETWORK_DEVICE_TAGS_RESTORED = Microversion(2, 42)
STRICT_STATUS_FILTER = Microversion(2, 38)  # an unknown status filter is a 400
EMBEDDED_FLAVOR = Microversion(2, 47)  # the server's flavor as a dict, not a link
TAGS_AT_BOOT = Microversion(2, 52)
PERSONALITY_REMOVED = Microversion(2, 57)  # `personality` refused on create
TRUSTED_CERTIFICATES = Microversion(2, 63)  # `trusted_image_certificates`
CHANGES_BEFORE = Microversion(2, 66)  # `changes-before` filter
SERVER_GROUPS_IN_SHOW = Microversion(2, 71)  # `server_groups` in GET /servers/{id}
LOCKED_REASON = Microversion(2, 73)  # `locked_reason`, `locked` filter
STRICT_QUERY = Microversion(2, 75)  # unknown list query parameters are a 400
FLAVOR_SWAP_INTEGER = Microversion(2, 75)  # flavor `swap` 0, not ""
MORE_USER_FILTERS = Microversion(2, 83)  # more list filters for non-admins
HOSTNAME_FOR_ALL = Microversion(2, 90)  # `hostname` on create/update, shown to everyone
PINNED_AVAILABILITY_ZONE = Microversion(2, 96)
IMAGE_PROPERTIES = Microversion(2, 98)  # the server's `image` carries its properties
SCHEDULER_HINTS = Microversion(2, 100)  # `scheduler_hints` in the server

# Instance actions
ACTION_EVENTS_FOR_ALL = Microversion(2, 51)  # events shown to non-admins too
ACTIONS_UPDATED_AT = Microversion(2, 58)  # `updated_at`, paging, changes-since
ACTION_EVENT_HOST = Microversion(2, 62)  # events carry `host` and `hostId`
ACTION_EVENT_DETAILS = Microversion(2, 84)

# Flavors
FLAVOR_DESCRIPTION = Microversion(2, 55)
FLAVOR_EXTRA_SPECS = Microversion(2, 61)  # `extra_specs` in the flavor itself

# Server groups
SERVER_GROUP_OWNER = Microversion(2, 13)  # `project_id`, `user_id`
SOFT_GROUP_POLICIES = Microversion(2, 15)  # soft-affinity, soft-anti-affinity
SERVER_GROUP_POLICY = Microversion(2, 64)  # `policy` and `rules` replace `policies`

# Aggregates
AGGREGATE_UUID = Microversion(2, 41)

# Hypervisors and services
SERVICE_FORCED_DOWN = Microversion(2, 11)
HYPERVISOR_CPU_INFO_OBJECT = Microversion(2, 28)
HYPERVISOR_PAGING = Microversion(2, 33)
UUID_IDS = Microversion(2, 53)  # hypervisor and service ids are UUIDs; /search is gone
HYPERVISOR_SERVERS_ALWAYS = Microversion(2, 75)  # `servers` even when empty
HYPERVISOR_STATISTICS_REMOVED = Microversion(2, 88)  # capacity fields, /statistics, /uptime

# Proxies and quotas
PROXIES_REMOVED = Microversion(2, 36)  # /images 404; network quotas and limits gone
IMAGE_METADATA_LIMIT_REMOVED = Microversion(2, 39)  # `maxImageMeta`
FILE_INJECTION_REMOVED = Microversion(2, 57)  # injected_file* quotas, personality limits


class Refused(Exception):
    """A microversion this gateway does not serve: Nova's status and message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def requested(headers: Mapping[str, str]) -> str | None:
    """The compute version a client asked for (the new header wins), None if none."""
    for part in headers.get("openstack-api-version", "").split(","):
        service, _, version = part.strip().partition(" ")
        if service.lower() == "compute" and version.strip():
            return version.strip()
    legacy = headers.get("x-openstack-nova-api-version", "").strip()
    return legacy or None


def negotiate(headers: Mapping[str, str]) -> Microversion:
    """The version to answer with; Refused (400 or 406, as Nova) when it cannot be served."""
    asked = requested(headers)
    if asked is None:
        return MIN
    if asked.lower() == "latest":
        return MAX
    try:
        version = Microversion.parse(asked)
    except ValueError:
        raise Refused(
            400,
            f"API Version String {asked} is of invalid format. "
            "Must be of format MajorNum.MinorNum.",
        ) from None
    if not MIN <= version <= MAX:
        raise Refused(
            406,
            f"Version {asked} is not supported by the API. Minimum is {MIN} and maximum is {MAX}.",
        )
    return version


def response_headers(version: Microversion) -> list[tuple[bytes, bytes]]:
    """The headers that state the version an answer is shaped for."""
    text = str(version).encode()
    return [
        (b"openstack-api-version", b"compute " + text),
        (b"x-openstack-nova-api-version", text),
        (b"vary", b"OpenStack-API-Version, X-OpenStack-Nova-API-Version"),
    ]


def served_between(
    version: Microversion, first: Microversion = MIN, last: Microversion = MAX
) -> None:
    """A route that exists only from `first` through `last`: Nova's 404 outside them.

    Nova says only "not found"; the message here also names the versions that serve the
    route and the header that asks for one, since a missing header is the usual cause.
    """
    if first <= version <= last:
        return
    if last == MAX:
        served = f"from compute microversion {first}"
    elif first == MIN:
        served = f"up to compute microversion {last}"
    else:
        served = f"at compute microversions {first} to {last}"
    wanted = first if version < first else last
    raise ApiError(
        404,
        f"The resource could not be found. This route is served {served}; the request "
        f"asked for {version} (send OpenStack-API-Version: compute {wanted}).",
    )


def before(version: Microversion) -> Microversion:
    """The version just before `version` (2.52 for 2.53)."""
    return Microversion(version.major, version.minor - 1)
