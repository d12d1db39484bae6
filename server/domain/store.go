package domain

import "context"

// Page asks a store for one page of a list. Size is always 1..MaxPageSize
// (the edge validates it). Token is empty for the first page, otherwise a
// token the same store returned; a token the store cannot read is a KindInvalid
// error on field "page_token". A token past the end yields an empty page.
type Page struct {
	Size  int
	Token string
}

// Stores are the store interfaces the domain needs, grouped so one value can
// be handed around. Every store implementation (embedded, Cassandra) passes
// the same conformance suite in server/store/storetest.
//
// Conventions for every method:
//   - a missing entity is KindNotFound; a uniqueness clash is KindAlreadyExists
//     with Field naming the clashing field ("username", "email", ...);
//   - a failed call writes nothing;
//   - returned values are the caller's to keep (no shared slices);
//   - lists return the page and the token of the next page ("" at the end).
type Stores struct {
	Users     UserStore
	Catalog   CatalogStore
	Playlists PlaylistStore
	Plays     PlayStore
	Library   LibraryStore
}

type UserStore interface {
	// CreateUser stores u (ID set by the caller). Username and email are
	// unique, compared case-insensitively; of two concurrent creations with the
	// same username exactly one succeeds.
	CreateUser(ctx context.Context, u *User) error
	GetUser(ctx context.Context, id string) (*User, error)
	// GetUserByUsername and GetUserByEmail match case-insensitively.
	GetUserByUsername(ctx context.Context, username string) (*User, error)
	GetUserByEmail(ctx context.Context, email string) (*User, error)
	GetUserByExternalID(ctx context.Context, issuer, subject string) (*User, error)
	// UpdateUser replaces the stored user with u (same ID), keeping email
	// unique. It leaves Disabled and SessionEpoch as stored: they change only
	// through SetUserDisabled and EndUserSessions, so an update racing with
	// a revocation cannot undo it.
	UpdateUser(ctx context.Context, u *User) error
	// SetUserDisabled sets the user's Disabled flag; KindNotFound if there
	// is no such user. Idempotent.
	SetUserDisabled(ctx context.Context, id string, disabled bool) error
	// EndUserSessions sets the user's SessionEpoch to epoch (callers pass a
	// value above the current one) and deletes the user's refresh sessions;
	// KindNotFound if there is no such user. Sessions created concurrently
	// may survive the delete, which is why the epoch, not the delete, is
	// what callers rely on.
	EndUserSessions(ctx context.Context, id string, epoch int64) error
	// DeleteUser removes the user, its sessions, its artist and playlist
	// follows, its playlists (with their entries and followers) and its
	// collaborator memberships. Artists it owns are the domain's business.
	DeleteUser(ctx context.Context, id string) error
	// ListUsers lists users ordered by username, optionally only those whose
	// username starts with prefix.
	ListUsers(ctx context.Context, prefix string, p Page) ([]*User, string, error)

	// CreateSession stores s, Epoch included.
	CreateSession(ctx context.Context, s *Session) error
	// ConsumeSession deletes the session and returns it; of concurrent
	// consumers of one token exactly one gets it, the others KindNotFound.
	// An expired session is deleted and reported KindNotFound.
	ConsumeSession(ctx context.Context, tokenHash string) (*Session, error)
	// DeleteSession is idempotent.
	DeleteSession(ctx context.Context, tokenHash string) error
	// RecordConsumedSession keeps c until c.ExpireTime (replacing any record
	// of the same hash).
	RecordConsumedSession(ctx context.Context, c *ConsumedSession) error
	// GetConsumedSession returns the record of a consumed token;
	// KindNotFound if there is none or it has expired.
	GetConsumedSession(ctx context.Context, tokenHash string) (*ConsumedSession, error)
	// RevokeSessionFamily deletes every live session of the family. It is
	// idempotent; an empty familyID is refused (domain.Invalid).
	RevokeSessionFamily(ctx context.Context, familyID string) error

	// FollowArtist and UnfollowArtist are idempotent.
	FollowArtist(ctx context.Context, userID, artistID string) error
	UnfollowArtist(ctx context.Context, userID, artistID string) error
	// ListFollowedArtists lists artist ids, most recently followed first.
	ListFollowedArtists(ctx context.Context, userID string, p Page) ([]string, string, error)
}

type CatalogStore interface {
	CreateArtist(ctx context.Context, a *Artist) error
	GetArtist(ctx context.Context, id string) (*Artist, error)
	UpdateArtist(ctx context.Context, a *Artist) error
	// DeleteArtist removes the artist, its followers' follows, the albums and
	// tracks whose primary artist it is (tracks also leave every playlist), and
	// its credit on other albums and tracks. It returns the ids of the tracks
	// it deleted, so their media can be removed from blob storage; with an
	// error, those it deleted before failing (a retry will not see them).
	DeleteArtist(ctx context.Context, id string) (deletedTracks []string, err error)
	// ListArtists lists all artists, oldest first.
	ListArtists(ctx context.Context, p Page) ([]*Artist, string, error)
	// ListArtistsByOwner lists the artists a user manages (a short list).
	ListArtistsByOwner(ctx context.Context, userID string) ([]*Artist, error)

	CreateAlbum(ctx context.Context, a *Album) error
	GetAlbum(ctx context.Context, id string) (*Album, error)
	UpdateAlbum(ctx context.Context, a *Album) error
	// DeleteAlbum removes the album and its tracks (which leave every playlist)
	// and returns the ids of the tracks it deleted, as DeleteArtist does.
	DeleteAlbum(ctx context.Context, id string) (deletedTracks []string, err error)
	ListAlbums(ctx context.Context, p Page) ([]*Album, string, error)
	// ListAlbumsByArtist lists albums crediting the artist, newest release first.
	ListAlbumsByArtist(ctx context.Context, artistID string, p Page) ([]*Album, string, error)

	// CreateTrack stores the track and counts it in its album's TrackCount.
	CreateTrack(ctx context.Context, t *Track) error
	GetTrack(ctx context.Context, id string) (*Track, error)
	// UpdateTrack replaces the stored track (PlayCount is kept by the store).
	UpdateTrack(ctx context.Context, t *Track) error
	// SetTrackMedia stores m on the track and sets its UpdateTime to now,
	// leaving its other fields as they are.
	SetTrackMedia(ctx context.Context, trackID string, m TrackMedia) error
	// DeleteTrack removes the track from the catalog and from every playlist.
	DeleteTrack(ctx context.Context, id string) error
	ListTracks(ctx context.Context, p Page) ([]*Track, string, error)
	// ListTracksByAlbum lists by disc number, then track number.
	ListTracksByAlbum(ctx context.Context, albumID string, p Page) ([]*Track, string, error)
	// BatchGetTracks returns the tracks found, in the order of ids; ids not
	// found are skipped.
	BatchGetTracks(ctx context.Context, ids []string) ([]*Track, error)

	// Search finds artists, albums, tracks and public playlists (only the
	// given types; all when types is empty) whose text matches every word of
	// query, each query word matching the start of a word (case-, accent- and
	// punctuation-insensitive) or, when it starts none, a word within a typo
	// (see search.MaxEdits), ranked best first. It never returns a private
	// playlist.
	Search(ctx context.Context, query string, types []ItemType, p Page) ([]SearchHit, string, error)
}

type PlaylistStore interface {
	// CreatePlaylist stores a new playlist with no collaborators and zero
	// counts, whatever pl holds: collaborators join through AddCollaborator,
	// which the owner calls for each, and counts are the store's.
	CreatePlaylist(ctx context.Context, pl *Playlist) error
	GetPlaylist(ctx context.Context, id string) (*Playlist, error)
	// UpdatePlaylist stores pl's Name, Description, Public, Collaborative and
	// UpdateTime; counts and collaborators are kept by their own methods.
	UpdatePlaylist(ctx context.Context, pl *Playlist) error
	// DeletePlaylist removes the playlist, its entries and its follows.
	DeletePlaylist(ctx context.Context, id string) error
	// ListPlaylistsByOwner lists a user's playlists, newest first; with
	// publicOnly only the public ones.
	ListPlaylistsByOwner(ctx context.Context, ownerID string, publicOnly bool, p Page) ([]*Playlist, string, error)

	// ListEntries lists a playlist's entries in playlist order.
	ListEntries(ctx context.Context, playlistID string, p Page) ([]*PlaylistEntry, string, error)
	// AddEntries inserts entries (IDs set by the caller) at zero-based index
	// position, or appends them when position < 0 or past the end, and bumps
	// TrackCount and UpdateTime. It fails KindFailedPrecondition, writing
	// nothing, if the playlist would pass MaxPlaylistEntries, and KindNotFound,
	// writing nothing, if an entry's track does not exist. Concurrent adds to
	// one playlist all land.
	AddEntries(ctx context.Context, playlistID string, entries []*PlaylistEntry, position int) error
	// RemoveEntries removes entries by id; if any id is not in the playlist
	// it fails KindNotFound and removes nothing.
	RemoveEntries(ctx context.Context, playlistID string, entryIDs []string) error
	// MoveEntries moves the entries, in the given order, in front of
	// beforeEntryID, or to the end when it is empty. Unknown ids fail
	// KindNotFound; beforeEntryID among entryIDs fails KindInvalid.
	MoveEntries(ctx context.Context, playlistID string, entryIDs []string, beforeEntryID string) error

	// FollowPlaylist and UnfollowPlaylist are idempotent and keep FollowerCount.
	FollowPlaylist(ctx context.Context, userID, playlistID string) error
	UnfollowPlaylist(ctx context.Context, userID, playlistID string) error
	// IsFollowingPlaylist reports whether the user follows the playlist.
	IsFollowingPlaylist(ctx context.Context, userID, playlistID string) (bool, error)

	// AddCollaborator and RemoveCollaborator are idempotent.
	AddCollaborator(ctx context.Context, playlistID, userID string) error
	RemoveCollaborator(ctx context.Context, playlistID, userID string) error
}
