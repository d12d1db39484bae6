"""Paging helpers: follow ``next_page_token`` until the last page.

Every Backbeat list call takes ``page_size`` and ``page_token`` and answers
``next_page_token`` (empty on the last page). These helpers take the bound
client method and a first request, and walk the pages::

    for track in paginate(client.catalog.list_tracks, ListTracksRequest(page_size=50)):
        print(track.title)

    for page in pages(client.playlists.get_playlist, GetPlaylistRequest(playlist_id=pid)):
        print(page.playlist.name, len(page.entries))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

    from google.protobuf.message import Message

__all__ = ["apages", "apaginate", "pages", "paginate"]

REQ = TypeVar("REQ", bound="Message")
RES = TypeVar("RES", bound="Message")


def pages(
    method: Callable[[REQ], RES],
    request: REQ,
    *,
    page_size: int | None = None,
    **call_options: Any,
) -> Iterator[RES]:
    """Yield every response page of a list call, following next_page_token.

    Args:
        method: a bound client method, e.g. ``client.catalog.list_tracks``.
        request: the first page's request; it is copied, never changed. Its
            ``page_token`` says where to start (empty: at the beginning).
        page_size: sets the request's ``page_size`` when given.
        call_options: passed to every call (``headers=``, ``timeout_ms=``).

    Raises:
        TypeError: the request has no ``page_token`` field.
        RuntimeError: the server answered a page token it had already given,
            which would otherwise loop forever.

    """
    req = _first_request(request, page_size)
    seen: set[str] = set()
    while True:
        res = method(req, **call_options)
        yield res
        token = _next_token(res, seen)
        if not token:
            return
        req.page_token = token  # type: ignore[attr-defined]


def paginate(
    method: Callable[[REQ], RES],
    request: REQ,
    *,
    items: str | None = None,
    page_size: int | None = None,
    **call_options: Any,
) -> Iterator[Any]:
    """Yield the items of every page of a list call, in order.

    ``items`` names the response's repeated field to yield (``"tracks"``,
    ``"entries"``, ``"results"``…); it may be left out when the response has
    exactly one repeated field, which is the case for every Backbeat list call.
    Other arguments are as for :func:`pages`.
    """
    field = items
    for res in pages(method, request, page_size=page_size, **call_options):
        field = field or _items_field(res)
        yield from getattr(res, field)


async def apages(
    method: Callable[[REQ], Awaitable[RES]],
    request: REQ,
    *,
    page_size: int | None = None,
    **call_options: Any,
) -> AsyncIterator[RES]:
    """The asynchronous :func:`pages`, for the async clients' methods."""
    req = _first_request(request, page_size)
    seen: set[str] = set()
    while True:
        res = await method(req, **call_options)
        yield res
        token = _next_token(res, seen)
        if not token:
            return
        req.page_token = token  # type: ignore[attr-defined]


async def apaginate(
    method: Callable[[REQ], Awaitable[RES]],
    request: REQ,
    *,
    items: str | None = None,
    page_size: int | None = None,
    **call_options: Any,
) -> AsyncIterator[Any]:
    """The asynchronous :func:`paginate`, for the async clients' methods."""
    field = items
    async for res in apages(method, request, page_size=page_size, **call_options):
        field = field or _items_field(res)
        for item in getattr(res, field):
            yield item


def _first_request(request: REQ, page_size: int | None) -> REQ:
    fields = request.DESCRIPTOR.fields_by_name
    if "page_token" not in fields:
        msg = f"{request.DESCRIPTOR.full_name} has no page_token field: it is not a paged call"
        raise TypeError(msg)
    req = type(request)()
    req.CopyFrom(request)
    if page_size is not None:
        req.page_size = page_size  # type: ignore[attr-defined]
    return req


def _next_token(res: Message, seen: set[str]) -> str:
    token: str = getattr(res, "next_page_token", "")
    if token in seen:
        msg = f"{res.DESCRIPTOR.full_name}: the server repeated page token {token!r}"
        raise RuntimeError(msg)
    seen.add(token)
    return token


def _items_field(res: Message) -> str:
    repeated = [f.name for f in res.DESCRIPTOR.fields if f.is_repeated]
    if len(repeated) != 1:
        msg = (
            f"{res.DESCRIPTOR.full_name} has repeated fields {repeated}: "
            "say which to iterate with items="
        )
        raise TypeError(msg)
    return repeated[0]
