package domain

import (
	"slices"
	"time"
)

// Role is what a user may do. Every user is at least a listener.
type Role string

const (
	RoleListener Role = "listener"
	RoleArtist   Role = "artist"
	RoleAdmin    Role = "admin"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleListener || r == RoleArtist || r == RoleAdmin }

type User struct {
	ID          string
	Username    string
	Email       string
	DisplayName string
	Roles       []Role
	// PasswordHash is empty for users signed in through an external issuer.
	PasswordHash string
	// ExternalIssuer and ExternalSubject map an external OIDC identity
	// (iss, sub) to this user; both empty for local users.
	ExternalIssuer  string
	ExternalSubject string
	// Disabled accounts cannot sign in, refresh or use any token.
	Disabled bool
	// SessionEpoch is when the account's sessions last ended all at once
	// (Unix microseconds; 0 never): every access token and refresh session
	// carries the epoch it was issued under, and one older than this is
	// refused. Stores keep it apart from UpdateUser (see UserStore).
	SessionEpoch int64
	CreateTime   time.Time
	UpdateTime   time.Time
}

// HasRole reports whether u has role r.
func (u *User) HasRole(r Role) bool { return slices.Contains(u.Roles, r) }

// Session is a refresh token's server side. Only the token's hash is kept, so
// a leaked database does not leak usable tokens.
type Session struct {
	TokenHash string
	UserID    string
	// FamilyID names the chain of rotations a Login started: the first
	// session's token hash, carried over by every Refresh. Sessions stored
	// before families existed have none ("").
	FamilyID string
	// Epoch is the user's SessionEpoch when the session was issued; the
	// session is dead once the user's epoch has moved past it.
	Epoch      int64
	CreateTime time.Time
	ExpireTime time.Time
}

// ConsumedSession remembers a rotated refresh token's hash and its family
// until ExpireTime, so presenting the token again (a sign that it was
// stolen) can be told from an unknown token and revoke the family.
type ConsumedSession struct {
	TokenHash  string
	FamilyID   string
	ExpireTime time.Time
}

type Artist struct {
	ID       string
	Name     string
	Bio      string
	Genres   []string
	ImageURL string
	// OwnerIDs are the users who manage the artist.
	OwnerIDs   []string
	CreateTime time.Time
	UpdateTime time.Time
}

type AlbumType string

const (
	AlbumTypeAlbum       AlbumType = "album"
	AlbumTypeSingle      AlbumType = "single"
	AlbumTypeEP          AlbumType = "ep"
	AlbumTypeCompilation AlbumType = "compilation"
)

type Album struct {
	ID    string
	Title string
	// ArtistIDs[0] is the primary artist: its owners manage the album.
	ArtistIDs   []string
	Type        AlbumType
	Genres      []string
	ReleaseDate string
	ArtworkURL  string
	// TrackCount is kept by the store.
	TrackCount int
	CreateTime time.Time
	UpdateTime time.Time
}

type TrackStatus string

const (
	TrackPendingUpload TrackStatus = "pending_upload"
	TrackProcessing    TrackStatus = "processing"
	TrackReady         TrackStatus = "ready"
	TrackFailed        TrackStatus = "failed"
)

type Track struct {
	ID    string
	Title string
	// ArtistIDs[0] is the primary artist: its owners manage the track.
	ArtistIDs    []string
	AlbumID      string
	DiscNumber   int
	TrackNumber  int
	Genres       []string
	Duration     time.Duration
	Explicit     bool
	ReleaseDate  string
	ISRC         string
	ArtworkURL   string
	Status       TrackStatus
	StatusReason string
	// MediaID and Loudness are set by transcoding (see TrackMedia).
	MediaID  string
	Loudness Loudness
	// PlayCount is kept by the store.
	PlayCount  int64
	CreateTime time.Time
	UpdateTime time.Time
}

type Playlist struct {
	ID              string
	OwnerID         string
	Name            string
	Description     string
	Public          bool
	Collaborative   bool
	CollaboratorIDs []string
	// TrackCount and FollowerCount are kept by the store.
	TrackCount    int
	FollowerCount int64
	CreateTime    time.Time
	UpdateTime    time.Time
}

// PlaylistEntry is one slot in a playlist. The same track may fill several.
type PlaylistEntry struct {
	ID      string
	TrackID string
	AddedBy string
	AddTime time.Time
}

// ItemType names what a search result is.
type ItemType string

const (
	ItemTrack  ItemType = "track"
	ItemAlbum  ItemType = "album"
	ItemArtist ItemType = "artist"
)

// SearchHit is one ranked search result; exactly one of the pointers is set.
// Exact says the query's words are the hit's own name's words (in any
// order): an artist so named is the top result.
type SearchHit struct {
	Score    float64
	Exact    bool
	Track    *Track
	Album    *Album
	Artist   *Artist
	Playlist *Playlist
}

// Limits a real deployment relies on; the edge validates against them.
const (
	MaxPlaylistEntries = 10_000
	MaxBatch           = 100
	MaxPageSize        = 500
)
