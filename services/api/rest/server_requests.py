"""Nova's server requests read into service-layer messages, as the request's version reads them.

The gateway checks shapes here (keys, types, which keys a microversion allows); the service
layer checks meanings. Keys Nova accepts for features Stratus does not have (key pairs,
volumes, ports, file injection, forced hosts) are refused with a 400 that says so, rather
than dropped.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from services.api.rest import microversions as mv
from services.api.rest import parsing
from services.api.rest.errors import BadRequest
from services.api.rest.microversions import Microversion
from services.api.status import KNOWN_STATUSES
from stratus.v1 import compute_pb2, types_pb2

# Body key of each server action → the service layer's action name.
ACTIONS = {
    "os-stop": "stop",
    "os-start": "start",
    "reboot": "reboot",
    "pause": "pause",
    "unpause": "unpause",
    "suspend": "suspend",
    "resume": "resume",
}
REBOOT_TYPES = frozenset({"SOFT", "HARD"})
# Nova's reboot schema takes these spellings of the type, and no other.
REBOOT_TYPE_SPELLINGS = ("HARD", "Hard", "hard", "SOFT", "Soft", "soft")

# The documented shapes (OpenAPI only: bodies are parsed by the functions below).
_REF = {"oneOf": [{"type": "string", "minLength": 1}, {"type": "integer"}]}
_COUNT = {"oneOf": [{"type": "integer", "minimum": 1}, {"type": "string", "pattern": "^[0-9]+$"}]}
CREATE_SCHEMA = {
    "type": "object",
    "required": ["server"],
    "properties": {
        "server": {
            "type": "object",
            "required": ["name", "flavorRef"],
            "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": 255},
                "flavorRef": _REF,
                "imageRef": {"type": "string"},
                "min_count": _COUNT,
                "max_count": _COUNT,
                "metadata": {
                    "type": "object",
                    "patternProperties": {
                        "^[a-zA-Z0-9-_:. ]{1,255}$": {"type": "string", "maxLength": 255}
                    },
                    "additionalProperties": False,
                },
                "return_reservation_id": {"type": "boolean"},
                "availability_zone": {"type": "string"},
                "networks": {
                    "oneOf": [
                        {"type": "string", "enum": ["auto", "none"]},
                        {"type": "array", "maxItems": 0},
                    ]
                },
                "description": {"type": ["string", "null"], "maxLength": 255},
                "tags": {"type": "array", "items": {"type": "string", "maxLength": 60}},
                "hostname": {"type": "string", "maxLength": 255},
                "user_data": {"type": "string", "format": "base64"},
            },
        },
        "os:scheduler_hints": {
            "type": "object",
            "properties": {
                "same_host": {"oneOf": [{"type": "string"}, {"type": "array"}]},
                "different_host": {"oneOf": [{"type": "string"}, {"type": "array"}]},
                "group": {"type": "string"},
                "build_near_host_ip": {"type": "string", "format": "ipv4"},
                "cidr": {"type": "string", "pattern": "^/[0-9a-f.:]+$"},  # Nova's
                "query": {"oneOf": [{"type": "string"}, {"type": "array"}, {"type": "object"}]},
            },
        },
    },
}
# Where Nova reads the scheduler hints: beside "server", under either name.
HINT_KEYS = ("os:scheduler_hints", "OS-SCH-HNT:scheduler_hints")
# The power actions carry no argument: their value is null (what every client sends) or an
# empty object. Nova's schemas still take any value, with a note that they mean to
# restrict it to null; a value that says something we would ignore is refused here.
NO_ARGUMENT: dict[str, Any] = {"oneOf": [{"type": "null"}, {"type": "object", "maxProperties": 0}]}
ACTION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "minProperties": 1,
    "maxProperties": 1,
    "properties": {
        **{key: NO_ARGUMENT for key in ACTIONS if key != "reboot"},
        "reboot": {
            "type": "object",
            "required": ["type"],
            "properties": {"type": {"type": "string", "enum": list(REBOOT_TYPE_SPELLINGS)}},
            "additionalProperties": False,
        },
    },
    "additionalProperties": False,
}
_LIST_PARAMETERS = [
    {"name": name, "in": "query", "required": False, "schema": schema}
    for name, schema in (
        ("name", {"type": "string"}),
        ("status", {"type": "string"}),
        ("host", {"type": "string"}),
        ("limit", {"type": "integer", "minimum": 0, "maximum": parsing.MAX_INT}),
        ("marker", {"type": "string"}),
        ("changes-since", {"type": "string", "format": "date-time"}),
        ("all_tenants", {"type": "string"}),
    )
]
LIST_DOC: dict[str, Any] = {"parameters": _LIST_PARAMETERS}


def json_body_doc(schema: dict[str, Any]) -> dict[str, Any]:
    """`openapi_extra` documenting a JSON request body parsed by hand."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": schema}},
        }
    }


def scheduler_hints(body: dict[str, Any]) -> types_pb2.SchedulerHints:
    """Nova's `os:scheduler_hints` (or `OS-SCH-HNT:scheduler_hints`) beside `server`.

    Shapes are checked here, meanings (servers and groups exist, addresses parse) by the
    service layer. Hints no filter reads are ignored, as Nova passes them on unread.
    """
    given = [key for key in HINT_KEYS if key in body]
    if len(given) > 1:
        raise BadRequest(f"Give scheduler hints once, as {HINT_KEYS[0]!r}.")
    if not given:
        return types_pb2.SchedulerHints()
    hints = body[given[0]]
    if not isinstance(hints, dict):
        raise parsing.invalid(given[0], hints, f"{hints!r} is not of type 'object'")
    query = hints.get("query")
    if query is not None and not isinstance(query, str):
        if not isinstance(query, list | dict):
            raise parsing.invalid("query", query, f"{query!r} is not of type 'string'")
        query = json.dumps(query)
    return types_pb2.SchedulerHints(
        same_host=parsing.string_list(hints, "same_host"),
        different_host=parsing.string_list(hints, "different_host"),
        group=parsing.string(hints, "group"),
        build_near_host_ip=parsing.string(hints, "build_near_host_ip"),
        cidr=parsing.string(hints, "cidr"),
        query=query or "",
    )


def action_request(body: Any) -> tuple[str, str]:
    """(action, reboot type) for a `POST /servers/{id}/action` body with exactly one key."""
    if not isinstance(body, dict) or not body:
        raise BadRequest("Malformed request body: expected a JSON object with one action key.")
    if len(body) != 1:
        raise BadRequest(
            f"Malformed request body: too many body keys ({', '.join(sorted(body))}); "
            "send one action per request."
        )
    ((key, value),) = body.items()
    if key not in ACTIONS:
        raise BadRequest(f"There is no such action: {key}")
    reboot_type = ""
    if key == "reboot":
        if not isinstance(value, dict):
            raise parsing.invalid("reboot", value, f"{value!r} is not of type 'object'")
        if "type" not in value:
            raise BadRequest("'type' is a required property")
        parsing.only_keys(value, ("type",), "reboot")
        raw = value["type"]
        if not isinstance(raw, str) or raw not in REBOOT_TYPE_SPELLINGS:
            raise parsing.invalid(
                "type", raw, f"{raw!r} is not one of {list(REBOOT_TYPE_SPELLINGS)}"
            )
        reboot_type = raw.upper()
    elif value is not None and value != {}:
        raise parsing.invalid(key, value, f"{value!r} is not null: {key} takes no argument")
    return ACTIONS[key], reboot_type


# Every key of Nova's `server` object, and the version it appeared in (or went away).
_CREATE_KEYS: dict[str, tuple[Microversion, Microversion]] = {
    key: (mv.MIN, mv.MAX)
    for key in (
        "name",
        "imageRef",
        "flavorRef",
        "adminPass",
        "metadata",
        "networks",
        "OS-DCF:diskConfig",
        "accessIPv4",
        "accessIPv6",
        "availability_zone",
        "block_device_mapping",
        "block_device_mapping_v2",
        "config_drive",
        "key_name",
        "min_count",
        "max_count",
        "return_reservation_id",
        "security_groups",
        "user_data",
    )
}
_CREATE_KEYS.update(
    {
        "personality": (mv.MIN, Microversion(2, 56)),
        "description": (mv.SERVER_DESCRIPTION, mv.MAX),
        "tags": (mv.TAGS_AT_BOOT, mv.MAX),
        "trusted_image_certificates": (mv.TRUSTED_CERTIFICATES, mv.MAX),
        "host": (Microversion(2, 74), mv.MAX),
        "hypervisor_hostname": (Microversion(2, 74), mv.MAX),
        "hostname": (mv.HOSTNAME_FOR_ALL, mv.MAX),
    }
)

# Accepted keys for features Stratus does not have: refused when they ask for something.
_UNSUPPORTED = {
    "key_name": "Invalid key_name provided: Stratus has no key pairs.",
    "block_device_mapping": "Block device mapping is not supported: Stratus has no volumes.",
    "personality": "Personality files are not supported: use user_data.",
    "trusted_image_certificates": "Trusted image certificates are not supported.",
    "host": "Requesting a host at boot is not supported yet.",
    "hypervisor_hostname": "Requesting a hypervisor at boot is not supported yet.",
    "adminPass": "Setting adminPass is not supported: use user_data.",
}
_NETWORK_CHOICES = ("auto", "none")


def _refuse_unsupported(server: dict[str, Any]) -> None:
    for key, message in _UNSUPPORTED.items():
        if server.get(key) not in (None, [], ""):
            raise BadRequest(message)
    groups = server.get("security_groups")
    if groups not in (None, []):
        names = [g.get("name") if isinstance(g, dict) else g for g in groups or ()]
        if not isinstance(groups, list) or any(name != "default" for name in names):
            raise BadRequest("Only the 'default' security group exists.")


def image_from_block_devices(server: dict[str, Any]) -> str:
    """The image of a `block_device_mapping_v2` that only says "boot this image on the
    local disk" (what the openstack CLI sends with --image), "" when there is none.
    Anything else (volumes, snapshots, blank or swap disks) is refused."""
    mappings = server.get("block_device_mapping_v2")
    if mappings in (None, []):
        return ""
    if not isinstance(mappings, list):
        raise parsing.invalid(
            "block_device_mapping_v2", mappings, f"{mappings!r} is not of type 'array'"
        )
    root = mappings[0] if len(mappings) == 1 and isinstance(mappings[0], dict) else {}
    local_image = (
        root.get("source_type") == "image"
        and root.get("destination_type") == "local"
        and str(root.get("boot_index")) == "0"
        and isinstance(root.get("uuid"), str)
    )
    if not local_image:
        raise BadRequest(
            "Block device mapping is not supported beyond booting an image on the local "
            "disk: Stratus has no volumes, and no extra swap or ephemeral disks."
        )
    image: str = root["uuid"]
    if server.get("imageRef") not in (None, "", image):
        raise BadRequest("imageRef and the block device mapping name different images.")
    return image


def without_network(server: dict[str, Any], version: Microversion) -> bool:
    """Whether the boot asked for no network. Servers join the cloud's one network:
    `networks` is "auto" or "none" from 2.37 (where it is required), absent or empty before.
    """
    if "networks" not in server:
        if version >= mv.NETWORKS_REQUIRED:
            raise BadRequest("'networks' is a required property")
        return False
    networks = server["networks"]
    if version >= mv.NETWORKS_REQUIRED and isinstance(networks, str):
        if networks not in _NETWORK_CHOICES:
            raise parsing.invalid("networks", networks, "expected 'auto' or 'none'")
        return networks == "none"
    if networks == [] and version < mv.NETWORKS_REQUIRED:
        return False
    if isinstance(networks, list):
        raise BadRequest(
            "Requesting particular networks, ports or fixed IPs is not supported: servers "
            "join the cloud's one network. Send networks 'auto' or 'none' (microversion "
            "2.37 or later), or leave networks out before 2.37."
        )
    raise parsing.invalid("networks", networks, f"{networks!r} is not of type 'array'")


def create_request(
    body: Any, version: Microversion = mv.MIN
) -> tuple[compute_pb2.CreateServersRequest, bool]:
    """The CreateServersRequest a Nova `POST /servers` body asks for at `version`, and
    whether the client wants the reservation id instead of the server."""
    server = parsing.require_object(body, "server")
    allowed = tuple(k for k, (low, high) in _CREATE_KEYS.items() if low <= version <= high)
    parsing.only_keys(server, allowed, "server")
    _refuse_unsupported(server)
    request = compute_pb2.CreateServersRequest(
        name=parsing.string(server, "name", required=True),
        flavor_ref=parsing.reference(server, "flavorRef", required=True),
        image_ref=parsing.reference(server, "imageRef") or image_from_block_devices(server),
        min_count=parsing.integer(server, "min_count", minimum=1, default=1),
        max_count=parsing.integer(server, "max_count", minimum=1, default=0),
        metadata=parsing.string_map(server, "metadata"),
        availability_zone=parsing.string(server, "availability_zone"),
        hints=scheduler_hints(body),
        description=parsing.string(server, "description"),
        tags=parsing.string_list(server, "tags"),
        hostname=parsing.string(server, "hostname"),
        without_network=without_network(server, version),
        user_data=parsing.string(server, "user_data"),
    )
    if not request.max_count:
        request.max_count = request.min_count
    if request.max_count < request.min_count:
        raise BadRequest(
            f"min_count ({request.min_count}) must be less than or equal to "
            f"max_count ({request.max_count})."
        )
    wants_reservation = parsing.boolean(server, "return_reservation_id", default=False)
    return request, wants_reservation


# The list filters Stratus applies, with Nova's aliases; `tags*` from 2.26.
_FILTER_ALIASES = {
    "display_name": "name",
    "tenant_id": "project_id",
    "image_ref": "image",
}
_PLAIN_FILTERS = (
    "name",
    "host",
    "image",
    "flavor",
    "ip",
    "reservation_id",
    "user_id",
    "project_id",
    "availability_zone",
)
# Only admins may filter by these before 2.83 (Nova drops them for others); host and
# project_id stay admin-only.
_ADMIN_FILTERS = frozenset({"host", "project_id", "user_id", "availability_zone"})
_ADMIN_ONLY_ALWAYS = frozenset({"host", "project_id"})
_TAG_FILTERS = ("tags", "tags-any", "not-tags", "not-tags-any")
_CONTROL_PARAMS = frozenset(
    {"limit", "marker", "status", "all_tenants", "changes-since", "changes-before", "deleted"}
)
# Nova's other list parameters: known, accepted, but not filters Stratus can apply.
_UNSUPPORTED_FILTERS = frozenset(
    {
        "launch_index",
        "kernel_id",
        "ramdisk_id",
        "hostname",
        "key_name",
        "power_state",
        "vm_state",
        "task_state",
        "node",
        "launched_at",
        "terminated_at",
        "description",
        "display_description",
        "locked_by",
        "uuid",
        "root_device_name",
        "config_drive",
        "access_ip_v4",
        "access_ip_v6",
        "auto_disk_config",
        "progress",
        "sort_key",
        "sort_dir",
        "soft_deleted",
        "ip6",
        "created_at",
        "locked",
        "block_device_mapping",
        "services",
        "metadata",
        "system_metadata",
        "info_cache",
        "security_groups",
        "pci_devices",
    }
)


def _known_params(version: Microversion) -> frozenset[str]:
    known = set(_FILTER_ALIASES) | set(_PLAIN_FILTERS) | _CONTROL_PARAMS | _UNSUPPORTED_FILTERS
    if version >= mv.SERVER_TAGS:
        known |= set(_TAG_FILTERS)
    if version < mv.CHANGES_BEFORE:
        known.discard("changes-before")
    if version < mv.LOCKED_REASON:
        known.discard("locked")
    return frozenset(known)


def _tag_list(raw: str) -> list[str]:
    return [tag.strip() for tag in raw.split(",") if tag.strip()]


def list_request(
    request: Request, version: Microversion = mv.MIN, *, is_admin: bool = False
) -> tuple[compute_pb2.ListServersRequest, bool]:
    """The ListServersRequest for a `GET /servers` query at `version`, and whether the
    answer is known to be empty without asking (Stratus keeps no deleted servers).

    Unknown parameters are ignored before 2.75 and a 400 from it, as Nova does.
    """
    params = request.query_params
    known = _known_params(version)
    unknown = sorted(k for k in params if k not in known)
    if unknown and version >= mv.STRICT_QUERY:
        raise BadRequest(
            "Invalid input for query parameters: Additional properties are not allowed "
            f"({', '.join(repr(k) for k in unknown)} unexpected)"
        )
    unsupported = sorted(k for k in params if k in _UNSUPPORTED_FILTERS and k in known)
    if unsupported:
        raise BadRequest(
            f"Listing servers by {', '.join(unsupported)} is not supported; Stratus filters "
            "by name, status, image, flavor, ip, reservation_id, user_id, availability_zone, "
            "tags and changes-since/-before (host and project_id for admins)."
        )
    message = compute_pb2.ListServersRequest(
        marker=params.get("marker", ""),
        all_projects=parsing.query_flag(request, "all_tenants"),
    )
    filters = {_FILTER_ALIASES.get(k, k): params[k] for k in params if k in known}
    for key in _PLAIN_FILTERS:
        value = filters.get(key)
        if value is None:
            continue
        admin_only = key in _ADMIN_ONLY_ALWAYS or (
            key in _ADMIN_FILTERS and version < mv.MORE_USER_FILTERS
        )
        if admin_only and not is_admin:
            continue  # Nova drops what the caller may not filter by
        setattr(message, key, value)
    if version >= mv.SERVER_TAGS:
        message.tags.extend(_tag_list(params.get("tags", "")))
        message.tags_any.extend(_tag_list(params.get("tags-any", "")))
        message.not_tags.extend(_tag_list(params.get("not-tags", "")))
        message.not_tags_any.extend(_tag_list(params.get("not-tags-any", "")))
    statuses = params.getlist("status")
    if len(statuses) > 1:
        raise BadRequest("Only one status filter is supported per request.")
    nothing = False
    if statuses:
        status = statuses[0].strip().upper()
        if status not in KNOWN_STATUSES:
            if version >= mv.STRICT_STATUS_FILTER:
                known_statuses = ", ".join(sorted(KNOWN_STATUSES))
                raise BadRequest(
                    f"Invalid status value {statuses[0]!r}: expected one of {known_statuses}."
                )
            nothing = True  # before 2.38 an unknown status simply matches no server
        else:
            message.status = status
    if "deleted" in params and parsing.query_flag(request, "deleted"):
        nothing = True
    limit = parsing.query_int(request, "limit")
    if limit == 0:
        nothing = True  # Nova answers limit=0 with an empty page
    elif limit is not None:
        message.limit = limit
    for key, field in (("changes-since", "changes_since"), ("changes-before", "changes_before")):
        raw = params.get(key) if key in known else None
        if raw is not None:
            getattr(message, field).CopyFrom(parsing.parse_timestamp(key, raw))
    return message, nothing


def update_request(body: Any, version: Microversion) -> dict[str, str]:
    """The fields a `PUT /servers/{id}` body changes: name, description (2.19), hostname
    (2.90); a description of null clears it."""
    server = parsing.require_object(body, "server")
    allowed = ["name", "accessIPv4", "accessIPv6", "OS-DCF:diskConfig"]
    if version >= mv.SERVER_DESCRIPTION:
        allowed.append("description")
    if version >= mv.HOSTNAME_FOR_ALL:
        allowed.append("hostname")
    parsing.only_keys(server, tuple(allowed), "server")
    for key in ("accessIPv4", "accessIPv6"):
        if server.get(key):
            raise BadRequest(f"Setting {key} is not supported.")
    changes: dict[str, str] = {}
    for key in ("name", "description", "hostname"):
        if key in server:
            changes[key] = parsing.string(server, key)
    return changes
