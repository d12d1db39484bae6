import datetime

from backbeat.catalog.v1 import catalog_pb2 as _catalog_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SaveTracksRequest(_message.Message):
    __slots__ = ("track_ids",)
    TRACK_IDS_FIELD_NUMBER: _ClassVar[int]
    track_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, track_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class SaveTracksResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RemoveSavedTracksRequest(_message.Message):
    __slots__ = ("track_ids",)
    TRACK_IDS_FIELD_NUMBER: _ClassVar[int]
    track_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, track_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class RemoveSavedTracksResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AreTracksSavedRequest(_message.Message):
    __slots__ = ("track_ids",)
    TRACK_IDS_FIELD_NUMBER: _ClassVar[int]
    track_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, track_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class AreTracksSavedResponse(_message.Message):
    __slots__ = ("saved",)
    SAVED_FIELD_NUMBER: _ClassVar[int]
    saved: _containers.RepeatedScalarFieldContainer[bool]
    def __init__(self, saved: _Optional[_Iterable[bool]] = ...) -> None: ...

class SavedTrack(_message.Message):
    __slots__ = ("track", "save_time")
    TRACK_FIELD_NUMBER: _ClassVar[int]
    SAVE_TIME_FIELD_NUMBER: _ClassVar[int]
    track: _catalog_pb2.Track
    save_time: _timestamp_pb2.Timestamp
    def __init__(self, track: _Optional[_Union[_catalog_pb2.Track, _Mapping]] = ..., save_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListSavedTracksRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListSavedTracksResponse(_message.Message):
    __slots__ = ("items", "next_page_token")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[SavedTrack]
    next_page_token: str
    def __init__(self, items: _Optional[_Iterable[_Union[SavedTrack, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class SaveAlbumsRequest(_message.Message):
    __slots__ = ("album_ids",)
    ALBUM_IDS_FIELD_NUMBER: _ClassVar[int]
    album_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, album_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class SaveAlbumsResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RemoveSavedAlbumsRequest(_message.Message):
    __slots__ = ("album_ids",)
    ALBUM_IDS_FIELD_NUMBER: _ClassVar[int]
    album_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, album_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class RemoveSavedAlbumsResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AreAlbumsSavedRequest(_message.Message):
    __slots__ = ("album_ids",)
    ALBUM_IDS_FIELD_NUMBER: _ClassVar[int]
    album_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, album_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class AreAlbumsSavedResponse(_message.Message):
    __slots__ = ("saved",)
    SAVED_FIELD_NUMBER: _ClassVar[int]
    saved: _containers.RepeatedScalarFieldContainer[bool]
    def __init__(self, saved: _Optional[_Iterable[bool]] = ...) -> None: ...

class SavedAlbum(_message.Message):
    __slots__ = ("album", "save_time")
    ALBUM_FIELD_NUMBER: _ClassVar[int]
    SAVE_TIME_FIELD_NUMBER: _ClassVar[int]
    album: _catalog_pb2.Album
    save_time: _timestamp_pb2.Timestamp
    def __init__(self, album: _Optional[_Union[_catalog_pb2.Album, _Mapping]] = ..., save_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListSavedAlbumsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListSavedAlbumsResponse(_message.Message):
    __slots__ = ("items", "next_page_token")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[SavedAlbum]
    next_page_token: str
    def __init__(self, items: _Optional[_Iterable[_Union[SavedAlbum, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
