"""Changing a password, signing out everywhere, and an admin's hold on accounts."""

from __future__ import annotations

import asyncio
import os

import pytest
from backbeat.user.v1.user_pb2 import GetMeRequest, GetUserRequest, RefreshTokenRequest
from support import DEMO_PASSWORD, unique_username

from backbeat_sdk import (
    Backbeat,
    InvalidArgumentError,
    PermissionDeniedError,
    UnauthenticatedError,
    create_async_client,
    create_client,
)

PASSWORD = "correct horse battery"


def _two_sessions(base_url: str) -> tuple[Backbeat, Backbeat, str, str]:
    """A new account signed in on two clients: here and elsewhere."""
    name = unique_username("ses")
    here = create_client(base_url)
    uid = here.register(name, f"{name}@example.com", PASSWORD).user.id
    elsewhere = create_client(base_url)
    elsewhere.login(name, PASSWORD)
    return here, elsewhere, name, uid


def test_change_password_keeps_this_client_and_ends_the_others(base_url: str) -> None:
    here, elsewhere, name, _ = _two_sessions(base_url)
    with here, elsewhere:
        with pytest.raises(PermissionDeniedError):
            here.change_password("not the password", "a brand new passphrase")
        with pytest.raises(InvalidArgumentError) as ei:
            here.change_password(PASSWORD, "short")
        assert ei.value.field == "new_password"

        before = here.tokens.access_token
        here.change_password(PASSWORD, "a brand new passphrase")
        assert here.tokens.access_token != before
        assert here.users.get_me(GetMeRequest()).user.username == name
        # The other client's refresh is refused as well: it ends signed out.
        with pytest.raises(UnauthenticatedError):
            elsewhere.users.get_me(GetMeRequest())
        assert elsewhere.tokens.refresh_token == ""
    with create_client(base_url) as c:
        c.login(name, "a brand new passphrase")


def test_logout_everywhere_ends_every_session(base_url: str) -> None:
    here, elsewhere, _, _ = _two_sessions(base_url)
    with here, elsewhere:
        held = here.tokens.refresh_token
        here.logout_everywhere()
        assert here.tokens.refresh_token == ""
        with pytest.raises(UnauthenticatedError):
            elsewhere.users.get_me(GetMeRequest())
        with create_client(base_url) as c, pytest.raises(UnauthenticatedError):
            c.users.refresh_token(RefreshTokenRequest(refresh_token=held))


def test_admin_disables_enables_and_ends_sessions(base_url: str) -> None:
    admin_name = os.environ.get("BACKBEAT_ADMIN")
    assert admin_name, "BACKBEAT_ADMIN is not set: clients/with-server.sh makes one"
    victim, _, name, uid = _two_sessions(base_url)
    with create_client(base_url) as admin, victim:
        admin.login(admin_name, DEMO_PASSWORD)
        assert admin.disable_user(uid).disabled
        with pytest.raises(UnauthenticatedError):
            victim.users.get_me(GetMeRequest())
        with create_client(base_url) as c, pytest.raises(PermissionDeniedError) as ei:
            c.login(name, PASSWORD)
        assert "account disabled" in str(ei.value)
        assert admin.users.get_user(GetUserRequest(user_id=uid)).user.disabled

        assert not admin.enable_user(uid).disabled
        with create_client(base_url) as back:
            back.login(name, PASSWORD)
            assert back.users.get_me(GetMeRequest()).user.id == uid
            admin.end_user_sessions(uid)
            with pytest.raises(UnauthenticatedError):
                back.users.get_me(GetMeRequest())

        with create_client(base_url) as self_, pytest.raises(PermissionDeniedError):
            self_.login(name, PASSWORD)
            self_.disable_user(uid)


def test_async_change_password_and_logout_everywhere(base_url: str) -> None:
    async def main() -> None:
        name = unique_username("ases")
        async with create_async_client(base_url) as c:
            await c.register(name, f"{name}@example.com", PASSWORD)
            await c.change_password(PASSWORD, "a brand new passphrase")
            assert (await c.users.get_me(GetMeRequest())).user.username == name
            await c.logout_everywhere()
            assert c.tokens.refresh_token == ""
        async with create_async_client(base_url) as c:
            await c.login(name, "a brand new passphrase")

    asyncio.run(main())
