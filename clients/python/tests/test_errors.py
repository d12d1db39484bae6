"""Typed errors: code, message and field, as users catch them."""

from __future__ import annotations

import pytest
from backbeat.catalog.v1.catalog_pb2 import SearchRequest
from backbeat.playlist.v1.playlist_pb2 import CreatePlaylistRequest, GetPlaylistRequest, Playlist
from connectrpc.code import Code
from connectrpc.errors import ConnectError

from backbeat_sdk import (
    Backbeat,
    BackbeatError,
    InvalidArgumentError,
    NotFoundError,
    UnauthenticatedError,
    create_client,
)


@pytest.mark.parametrize("protocol", ["connect", "grpc", "grpc-web"])
def test_bad_input_is_invalid_argument_naming_the_field(base_url: str, protocol: str) -> None:
    with create_client(base_url, protocol=protocol) as c:  # type: ignore[arg-type]
        c.login("demo", "backbeat-demo")
        with pytest.raises(InvalidArgumentError) as ei:
            c.playlists.create_playlist(CreatePlaylistRequest(playlist=Playlist(name="")))
    err = ei.value
    assert err.code is Code.INVALID_ARGUMENT
    assert err.field == "playlist.name"
    assert err.message.startswith("playlist.name: ")
    assert err.violations[0].field == "playlist.name"
    assert err.violations[0].description
    # Still a connectrpc ConnectError, so generic handlers keep working.
    assert isinstance(err, ConnectError)
    assert isinstance(err, BackbeatError)


def test_search_query_too_long_names_the_field(demo: Backbeat) -> None:
    with pytest.raises(InvalidArgumentError) as ei:
        demo.catalog.search(SearchRequest(query="x" * 201))
    assert ei.value.field == "query"


def test_no_token_is_unauthenticated(anon: Backbeat) -> None:
    with pytest.raises(UnauthenticatedError) as ei:
        anon.catalog.search(SearchRequest(query="lodz"))
    err = ei.value
    assert err.code is Code.UNAUTHENTICATED
    assert err.grpc_code == 16
    assert err.message
    assert err.field is None
    assert str(err).startswith("unauthenticated: ")


def test_unknown_playlist_is_not_found(demo: Backbeat) -> None:
    with pytest.raises(NotFoundError):
        demo.playlists.get_playlist(GetPlaylistRequest(playlist_id="06h0kaeq2k9qrerqf407e08wgc"))


def test_unreachable_server_is_unavailable() -> None:
    # Port 9 (discard) on loopback: nothing listens there in the test setup.
    with create_client("http://127.0.0.1:9", timeout=5) as c, pytest.raises(BackbeatError) as ei:
        c.catalog.search(SearchRequest(query="x"))
    assert ei.value.code in (Code.UNAVAILABLE, Code.UNKNOWN, Code.DEADLINE_EXCEEDED)


def test_base_url_is_checked() -> None:
    with pytest.raises(ValueError, match="http"):
        create_client("127.0.0.1:8080")
    with pytest.raises(ValueError, match="protocol"):
        create_client("http://127.0.0.1:8080", protocol="soap")  # type: ignore[arg-type]


def test_per_call_authorization_header_is_kept_without_stored_tokens(base_url: str) -> None:
    with create_client(base_url) as c:
        token = c.login("demo", "backbeat-demo").tokens.access_token
    with create_client(base_url) as c:
        res = c.catalog.search(SearchRequest(query="lodz"), headers={"authorization": f"Bearer {token}"})
        assert res.results
