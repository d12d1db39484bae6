"""Helpers for the grouped Search response: a top result and one paged
group per type (artists, albums, tracks, playlists)::

    res = client.catalog.search(SearchRequest(query="river"))
    top = result_item(res.top_result) if res.HasField("top_result") else None
    for track in search_group(res, ITEM_TYPE_TRACK).results: ...
    for result in group_results(client.catalog.search, "river", ITEM_TYPE_TRACK):
        print(result_item(result).title)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from backbeat.catalog.v1.catalog_pb2 import SearchGroup, SearchRequest

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from backbeat.catalog.v1.catalog_pb2 import SearchResponse, SearchResult

__all__ = ["group_results", "result_item", "search_group"]


def search_group(res: SearchResponse, item_type: int) -> SearchGroup:
    """The group of ``item_type`` in ``res``; an empty one if it was not asked for."""
    for group in res.groups:
        if group.type == item_type:
            return group
    return SearchGroup(type=item_type)  # type: ignore[arg-type]


def result_item(result: SearchResult) -> Any:
    """The artist, album, track or playlist a result holds (None if empty)."""
    case = result.WhichOneof("item")
    return getattr(result, case) if case else None


def group_results(
    search: Callable[..., SearchResponse],
    query: str,
    item_type: int,
    *,
    page_size: int = 20,
    **call_options: Any,
) -> Iterator[SearchResult]:
    """Yield every result of one group, following the group's own
    next_page_token: each request names only that type.

    Args:
        search: the bound method, ``client.catalog.search``.
        query: the query, as typed.
        item_type: the group's type, e.g. ``ITEM_TYPE_TRACK``.
        page_size: results per request.
        call_options: passed to every call (``headers=``, ``timeout_ms=``).

    Raises:
        RuntimeError: the server answered a page token it had already given.

    """
    req = SearchRequest(query=query, types=[item_type], page_size=page_size)  # type: ignore[list-item]
    seen: set[str] = set()
    while True:
        group = search_group(search(req, **call_options), item_type)
        yield from group.results
        token = group.next_page_token
        if not token:
            return
        if token in seen:
            msg = f"search group {item_type}: the server repeated page token {token!r}"
            raise RuntimeError(msg)
        seen.add(token)
        req.page_token = token
