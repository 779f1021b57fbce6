from __future__ import annotations

from services.api.identity import passwords


def test_a_password_matches_its_hash() -> None:
    stored = passwords.hash_password("correct horse")
    assert passwords.verify_password("correct horse", stored)


def test_a_wrong_password_does_not_match() -> None:
    stored = passwords.hash_password("correct horse")
    assert not passwords.verify_password("correct horsf", stored)
    assert not passwords.verify_password("", stored)


def test_the_hash_is_scrypt_with_a_fresh_salt() -> None:
    first, second = passwords.hash_password("pw"), passwords.hash_password("pw")
    assert first.startswith("scrypt$16384$8$1$")
    assert first != second
    assert "pw" not in first.split("$", 4)[-1]


def test_a_malformed_hash_matches_nothing() -> None:
    for stored in ("", "scrypt$1$2", "bcrypt$16384$8$1$AAAA$AAAA", "scrypt$x$8$1$AA$AA"):
        assert not passwords.verify_password("pw", stored)
