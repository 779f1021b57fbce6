"""Checks on names, metadata and zones that several kinds of resource share."""

from __future__ import annotations

from services.runtime.errors import InvalidArgument

MAX_NAME_LENGTH = 255
MAX_METADATA_ITEMS = 128


def check_name(kind: str, name: str) -> str:
    """Nova's rule: 1-255 printable characters, no leading or trailing whitespace."""
    if not name or not name.strip():
        raise InvalidArgument(f"{kind} name must not be empty.")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidArgument(f"{kind} name is longer than {MAX_NAME_LENGTH} characters.")
    if name != name.strip():
        raise InvalidArgument(f"{kind} name must not start or end with whitespace.")
    if not name.isprintable():
        raise InvalidArgument(f"{kind} name contains non-printable characters.")
    return name


def check_metadata(metadata: dict[str, str], max_items: int | None = MAX_METADATA_ITEMS) -> None:
    """Keys of 1-255 characters, values of at most 255; at most `max_items` items (None:
    the caller applies the project's metadata_items quota instead)."""
    if max_items is not None and len(metadata) > max_items:
        raise InvalidArgument(f"Metadata has more than {max_items} items.")
    for key, value in metadata.items():
        if not key or len(key) > MAX_NAME_LENGTH:
            raise InvalidArgument("Metadata keys must be 1 to 255 characters long.")
        if len(value) > MAX_NAME_LENGTH:
            raise InvalidArgument(f"Metadata value of {key!r} is longer than 255 characters.")


def check_zone_name(zone: str) -> str:
    """An availability zone's name: a name that cannot be read as Nova's "zone:host"."""
    check_name("Availability zone", zone)
    if ":" in zone:
        raise InvalidArgument("Availability zone name must not contain ':'.")
    return zone
