import datetime

from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Playlist(_message.Message):
    __slots__ = ("id", "owner_id", "name", "description", "public", "collaborative", "collaborator_ids", "track_count", "follower_count", "create_time", "update_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_FIELD_NUMBER: _ClassVar[int]
    COLLABORATIVE_FIELD_NUMBER: _ClassVar[int]
    COLLABORATOR_IDS_FIELD_NUMBER: _ClassVar[int]
    TRACK_COUNT_FIELD_NUMBER: _ClassVar[int]
    FOLLOWER_COUNT_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    owner_id: str
    name: str
    description: str
    public: bool
    collaborative: bool
    collaborator_ids: _containers.RepeatedScalarFieldContainer[str]
    track_count: int
    follower_count: int
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., owner_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., public: _Optional[bool] = ..., collaborative: _Optional[bool] = ..., collaborator_ids: _Optional[_Iterable[str]] = ..., track_count: _Optional[int] = ..., follower_count: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PlaylistEntry(_message.Message):
    __slots__ = ("entry_id", "track_id", "added_by_user_id", "add_time")
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    TRACK_ID_FIELD_NUMBER: _ClassVar[int]
    ADDED_BY_USER_ID_FIELD_NUMBER: _ClassVar[int]
    ADD_TIME_FIELD_NUMBER: _ClassVar[int]
    entry_id: str
    track_id: str
    added_by_user_id: str
    add_time: _timestamp_pb2.Timestamp
    def __init__(self, entry_id: _Optional[str] = ..., track_id: _Optional[str] = ..., added_by_user_id: _Optional[str] = ..., add_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreatePlaylistRequest(_message.Message):
    __slots__ = ("playlist",)
    PLAYLIST_FIELD_NUMBER: _ClassVar[int]
    playlist: Playlist
    def __init__(self, playlist: _Optional[_Union[Playlist, _Mapping]] = ...) -> None: ...

class CreatePlaylistResponse(_message.Message):
    __slots__ = ("playlist",)
    PLAYLIST_FIELD_NUMBER: _ClassVar[int]
    playlist: Playlist
    def __init__(self, playlist: _Optional[_Union[Playlist, _Mapping]] = ...) -> None: ...

class GetPlaylistRequest(_message.Message):
    __slots__ = ("playlist_id", "page_size", "page_token")
    PLAYLIST_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    playlist_id: str
    page_size: int
    page_token: str
    def __init__(self, playlist_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class GetPlaylistResponse(_message.Message):
    __slots__ = ("playlist", "entries", "next_page_token")
    PLAYLIST_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    playlist: Playlist
    entries: _containers.RepeatedCompositeFieldContainer[PlaylistEntry]
    next_page_token: str
    def __init__(self, playlist: _Optional[_Union[Playlist, _Mapping]] = ..., entries: _Optional[_Iterable[_Union[PlaylistEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListPlaylistsRequest(_message.Message):
    __slots__ = ("user_id", "page_size", "page_token")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    page_size: int
    page_token: str
    def __init__(self, user_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListPlaylistsResponse(_message.Message):
    __slots__ = ("playlists", "next_page_token")
    PLAYLISTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    playlists: _containers.RepeatedCompositeFieldContainer[Playlist]
    next_page_token: str
    def __init__(self, playlists: _Optional[_Iterable[_Union[Playlist, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdatePlaylistRequest(_message.Message):
    __slots__ = ("playlist", "update_mask")
    PLAYLIST_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    playlist: Playlist
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, playlist: _Optional[_Union[Playlist, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdatePlaylistResponse(_message.Message):
    __slots__ = ("playlist",)
    PLAYLIST_FIELD_NUMBER: _ClassVar[int]
    playlist: Playlist
    def __init__(self, playlist: _Optional[_Union[Playlist, _Mapping]] = ...) -> None: ...

class DeletePlaylistRequest(_message.Message):
    __slots__ = ("playlist_id",)
    PLAYLIST_ID_FIELD_NUMBER: _ClassVar[int]
    playlist_id: str
    def __init__(self, playlist_id: _Optional[str] = ...) -> None: ...

class DeletePlaylistResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AddTracksRequest(_message.Message):
    __slots__ = ("playlist_id", "track_ids", "position")
    PLAYLIST_ID_FIELD_NUMBER: _ClassVar[int]
    TRACK_IDS_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    playlist_id: str
    track_ids: _containers.RepeatedScalarFieldContainer[str]
    position: int
    def __init__(self, playlist_id: _Optional[str] = ..., track_ids: _Optional[_Iterable[str]] = ..., position: _Optional[int] = ...) -> None: ...

class AddTracksResponse(_message.Message):
    __slots__ = ("entries", "playlist")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    PLAYLIST_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[PlaylistEntry]
    playlist: Playlist
    def __init__(self, entries: _Optional[_Iterable[_Union[PlaylistEntry, _Mapping]]] = ..., playlist: _Optional[_Union[Playlist, _Mapping]] = ...) -> None: ...

class RemoveTracksRequest(_message.Message):
    __slots__ = ("playlist_id", "entry_ids")
    PLAYLIST_ID_FIELD_NUMBER: _ClassVar[int]
    ENTRY_IDS_FIELD_NUMBER: _ClassVar[int]
    playlist_id: str
    entry_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, playlist_id: _Optional[str] = ..., entry_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class RemoveTracksResponse(_message.Message):
    __slots__ = ("playlist",)
    PLAYLIST_FIELD_NUMBER: _ClassVar[int]
    playlist: Playlist
    def __init__(self, playlist: _Optional[_Union[Playlist, _Mapping]] = ...) -> None: ...

class MoveTracksRequest(_message.Message):
    __slots__ = ("playlist_id", "entry_ids", "before_entry_id")
    PLAYLIST_ID_FIELD_NUMBER: _ClassVar[int]
    ENTRY_IDS_FIELD_NUMBER: _ClassVar[int]
    BEFORE_ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    playlist_id: str
    entry_ids: _containers.RepeatedScalarFieldContainer[str]
    before_entry_id: str
    def __init__(self, playlist_id: _Optional[str] = ..., entry_ids: _Optional[_Iterable[str]] = ..., before_entry_id: _Optional[str] = ...) -> None: ...

class MoveTracksResponse(_message.Message):
    __slots__ = ("playlist",)
    PLAYLIST_FIELD_NUMBER: _ClassVar[int]
    playlist: Playlist
    def __init__(self, playlist: _Optional[_Union[Playlist, _Mapping]] = ...) -> None: ...

class FollowPlaylistRequest(_message.Message):
    __slots__ = ("playlist_id",)
    PLAYLIST_ID_FIELD_NUMBER: _ClassVar[int]
    playlist_id: str
    def __init__(self, playlist_id: _Optional[str] = ...) -> None: ...

class FollowPlaylistResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class UnfollowPlaylistRequest(_message.Message):
    __slots__ = ("playlist_id",)
    PLAYLIST_ID_FIELD_NUMBER: _ClassVar[int]
    playlist_id: str
    def __init__(self, playlist_id: _Optional[str] = ...) -> None: ...

class UnfollowPlaylistResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AddCollaboratorRequest(_message.Message):
    __slots__ = ("playlist_id", "user_id")
    PLAYLIST_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    playlist_id: str
    user_id: str
    def __init__(self, playlist_id: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class AddCollaboratorResponse(_message.Message):
    __slots__ = ("playlist",)
    PLAYLIST_FIELD_NUMBER: _ClassVar[int]
    playlist: Playlist
    def __init__(self, playlist: _Optional[_Union[Playlist, _Mapping]] = ...) -> None: ...

class RemoveCollaboratorRequest(_message.Message):
    __slots__ = ("playlist_id", "user_id")
    PLAYLIST_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    playlist_id: str
    user_id: str
    def __init__(self, playlist_id: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class RemoveCollaboratorResponse(_message.Message):
    __slots__ = ("playlist",)
    PLAYLIST_FIELD_NUMBER: _ClassVar[int]
    playlist: Playlist
    def __init__(self, playlist: _Optional[_Union[Playlist, _Mapping]] = ...) -> None: ...
