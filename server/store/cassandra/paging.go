package cassandra

// Page tokens are pagetoken.Cursors, shared with the other store: where the
// previous page stopped, in the listing's clustering order, so the next page
// starts with a slice of the same partition (or the next bucket) rather than
// skipping rows.

// Listings, as pagetoken.Cursor.List values.
const (
	ofUsers          = "users"
	ofFollowed       = "followed_artists"
	ofArtists        = "artists"
	ofAlbums         = "albums"
	ofTracks         = "tracks"
	ofAlbumsByArtist = "albums_by_artist"
	ofTracksByAlbum  = "tracks_by_album"
	ofPlaylists      = "playlists_by_owner"
	ofEntries        = "entries"
	ofPlays          = "plays"
	// ofLibrary + kind: a user's saved tracks or albums.
	ofLibrary = "library_"
)
