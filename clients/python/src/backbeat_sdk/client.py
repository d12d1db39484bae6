"""The client factory: one object holding a client per Backbeat service.

The service clients are the generated connectrpc ones (``*_connect.py`` under
``backbeat/``), so every RPC is there with its generated request and response
types; this module only wires them to one base URL, one HTTP connection pool,
the bearer-token auth with refresh, and typed errors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from backbeat.catalog.v1.catalog_connect import CatalogServiceClient, CatalogServiceClientSync
from backbeat.library.v1.library_connect import LibraryServiceClient, LibraryServiceClientSync
from backbeat.playback.v1.playback_connect import PlaybackServiceClient, PlaybackServiceClientSync
from backbeat.playback.v1.playback_pb2 import PlaybackContext, StartPlaybackRequest, StartPlaybackResponse
from backbeat.playlist.v1.playlist_connect import PlaylistServiceClient, PlaylistServiceClientSync
from backbeat.user.v1.user_connect import UserServiceClient, UserServiceClientSync
from backbeat.user.v1.user_pb2 import (
    ChangePasswordRequest,
    ChangePasswordResponse,
    DisableUserRequest,
    EnableUserRequest,
    EndUserSessionsRequest,
    LoginRequest,
    LoginResponse,
    LogoutEverywhereRequest,
    LogoutRequest,
    RefreshTokenRequest,
    RegisterRequest,
    RegisterResponse,
    Tokens,
    User,
)
from connectrpc.protocol import ProtocolType
from pyqwest import Client, HTTPTransport, HTTPVersion, SyncClient, SyncHTTPTransport

from .auth import BearerAuth, BearerAuthSync, TokenPair, TokenStore, TypedErrors, TypedErrorsSync

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from types import TracebackType
    from typing import Self

__all__ = ["AsyncBackbeat", "Backbeat", "WireProtocol", "create_async_client", "create_client"]

WireProtocol = Literal["connect", "grpc", "grpc-web"]



def _start_in(context: PlaybackContext, index: int, track_id: str, device_id: str) -> StartPlaybackRequest:
    """The StartPlayback request of play_playlist and play_album: the oneof context set for the caller."""
    return StartPlaybackRequest(context=context, context_index=index, track_id=track_id, device_id=device_id)


_PROTOCOLS = {
    "connect": ProtocolType.CONNECT,
    "grpc": ProtocolType.GRPC,
    "grpc-web": ProtocolType.GRPC_WEB,
}


def _check_url(base_url: str) -> str:
    url = base_url.rstrip("/")
    if not url.startswith(("http://", "https://")):
        msg = f"base_url must start with http:// or https://, got {base_url!r}"
        raise ValueError(msg)
    return url


def _http_version(url: str, protocol: WireProtocol) -> HTTPVersion | None:
    # gRPC needs HTTP/2. Over TLS, ALPN picks it; over cleartext the server
    # speaks h2c, so HTTP/2 is used with prior knowledge.
    if protocol == "grpc" and url.startswith("http://"):
        return HTTPVersion.HTTP2
    return None


def _protocol_type(protocol: WireProtocol) -> ProtocolType:
    try:
        return _PROTOCOLS[protocol]
    except KeyError:
        msg = f"protocol must be one of {sorted(_PROTOCOLS)}, got {protocol!r}"
        raise ValueError(msg) from None


class Backbeat:
    """A synchronous Backbeat client. Build it with :func:`create_client`.

    Attributes:
        users: UserService (Register, Login, GetMe, FollowArtist…).
        catalog: CatalogService (Search, ListTracks, GetTrack…).
        playlists: PlaylistService (CreatePlaylist, AddTracks, GetPlaylist…).
        playback: PlaybackService.
        library: LibraryService (SaveTracks, AreTracksSaved, ListSavedTracks…).
        tokens: the :class:`TokenStore` the calls take their bearer token from.

    """

    def __init__(
        self,
        base_url: str,
        *,
        access_token: str | None = None,
        refresh_token: str | None = None,
        on_tokens: Callable[[TokenPair | None], None] | None = None,
        protocol: WireProtocol = "connect",
        timeout: float | None = 30.0,
        http_client: SyncClient | None = None,
        interceptors: Iterable[Any] = (),
    ) -> None:
        self.base_url = _check_url(base_url)
        self.tokens = TokenStore(access_token, refresh_token, on_change=on_tokens)
        self._transport: SyncHTTPTransport | None = None
        if http_client is None:
            self._transport = SyncHTTPTransport(
                http_version=_http_version(self.base_url, protocol),
                tls_include_system_certs=True,
            )
            http_client = SyncClient(self._transport)
        self._auth = BearerAuthSync(self.tokens, self._refresh)
        chain = [TypedErrorsSync(), self._auth, *interceptors]
        opts: dict[str, Any] = {
            "protocol": _protocol_type(protocol),
            "timeout_ms": None if timeout is None else int(timeout * 1000),
            "interceptors": chain,
            "http_client": http_client,
        }
        self.users = UserServiceClientSync(self.base_url, **opts)
        self.catalog = CatalogServiceClientSync(self.base_url, **opts)
        self.playlists = PlaylistServiceClientSync(self.base_url, **opts)
        self.playback = PlaybackServiceClientSync(self.base_url, **opts)
        self.library = LibraryServiceClientSync(self.base_url, **opts)

    def _refresh(self, refresh_token: str) -> Tokens:
        return self.users.refresh_token(RefreshTokenRequest(refresh_token=refresh_token)).tokens

    def login(self, login: str, password: str) -> LoginResponse:
        """Sign in with a username or email and a password; later calls use the tokens."""
        res = self.users.login(LoginRequest(login=login, password=password))
        self.tokens.set(TokenPair.from_proto(res.tokens))
        return res

    def register(
        self, username: str, email: str, password: str, display_name: str = ""
    ) -> RegisterResponse:
        """Create a listener account and sign in as it."""
        res = self.users.register(
            RegisterRequest(
                username=username, email=email, password=password, display_name=display_name
            )
        )
        self.tokens.set(TokenPair.from_proto(res.tokens))
        return res

    def refresh(self) -> TokenPair:
        """Exchange the refresh token for new tokens now (calls also do it when needed)."""
        return self._auth.refresh_now()

    def logout(self) -> None:
        """Revoke the refresh token on the server and forget both tokens."""
        sent = self.tokens.refresh_token
        if sent:
            self.users.logout(LogoutRequest(refresh_token=sent))
            # An expired access token made the call refresh on the way, which
            # rotated the refresh token: revoke the new one too.
            if self.tokens.refresh_token not in ("", sent):
                self.users.logout(LogoutRequest(refresh_token=self.tokens.refresh_token))
        self.tokens.set(None)

    def change_password(self, current_password: str, new_password: str) -> ChangePasswordResponse:
        """Change the password (the current one is required).

        Every session of the account ends, this client's included; the fresh
        tokens the server returns are kept, so this client stays signed in.
        """
        res = self.users.change_password(
            ChangePasswordRequest(current_password=current_password, new_password=new_password)
        )
        self.tokens.set(TokenPair.from_proto(res.tokens))
        return res

    def logout_everywhere(self) -> None:
        """End every session of the account on the server, then forget both tokens."""
        # Only a call that worked signs out locally: on failure the sessions
        # are alive, and the caller should know.
        self.users.logout_everywhere(LogoutEverywhereRequest())
        self.tokens.set(None)

    def disable_user(self, user_id: str) -> User:
        """Admins: disable an account and end its sessions; it can no longer sign in."""
        return self.users.disable_user(DisableUserRequest(user_id=user_id)).user

    def enable_user(self, user_id: str) -> User:
        """Admins: let a disabled account sign in again."""
        return self.users.enable_user(EnableUserRequest(user_id=user_id)).user

    def end_user_sessions(self, user_id: str) -> None:
        """Admins: end every session of another account."""
        self.users.end_user_sessions(EndUserSessionsRequest(user_id=user_id))

    def play_playlist(
        self, playlist_id: str, *, index: int = 0, track_id: str = "", device_id: str = ""
    ) -> StartPlaybackResponse:
        """Play a playlist: its track at index (or track_id, which must be in it), in its context."""
        request = _start_in(PlaybackContext(playlist_id=playlist_id), index, track_id, device_id)
        return self.playback.start_playback(request)

    def play_album(
        self, album_id: str, *, index: int = 0, track_id: str = "", device_id: str = ""
    ) -> StartPlaybackResponse:
        """Play an album: its track at index (or track_id, which must be on it), in its context."""
        return self.playback.start_playback(_start_in(PlaybackContext(album_id=album_id), index, track_id, device_id))

    def close(self) -> None:
        """Close the clients and the connection pool this client opened."""
        for c in (self.users, self.catalog, self.playlists, self.playback, self.library):
            c.close()
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        _exc_type: type[BaseException] | None,
        _exc: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncBackbeat:
    """An asyncio Backbeat client. Build it with :func:`create_async_client`.

    The same as :class:`Backbeat`, with ``await`` on every call.
    """

    def __init__(
        self,
        base_url: str,
        *,
        access_token: str | None = None,
        refresh_token: str | None = None,
        on_tokens: Callable[[TokenPair | None], None] | None = None,
        protocol: WireProtocol = "connect",
        timeout: float | None = 30.0,
        http_client: Client | None = None,
        interceptors: Iterable[Any] = (),
    ) -> None:
        self.base_url = _check_url(base_url)
        self.tokens = TokenStore(access_token, refresh_token, on_change=on_tokens)
        self._transport: HTTPTransport | None = None
        if http_client is None:
            self._transport = HTTPTransport(
                http_version=_http_version(self.base_url, protocol),
                tls_include_system_certs=True,
            )
            http_client = Client(self._transport)
        self._auth = BearerAuth(self.tokens, self._refresh)
        chain = [TypedErrors(), self._auth, *interceptors]
        opts: dict[str, Any] = {
            "protocol": _protocol_type(protocol),
            "timeout_ms": None if timeout is None else int(timeout * 1000),
            "interceptors": chain,
            "http_client": http_client,
        }
        self.users = UserServiceClient(self.base_url, **opts)
        self.catalog = CatalogServiceClient(self.base_url, **opts)
        self.playlists = PlaylistServiceClient(self.base_url, **opts)
        self.playback = PlaybackServiceClient(self.base_url, **opts)
        self.library = LibraryServiceClient(self.base_url, **opts)

    async def _refresh(self, refresh_token: str) -> Tokens:
        res = await self.users.refresh_token(RefreshTokenRequest(refresh_token=refresh_token))
        return res.tokens

    async def login(self, login: str, password: str) -> LoginResponse:
        """Sign in with a username or email and a password; later calls use the tokens."""
        res = await self.users.login(LoginRequest(login=login, password=password))
        self.tokens.set(TokenPair.from_proto(res.tokens))
        return res

    async def register(
        self, username: str, email: str, password: str, display_name: str = ""
    ) -> RegisterResponse:
        """Create a listener account and sign in as it."""
        res = await self.users.register(
            RegisterRequest(
                username=username, email=email, password=password, display_name=display_name
            )
        )
        self.tokens.set(TokenPair.from_proto(res.tokens))
        return res

    async def refresh(self) -> TokenPair:
        """Exchange the refresh token for new tokens now (calls also do it when needed)."""
        return await self._auth.refresh_now()

    async def logout(self) -> None:
        """Revoke the refresh token on the server and forget both tokens."""
        sent = self.tokens.refresh_token
        if sent:
            await self.users.logout(LogoutRequest(refresh_token=sent))
            # An expired access token made the call refresh on the way, which
            # rotated the refresh token: revoke the new one too.
            if self.tokens.refresh_token not in ("", sent):
                await self.users.logout(LogoutRequest(refresh_token=self.tokens.refresh_token))
        self.tokens.set(None)

    async def change_password(
        self, current_password: str, new_password: str
    ) -> ChangePasswordResponse:
        """Change the password (the current one is required).

        Every session of the account ends, this client's included; the fresh
        tokens the server returns are kept, so this client stays signed in.
        """
        res = await self.users.change_password(
            ChangePasswordRequest(current_password=current_password, new_password=new_password)
        )
        self.tokens.set(TokenPair.from_proto(res.tokens))
        return res

    async def logout_everywhere(self) -> None:
        """End every session of the account on the server, then forget both tokens."""
        await self.users.logout_everywhere(LogoutEverywhereRequest())
        self.tokens.set(None)

    async def disable_user(self, user_id: str) -> User:
        """Admins: disable an account and end its sessions; it can no longer sign in."""
        return (await self.users.disable_user(DisableUserRequest(user_id=user_id))).user

    async def enable_user(self, user_id: str) -> User:
        """Admins: let a disabled account sign in again."""
        return (await self.users.enable_user(EnableUserRequest(user_id=user_id))).user

    async def end_user_sessions(self, user_id: str) -> None:
        """Admins: end every session of another account."""
        await self.users.end_user_sessions(EndUserSessionsRequest(user_id=user_id))

    async def play_playlist(
        self, playlist_id: str, *, index: int = 0, track_id: str = "", device_id: str = ""
    ) -> StartPlaybackResponse:
        """Play a playlist: its track at index (or track_id, which must be in it), in its context."""
        request = _start_in(PlaybackContext(playlist_id=playlist_id), index, track_id, device_id)
        return await self.playback.start_playback(request)

    async def play_album(
        self, album_id: str, *, index: int = 0, track_id: str = "", device_id: str = ""
    ) -> StartPlaybackResponse:
        """Play an album: its track at index (or track_id, which must be on it), in its context."""
        return await self.playback.start_playback(
            _start_in(PlaybackContext(album_id=album_id), index, track_id, device_id)
        )

    async def close(self) -> None:
        """Close the clients and the connection pool this client opened."""
        for c in (self.users, self.catalog, self.playlists, self.playback, self.library):
            await c.close()
        if self._transport is not None:
            await self._transport.aclose()
            self._transport = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        _exc_type: type[BaseException] | None,
        _exc: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        await self.close()


def create_client(base_url: str, **options: Any) -> Backbeat:
    """A synchronous client for the Backbeat server at ``base_url``.

    Options (all keyword-only):
        access_token, refresh_token: tokens from an earlier session; the
            refresh token alone is enough, the first call refreshes.
        on_tokens: called with the new :class:`TokenPair` whenever tokens
            change (login, register, refresh, logout), e.g. to persist them.
        protocol: ``"connect"`` (default), ``"grpc"`` or ``"grpc-web"``.
        timeout: seconds per call (default 30; None for none).
        http_client: a ``pyqwest.SyncClient`` to use, e.g. with custom TLS;
            the caller closes it.
        interceptors: extra connectrpc interceptors, run inside auth.
    """
    return Backbeat(base_url, **options)


def create_async_client(base_url: str, **options: Any) -> AsyncBackbeat:
    """An asyncio client for the Backbeat server at ``base_url``.

    Takes the options of :func:`create_client`; ``http_client`` is a ``pyqwest.Client``.
    """
    return AsyncBackbeat(base_url, **options)
