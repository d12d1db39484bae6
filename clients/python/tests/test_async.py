"""The asyncio client: same auth, refresh, errors and paging."""

from __future__ import annotations

import asyncio

import pytest
from backbeat.catalog.v1.catalog_pb2 import ListTracksRequest, SearchRequest
from backbeat.playlist.v1.playlist_pb2 import (
    AddTracksRequest,
    CreatePlaylistRequest,
    GetPlaylistRequest,
    Playlist,
)
from backbeat.user.v1.user_pb2 import GetMeRequest
from support import DEMO_PASSWORD

from backbeat_sdk import (
    InvalidArgumentError,
    TokenPair,
    UnauthenticatedError,
    apages,
    apaginate,
    create_async_client,
)


def test_async_login_search_and_page(base_url: str) -> None:
    async def main() -> None:
        async with create_async_client(base_url) as c:
            with pytest.raises(UnauthenticatedError):
                await c.catalog.search(SearchRequest(query="lodz"))
            await c.login("demo", DEMO_PASSWORD)
            res = await c.catalog.search(SearchRequest(query="lodz"))
            assert "Łódź Brass Ensemble" in [r.artist.name for r in res.results]

            ids = [t.id async for t in apaginate(c.catalog.list_tracks, ListTracksRequest(page_size=4))]
            pl = (
                await c.playlists.create_playlist(
                    CreatePlaylistRequest(playlist=Playlist(name="Py async"))
                )
            ).playlist
            await c.playlists.add_tracks(AddTracksRequest(playlist_id=pl.id, track_ids=ids[:9]))
            req = GetPlaylistRequest(playlist_id=pl.id, page_size=4)
            sizes = [len(p.entries) async for p in apages(c.playlists.get_playlist, req)]
            assert sizes == [4, 4, 1]
            got = [e.track_id async for e in apaginate(c.playlists.get_playlist, req, items="entries")]
            assert got == ids[:9]

            with pytest.raises(InvalidArgumentError) as ei:
                await c.playlists.create_playlist(CreatePlaylistRequest(playlist=Playlist(name="")))
            assert ei.value.field == "playlist.name"

    asyncio.run(main())


def test_async_refresh_once_for_concurrent_calls(base_url: str) -> None:
    async def main() -> None:
        async with create_async_client(base_url) as c:
            await c.login("demo", DEMO_PASSWORD)
            refresh_token = c.tokens.refresh_token
        seen: list[TokenPair | None] = []
        async with create_async_client(
            base_url, access_token="garbage", refresh_token=refresh_token, on_tokens=seen.append
        ) as c:
            mes = await asyncio.gather(*(c.users.get_me(GetMeRequest()) for _ in range(6)))
            assert [m.user.username for m in mes] == ["demo"] * 6
            assert len(seen) == 1
            assert c.tokens.refresh_token not in ("", refresh_token)

            pair = await c.refresh()
            assert c.tokens.pair == pair
            assert (await c.users.get_me(GetMeRequest())).user.username == "demo"
            await c.logout()
            assert c.tokens.pair is None
        async with create_async_client(base_url, refresh_token=pair.refresh_token) as c:
            with pytest.raises(UnauthenticatedError):
                await c.users.get_me(GetMeRequest())

    asyncio.run(main())
