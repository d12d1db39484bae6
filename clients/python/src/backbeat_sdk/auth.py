"""Bearer-token auth with automatic refresh, as connectrpc interceptors.

Every call except the public ones (UserService Register, Login, RefreshToken)
carries ``authorization: Bearer <access token>``. When the server answers
``unauthenticated`` (the access token expired, or was never valid), the
interceptor calls UserService.RefreshToken once with the stored refresh token,
stores the new pair (refresh tokens rotate: the old one stops working) and
retries the call once. Concurrent calls that fail together refresh only once.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from connectrpc.code import Code
from connectrpc.errors import ConnectError

from .errors import BackbeatError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

    from backbeat.user.v1.user_pb2 import Tokens
    from connectrpc.request import RequestContext

__all__ = ["TokenPair", "TokenStore"]

_USER_SERVICE = "backbeat.user.v1.UserService"
# The procedures that need no access token: they are how one gets one.
_PUBLIC = frozenset({"Register", "Login", "RefreshToken"})


@dataclass(frozen=True)
class TokenPair:
    """An access token, the refresh token that renews it, and their expiry."""

    access_token: str
    refresh_token: str
    access_token_expire_time: datetime | None = None
    refresh_token_expire_time: datetime | None = None

    @classmethod
    def from_proto(cls, tokens: Tokens) -> TokenPair:
        return cls(
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            access_token_expire_time=(
                tokens.access_token_expire_time.ToDatetime(tzinfo=UTC)
                if tokens.HasField("access_token_expire_time")
                else None
            ),
            refresh_token_expire_time=(
                tokens.refresh_token_expire_time.ToDatetime(tzinfo=UTC)
                if tokens.HasField("refresh_token_expire_time")
                else None
            ),
        )


class TokenStore:
    """The client's current tokens. Safe to share between threads.

    ``on_change`` is called with the new :class:`TokenPair` (or None when
    cleared) after a login, register, refresh or logout, e.g. to persist the
    rotated refresh token.
    """

    def __init__(
        self,
        access_token: str | None = None,
        refresh_token: str | None = None,
        *,
        on_change: Callable[[TokenPair | None], None] | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._pair: TokenPair | None = (
            TokenPair(access_token or "", refresh_token or "")
            if access_token or refresh_token
            else None
        )
        self._on_change = on_change

    @property
    def pair(self) -> TokenPair | None:
        return self._pair

    @property
    def access_token(self) -> str:
        pair = self._pair
        return pair.access_token if pair else ""

    @property
    def refresh_token(self) -> str:
        pair = self._pair
        return pair.refresh_token if pair else ""

    def set(self, pair: TokenPair | None) -> None:
        with self._lock:
            self._pair = pair
        if self._on_change:
            self._on_change(pair)

    def _drop_refresh_token(self, refresh_token: str) -> None:
        """Forget a refresh token the server refused, unless already replaced."""
        with self._lock:
            pair = self._pair
            if pair is None or pair.refresh_token != refresh_token:
                return
            self._pair = TokenPair(pair.access_token, "", pair.access_token_expire_time)


def _is_public(ctx: RequestContext) -> bool:
    m = ctx.method
    return m.service_name == _USER_SERVICE and m.name in _PUBLIC


def _authorize(ctx: RequestContext, access_token: str) -> None:
    # Without a stored token, an authorization header the caller passed in
    # headers= goes through untouched.
    if access_token:
        ctx.request_headers["authorization"] = f"Bearer {access_token}"


class BearerAuthSync:
    """Sync interceptor: adds the bearer token, refreshes once on unauthenticated."""

    def __init__(self, store: TokenStore, refresh: Callable[[str], Tokens]) -> None:
        self._store = store
        self._refresh = refresh
        self._refresh_lock = threading.Lock()

    def intercept_unary_sync(
        self, call_next: Callable[[Any, RequestContext], Any], request: Any, ctx: RequestContext
    ) -> Any:
        if _is_public(ctx):
            return call_next(request, ctx)
        sent = self._store.access_token
        _authorize(ctx, sent)
        try:
            return call_next(request, ctx)
        except ConnectError as e:
            if e.code is not Code.UNAUTHENTICATED:
                raise
            fresh = self._renew(sent)
            if not fresh:
                raise
        _authorize(ctx, fresh)
        return call_next(request, ctx)

    def _renew(self, sent: str) -> str:
        """A new access token, or "" when there is no way to get one."""
        with self._refresh_lock:
            current = self._store.access_token
            if current and current != sent:
                return current  # another call refreshed while this one waited
            if not self._store.refresh_token:
                return ""
            return self._refresh_locked().access_token

    def refresh_now(self) -> TokenPair:
        """Refresh unconditionally, in turn with the automatic refreshes."""
        with self._refresh_lock:
            return self._refresh_locked()

    def _refresh_locked(self) -> TokenPair:
        refresh_token = self._store.refresh_token
        try:
            tokens = self._refresh(refresh_token)
        except ConnectError as e:
            if e.code is Code.UNAUTHENTICATED:
                self._store._drop_refresh_token(refresh_token)
            raise
        pair = TokenPair.from_proto(tokens)
        self._store.set(pair)
        return pair

    # Streaming calls (none in Backbeat's APIs yet) get the header, no retry:
    # their requests may already be consumed.
    def intercept_client_stream_sync(self, call_next, request, ctx):  # type: ignore[no-untyped-def]
        if not _is_public(ctx):
            _authorize(ctx, self._store.access_token)
        return call_next(request, ctx)

    def intercept_server_stream_sync(self, call_next, request, ctx):  # type: ignore[no-untyped-def]
        return self.intercept_client_stream_sync(call_next, request, ctx)

    def intercept_bidi_stream_sync(self, call_next, request, ctx):  # type: ignore[no-untyped-def]
        return self.intercept_client_stream_sync(call_next, request, ctx)


class BearerAuth:
    """Async interceptor: adds the bearer token, refreshes once on unauthenticated."""

    def __init__(self, store: TokenStore, refresh: Callable[[str], Awaitable[Tokens]]) -> None:
        self._store = store
        self._refresh = refresh
        self._refresh_lock: asyncio.Lock | None = None

    async def intercept_unary(
        self,
        call_next: Callable[[Any, RequestContext], Awaitable[Any]],
        request: Any,
        ctx: RequestContext,
    ) -> Any:
        if _is_public(ctx):
            return await call_next(request, ctx)
        sent = self._store.access_token
        _authorize(ctx, sent)
        try:
            return await call_next(request, ctx)
        except ConnectError as e:
            if e.code is not Code.UNAUTHENTICATED:
                raise
            fresh = await self._renew(sent)
            if not fresh:
                raise
        _authorize(ctx, fresh)
        return await call_next(request, ctx)

    def _lock(self) -> asyncio.Lock:
        if self._refresh_lock is None:
            self._refresh_lock = asyncio.Lock()
        return self._refresh_lock

    async def _renew(self, sent: str) -> str:
        async with self._lock():
            current = self._store.access_token
            if current and current != sent:
                return current  # another task refreshed while this one waited
            if not self._store.refresh_token:
                return ""
            return (await self._refresh_locked()).access_token

    async def refresh_now(self) -> TokenPair:
        """Refresh unconditionally, in turn with the automatic refreshes."""
        async with self._lock():
            return await self._refresh_locked()

    async def _refresh_locked(self) -> TokenPair:
        refresh_token = self._store.refresh_token
        try:
            tokens = await self._refresh(refresh_token)
        except ConnectError as e:
            if e.code is Code.UNAUTHENTICATED:
                self._store._drop_refresh_token(refresh_token)
            raise
        pair = TokenPair.from_proto(tokens)
        self._store.set(pair)
        return pair

    async def intercept_client_stream(self, call_next, request, ctx):  # type: ignore[no-untyped-def]
        if not _is_public(ctx):
            _authorize(ctx, self._store.access_token)
        return await call_next(request, ctx)

    def intercept_server_stream(self, call_next, request, ctx):  # type: ignore[no-untyped-def]
        if not _is_public(ctx):
            _authorize(ctx, self._store.access_token)
        return call_next(request, ctx)

    def intercept_bidi_stream(self, call_next, request, ctx):  # type: ignore[no-untyped-def]
        return self.intercept_server_stream(call_next, request, ctx)


class TypedErrorsSync:
    """Sync interceptor (outermost): turns ConnectError into BackbeatError subclasses."""

    def intercept_unary_sync(self, call_next, request, ctx):  # type: ignore[no-untyped-def]
        try:
            return call_next(request, ctx)
        except ConnectError as e:
            raise BackbeatError.from_connect_error(e) from None

    def intercept_client_stream_sync(self, call_next, request, ctx):  # type: ignore[no-untyped-def]
        return self.intercept_unary_sync(call_next, request, ctx)

    def intercept_server_stream_sync(self, call_next, request, ctx):  # type: ignore[no-untyped-def]
        return _typed_iter(self.intercept_unary_sync(call_next, request, ctx))

    def intercept_bidi_stream_sync(self, call_next, request, ctx):  # type: ignore[no-untyped-def]
        return _typed_iter(self.intercept_unary_sync(call_next, request, ctx))


class TypedErrors:
    """Async interceptor (outermost): turns ConnectError into BackbeatError subclasses."""

    async def intercept_unary(self, call_next, request, ctx):  # type: ignore[no-untyped-def]
        try:
            return await call_next(request, ctx)
        except ConnectError as e:
            raise BackbeatError.from_connect_error(e) from None

    async def intercept_client_stream(self, call_next, request, ctx):  # type: ignore[no-untyped-def]
        return await self.intercept_unary(call_next, request, ctx)

    def intercept_server_stream(self, call_next, request, ctx):  # type: ignore[no-untyped-def]
        return _atyped_iter(call_next(request, ctx))

    def intercept_bidi_stream(self, call_next, request, ctx):  # type: ignore[no-untyped-def]
        return _atyped_iter(call_next(request, ctx))


def _typed_iter(it: Iterator[Any]) -> Iterator[Any]:
    try:
        yield from it
    except ConnectError as e:
        raise BackbeatError.from_connect_error(e) from None


async def _atyped_iter(it: AsyncIterator[Any]) -> AsyncIterator[Any]:
    try:
        async for item in it:
            yield item
    except ConnectError as e:
        raise BackbeatError.from_connect_error(e) from None
