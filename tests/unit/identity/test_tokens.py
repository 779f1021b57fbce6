from __future__ import annotations

import pytest

from services.api.identity import auth
from services.api.identity.tokens import TokenPayload, _canonical, revocation_id


def payload(project_id: str | None = "p1") -> TokenPayload:
    return TokenPayload(
        token_id="t1",
        user_id="u1",
        user_name="alice",
        project_id=project_id,
        project_name="proj" if project_id else "",
        roles=("member", "it_security"),
        methods=("password",),
        issued_at=1000.5,
        expires_at=4600.5,
    )


def test_a_payload_survives_encoding() -> None:
    assert TokenPayload.decode(payload().encode()) == payload()
    assert TokenPayload.decode(payload(None).encode()) == payload(None)


@pytest.mark.parametrize(
    "raw",
    [
        b"[]",
        b'{"v": 2}',
        b'{"v": 1, "id": 1, "u": "u", "un": "n", "p": null, "pn": "", "r": [], "m": [],'
        b' "iat": 1, "exp": 2}',
        b'{"v": 1, "id": "t", "u": "u", "un": "n", "p": null, "pn": "", "r": [1], "m": [],'
        b' "iat": 1, "exp": 2}',
    ],
)
def test_a_foreign_payload_is_refused(raw: bytes) -> None:
    with pytest.raises((ValueError, KeyError)):
        TokenPayload.decode(raw)


def test_the_context_of_a_scoped_token() -> None:
    ctx = auth.context_of(payload(), "req-1")
    assert (ctx.request_id, ctx.user_id, ctx.project_id) == ("req-1", "u1", "p1")
    assert ctx.roles == ("member", "it_security")
    assert not ctx.is_admin


def test_identity_paths() -> None:
    for path in ("/v3", "/v3/auth/tokens", "/identity", "/identity/v3/users", "/v2.0/tokens"):
        assert auth.is_identity_path(path)
    for path in ("/v2.1/servers", "/v30", "/image/v2/images", "/"):
        assert not auth.is_identity_path(path)


def test_only_canonical_token_text_is_accepted() -> None:
    assert _canonical("gAAAAABk")
    assert not _canonical("gAAAAABk=x")
    assert not _canonical("gAAA AABk")
    assert not _canonical("")
    assert not _canonical(None)


def test_revocation_ids_do_not_collide() -> None:
    ids = {
        revocation_id(token_id="a"),
        revocation_id(user_id="a", all_projects=True),
        revocation_id(user_id="a", project_id="b"),
        revocation_id(project_id="a"),
        revocation_id(user_id="a/b", project_id="c"),
    }
    assert len(ids) == 5
    assert all("/" not in i for i in ids)
