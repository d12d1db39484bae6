import datetime

from backbeat.playlist.v1 import playlist_pb2 as _playlist_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AlbumType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ALBUM_TYPE_UNSPECIFIED: _ClassVar[AlbumType]
    ALBUM_TYPE_ALBUM: _ClassVar[AlbumType]
    ALBUM_TYPE_SINGLE: _ClassVar[AlbumType]
    ALBUM_TYPE_EP: _ClassVar[AlbumType]
    ALBUM_TYPE_COMPILATION: _ClassVar[AlbumType]

class TrackStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRACK_STATUS_UNSPECIFIED: _ClassVar[TrackStatus]
    TRACK_STATUS_PENDING_UPLOAD: _ClassVar[TrackStatus]
    TRACK_STATUS_PROCESSING: _ClassVar[TrackStatus]
    TRACK_STATUS_READY: _ClassVar[TrackStatus]
    TRACK_STATUS_FAILED: _ClassVar[TrackStatus]

class ItemType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ITEM_TYPE_UNSPECIFIED: _ClassVar[ItemType]
    ITEM_TYPE_TRACK: _ClassVar[ItemType]
    ITEM_TYPE_ALBUM: _ClassVar[ItemType]
    ITEM_TYPE_ARTIST: _ClassVar[ItemType]
    ITEM_TYPE_PLAYLIST: _ClassVar[ItemType]
ALBUM_TYPE_UNSPECIFIED: AlbumType
ALBUM_TYPE_ALBUM: AlbumType
ALBUM_TYPE_SINGLE: AlbumType
ALBUM_TYPE_EP: AlbumType
ALBUM_TYPE_COMPILATION: AlbumType
TRACK_STATUS_UNSPECIFIED: TrackStatus
TRACK_STATUS_PENDING_UPLOAD: TrackStatus
TRACK_STATUS_PROCESSING: TrackStatus
TRACK_STATUS_READY: TrackStatus
TRACK_STATUS_FAILED: TrackStatus
ITEM_TYPE_UNSPECIFIED: ItemType
ITEM_TYPE_TRACK: ItemType
ITEM_TYPE_ALBUM: ItemType
ITEM_TYPE_ARTIST: ItemType
ITEM_TYPE_PLAYLIST: ItemType

class Artist(_message.Message):
    __slots__ = ("id", "name", "bio", "genres", "image_url", "owner_user_ids", "create_time", "update_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    BIO_FIELD_NUMBER: _ClassVar[int]
    GENRES_FIELD_NUMBER: _ClassVar[int]
    IMAGE_URL_FIELD_NUMBER: _ClassVar[int]
    OWNER_USER_IDS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    bio: str
    genres: _containers.RepeatedScalarFieldContainer[str]
    image_url: str
    owner_user_ids: _containers.RepeatedScalarFieldContainer[str]
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., bio: _Optional[str] = ..., genres: _Optional[_Iterable[str]] = ..., image_url: _Optional[str] = ..., owner_user_ids: _Optional[_Iterable[str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Album(_message.Message):
    __slots__ = ("id", "title", "artist_ids", "album_type", "genres", "release_date", "artwork_url", "track_count", "create_time", "update_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    ARTIST_IDS_FIELD_NUMBER: _ClassVar[int]
    ALBUM_TYPE_FIELD_NUMBER: _ClassVar[int]
    GENRES_FIELD_NUMBER: _ClassVar[int]
    RELEASE_DATE_FIELD_NUMBER: _ClassVar[int]
    ARTWORK_URL_FIELD_NUMBER: _ClassVar[int]
    TRACK_COUNT_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    title: str
    artist_ids: _containers.RepeatedScalarFieldContainer[str]
    album_type: AlbumType
    genres: _containers.RepeatedScalarFieldContainer[str]
    release_date: str
    artwork_url: str
    track_count: int
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., title: _Optional[str] = ..., artist_ids: _Optional[_Iterable[str]] = ..., album_type: _Optional[_Union[AlbumType, str]] = ..., genres: _Optional[_Iterable[str]] = ..., release_date: _Optional[str] = ..., artwork_url: _Optional[str] = ..., track_count: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Track(_message.Message):
    __slots__ = ("id", "title", "artist_ids", "album_id", "disc_number", "track_number", "genres", "duration_ms", "explicit", "release_date", "isrc", "artwork_url", "status", "status_reason", "play_count", "create_time", "update_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    ARTIST_IDS_FIELD_NUMBER: _ClassVar[int]
    ALBUM_ID_FIELD_NUMBER: _ClassVar[int]
    DISC_NUMBER_FIELD_NUMBER: _ClassVar[int]
    TRACK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    GENRES_FIELD_NUMBER: _ClassVar[int]
    DURATION_MS_FIELD_NUMBER: _ClassVar[int]
    EXPLICIT_FIELD_NUMBER: _ClassVar[int]
    RELEASE_DATE_FIELD_NUMBER: _ClassVar[int]
    ISRC_FIELD_NUMBER: _ClassVar[int]
    ARTWORK_URL_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STATUS_REASON_FIELD_NUMBER: _ClassVar[int]
    PLAY_COUNT_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    title: str
    artist_ids: _containers.RepeatedScalarFieldContainer[str]
    album_id: str
    disc_number: int
    track_number: int
    genres: _containers.RepeatedScalarFieldContainer[str]
    duration_ms: int
    explicit: bool
    release_date: str
    isrc: str
    artwork_url: str
    status: TrackStatus
    status_reason: str
    play_count: int
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., title: _Optional[str] = ..., artist_ids: _Optional[_Iterable[str]] = ..., album_id: _Optional[str] = ..., disc_number: _Optional[int] = ..., track_number: _Optional[int] = ..., genres: _Optional[_Iterable[str]] = ..., duration_ms: _Optional[int] = ..., explicit: _Optional[bool] = ..., release_date: _Optional[str] = ..., isrc: _Optional[str] = ..., artwork_url: _Optional[str] = ..., status: _Optional[_Union[TrackStatus, str]] = ..., status_reason: _Optional[str] = ..., play_count: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateArtistRequest(_message.Message):
    __slots__ = ("artist",)
    ARTIST_FIELD_NUMBER: _ClassVar[int]
    artist: Artist
    def __init__(self, artist: _Optional[_Union[Artist, _Mapping]] = ...) -> None: ...

class CreateArtistResponse(_message.Message):
    __slots__ = ("artist",)
    ARTIST_FIELD_NUMBER: _ClassVar[int]
    artist: Artist
    def __init__(self, artist: _Optional[_Union[Artist, _Mapping]] = ...) -> None: ...

class GetArtistRequest(_message.Message):
    __slots__ = ("artist_id",)
    ARTIST_ID_FIELD_NUMBER: _ClassVar[int]
    artist_id: str
    def __init__(self, artist_id: _Optional[str] = ...) -> None: ...

class GetArtistResponse(_message.Message):
    __slots__ = ("artist",)
    ARTIST_FIELD_NUMBER: _ClassVar[int]
    artist: Artist
    def __init__(self, artist: _Optional[_Union[Artist, _Mapping]] = ...) -> None: ...

class UpdateArtistRequest(_message.Message):
    __slots__ = ("artist", "update_mask")
    ARTIST_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    artist: Artist
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, artist: _Optional[_Union[Artist, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateArtistResponse(_message.Message):
    __slots__ = ("artist",)
    ARTIST_FIELD_NUMBER: _ClassVar[int]
    artist: Artist
    def __init__(self, artist: _Optional[_Union[Artist, _Mapping]] = ...) -> None: ...

class DeleteArtistRequest(_message.Message):
    __slots__ = ("artist_id",)
    ARTIST_ID_FIELD_NUMBER: _ClassVar[int]
    artist_id: str
    def __init__(self, artist_id: _Optional[str] = ...) -> None: ...

class DeleteArtistResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListArtistsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListArtistsResponse(_message.Message):
    __slots__ = ("artists", "next_page_token")
    ARTISTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    artists: _containers.RepeatedCompositeFieldContainer[Artist]
    next_page_token: str
    def __init__(self, artists: _Optional[_Iterable[_Union[Artist, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CreateAlbumRequest(_message.Message):
    __slots__ = ("album",)
    ALBUM_FIELD_NUMBER: _ClassVar[int]
    album: Album
    def __init__(self, album: _Optional[_Union[Album, _Mapping]] = ...) -> None: ...

class CreateAlbumResponse(_message.Message):
    __slots__ = ("album",)
    ALBUM_FIELD_NUMBER: _ClassVar[int]
    album: Album
    def __init__(self, album: _Optional[_Union[Album, _Mapping]] = ...) -> None: ...

class GetAlbumRequest(_message.Message):
    __slots__ = ("album_id",)
    ALBUM_ID_FIELD_NUMBER: _ClassVar[int]
    album_id: str
    def __init__(self, album_id: _Optional[str] = ...) -> None: ...

class GetAlbumResponse(_message.Message):
    __slots__ = ("album",)
    ALBUM_FIELD_NUMBER: _ClassVar[int]
    album: Album
    def __init__(self, album: _Optional[_Union[Album, _Mapping]] = ...) -> None: ...

class UpdateAlbumRequest(_message.Message):
    __slots__ = ("album", "update_mask")
    ALBUM_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    album: Album
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, album: _Optional[_Union[Album, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateAlbumResponse(_message.Message):
    __slots__ = ("album",)
    ALBUM_FIELD_NUMBER: _ClassVar[int]
    album: Album
    def __init__(self, album: _Optional[_Union[Album, _Mapping]] = ...) -> None: ...

class DeleteAlbumRequest(_message.Message):
    __slots__ = ("album_id",)
    ALBUM_ID_FIELD_NUMBER: _ClassVar[int]
    album_id: str
    def __init__(self, album_id: _Optional[str] = ...) -> None: ...

class DeleteAlbumResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListAlbumsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListAlbumsResponse(_message.Message):
    __slots__ = ("albums", "next_page_token")
    ALBUMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    albums: _containers.RepeatedCompositeFieldContainer[Album]
    next_page_token: str
    def __init__(self, albums: _Optional[_Iterable[_Union[Album, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListAlbumsByArtistRequest(_message.Message):
    __slots__ = ("artist_id", "page_size", "page_token")
    ARTIST_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    artist_id: str
    page_size: int
    page_token: str
    def __init__(self, artist_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListAlbumsByArtistResponse(_message.Message):
    __slots__ = ("albums", "next_page_token")
    ALBUMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    albums: _containers.RepeatedCompositeFieldContainer[Album]
    next_page_token: str
    def __init__(self, albums: _Optional[_Iterable[_Union[Album, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CreateTrackRequest(_message.Message):
    __slots__ = ("track",)
    TRACK_FIELD_NUMBER: _ClassVar[int]
    track: Track
    def __init__(self, track: _Optional[_Union[Track, _Mapping]] = ...) -> None: ...

class CreateTrackResponse(_message.Message):
    __slots__ = ("track",)
    TRACK_FIELD_NUMBER: _ClassVar[int]
    track: Track
    def __init__(self, track: _Optional[_Union[Track, _Mapping]] = ...) -> None: ...

class GetTrackRequest(_message.Message):
    __slots__ = ("track_id",)
    TRACK_ID_FIELD_NUMBER: _ClassVar[int]
    track_id: str
    def __init__(self, track_id: _Optional[str] = ...) -> None: ...

class GetTrackResponse(_message.Message):
    __slots__ = ("track",)
    TRACK_FIELD_NUMBER: _ClassVar[int]
    track: Track
    def __init__(self, track: _Optional[_Union[Track, _Mapping]] = ...) -> None: ...

class UpdateTrackRequest(_message.Message):
    __slots__ = ("track", "update_mask")
    TRACK_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    track: Track
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, track: _Optional[_Union[Track, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateTrackResponse(_message.Message):
    __slots__ = ("track",)
    TRACK_FIELD_NUMBER: _ClassVar[int]
    track: Track
    def __init__(self, track: _Optional[_Union[Track, _Mapping]] = ...) -> None: ...

class DeleteTrackRequest(_message.Message):
    __slots__ = ("track_id",)
    TRACK_ID_FIELD_NUMBER: _ClassVar[int]
    track_id: str
    def __init__(self, track_id: _Optional[str] = ...) -> None: ...

class DeleteTrackResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CreateTrackUploadRequest(_message.Message):
    __slots__ = ("track_id", "size_bytes")
    TRACK_ID_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    track_id: str
    size_bytes: int
    def __init__(self, track_id: _Optional[str] = ..., size_bytes: _Optional[int] = ...) -> None: ...

class CreateTrackUploadResponse(_message.Message):
    __slots__ = ("upload_id", "upload_url", "expire_time", "max_bytes")
    UPLOAD_ID_FIELD_NUMBER: _ClassVar[int]
    UPLOAD_URL_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    MAX_BYTES_FIELD_NUMBER: _ClassVar[int]
    upload_id: str
    upload_url: str
    expire_time: _timestamp_pb2.Timestamp
    max_bytes: int
    def __init__(self, upload_id: _Optional[str] = ..., upload_url: _Optional[str] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., max_bytes: _Optional[int] = ...) -> None: ...

class ListTracksRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListTracksResponse(_message.Message):
    __slots__ = ("tracks", "next_page_token")
    TRACKS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    tracks: _containers.RepeatedCompositeFieldContainer[Track]
    next_page_token: str
    def __init__(self, tracks: _Optional[_Iterable[_Union[Track, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListTracksByAlbumRequest(_message.Message):
    __slots__ = ("album_id", "page_size", "page_token")
    ALBUM_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    album_id: str
    page_size: int
    page_token: str
    def __init__(self, album_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListTracksByAlbumResponse(_message.Message):
    __slots__ = ("tracks", "next_page_token")
    TRACKS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    tracks: _containers.RepeatedCompositeFieldContainer[Track]
    next_page_token: str
    def __init__(self, tracks: _Optional[_Iterable[_Union[Track, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class BatchGetTracksRequest(_message.Message):
    __slots__ = ("track_ids",)
    TRACK_IDS_FIELD_NUMBER: _ClassVar[int]
    track_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, track_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class BatchGetTracksResponse(_message.Message):
    __slots__ = ("tracks", "missing_track_ids")
    TRACKS_FIELD_NUMBER: _ClassVar[int]
    MISSING_TRACK_IDS_FIELD_NUMBER: _ClassVar[int]
    tracks: _containers.RepeatedCompositeFieldContainer[Track]
    missing_track_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, tracks: _Optional[_Iterable[_Union[Track, _Mapping]]] = ..., missing_track_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class SearchRequest(_message.Message):
    __slots__ = ("query", "types", "page_size", "page_token")
    QUERY_FIELD_NUMBER: _ClassVar[int]
    TYPES_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    query: str
    types: _containers.RepeatedScalarFieldContainer[ItemType]
    page_size: int
    page_token: str
    def __init__(self, query: _Optional[str] = ..., types: _Optional[_Iterable[_Union[ItemType, str]]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class SearchResult(_message.Message):
    __slots__ = ("track", "album", "artist", "playlist", "score")
    TRACK_FIELD_NUMBER: _ClassVar[int]
    ALBUM_FIELD_NUMBER: _ClassVar[int]
    ARTIST_FIELD_NUMBER: _ClassVar[int]
    PLAYLIST_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    track: Track
    album: Album
    artist: Artist
    playlist: _playlist_pb2.Playlist
    score: float
    def __init__(self, track: _Optional[_Union[Track, _Mapping]] = ..., album: _Optional[_Union[Album, _Mapping]] = ..., artist: _Optional[_Union[Artist, _Mapping]] = ..., playlist: _Optional[_Union[_playlist_pb2.Playlist, _Mapping]] = ..., score: _Optional[float] = ...) -> None: ...

class SearchGroup(_message.Message):
    __slots__ = ("type", "results", "next_page_token")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    type: ItemType
    results: _containers.RepeatedCompositeFieldContainer[SearchResult]
    next_page_token: str
    def __init__(self, type: _Optional[_Union[ItemType, str]] = ..., results: _Optional[_Iterable[_Union[SearchResult, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class SearchResponse(_message.Message):
    __slots__ = ("results", "next_page_token", "top_result", "groups")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOP_RESULT_FIELD_NUMBER: _ClassVar[int]
    GROUPS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[SearchResult]
    next_page_token: str
    top_result: SearchResult
    groups: _containers.RepeatedCompositeFieldContainer[SearchGroup]
    def __init__(self, results: _Optional[_Iterable[_Union[SearchResult, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., top_result: _Optional[_Union[SearchResult, _Mapping]] = ..., groups: _Optional[_Iterable[_Union[SearchGroup, _Mapping]]] = ...) -> None: ...
