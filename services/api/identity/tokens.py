"""Tokens as Keystone's Fernet tokens: signed, encrypted, expiring, checked locally.

A token is a Fernet message (AES-CBC + HMAC-SHA256, from `cryptography`) whose plaintext
is a small JSON payload: token id, user, project, role names, methods, issued-at and
expires-at. Any process holding the keys validates a token without asking etcd.

Keys live in etcd under `fernet_keys/<index>`, as in Keystone's key repository: index 0 is
the staged key (known everywhere before it signs anything), the highest index is the
primary (signs new tokens), the others are secondaries (still accepted). `rotate` promotes
the staged key to primary, stages a fresh one and drops the oldest secondaries, so a token
stays valid until the key that signed it is dropped. Every TokenManager watches the keys.

Revocations live in etcd under `revocations/<id>`, each under a lease as long as the
longest token lifetime (the record is useless once every token it matches has expired).
Every TokenManager watches them into a local dict: a revocation reaches every service
within the watch's delay, and validation stays a dictionary lookup.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import structlog
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from google.protobuf import timestamp_pb2

from services.runtime.errors import Unauthenticated, Unavailable
from services.state import etcd as ops
from services.state import keys
from services.state.etcd import Etcd
from services.state.informer import Informer
from stratus.v1 import identity_pb2

log = structlog.get_logger(__name__)

DEFAULT_LIFETIME_SECONDS = 3600
DEFAULT_MAX_ACTIVE_KEYS = 3
# Revocation records outlive the tokens they match by this much, for clocks that disagree.
CLOCK_SKEW_SECONDS = 60
# Anything longer is not one of our tokens; refused before any decoding.
MAX_TOKEN_CHARS = 8192
PAYLOAD_VERSION = 1

TOKEN_EXPIRED = "token expired"
TOKEN_REVOKED = "token revoked"
TOKEN_INVALID = "token is invalid"

STAGED_KEY_INDEX = 0
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_-]+={0,2}")


@dataclass(frozen=True)
class TokenPayload:
    """What a token says about its bearer; times are seconds since the epoch."""

    token_id: str  # random, public: names the token in logs and revocations
    user_id: str
    user_name: str
    project_id: str | None  # None: an unscoped token
    project_name: str
    roles: tuple[str, ...]
    methods: tuple[str, ...]
    issued_at: float
    expires_at: float

    @property
    def scoped(self) -> bool:
        return self.project_id is not None

    def to_proto(self) -> identity_pb2.Token:
        return identity_pb2.Token(
            id=self.token_id,
            user_id=self.user_id,
            user_name=self.user_name,
            project_id=self.project_id or "",
            project_name=self.project_name,
            roles=list(self.roles),
            methods=list(self.methods),
            issued_at=timestamp_of(self.issued_at),
            expires_at=timestamp_of(self.expires_at),
        )

    def encode(self) -> bytes:
        return json.dumps(
            {
                "v": PAYLOAD_VERSION,
                "id": self.token_id,
                "u": self.user_id,
                "un": self.user_name,
                "p": self.project_id,
                "pn": self.project_name,
                "r": list(self.roles),
                "m": list(self.methods),
                "iat": self.issued_at,
                "exp": self.expires_at,
            },
            separators=(",", ":"),
        ).encode()

    @classmethod
    def decode(cls, raw: bytes) -> TokenPayload:
        """The payload in `raw`; ValueError when it is not one this code wrote."""
        data = json.loads(raw)
        if not isinstance(data, dict) or data.get("v") != PAYLOAD_VERSION:
            raise ValueError("unknown payload version")
        project_id = data["p"]
        strings = (data["id"], data["u"], data["un"], data["pn"])
        lists = (data["r"], data["m"])
        if (
            not all(isinstance(s, str) for s in strings)
            or not (project_id is None or isinstance(project_id, str))
            or not all(isinstance(li, list) and all(isinstance(x, str) for x in li) for li in lists)
            or not all(isinstance(data[k], int | float) for k in ("iat", "exp"))
        ):
            raise ValueError("malformed payload")
        return cls(
            token_id=data["id"],
            user_id=data["u"],
            user_name=data["un"],
            project_id=project_id,
            project_name=data["pn"],
            roles=tuple(data["r"]),
            methods=tuple(data["m"]),
            issued_at=float(data["iat"]),
            expires_at=float(data["exp"]),
        )


@dataclass(frozen=True)
class IssuedToken:
    token: str  # the secret the client sends back (X-Auth-Token)
    payload: TokenPayload


def _canonical(token: object) -> bool:
    """True for a string in the one encoding a token has: base64 decoding is lenient (it
    drops what follows the padding), so a token differing in such bytes is refused here."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
        return False
    if not _TOKEN_CHARS.fullmatch(token):
        return False
    try:
        return base64.urlsafe_b64encode(base64.urlsafe_b64decode(token)).decode() == token
    except ValueError:
        return False


def timestamp_of(seconds: float) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromNanoseconds(round(seconds * 1e9))
    return stamp


def seconds_of(stamp: timestamp_pb2.Timestamp) -> float:
    return stamp.seconds + stamp.nanos / 1e9


# --- the key repository in etcd ------------------------------------------------------------


def _key_index(record_id: str) -> int:
    try:
        return int(record_id)
    except ValueError:
        return -1


async def ensure_keys(etcd: Etcd) -> None:
    """Create the staged and the first primary key, unless some process already did."""
    kvs, _ = await etcd.list(keys.FERNET_KEYS)
    if kvs:
        return
    staged, primary = keys.FERNET_KEYS + "0", keys.FERNET_KEYS + "1"
    result = await etcd.txn(
        [ops.absent(staged), ops.absent(primary)],
        [ops.put(staged, Fernet.generate_key()), ops.put(primary, Fernet.generate_key())],
    )
    if result.succeeded:
        log.info("fernet keys created")


async def rotate(etcd: Etcd, max_active_keys: int = DEFAULT_MAX_ACTIVE_KEYS) -> int:
    """Promote the staged key to primary, stage a new key, drop the oldest secondaries.

    Afterwards at most `max_active_keys` keys exist (staged + primary + secondaries; at
    least 3); tokens signed with a dropped key no longer validate. Returns the new
    primary's index. Safe to run from several processes: one rotation wins per round.
    """
    if max_active_keys < 3:
        raise ValueError("max_active_keys must be at least 3 (staged, primary, one secondary)")
    await ensure_keys(etcd)
    for _ in range(50):
        kvs, _ = await etcd.list(keys.FERNET_KEYS)
        by_index = {_key_index(kv.key[len(keys.FERNET_KEYS) :]): kv for kv in kvs}
        staged = by_index.get(STAGED_KEY_INDEX)
        if staged is None:
            raise Unavailable("the staged fernet key is missing")
        promoted = sorted(i for i in by_index if i > 0)
        new_index = (promoted[-1] if promoted else 0) + 1
        active = [*promoted, new_index]
        dropped = active[: max(0, len(active) + 1 - max_active_keys)]
        result = await etcd.txn(
            [ops.unchanged(staged.key, staged.mod_revision), ops.absent(_key(new_index))],
            [
                ops.put(_key(new_index), staged.value),
                ops.put(staged.key, Fernet.generate_key()),
                *(ops.delete(by_index[i].key) for i in dropped),
            ],
        )
        if result.succeeded:
            log.info("fernet keys rotated", primary=new_index, dropped=dropped)
            return new_index
    raise Unavailable("fernet keys are being rotated concurrently; try again")


def _key(index: int) -> str:
    return f"{keys.FERNET_KEYS}{index}"


# --- revocations ----------------------------------------------------------------------------


def revocation_id(
    *, token_id: str = "", user_id: str = "", project_id: str = "", all_projects: bool = False
) -> str:
    """The record id of a revocation: one per token, per user (and project), per project."""
    if token_id:
        return "token-" + quote(token_id, safe="")
    if user_id:
        return (
            f"user-{quote(user_id, safe='')}-{'*' if all_projects else quote(project_id, safe='')}"
        )
    return "project-" + quote(project_id, safe="")


@dataclass
class TokenManager:
    """Issues and validates tokens; one per process, started before serving."""

    etcd: Etcd
    lifetime_seconds: int = DEFAULT_LIFETIME_SECONDS
    clock: Callable[[], float] = time.time
    _fernet: MultiFernet | None = field(default=None, init=False)
    _keys: Informer[bytes] | None = field(default=None, init=False)
    _revocations: Informer[identity_pb2.Revocation] | None = field(default=None, init=False)

    async def start(self) -> None:
        """Create the keys if none exist, load keys and revocations, and watch both."""
        await ensure_keys(self.etcd)
        key_informer: Informer[bytes] = Informer(self.etcd, keys.FERNET_KEYS, bytes)
        key_informer.on_change = lambda _id: self._load_keys()
        key_informer.on_relist = self._load_keys
        revocations: Informer[identity_pb2.Revocation] = Informer(
            self.etcd, keys.REVOCATIONS, identity_pb2.Revocation.FromString
        )
        await key_informer.start()
        await revocations.start()
        self._keys, self._revocations = key_informer, revocations
        self._load_keys()
        log.info(
            "token manager started",
            keys=len(key_informer.items),
            revocations=len(revocations.items),
        )

    async def stop(self) -> None:
        """Stop watching keys and revocations (each stop is bounded: see Informer.stop)."""
        for informer in (self._keys, self._revocations):
            if informer is not None:
                await informer.stop()

    def _load_keys(self) -> None:
        if self._keys is None:
            return
        ordered = sorted(
            ((_key_index(i), value) for i, (value, _rev) in self._keys.items.items()),
            key=lambda pair: pair[0],
            reverse=True,
        )
        # The primary (highest index) first: MultiFernet encrypts with the first key.
        fernets = []
        for index, value in ordered:
            if index < 0:
                continue
            try:
                fernets.append(Fernet(value))
            except ValueError:
                log.error("ignoring a malformed fernet key", index=index)
        if ordered and ordered[0][0] == STAGED_KEY_INDEX:
            log.warning("no primary fernet key; the staged key signs tokens")
        self._fernet = MultiFernet(fernets) if fernets else None

    # --- issue and validate

    def issue(
        self,
        user_id: str,
        user_name: str,
        project_id: str | None,
        project_name: str,
        roles: Sequence[str],
        methods: Sequence[str],
        *,
        lifetime_seconds: float | None = None,
    ) -> IssuedToken:
        """A new token; `lifetime_seconds` may only shorten the configured lifetime."""
        if self._fernet is None:
            raise Unavailable("the token keys are not loaded yet")
        lifetime = float(self.lifetime_seconds)
        if lifetime_seconds is not None:
            lifetime = min(lifetime, float(lifetime_seconds))
        now = self.clock()
        payload = TokenPayload(
            token_id=secrets.token_urlsafe(16),
            user_id=user_id,
            user_name=user_name,
            project_id=project_id,
            project_name=project_name if project_id is not None else "",
            roles=tuple(dict.fromkeys(roles)),
            methods=tuple(methods),
            issued_at=now,
            expires_at=now + lifetime,
        )
        token = self._fernet.encrypt_at_time(payload.encode(), int(now)).decode()
        return IssuedToken(token, payload)

    def validate(self, token: str) -> TokenPayload:
        """The payload of a valid token; Unauthenticated naming why a token is refused."""
        if self._fernet is None:
            raise Unavailable("the token keys are not loaded yet")
        if not _canonical(token):
            raise Unauthenticated(TOKEN_INVALID)
        try:
            raw = self._fernet.decrypt(token.encode("ascii"))
            payload = TokenPayload.decode(raw)
        except (InvalidToken, UnicodeError, ValueError, KeyError, TypeError):
            raise Unauthenticated(TOKEN_INVALID) from None
        if self.clock() >= payload.expires_at:
            raise Unauthenticated(TOKEN_EXPIRED)
        if self.is_revoked(payload):
            raise Unauthenticated(TOKEN_REVOKED)
        return payload

    def is_revoked(self, payload: TokenPayload) -> bool:
        """True when a revocation this process knows of matches the token."""
        if self._revocations is None:
            return False
        items = self._revocations.items
        if revocation_id(token_id=payload.token_id) in items:
            return True
        candidates = [revocation_id(user_id=payload.user_id, all_projects=True)]
        if payload.project_id is not None:
            candidates += [
                revocation_id(user_id=payload.user_id, project_id=payload.project_id),
                revocation_id(project_id=payload.project_id),
            ]
        for record_id in candidates:
            found = items.get(record_id)
            if found is not None and payload.issued_at <= seconds_of(found[0].issued_before):
                return True
        return False

    # --- revoke

    async def revoke(self, payload_or_token: TokenPayload | str) -> None:
        """Revoke one token (given as its payload or as the token itself)."""
        payload = (
            payload_or_token
            if isinstance(payload_or_token, TokenPayload)
            else self._decode_any(payload_or_token)
        )
        remaining = payload.expires_at - self.clock()
        if remaining <= 0:
            return  # expired already: refused anyway
        record = identity_pb2.Revocation(
            token_id=payload.token_id,
            user_id=payload.user_id,
            project_id=payload.project_id or "",
            issued_before=timestamp_of(payload.issued_at),
        )
        await self._store(revocation_id(token_id=payload.token_id), record, remaining)
        log.info("token revoked", token_id=payload.token_id, user_id=payload.user_id)

    async def revoke_user(self, user_id: str, project_id: str | None = None) -> None:
        """Revoke every token of `user_id` issued until now (only those scoped to
        `project_id` when given): a removed role, a changed password, a disabled user."""
        record = identity_pb2.Revocation(
            user_id=user_id, project_id=project_id or "", issued_before=timestamp_of(self.clock())
        )
        record_id = revocation_id(
            user_id=user_id, project_id=project_id or "", all_projects=project_id is None
        )
        await self._store(record_id, record, self.lifetime_seconds)
        log.info("user tokens revoked", user_id=user_id, project_id=project_id)

    async def revoke_project(self, project_id: str) -> None:
        """Revoke every token scoped to `project_id` issued until now (project deleted or
        disabled)."""
        record = identity_pb2.Revocation(
            project_id=project_id, issued_before=timestamp_of(self.clock())
        )
        await self._store(revocation_id(project_id=project_id), record, self.lifetime_seconds)
        log.info("project tokens revoked", project_id=project_id)

    def _decode_any(self, token: str) -> TokenPayload:
        """The payload of a token that may already be revoked (not of an invalid one)."""
        if self._fernet is None:
            raise Unavailable("the token keys are not loaded yet")
        try:
            return TokenPayload.decode(self._fernet.decrypt(token.encode("ascii")))
        except (InvalidToken, UnicodeError, ValueError, KeyError, TypeError):
            raise Unauthenticated(TOKEN_INVALID) from None

    async def _store(
        self, record_id: str, record: identity_pb2.Revocation, ttl_seconds: float
    ) -> None:
        lease = await self.etcd.grant_lease(int(ttl_seconds) + CLOCK_SKEW_SECONDS)
        revision = await self.etcd.put(
            keys.REVOCATIONS + record_id, record.SerializeToString(), lease
        )
        if self._revocations is not None:
            # Honoured here at once, ahead of this process's own watch event.
            self._revocations.fold(record_id, record, revision)

    async def wait_for_revocation(self, record_id: str, timeout_seconds: float = 5.0) -> bool:
        """Wait until this process knows revocation `record_id` (for tests and tools)."""
        deadline = asyncio.get_running_loop().time() + timeout_seconds
        while asyncio.get_running_loop().time() < deadline:
            if self._revocations is not None and record_id in self._revocations.items:
                return True
            await asyncio.sleep(0.02)
        return False


def describe_payload(payload: TokenPayload) -> dict[str, Any]:
    """Loggable facts about a token (never the token itself)."""
    return {
        "token_id": payload.token_id,
        "user_id": payload.user_id,
        "project_id": payload.project_id,
    }
