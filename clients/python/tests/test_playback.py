"""Playback: start a demo track, stream it over plain HTTP, report the play,
and see it in the listening history and the track's play count."""

from __future__ import annotations

import asyncio
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from urllib.parse import urljoin

import pytest
from backbeat.catalog.v1.catalog_pb2 import GetTrackRequest, Track, TrackStatus
from backbeat.playback.v1.playback_pb2 import (
    EventType,
    ListRecentlyPlayedRequest,
    PlaybackContext,
    PlaybackEvent,
    ReportPlaybackRequest,
    StartPlaybackRequest,
    StartPlaybackResponse,
    StreamKind,
)
from backbeat.playlist.v1.playlist_pb2 import GetPlaylistRequest, ListPlaylistsRequest
from backbeat.user.v1.user_pb2 import GetMeRequest
from connectrpc.code import Code
from google.protobuf.timestamp_pb2 import Timestamp
from support import DEMO_PASSWORD, unique_username

from backbeat_sdk import (
    Backbeat,
    InvalidArgumentError,
    NotFoundError,
    apaginate,
    create_async_client,
    create_client,
    paginate,
)

# A well-formed id (26 characters of the id alphabet) that names nothing.
UNKNOWN_ID = "06h0kaeq2k9qrerqf407e08wgc"
# The demo tracks get generated audio shortly after the server starts; until
# then they are PROCESSING and StartPlayback answers failed_precondition.
READY_TIMEOUT_S = 150
DEVICE = "pytest-device"


@dataclass(frozen=True)
class DemoMix:
    playlist_id: str
    track_ids: list[str]


@pytest.fixture(scope="session")
def demo_mix(base_url: str) -> DemoMix:
    """The public "Demo Mix" playlist, found the way another user would: by
    listing the demo listener's public playlists."""
    with create_client(base_url) as owner:
        owner.login("demo", DEMO_PASSWORD)
        owner_id = owner.users.get_me(GetMeRequest()).user.id
    with create_client(base_url) as c:
        name = unique_username("mix")
        c.register(name, f"{name}@example.com", "correct horse battery")
        mixes = [
            p
            for p in paginate(c.playlists.list_playlists, ListPlaylistsRequest(user_id=owner_id))
            if p.name == "Demo Mix"
        ]
        assert len(mixes) == 1, "the demo data has one public Demo Mix"
        mix = mixes[0]
        assert mix.public
        req = GetPlaylistRequest(playlist_id=mix.id)
        ids = [e.track_id for e in paginate(c.playlists.get_playlist, req, items="entries")]
    assert len(ids) == 6
    return DemoMix(playlist_id=mix.id, track_ids=ids)


@pytest.fixture
def listener(base_url: str) -> Iterator[Backbeat]:
    """A client signed in as a freshly registered listener, so its listening
    history starts empty."""
    with create_client(base_url) as c:
        name = unique_username("listener")
        c.register(name, f"{name}@example.com", "correct horse battery")
        yield c


def ready_tracks(c: Backbeat, mix: DemoMix, want: int = 1) -> list[Track]:
    """At least `want` READY tracks of the mix, in playlist order, polling
    GetTrack while the demo audio is still being transcoded."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while True:
        tracks = [c.catalog.get_track(GetTrackRequest(track_id=t)).track for t in mix.track_ids]
        failed = [t for t in tracks if t.status == TrackStatus.TRACK_STATUS_FAILED]
        assert not failed, f"demo tracks failed processing: {[t.status_reason for t in failed]}"
        ready = [t for t in tracks if t.status == TrackStatus.TRACK_STATUS_READY]
        if len(ready) >= want:
            return ready
        if time.monotonic() > deadline:
            states = [TrackStatus.Name(t.status) for t in tracks]
            pytest.fail(f"no {want} READY Demo Mix tracks after {READY_TIMEOUT_S}s: {states}")
        time.sleep(1)


def play_count(c: Backbeat, track_id: str) -> int:
    return c.catalog.get_track(GetTrackRequest(track_id=track_id)).track.play_count


def event(
    start: StartPlaybackResponse, typ: EventType, position_ms: int, at: datetime | None = None
) -> PlaybackEvent:
    e = PlaybackEvent(
        playback_id=start.playback_id,
        track_id=start.track_id,
        type=typ,
        position_ms=position_ms,
        device_id=DEVICE,
    )
    if at is not None:
        ts = Timestamp()
        ts.FromDatetime(at)
        e.occur_time.CopyFrom(ts)
    return e


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """GET with the standard library, as a simple player would."""
    req = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(req, timeout=30) as res:
        return res.status, {k.lower(): v for k, v in res.headers.items()}, res.read()


def test_start_stream_report_and_history(listener: Backbeat, demo_mix: DemoMix) -> None:
    track = ready_tracks(listener, demo_mix)[0]
    before = play_count(listener, track.id)

    started = time.monotonic()
    start = listener.playback.start_playback(
        StartPlaybackRequest(
            track_id=track.id,
            context=PlaybackContext(playlist_id=demo_mix.playlist_id),
            device_id=DEVICE,
        )
    )
    assert start.track_id == track.id
    assert len(start.playback_id) == 26
    assert start.position_ms == 0
    # A READY track plays its ladder.
    assert start.stream_kind == StreamKind.STREAM_KIND_LADDER
    assert start.ladder_ready
    # The demo tunes are 12 seconds long.
    assert start.duration_ms == track.duration_ms
    assert 11_000 <= start.duration_ms <= 13_000
    assert start.loudness.integrated_lufs < 0
    assert start.expire_time.ToDatetime(tzinfo=UTC) > datetime.now(UTC)
    for url in (start.hls_url, start.dash_url, start.progressive_url):
        assert url.startswith(("http://", "https://"))

    # HLS: a master playlist with the three-rung adaptive ladder, whose media
    # playlists resolve relative to it.
    status, headers, body = fetch(start.hls_url)
    assert status == HTTPStatus.OK
    assert headers["content-type"] == "application/vnd.apple.mpegurl"
    lines = body.decode().splitlines()
    assert lines[0] == "#EXTM3U"
    variants = [i for i, line in enumerate(lines) if line.startswith("#EXT-X-STREAM-INF:")]
    assert len(variants) == 3
    uris = [lines[i + 1] for i in variants]
    assert all(u and not u.startswith("#") for u in uris)
    assert all("BANDWIDTH=" in lines[i] for i in variants)
    status, _, media = fetch(urljoin(start.hls_url, uris[0]))
    assert status == HTTPStatus.OK
    assert media.startswith(b"#EXTM3U")
    assert b"#EXTINF:" in media
    assert b"#EXT-X-ENDLIST" in media

    # Progressive: one file, seekable with a byte range.
    status, headers, part = fetch(start.progressive_url, {"Range": "bytes=0-1023"})
    assert status == HTTPStatus.PARTIAL_CONTENT
    assert headers["content-type"] == "audio/mp4"
    assert headers["content-range"].startswith("bytes 0-1023/")
    total = int(headers["content-range"].rsplit("/", 1)[1])
    assert total > 1024
    assert len(part) == 1024
    assert part[4:8] == b"ftyp", "an MP4 file starts with its ftyp box"

    # START puts the play in the history but does not count it yet.
    listener.playback.report_playback(
        ReportPlaybackRequest(events=[event(start, EventType.EVENT_TYPE_START, 0)])
    )
    assert play_count(listener, track.id) == before
    history = list(paginate(listener.playback.list_recently_played, ListRecentlyPlayedRequest()))
    assert [p.track_id for p in history] == [track.id]
    assert history[0].device_id == DEVICE

    # END counts it, once: a repeated END (a retried report) changes nothing.
    # The server counts only the listening its own clock allows since
    # StartPlayback, so the "player" plays the whole track first.
    time.sleep(max(0.0, start.duration_ms / 1000 - (time.monotonic() - started)))
    end = ReportPlaybackRequest(events=[event(start, EventType.EVENT_TYPE_END, start.duration_ms)])
    listener.playback.report_playback(end)
    assert play_count(listener, track.id) == before + 1
    listener.playback.report_playback(end)
    assert play_count(listener, track.id) == before + 1
    # Events for a play already in the history add no second entry.
    history = list(paginate(listener.playback.list_recently_played, ListRecentlyPlayedRequest()))
    assert [p.track_id for p in history] == [track.id]


def test_recently_played_is_newest_first(listener: Backbeat, demo_mix: DemoMix) -> None:
    first, second = ready_tracks(listener, demo_mix, want=2)[:2]
    now = datetime.now(UTC)
    a = listener.playback.start_playback(StartPlaybackRequest(track_id=first.id, device_id=DEVICE))
    b = listener.playback.start_playback(StartPlaybackRequest(track_id=second.id, device_id=DEVICE))
    offline = listener.playback.start_playback(StartPlaybackRequest(track_id=second.id))
    # Reported out of order, as a device coming back online might: the
    # history is ordered by when each play happened, not by when it arrived.
    listener.playback.report_playback(
        ReportPlaybackRequest(
            events=[
                event(b, EventType.EVENT_TYPE_START, 0, now - timedelta(minutes=1)),
                event(offline, EventType.EVENT_TYPE_START, 0, now - timedelta(hours=3)),
                event(a, EventType.EVENT_TYPE_START, 0, now - timedelta(minutes=2)),
                # A PROGRESS event for a play already started adds nothing.
                event(b, EventType.EVENT_TYPE_PROGRESS, 5_000, now - timedelta(seconds=55)),
            ]
        )
    )
    req = ListRecentlyPlayedRequest()
    history = list(paginate(listener.playback.list_recently_played, req, page_size=1))
    assert [p.track_id for p in history] == [second.id, first.id, second.id]
    times = [p.play_time.ToDatetime(tzinfo=UTC) for p in history]
    assert times == sorted(times, reverse=True)
    assert abs(times[-1] - (now - timedelta(hours=3))) < timedelta(seconds=1)


def test_unknown_track_is_not_found(listener: Backbeat) -> None:
    with pytest.raises(NotFoundError) as ei:
        listener.playback.start_playback(StartPlaybackRequest(track_id=UNKNOWN_ID))
    assert ei.value.code is Code.NOT_FOUND
    assert ei.value.code.value == "not_found"
    assert ei.value.grpc_code == 5


@pytest.mark.parametrize("protocol", ["connect", "grpc", "grpc-web"])
def test_bad_track_id_is_invalid_argument(base_url: str, protocol: str) -> None:
    with create_client(base_url, protocol=protocol) as c:  # type: ignore[arg-type]
        c.login("demo", DEMO_PASSWORD)
        with pytest.raises(InvalidArgumentError) as ei:
            c.playback.start_playback(StartPlaybackRequest(track_id="not-an-id"))
    assert ei.value.code is Code.INVALID_ARGUMENT
    assert ei.value.field == "track_id"
    assert ei.value.violations[0].field == "track_id"


def test_async_start_report_and_history(base_url: str, demo_mix: DemoMix) -> None:
    with create_client(base_url) as c:
        c.login("demo", DEMO_PASSWORD)
        track = ready_tracks(c, demo_mix)[0]

    async def main() -> None:
        async with create_async_client(base_url) as c:
            name = unique_username("alistener")
            await c.register(name, f"{name}@example.com", "correct horse battery")
            start = await c.playback.start_playback(
                StartPlaybackRequest(
                    context=PlaybackContext(playlist_id=demo_mix.playlist_id),
                    context_index=demo_mix.track_ids.index(track.id),
                )
            )
            assert start.track_id == track.id
            assert start.hls_url
            await c.playback.report_playback(
                ReportPlaybackRequest(events=[event(start, EventType.EVENT_TYPE_START, 0)])
            )
            history = [p async for p in apaginate(c.playback.list_recently_played, ListRecentlyPlayedRequest())]
            assert [p.track_id for p in history] == [track.id]

            with pytest.raises(NotFoundError):
                await c.playback.start_playback(StartPlaybackRequest(track_id=UNKNOWN_ID))

    asyncio.run(main())


def test_play_playlist_sets_the_context(listener: Backbeat, demo_mix: DemoMix) -> None:
    """play_playlist plays the track at an index of the playlist, the oneof context set for the caller."""
    ready = {t.id for t in ready_tracks(listener, demo_mix, want=2)}
    index = next(i for i, track_id in enumerate(demo_mix.track_ids) if track_id in ready)
    play = listener.play_playlist(demo_mix.playlist_id, index=index, device_id=DEVICE)
    assert play.track_id == demo_mix.track_ids[index]
    assert play.hls_url
    with pytest.raises(NotFoundError):
        listener.play_album(UNKNOWN_ID)


def test_async_play_playlist(listener: Backbeat, base_url: str, demo_mix: DemoMix) -> None:
    """The async client's play_playlist: the same call with await."""
    ready = {t.id for t in ready_tracks(listener, demo_mix)}
    index = next(i for i, track_id in enumerate(demo_mix.track_ids) if track_id in ready)

    async def main() -> StartPlaybackResponse:
        async with create_async_client(base_url) as client:
            await client.login("demo", DEMO_PASSWORD)
            return await client.play_playlist(demo_mix.playlist_id, index=index)

    assert asyncio.run(main()).track_id == demo_mix.track_ids[index]
