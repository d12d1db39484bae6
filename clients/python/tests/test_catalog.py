"""Catalog reads: search and paged listing, over every wire protocol."""

from __future__ import annotations

import pytest
from backbeat.catalog.v1.catalog_pb2 import (
    ITEM_TYPE_ALBUM,
    ITEM_TYPE_ARTIST,
    ITEM_TYPE_PLAYLIST,
    ITEM_TYPE_TRACK,
    ListTracksRequest,
    SearchRequest,
)
from support import DEMO_PASSWORD

from backbeat_sdk import Backbeat, create_client, group_results, pages, paginate, result_item, search_group


@pytest.mark.parametrize("protocol", ["connect", "grpc", "grpc-web"])
def test_search_lodz_finds_the_brass_ensemble(base_url: str, protocol: str) -> None:
    with create_client(base_url, protocol=protocol) as c:  # type: ignore[arg-type]
        c.login("demo", DEMO_PASSWORD)
        res = c.catalog.search(SearchRequest(query="lodz"))
    artists = [r.artist.name for r in res.results if r.WhichOneof("item") == "artist"]
    # Accent-insensitive: "lodz" matches "Łódź".
    assert "Łódź Brass Ensemble" in artists
    scores = [r.score for r in res.results]
    assert scores == sorted(scores, reverse=True)


def test_search_by_type_and_prefix(demo: Backbeat) -> None:
    res = demo.catalog.search(SearchRequest(query="ŁÓDŹ bra", types=[ITEM_TYPE_ARTIST]))
    assert [r.artist.name for r in res.results] == ["Łódź Brass Ensemble"]


def test_paginate_list_tracks_follows_every_page(demo: Backbeat) -> None:
    everything = demo.catalog.list_tracks(ListTracksRequest(page_size=100))
    assert not everything.next_page_token, "the demo catalog fits one page of 100"
    want = [t.id for t in everything.tracks]
    assert len(want) > 10

    got = [t.id for t in paginate(demo.catalog.list_tracks, ListTracksRequest(), page_size=4)]
    assert got == want

    sizes = [len(p.tracks) for p in pages(demo.catalog.list_tracks, ListTracksRequest(page_size=4))]
    assert len(sizes) == -(-len(want) // 4)
    assert all(s == 4 for s in sizes[:-1])


def test_paginate_leaves_the_request_alone(demo: Backbeat) -> None:
    req = ListTracksRequest(page_size=5)
    items = list(paginate(demo.catalog.list_tracks, req))
    assert len(items) > 5
    assert req == ListTracksRequest(page_size=5)


def test_paginate_refuses_unpaged_requests(demo: Backbeat) -> None:
    from backbeat.catalog.v1.catalog_pb2 import GetTrackRequest

    with pytest.raises(TypeError, match="page_token"):
        next(paginate(demo.catalog.get_track, GetTrackRequest()))  # type: ignore[arg-type]


def test_grpc_protocol_login_and_refresh(base_url: str) -> None:
    with create_client(base_url) as c:
        c.login("demo", DEMO_PASSWORD)
        refresh_token = c.tokens.refresh_token
    with create_client(
        base_url, protocol="grpc", access_token="garbage", refresh_token=refresh_token
    ) as c:
        res = c.catalog.search(SearchRequest(query="lodz"))
        assert res.results
        assert c.tokens.refresh_token not in ("", refresh_token)


def test_search_groups_with_an_exact_artist_on_top(demo: Backbeat) -> None:
    res = demo.catalog.search(SearchRequest(query="daft pulse"))
    top = result_item(res.top_result)
    assert res.top_result.WhichOneof("item") == "artist"
    assert top.name == "Daft Pulse"
    assert [g.type for g in res.groups] == [ITEM_TYPE_ARTIST, ITEM_TYPE_ALBUM, ITEM_TYPE_TRACK, ITEM_TYPE_PLAYLIST]
    albums = {result_item(r).title for r in search_group(res, ITEM_TYPE_ALBUM).results}
    assert {"Random Access Dreams", "Discovery Channel"} <= albums
    # A typo still finds the artist; a public playlist is found by its name.
    typo = demo.catalog.search(SearchRequest(query="beyonse"))
    assert result_item(typo.top_result).name == "Beyoncé Knowles-Ortiz"
    mix = demo.catalog.search(SearchRequest(query="demo mix", types=[ITEM_TYPE_PLAYLIST]))
    assert [result_item(r).name for r in search_group(mix, ITEM_TYPE_PLAYLIST).results] == ["Demo Mix"]


def test_group_results_pages_one_group(demo: Backbeat) -> None:
    whole = demo.catalog.search(SearchRequest(query="daft pulse", types=[ITEM_TYPE_TRACK], page_size=50))
    want = [result_item(r).id for r in search_group(whole, ITEM_TYPE_TRACK).results]
    got = [result_item(r).id for r in group_results(demo.catalog.search, "daft pulse", ITEM_TYPE_TRACK, page_size=2)]
    assert len(want) > 2
    assert got == want
