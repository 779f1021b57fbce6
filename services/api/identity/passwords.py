"""Password hashing: scrypt (memory-hard), a random salt per password, constant-time checks.

A stored hash reads `scrypt$<n>$<r>$<p>$<salt, base64>$<hash, base64>`, so the cost can be
raised later without breaking the hashes already stored. Passwords are never logged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
HASH_BYTES = 32
# Longer passwords are refused before hashing: scrypt's cost grows with the input.
MAX_PASSWORD_CHARS = 4096

_SCHEME = "scrypt"


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8", "surrogatepass"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=256 * 1024 * 1024,
        dklen=HASH_BYTES,
    )


def hash_password(password: str) -> str:
    """The stored form of `password`, with a fresh random salt."""
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return "$".join(
        (
            _SCHEME,
            str(SCRYPT_N),
            str(SCRYPT_R),
            str(SCRYPT_P),
            base64.b64encode(salt).decode(),
            base64.b64encode(digest).decode(),
        )
    )


def verify_password(password: str, stored: str) -> bool:
    """True when `password` matches the stored hash; a malformed hash matches nothing."""
    try:
        scheme, n, r, p, salt_b64, digest_b64 = stored.split("$")
        if scheme != _SCHEME:
            return False
        salt = base64.b64decode(salt_b64, validate=True)
        expected = base64.b64decode(digest_b64, validate=True)
        digest = _scrypt(password, salt, int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, expected)


# Hashed once, used to spend the same time on an unknown user as on a wrong password.
_DUMMY_HASH: str | None = None


def burn_time() -> None:
    """Do the work of one verification, so unknown users cannot be told from wrong passwords."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password(secrets.token_hex(8))
    verify_password("x", _DUMMY_HASH)
