"""The library: hearts on a page of tracks, Liked Songs newest first across
pages, unsaving, saved albums, and Liked Songs as a playback context."""

from __future__ import annotations

import asyncio
import time

import pytest
from backbeat.catalog.v1.catalog_pb2 import ListAlbumsRequest, ListTracksRequest
from backbeat.library.v1.library_pb2 import (
    AreAlbumsSavedRequest,
    AreTracksSavedRequest,
    ListSavedAlbumsRequest,
    ListSavedTracksRequest,
    RemoveSavedAlbumsRequest,
    RemoveSavedTracksRequest,
    SaveAlbumsRequest,
    SaveTracksRequest,
)
from backbeat.playback.v1.playback_pb2 import PlaybackContext, StartPlaybackRequest
from support import unique_username

from backbeat_sdk import (
    Backbeat,
    InvalidArgumentError,
    NotFoundError,
    apaginate,
    create_async_client,
    paginate,
)


def test_save_list_remove_tracks(stranger: Backbeat) -> None:
    ids = [t.id for t in stranger.catalog.list_tracks(ListTracksRequest(page_size=4)).tracks]
    assert len(ids) == 4
    for track_id in ids[:3]:  # one at a time: each save newer than the last
        stranger.library.save_tracks(SaveTracksRequest(track_ids=[track_id]))
        time.sleep(0.005)
    saved = stranger.library.are_tracks_saved(AreTracksSavedRequest(track_ids=ids)).saved
    assert list(saved) == [True, True, True, False]
    listed = [it.track.id for it in paginate(stranger.library.list_saved_tracks, ListSavedTracksRequest(), page_size=2)]
    assert listed == [ids[2], ids[1], ids[0]]

    stranger.library.remove_saved_tracks(RemoveSavedTracksRequest(track_ids=[ids[1]]))
    saved = stranger.library.are_tracks_saved(AreTracksSavedRequest(track_ids=ids[:3])).saved
    assert list(saved) == [True, False, True]
    with pytest.raises(NotFoundError):
        stranger.playback.start_playback(
            StartPlaybackRequest(track_id=ids[1], context=PlaybackContext(liked_songs=True)),
        )


def test_save_albums(stranger: Backbeat) -> None:
    album_id = stranger.catalog.list_albums(ListAlbumsRequest(page_size=1)).albums[0].id
    stranger.library.save_albums(SaveAlbumsRequest(album_ids=[album_id]))
    items = stranger.library.list_saved_albums(ListSavedAlbumsRequest()).items
    assert [it.album.id for it in items] == [album_id]
    assert items[0].save_time.seconds > 0
    stranger.library.remove_saved_albums(RemoveSavedAlbumsRequest(album_ids=[album_id]))
    assert list(stranger.library.are_albums_saved(AreAlbumsSavedRequest(album_ids=[album_id])).saved) == [False]


def test_too_many_ids(stranger: Backbeat) -> None:
    with pytest.raises(InvalidArgumentError) as exc:
        stranger.library.save_tracks(SaveTracksRequest(track_ids=[f"06h0kaeq2k9qrerqf407e0{i:04d}" for i in range(51)]))
    assert "track_ids" in str(exc.value)


def test_async_library(base_url: str) -> None:
    async def main() -> None:
        async with create_async_client(base_url) as c:
            name = unique_username("asynclib")
            await c.register(name, f"{name}@example.com", "correct horse battery")
            res = await c.catalog.list_tracks(ListTracksRequest(page_size=2))
            ids = [t.id for t in res.tracks]
            await c.library.save_tracks(SaveTracksRequest(track_ids=ids))
            req = ListSavedTracksRequest()
            got = {it.track.id async for it in apaginate(c.library.list_saved_tracks, req, page_size=1)}
            assert got == set(ids)

    asyncio.run(main())
