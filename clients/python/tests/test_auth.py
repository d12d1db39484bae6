"""Signing in, registering, and the bearer token's automatic refresh."""

from __future__ import annotations

import threading

import pytest
from backbeat.user.v1.user_pb2 import ROLE_LISTENER, GetMeRequest
from support import DEMO_PASSWORD, unique_username

from backbeat_sdk import (
    AlreadyExistsError,
    Backbeat,
    InvalidArgumentError,
    TokenPair,
    UnauthenticatedError,
    create_client,
)


def test_login_stores_tokens_and_calls_use_them(anon: Backbeat) -> None:
    with pytest.raises(UnauthenticatedError):
        anon.users.get_me(GetMeRequest())

    res = anon.login("demo", DEMO_PASSWORD)

    assert res.user.username == "demo"
    assert ROLE_LISTENER in res.user.roles
    assert res.tokens.token_type == "Bearer"
    assert anon.tokens.access_token == res.tokens.access_token
    assert anon.tokens.refresh_token == res.tokens.refresh_token
    me = anon.users.get_me(GetMeRequest()).user
    assert me.id == res.user.id
    assert me.username == "demo"


def test_login_by_email_of_registered_user(base_url: str) -> None:
    name = unique_username()
    with create_client(base_url) as c:
        c.register(name, f"{name}@example.com", "s3cret-passw0rd")
    with create_client(base_url) as c:
        res = c.login(f"{name}@example.com", "s3cret-passw0rd")
        assert res.user.username == name


def test_wrong_password_is_unauthenticated_without_refresh(anon: Backbeat) -> None:
    with pytest.raises(UnauthenticatedError) as ei:
        anon.login("demo", "not-the-password")
    assert ei.value.code.value == "unauthenticated"
    assert ei.value.grpc_code == 16
    assert anon.tokens.pair is None


def test_register_creates_a_signed_in_listener(base_url: str) -> None:
    name = unique_username()
    with create_client(base_url) as c:
        res = c.register(name, f"{name}@example.com", "correct horse battery", "Py Tester")
        assert res.user.username == name
        assert res.user.display_name == "Py Tester"
        assert list(res.user.roles) == [ROLE_LISTENER]
        assert res.tokens.access_token
        me = c.users.get_me(GetMeRequest()).user
        assert (me.id, me.email) == (res.user.id, f"{name}@example.com")

        # The name is taken now, whatever its case.
        with pytest.raises(AlreadyExistsError):
            c.register(name.upper(), f"other-{name}@example.com", "correct horse battery")

    # The new password signs in from a fresh client.
    with create_client(base_url) as c:
        assert c.login(name, "correct horse battery").user.id == res.user.id


def test_register_bad_username_names_the_field(anon: Backbeat) -> None:
    with pytest.raises(InvalidArgumentError) as ei:
        anon.register("9lives", "nine@example.com", "correct horse battery")
    err = ei.value
    assert err.field == "username"
    assert err.code.value == "invalid_argument"
    assert err.grpc_code == 3
    assert err.message.startswith("username: ")
    assert [v.field for v in err.violations] == ["username"]
    assert anon.tokens.pair is None


def _demo_tokens(base_url: str) -> TokenPair:
    with create_client(base_url) as c:
        c.login("demo", DEMO_PASSWORD)
        pair = c.tokens.pair
        assert pair is not None
        return pair


def test_garbage_access_token_is_refreshed_once_and_call_retried(base_url: str) -> None:
    old = _demo_tokens(base_url)
    seen: list[TokenPair | None] = []
    with create_client(
        base_url, access_token="garbage", refresh_token=old.refresh_token, on_tokens=seen.append
    ) as c:
        me = c.users.get_me(GetMeRequest()).user
        assert me.username == "demo"
        assert len(seen) == 1, "exactly one refresh"
        new = seen[0]
        assert new is not None
        assert c.tokens.pair == new
        assert new.access_token not in ("garbage", "")
        assert new.refresh_token != old.refresh_token, "refresh tokens rotate"
        # The next call uses the new token straight away: no second refresh.
        c.users.get_me(GetMeRequest())
        assert len(seen) == 1

    # Rotation: the old refresh token is spent.
    with create_client(base_url, refresh_token=old.refresh_token) as c:
        with pytest.raises(UnauthenticatedError):
            c.users.get_me(GetMeRequest())


def test_refresh_token_alone_is_enough(base_url: str) -> None:
    old = _demo_tokens(base_url)
    with create_client(base_url, refresh_token=old.refresh_token) as c:
        assert c.users.get_me(GetMeRequest()).user.username == "demo"
        assert c.tokens.access_token


def test_bad_refresh_token_raises_unauthenticated_and_is_dropped(base_url: str) -> None:
    with create_client(base_url, access_token="garbage", refresh_token="also-garbage") as c:
        with pytest.raises(UnauthenticatedError):
            c.users.get_me(GetMeRequest())
        assert c.tokens.refresh_token == ""
        # No refresh token left: fails straight away, still typed.
        with pytest.raises(UnauthenticatedError):
            c.users.get_me(GetMeRequest())


def test_concurrent_calls_refresh_only_once(base_url: str) -> None:
    old = _demo_tokens(base_url)
    seen: list[TokenPair | None] = []
    errors: list[BaseException] = []
    names: list[str] = []
    with create_client(
        base_url, access_token="garbage", refresh_token=old.refresh_token, on_tokens=seen.append
    ) as c:
        start = threading.Barrier(8)

        def call() -> None:
            try:
                start.wait()
                names.append(c.users.get_me(GetMeRequest()).user.username)
            except BaseException as e:
                errors.append(e)

        threads = [threading.Thread(target=call) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    # A second refresh with the rotated-away token would have failed a call.
    assert errors == []
    assert names == ["demo"] * 8
    assert len(seen) == 1


def test_explicit_refresh_and_logout(base_url: str) -> None:
    with create_client(base_url) as c:
        c.login("demo", DEMO_PASSWORD)
        first = c.tokens.pair
        assert first is not None
        second = c.refresh()
        assert second.refresh_token != first.refresh_token
        assert c.users.get_me(GetMeRequest()).user.username == "demo"

        c.logout()
        assert c.tokens.pair is None
        with pytest.raises(UnauthenticatedError):
            c.users.get_me(GetMeRequest())

    # Logout revoked the refresh token on the server.
    with create_client(base_url, refresh_token=second.refresh_token) as c:
        with pytest.raises(UnauthenticatedError):
            c.users.get_me(GetMeRequest())


def test_logout_with_expired_access_token_revokes_the_refresh_token(base_url: str) -> None:
    old = _demo_tokens(base_url)
    seen: list[TokenPair | None] = []
    with create_client(
        base_url, access_token="garbage", refresh_token=old.refresh_token, on_tokens=seen.append
    ) as c:
        # Logout needs only the refresh token: a bad access token makes no
        # refresh on the way.
        c.logout()
        assert c.tokens.pair is None
    assert seen == [None]
    with create_client(base_url, refresh_token=old.refresh_token) as c, pytest.raises(UnauthenticatedError):
        c.users.get_me(GetMeRequest())
