"""Playlists: create, add tracks, page entries; visibility."""

from __future__ import annotations

import pytest
from backbeat.catalog.v1.catalog_pb2 import ListTracksRequest
from backbeat.playlist.v1.playlist_pb2 import (
    AddTracksRequest,
    CreatePlaylistRequest,
    GetPlaylistRequest,
    ListPlaylistsRequest,
    Playlist,
)

from backbeat_sdk import Backbeat, NotFoundError, pages, paginate


def _track_ids(c: Backbeat, n: int) -> list[str]:
    ids = [t.id for t in paginate(c.catalog.list_tracks, ListTracksRequest(page_size=50))]
    assert len(ids) >= 5
    # Repeats are allowed and become separate entries.
    return [ids[i % len(ids)] for i in range(n)]


def test_create_add_and_page_entries(demo: Backbeat) -> None:
    pl = demo.playlists.create_playlist(
        CreatePlaylistRequest(playlist=Playlist(name="Py paging", description="from the SDK tests"))
    ).playlist
    assert pl.id
    assert pl.name == "Py paging"
    assert not pl.public

    want = _track_ids(demo, 23)
    first = demo.playlists.add_tracks(AddTracksRequest(playlist_id=pl.id, track_ids=want[:20]))
    assert [e.track_id for e in first.entries] == want[:20]
    second = demo.playlists.add_tracks(AddTracksRequest(playlist_id=pl.id, track_ids=want[20:]))
    assert second.playlist.track_count == 23

    req = GetPlaylistRequest(playlist_id=pl.id)
    entries = list(paginate(demo.playlists.get_playlist, req, items="entries", page_size=5))
    assert [e.track_id for e in entries] == want
    assert len({e.entry_id for e in entries}) == 23, "each entry has its own id"

    got_pages = list(pages(demo.playlists.get_playlist, req, page_size=5))
    assert [len(p.entries) for p in got_pages] == [5, 5, 5, 5, 3]
    assert all(p.playlist.id == pl.id for p in got_pages)
    assert got_pages[-1].next_page_token == ""


def test_add_tracks_at_a_position(demo: Backbeat) -> None:
    pl = demo.playlists.create_playlist(
        CreatePlaylistRequest(playlist=Playlist(name="Py insert"))
    ).playlist
    a, b, c = _track_ids(demo, 3)
    demo.playlists.add_tracks(AddTracksRequest(playlist_id=pl.id, track_ids=[a, c]))
    demo.playlists.add_tracks(AddTracksRequest(playlist_id=pl.id, track_ids=[b], position=1))
    entries = paginate(demo.playlists.get_playlist, GetPlaylistRequest(playlist_id=pl.id))
    assert [e.track_id for e in entries] == [a, b, c]


def test_private_playlist_is_not_found_for_another_user(demo: Backbeat, stranger: Backbeat) -> None:
    private = demo.playlists.create_playlist(
        CreatePlaylistRequest(playlist=Playlist(name="Py secret"))
    ).playlist
    public = demo.playlists.create_playlist(
        CreatePlaylistRequest(playlist=Playlist(name="Py shared", public=True))
    ).playlist

    with pytest.raises(NotFoundError) as ei:
        stranger.playlists.get_playlist(GetPlaylistRequest(playlist_id=private.id))
    assert ei.value.code.value == "not_found"
    assert ei.value.grpc_code == 5
    # Nor can it be written to.
    with pytest.raises(NotFoundError):
        stranger.playlists.add_tracks(
            AddTracksRequest(playlist_id=private.id, track_ids=_track_ids(demo, 1))
        )

    seen = stranger.playlists.get_playlist(GetPlaylistRequest(playlist_id=public.id))
    assert seen.playlist.name == "Py shared"
    # Listing the owner's playlists shows the public one only.
    theirs = paginate(stranger.playlists.list_playlists, ListPlaylistsRequest(user_id=private.owner_id))
    ids = {p.id for p in theirs}
    assert public.id in ids
    assert private.id not in ids
