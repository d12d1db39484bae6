package embedded

// Page tokens are pagetoken.Cursors, shared with the other store: where the
// previous page stopped, in the list's sort key, so the next page is an
// index seek whatever its depth, and rows added or removed meanwhile neither
// repeat nor skip the rest.

// Listings, as pagetoken.Cursor.List values.
const (
	listUsers          = "users"
	listFollowed       = "followed"
	listArtists        = "artists"
	listAlbums         = "albums"
	listAlbumsByArtist = "albums_by_artist"
	listTracks         = "tracks"
	listTracksByAlbum  = "tracks_by_album"
	listSearch         = "search"
	listPlaylists      = "playlists_by_owner"
	listEntries        = "entries"
	listPlays          = "plays"
	// listLibrary + kind: a user's saved tracks or albums.
	listLibrary = "library_"
)
