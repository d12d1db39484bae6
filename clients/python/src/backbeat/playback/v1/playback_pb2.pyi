import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class StreamKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STREAM_KIND_UNSPECIFIED: _ClassVar[StreamKind]
    STREAM_KIND_LADDER: _ClassVar[StreamKind]
    STREAM_KIND_ORIGINAL: _ClassVar[StreamKind]
    STREAM_KIND_LIVE_TRANSCODE: _ClassVar[StreamKind]

class EventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EVENT_TYPE_UNSPECIFIED: _ClassVar[EventType]
    EVENT_TYPE_START: _ClassVar[EventType]
    EVENT_TYPE_PROGRESS: _ClassVar[EventType]
    EVENT_TYPE_END: _ClassVar[EventType]
    EVENT_TYPE_SKIP: _ClassVar[EventType]
STREAM_KIND_UNSPECIFIED: StreamKind
STREAM_KIND_LADDER: StreamKind
STREAM_KIND_ORIGINAL: StreamKind
STREAM_KIND_LIVE_TRANSCODE: StreamKind
EVENT_TYPE_UNSPECIFIED: EventType
EVENT_TYPE_START: EventType
EVENT_TYPE_PROGRESS: EventType
EVENT_TYPE_END: EventType
EVENT_TYPE_SKIP: EventType

class PlaybackContext(_message.Message):
    __slots__ = ("playlist_id", "album_id", "liked_songs")
    PLAYLIST_ID_FIELD_NUMBER: _ClassVar[int]
    ALBUM_ID_FIELD_NUMBER: _ClassVar[int]
    LIKED_SONGS_FIELD_NUMBER: _ClassVar[int]
    playlist_id: str
    album_id: str
    liked_songs: bool
    def __init__(self, playlist_id: _Optional[str] = ..., album_id: _Optional[str] = ..., liked_songs: _Optional[bool] = ...) -> None: ...

class StartPlaybackRequest(_message.Message):
    __slots__ = ("track_id", "context", "context_index", "position_ms", "device_id")
    TRACK_ID_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_INDEX_FIELD_NUMBER: _ClassVar[int]
    POSITION_MS_FIELD_NUMBER: _ClassVar[int]
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    track_id: str
    context: PlaybackContext
    context_index: int
    position_ms: int
    device_id: str
    def __init__(self, track_id: _Optional[str] = ..., context: _Optional[_Union[PlaybackContext, _Mapping]] = ..., context_index: _Optional[int] = ..., position_ms: _Optional[int] = ..., device_id: _Optional[str] = ...) -> None: ...

class Loudness(_message.Message):
    __slots__ = ("integrated_lufs", "true_peak_dbtp", "range_lu")
    INTEGRATED_LUFS_FIELD_NUMBER: _ClassVar[int]
    TRUE_PEAK_DBTP_FIELD_NUMBER: _ClassVar[int]
    RANGE_LU_FIELD_NUMBER: _ClassVar[int]
    integrated_lufs: float
    true_peak_dbtp: float
    range_lu: float
    def __init__(self, integrated_lufs: _Optional[float] = ..., true_peak_dbtp: _Optional[float] = ..., range_lu: _Optional[float] = ...) -> None: ...

class StartPlaybackResponse(_message.Message):
    __slots__ = ("track_id", "hls_url", "dash_url", "progressive_url", "expire_time", "duration_ms", "loudness", "position_ms", "playback_id", "stream_kind", "ladder_ready")
    TRACK_ID_FIELD_NUMBER: _ClassVar[int]
    HLS_URL_FIELD_NUMBER: _ClassVar[int]
    DASH_URL_FIELD_NUMBER: _ClassVar[int]
    PROGRESSIVE_URL_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    DURATION_MS_FIELD_NUMBER: _ClassVar[int]
    LOUDNESS_FIELD_NUMBER: _ClassVar[int]
    POSITION_MS_FIELD_NUMBER: _ClassVar[int]
    PLAYBACK_ID_FIELD_NUMBER: _ClassVar[int]
    STREAM_KIND_FIELD_NUMBER: _ClassVar[int]
    LADDER_READY_FIELD_NUMBER: _ClassVar[int]
    track_id: str
    hls_url: str
    dash_url: str
    progressive_url: str
    expire_time: _timestamp_pb2.Timestamp
    duration_ms: int
    loudness: Loudness
    position_ms: int
    playback_id: str
    stream_kind: StreamKind
    ladder_ready: bool
    def __init__(self, track_id: _Optional[str] = ..., hls_url: _Optional[str] = ..., dash_url: _Optional[str] = ..., progressive_url: _Optional[str] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., duration_ms: _Optional[int] = ..., loudness: _Optional[_Union[Loudness, _Mapping]] = ..., position_ms: _Optional[int] = ..., playback_id: _Optional[str] = ..., stream_kind: _Optional[_Union[StreamKind, str]] = ..., ladder_ready: _Optional[bool] = ...) -> None: ...

class PlaybackEvent(_message.Message):
    __slots__ = ("playback_id", "track_id", "type", "position_ms", "device_id", "occur_time")
    PLAYBACK_ID_FIELD_NUMBER: _ClassVar[int]
    TRACK_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    POSITION_MS_FIELD_NUMBER: _ClassVar[int]
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    OCCUR_TIME_FIELD_NUMBER: _ClassVar[int]
    playback_id: str
    track_id: str
    type: EventType
    position_ms: int
    device_id: str
    occur_time: _timestamp_pb2.Timestamp
    def __init__(self, playback_id: _Optional[str] = ..., track_id: _Optional[str] = ..., type: _Optional[_Union[EventType, str]] = ..., position_ms: _Optional[int] = ..., device_id: _Optional[str] = ..., occur_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ReportPlaybackRequest(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[PlaybackEvent]
    def __init__(self, events: _Optional[_Iterable[_Union[PlaybackEvent, _Mapping]]] = ...) -> None: ...

class ReportPlaybackResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PlayedTrack(_message.Message):
    __slots__ = ("track_id", "play_time", "device_id")
    TRACK_ID_FIELD_NUMBER: _ClassVar[int]
    PLAY_TIME_FIELD_NUMBER: _ClassVar[int]
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    track_id: str
    play_time: _timestamp_pb2.Timestamp
    device_id: str
    def __init__(self, track_id: _Optional[str] = ..., play_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., device_id: _Optional[str] = ...) -> None: ...

class ListRecentlyPlayedRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListRecentlyPlayedResponse(_message.Message):
    __slots__ = ("items", "next_page_token")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[PlayedTrack]
    next_page_token: str
    def __init__(self, items: _Optional[_Iterable[_Union[PlayedTrack, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
