package app_test

import (
	"context"
	"slices"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	libraryv1 "github.com/backbeat/backbeat/gen/go/backbeat/library/v1"
	playbackv1 "github.com/backbeat/backbeat/gen/go/backbeat/playback/v1"
	playlistv1 "github.com/backbeat/backbeat/gen/go/backbeat/playlist/v1"
	userv1 "github.com/backbeat/backbeat/gen/go/backbeat/user/v1"
	"github.com/backbeat/backbeat/server/app/apptest"
)

func mask(paths ...string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: paths} }

// The principals of the authorization matrix, in the order of its columns.
const (
	anonymous    = iota // no token
	owner               // carol, a listener: owns the playlists
	collaborator        // dave, a listener: collaborator on the private playlist
	listener            // eve, another listener
	artist              // alice, an artist: manages the artist, album and track
	otherArtist         // bob, an artist managing another artist
	admin               // root
	principals
)

var principalNames = [principals]string{"anonymous", "owner", "collaborator", "listener", "artist", "other artist", "admin"}

// ok in the matrix means the call succeeds.
const ok connect.Code = 0

// world is the matrix's cast: a client per principal, and what makes a
// fresh resource for each call, so a call that succeeds (a delete) leaves
// the next one its own.
type world struct {
	clients [principals]apptest.API
	users   map[string]*userv1.User
	bobBand string
}

// resources are made on first use, by their owners: alice's artist, album
// and track; carol's public playlist and her private collaborative one,
// which has dave as collaborator and one track.
type resources struct {
	t                        *testing.T
	w                        *world
	artist, album, track     string
	public, private, entryID string
}

// fresh makes resources for t, on first use.
func (w *world) fresh(t *testing.T) *resources { return &resources{t: t, w: w} }

func (r *resources) Artist() string {
	if r.artist == "" {
		res, err := r.w.clients[artist].Catalog.CreateArtist(apptest.Context(r.t), connect.NewRequest(&catalogv1.CreateArtistRequest{Artist: &catalogv1.Artist{Name: "Alice Band"}}))
		apptest.MustOK(r.t, "alice creates artist", err)
		r.artist = res.Msg.Artist.Id
	}
	return r.artist
}

func (r *resources) Album() string {
	if r.album == "" {
		res, err := r.w.clients[artist].Catalog.CreateAlbum(apptest.Context(r.t), connect.NewRequest(&catalogv1.CreateAlbumRequest{Album: &catalogv1.Album{Title: "First", ArtistIds: []string{r.Artist()}}}))
		apptest.MustOK(r.t, "alice creates album", err)
		r.album = res.Msg.Album.Id
	}
	return r.album
}

func (r *resources) Track() string {
	if r.track == "" {
		res, err := r.w.clients[artist].Catalog.CreateTrack(apptest.Context(r.t), connect.NewRequest(&catalogv1.CreateTrackRequest{Track: &catalogv1.Track{Title: "Song", ArtistIds: []string{r.Artist()}, AlbumId: r.Album()}}))
		apptest.MustOK(r.t, "alice creates track", err)
		r.track = res.Msg.Track.Id
	}
	return r.track
}

// AlbumCreditingBob is an album of alice's artist crediting bob's band
// too, made by an admin (crediting bob's band is bob's call, or an admin's).
func (r *resources) AlbumCreditingBob() string {
	res, err := r.w.clients[admin].Catalog.CreateAlbum(apptest.Context(r.t), connect.NewRequest(&catalogv1.CreateAlbumRequest{Album: &catalogv1.Album{Title: "Duet", ArtistIds: []string{r.Artist(), r.w.bobBand}}}))
	apptest.MustOK(r.t, "root creates an album crediting both bands", err)
	return res.Msg.Album.Id
}

// TrackCreditingBob is likewise a track.
func (r *resources) TrackCreditingBob() string {
	res, err := r.w.clients[admin].Catalog.CreateTrack(apptest.Context(r.t), connect.NewRequest(&catalogv1.CreateTrackRequest{Track: &catalogv1.Track{Title: "Duet", ArtistIds: []string{r.Artist(), r.w.bobBand}}}))
	apptest.MustOK(r.t, "root creates a track crediting both bands", err)
	return res.Msg.Track.Id
}

func (r *resources) Public() string {
	if r.public == "" {
		res, err := r.w.clients[owner].Playlists.CreatePlaylist(apptest.Context(r.t), connect.NewRequest(&playlistv1.CreatePlaylistRequest{Playlist: &playlistv1.Playlist{Name: "Open", Public: true}}))
		apptest.MustOK(r.t, "carol creates public playlist", err)
		r.public = res.Msg.Playlist.Id
	}
	return r.public
}

func (r *resources) Private() string {
	if r.private == "" {
		ctx, c := apptest.Context(r.t), r.w.clients[owner].Playlists
		res, err := c.CreatePlaylist(ctx, connect.NewRequest(&playlistv1.CreatePlaylistRequest{Playlist: &playlistv1.Playlist{Name: "Secret", Collaborative: true}}))
		apptest.MustOK(r.t, "carol creates private playlist", err)
		r.private = res.Msg.Playlist.Id
		_, err = c.AddCollaborator(ctx, connect.NewRequest(&playlistv1.AddCollaboratorRequest{PlaylistId: r.private, UserId: r.w.users["dave"].Id}))
		apptest.MustOK(r.t, "carol adds dave", err)
		added, err := c.AddTracks(ctx, connect.NewRequest(&playlistv1.AddTracksRequest{PlaylistId: r.private, TrackIds: []string{r.Track()}}))
		apptest.MustOK(r.t, "carol adds a track", err)
		r.entryID = added.Msg.Entries[0].EntryId
	}
	return r.private
}

func (r *resources) Entry() string { r.Private(); return r.entryID }

func newWorld(t *testing.T, s *apptest.Server) *world {
	ctx := apptest.Context(t)
	w := &world{users: map[string]*userv1.User{}}
	tokens := map[string]string{}
	for _, name := range []string{"root", "alice", "bob", "carol", "dave", "eve", "target", "victim"} {
		tokens[name], w.users[name] = s.Register(t, name)
	}
	tokens["root"] = s.GrantAdmin(t, "root")
	root := s.As(tokens["root"])
	// Alice and Bob become artists. Roles are read from the account on
	// every request, so the tokens they hold already act as artists'.
	for _, name := range []string{"alice", "bob"} {
		_, err := root.Users.SetUserRoles(ctx, connect.NewRequest(&userv1.SetUserRolesRequest{UserId: w.users[name].Id, Roles: []userv1.Role{userv1.Role_ROLE_ARTIST}}))
		apptest.MustOK(t, "SetUserRoles", err)
	}
	w.clients = [principals]apptest.API{
		anonymous: s.Anon(), owner: s.As(tokens["carol"]), collaborator: s.As(tokens["dave"]), listener: s.As(tokens["eve"]),
		artist: s.As(tokens["alice"]), otherArtist: s.As(tokens["bob"]), admin: root,
	}
	b, err := w.clients[otherArtist].Catalog.CreateArtist(ctx, connect.NewRequest(&catalogv1.CreateArtistRequest{Artist: &catalogv1.Artist{Name: "Bob Band"}}))
	apptest.MustOK(t, "bob creates artist", err)
	w.bobBand = b.Msg.Artist.Id
	return w
}

// codes builds a matrix row: the code for each principal, anonymous first.
func codes(anon, own, collab, other, art, otherArt, adm connect.Code) [principals]connect.Code {
	return [principals]connect.Code{anon, own, collab, other, art, otherArt, adm}
}

const (
	unauth   = connect.CodeUnauthenticated
	denied   = connect.CodePermissionDenied
	notFound = connect.CodeNotFound
	noAudio  = connect.CodeFailedPrecondition
)

var (
	// everyone signed in may: catalog reads, public playlists.
	signedIn = codes(unauth, ok, ok, ok, ok, ok, ok)
	// only who manages the artist, or an admin, may change the catalog.
	manager = codes(unauth, denied, denied, denied, ok, denied, ok)
	// artists (and admins) create catalog entries.
	artists = codes(unauth, denied, denied, denied, ok, ok, ok)
	// the private playlist exists only for its owner, its collaborator and admins.
	privateEdit = codes(unauth, ok, ok, notFound, notFound, notFound, ok)
	ownerOnly   = codes(unauth, ok, denied, notFound, notFound, notFound, ok)
	publicOwner = codes(unauth, ok, denied, denied, denied, denied, ok)
	admins      = codes(unauth, denied, denied, denied, denied, denied, ok)
	// public procedures: no access token needed.
	anyone = codes(ok, ok, ok, ok, ok, ok, ok)
)

// TestAuthorization drives every guarded operation as every kind of
// principal against every kind of resource state and checks the Connect
// code each gets (who may do what, and what is invisible to whom), then what
// refused and permitted changes leave behind.
func TestAuthorization(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	w := newWorld(t, s)
	t.Run("matrix", func(t *testing.T) { authorizationMatrix(t, w) })
	t.Run("effects", func(t *testing.T) { authorizationEffects(t, w) })
}

// authorizationMatrix is the table: operation x principal -> code.
func authorizationMatrix(t *testing.T, w *world) {

	// Read-only operations share one set of resources; the others get
	// fresh ones for every call.
	shared := w.fresh(t)
	shared.Public()
	shared.Entry() // the private playlist, with the artist, album and track
	readOnly := map[string]bool{"GetArtist": true, "GetAlbum": true, "GetTrack": true, "Search": true, "GetPlaylist public": true,
		"GetPlaylist private": true, "StartPlayback in the private playlist (no audio yet)": true, "ListUsers": true, "GetUser": true,
		"AreTracksSaved": true, "ListSavedTracks": true, "AreAlbumsSaved": true, "ListSavedAlbums": true}
	cases := []struct {
		name string
		call func(ctx context.Context, c apptest.API, r *resources) error
		want [principals]connect.Code
	}{
		// Catalog: reads for everyone signed in, changes for its managers.
		{"GetArtist", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Catalog.GetArtist(ctx, connect.NewRequest(&catalogv1.GetArtistRequest{ArtistId: r.Artist()}))
			return err
		}, signedIn},
		{"GetAlbum", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Catalog.GetAlbum(ctx, connect.NewRequest(&catalogv1.GetAlbumRequest{AlbumId: r.Album()}))
			return err
		}, signedIn},
		{"GetTrack", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Catalog.GetTrack(ctx, connect.NewRequest(&catalogv1.GetTrackRequest{TrackId: r.Track()}))
			return err
		}, signedIn},
		{"Search", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Catalog.Search(ctx, connect.NewRequest(&catalogv1.SearchRequest{Query: "song"}))
			return err
		}, signedIn},
		{"CreateArtist", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Catalog.CreateArtist(ctx, connect.NewRequest(&catalogv1.CreateArtistRequest{Artist: &catalogv1.Artist{Name: "New Band"}}))
			return err
		}, artists},
		{"UpdateArtist", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Catalog.UpdateArtist(ctx, connect.NewRequest(&catalogv1.UpdateArtistRequest{Artist: &catalogv1.Artist{Id: r.Artist(), Name: "Renamed"}, UpdateMask: mask("name")}))
			return err
		}, manager},
		{"DeleteArtist", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Catalog.DeleteArtist(ctx, connect.NewRequest(&catalogv1.DeleteArtistRequest{ArtistId: r.Artist()}))
			return err
		}, manager},
		{"CreateAlbum under the artist", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Catalog.CreateAlbum(ctx, connect.NewRequest(&catalogv1.CreateAlbumRequest{Album: &catalogv1.Album{Title: "Second", ArtistIds: []string{r.Artist()}}}))
			return err
		}, manager},
		{"UpdateAlbum", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Catalog.UpdateAlbum(ctx, connect.NewRequest(&catalogv1.UpdateAlbumRequest{Album: &catalogv1.Album{Id: r.Album(), Title: "Stolen"}, UpdateMask: mask("title")}))
			return err
		}, manager},
		{"DeleteAlbum", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Catalog.DeleteAlbum(ctx, connect.NewRequest(&catalogv1.DeleteAlbumRequest{AlbumId: r.Album()}))
			return err
		}, manager},
		{"CreateTrack under the artist", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Catalog.CreateTrack(ctx, connect.NewRequest(&catalogv1.CreateTrackRequest{Track: &catalogv1.Track{Title: "Mine now", ArtistIds: []string{r.Artist()}}}))
			return err
		}, manager},
		{"UpdateTrack", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Catalog.UpdateTrack(ctx, connect.NewRequest(&catalogv1.UpdateTrackRequest{Track: &catalogv1.Track{Id: r.Track(), Explicit: true}, UpdateMask: mask("explicit")}))
			return err
		}, manager},
		{"DeleteTrack", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Catalog.DeleteTrack(ctx, connect.NewRequest(&catalogv1.DeleteTrackRequest{TrackId: r.Track()}))
			return err
		}, manager},
		{"CreateTrackUpload", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Catalog.CreateTrackUpload(ctx, connect.NewRequest(&catalogv1.CreateTrackUploadRequest{TrackId: r.Track(), SizeBytes: 1000}))
			return err
		}, manager},
		// Crediting another's artist is its managers' call: alice, managing
		// the first artist, cannot name bob's band second; only an admin
		// (who manages both) may.
		{"CreateTrack crediting another's artist second", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Catalog.CreateTrack(ctx, connect.NewRequest(&catalogv1.CreateTrackRequest{Track: &catalogv1.Track{Title: "Feat", ArtistIds: []string{r.Artist(), w.bobBand}}}))
			return err
		}, admins},
		{"CreateAlbum crediting another's artist second", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Catalog.CreateAlbum(ctx, connect.NewRequest(&catalogv1.CreateAlbumRequest{Album: &catalogv1.Album{Title: "Feat", ArtistIds: []string{r.Artist(), w.bobBand}}}))
			return err
		}, admins},
		{"UpdateAlbum crediting another's artist", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Catalog.UpdateAlbum(ctx, connect.NewRequest(&catalogv1.UpdateAlbumRequest{Album: &catalogv1.Album{Id: r.Album(), ArtistIds: []string{r.Artist(), w.bobBand}}, UpdateMask: mask("artist_ids")}))
			return err
		}, admins},
		{"UpdateTrack crediting another's artist", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Catalog.UpdateTrack(ctx, connect.NewRequest(&catalogv1.UpdateTrackRequest{Track: &catalogv1.Track{Id: r.Track(), ArtistIds: []string{r.Artist(), w.bobBand}}, UpdateMask: mask("artist_ids")}))
			return err
		}, admins},
		// A credit given (here by an admin) can be taken back by the credited
		// artist's managers, bob, as well as by the album's own.
		{"UpdateAlbum withdrawing bob's band from its credits", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Catalog.UpdateAlbum(ctx, connect.NewRequest(&catalogv1.UpdateAlbumRequest{Album: &catalogv1.Album{Id: r.AlbumCreditingBob(), ArtistIds: []string{r.Artist()}}, UpdateMask: mask("artist_ids")}))
			return err
		}, codes(unauth, denied, denied, denied, ok, ok, ok)},
		{"UpdateTrack withdrawing bob's band from its credits", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Catalog.UpdateTrack(ctx, connect.NewRequest(&catalogv1.UpdateTrackRequest{Track: &catalogv1.Track{Id: r.TrackCreditingBob(), ArtistIds: []string{r.Artist()}}, UpdateMask: mask("artist_ids")}))
			return err
		}, codes(unauth, denied, denied, denied, ok, ok, ok)},
		{"UpdateAlbum title of an album crediting bob's band", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Catalog.UpdateAlbum(ctx, connect.NewRequest(&catalogv1.UpdateAlbumRequest{Album: &catalogv1.Album{Id: r.AlbumCreditingBob(), Title: "Bob's now"}, UpdateMask: mask("title")}))
			return err
		}, manager},

		// Playlists: the public one.
		{"GetPlaylist public", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Playlists.GetPlaylist(ctx, connect.NewRequest(&playlistv1.GetPlaylistRequest{PlaylistId: r.Public()}))
			return err
		}, signedIn},
		{"FollowPlaylist public", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Playlists.FollowPlaylist(ctx, connect.NewRequest(&playlistv1.FollowPlaylistRequest{PlaylistId: r.Public()}))
			return err
		}, signedIn},
		{"AddTracks public, not collaborative", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Playlists.AddTracks(ctx, connect.NewRequest(&playlistv1.AddTracksRequest{PlaylistId: r.Public(), TrackIds: []string{r.Track()}}))
			return err
		}, publicOwner},
		{"UpdatePlaylist public", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Playlists.UpdatePlaylist(ctx, connect.NewRequest(&playlistv1.UpdatePlaylistRequest{Playlist: &playlistv1.Playlist{Id: r.Public(), Name: "Mine"}, UpdateMask: mask("name")}))
			return err
		}, publicOwner},
		{"DeletePlaylist public", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Playlists.DeletePlaylist(ctx, connect.NewRequest(&playlistv1.DeletePlaylistRequest{PlaylistId: r.Public()}))
			return err
		}, publicOwner},

		// Playlists: the private, collaborative one.
		{"GetPlaylist private", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Playlists.GetPlaylist(ctx, connect.NewRequest(&playlistv1.GetPlaylistRequest{PlaylistId: r.Private()}))
			return err
		}, privateEdit},
		{"FollowPlaylist private", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Playlists.FollowPlaylist(ctx, connect.NewRequest(&playlistv1.FollowPlaylistRequest{PlaylistId: r.Private()}))
			return err
		}, privateEdit},
		{"AddTracks private", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Playlists.AddTracks(ctx, connect.NewRequest(&playlistv1.AddTracksRequest{PlaylistId: r.Private(), TrackIds: []string{r.Track()}}))
			return err
		}, privateEdit},
		{"RemoveTracks private", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Playlists.RemoveTracks(ctx, connect.NewRequest(&playlistv1.RemoveTracksRequest{PlaylistId: r.Private(), EntryIds: []string{r.Entry()}}))
			return err
		}, privateEdit},
		{"MoveTracks private", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Playlists.MoveTracks(ctx, connect.NewRequest(&playlistv1.MoveTracksRequest{PlaylistId: r.Private(), EntryIds: []string{r.Entry()}}))
			return err
		}, privateEdit},
		{"UpdatePlaylist private", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Playlists.UpdatePlaylist(ctx, connect.NewRequest(&playlistv1.UpdatePlaylistRequest{Playlist: &playlistv1.Playlist{Id: r.Private(), Name: "Bob's"}, UpdateMask: mask("name")}))
			return err
		}, ownerOnly},
		{"DeletePlaylist private", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Playlists.DeletePlaylist(ctx, connect.NewRequest(&playlistv1.DeletePlaylistRequest{PlaylistId: r.Private()}))
			return err
		}, ownerOnly},
		{"AddCollaborator private", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Playlists.AddCollaborator(ctx, connect.NewRequest(&playlistv1.AddCollaboratorRequest{PlaylistId: r.Private(), UserId: w.users["target"].Id}))
			return err
		}, ownerOnly},
		{"RemoveCollaborator private: the collaborator may leave", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Playlists.RemoveCollaborator(ctx, connect.NewRequest(&playlistv1.RemoveCollaboratorRequest{PlaylistId: r.Private(), UserId: w.users["dave"].Id}))
			return err
		}, privateEdit},
		{"StartPlayback in the private playlist (no audio yet)", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Playback.StartPlayback(ctx, connect.NewRequest(&playbackv1.StartPlaybackRequest{
				Context: &playbackv1.PlaybackContext{Context: &playbackv1.PlaybackContext_PlaylistId{PlaylistId: r.Private()}}}))
			return err
		}, codes(unauth, noAudio, noAudio, notFound, notFound, notFound, noAudio)},

		// Library: every signed-in user has one, and only their own.
		{"SaveTracks", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Library.SaveTracks(ctx, connect.NewRequest(&libraryv1.SaveTracksRequest{TrackIds: []string{r.Track()}}))
			return err
		}, signedIn},
		{"RemoveSavedTracks", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Library.RemoveSavedTracks(ctx, connect.NewRequest(&libraryv1.RemoveSavedTracksRequest{TrackIds: []string{r.Track()}}))
			return err
		}, signedIn},
		{"AreTracksSaved", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Library.AreTracksSaved(ctx, connect.NewRequest(&libraryv1.AreTracksSavedRequest{TrackIds: []string{r.Track()}}))
			return err
		}, signedIn},
		{"ListSavedTracks", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Library.ListSavedTracks(ctx, connect.NewRequest(&libraryv1.ListSavedTracksRequest{}))
			return err
		}, signedIn},
		{"SaveAlbums", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Library.SaveAlbums(ctx, connect.NewRequest(&libraryv1.SaveAlbumsRequest{AlbumIds: []string{r.Album()}}))
			return err
		}, signedIn},
		{"RemoveSavedAlbums", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Library.RemoveSavedAlbums(ctx, connect.NewRequest(&libraryv1.RemoveSavedAlbumsRequest{AlbumIds: []string{r.Album()}}))
			return err
		}, signedIn},
		{"AreAlbumsSaved", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Library.AreAlbumsSaved(ctx, connect.NewRequest(&libraryv1.AreAlbumsSavedRequest{AlbumIds: []string{r.Album()}}))
			return err
		}, signedIn},
		{"ListSavedAlbums", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Library.ListSavedAlbums(ctx, connect.NewRequest(&libraryv1.ListSavedAlbumsRequest{}))
			return err
		}, signedIn},
		{"StartPlayback in liked songs (nothing saved)", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Playback.StartPlayback(ctx, connect.NewRequest(&playbackv1.StartPlaybackRequest{TrackId: r.Track(),
				Context: &playbackv1.PlaybackContext{Context: &playbackv1.PlaybackContext_LikedSongs{LikedSongs: true}}}))
			return err
		}, codes(unauth, notFound, notFound, notFound, notFound, notFound, notFound)},

		// Users.
		{"ListUsers", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Users.ListUsers(ctx, connect.NewRequest(&userv1.ListUsersRequest{}))
			return err
		}, admins},
		{"SetUserRoles", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Users.SetUserRoles(ctx, connect.NewRequest(&userv1.SetUserRolesRequest{UserId: w.users["target"].Id, Roles: []userv1.Role{userv1.Role_ROLE_ARTIST}}))
			return err
		}, admins},
		{"GetUser", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Users.GetUser(ctx, connect.NewRequest(&userv1.GetUserRequest{UserId: w.users["alice"].Id}))
			return err
		}, signedIn},
		// Disabling, enabling and ending the sessions of an account are the
		// admin's; victim is no principal of the matrix, so its revocation
		// disturbs no other row.
		{"DisableUser", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Users.DisableUser(ctx, connect.NewRequest(&userv1.DisableUserRequest{UserId: w.users["victim"].Id}))
			return err
		}, admins},
		{"EnableUser", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Users.EnableUser(ctx, connect.NewRequest(&userv1.EnableUserRequest{UserId: w.users["victim"].Id}))
			return err
		}, admins},
		{"EndUserSessions", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Users.EndUserSessions(ctx, connect.NewRequest(&userv1.EndUserSessionsRequest{UserId: w.users["victim"].Id}))
			return err
		}, admins},
		{"DisableUser of oneself", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Users.DisableUser(ctx, connect.NewRequest(&userv1.DisableUserRequest{UserId: w.users["root"].Id}))
			return err
		}, codes(unauth, denied, denied, denied, denied, denied, connect.CodeFailedPrecondition)},
		{"FollowArtist", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Users.FollowArtist(ctx, connect.NewRequest(&userv1.FollowArtistRequest{ArtistId: r.Artist()}))
			return err
		}, signedIn},
		// Logout is public: the refresh token is its authority, and an
		// unknown one is already as revoked as can be.
		{"Logout an unknown refresh token", func(ctx context.Context, c apptest.API, r *resources) error {
			_, err := c.Users.Logout(ctx, connect.NewRequest(&userv1.LogoutRequest{RefreshToken: "not-a-refresh-token"}))
			return err
		}, anyone},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for who, want := range tc.want {
				r := shared
				if !readOnly[tc.name] {
					r = w.fresh(t)
				}
				err := tc.call(apptest.Context(t), w.clients[who], r)
				if got := connect.CodeOf(err); err == nil && want != ok || err != nil && got != want {
					t.Errorf("%s: got %s, want %s", principalNames[who], outcome(err), codeName(want))
				}
			}
		})
	}
}

// codeName prints a matrix cell's expectation.
func codeName(c connect.Code) string {
	if c == ok {
		return "ok"
	}
	return c.String()
}

// outcome prints what a call got.
func outcome(err error) string {
	if err == nil {
		return "ok"
	}
	return connect.CodeOf(err).String() + " (" + err.Error() + ")"
}

// authorizationEffects checks what a refused or permitted change leaves
// behind, and what each user sees of others: the assertions beyond codes.
func authorizationEffects(t *testing.T, w *world) {
	ctx := apptest.Context(t)
	r := w.fresh(t)
	carol, bob, root := w.clients[owner], w.clients[otherArtist], w.clients[admin]

	t.Run("a refused album update changes nothing", func(t *testing.T) {
		_, err := bob.Catalog.UpdateAlbum(ctx, connect.NewRequest(&catalogv1.UpdateAlbumRequest{
			Album: &catalogv1.Album{Id: r.Album(), Title: "Stolen"}, UpdateMask: mask("title")}))
		apptest.WantCode(t, err, connect.CodePermissionDenied)
		got, err := carol.Catalog.GetAlbum(ctx, connect.NewRequest(&catalogv1.GetAlbumRequest{AlbumId: r.Album()}))
		apptest.MustOK(t, "GetAlbum", err)
		if got.Msg.Album.Title != "First" {
			t.Fatalf("album title %q after a refused update, want First", got.Msg.Album.Title)
		}
	})
	t.Run("the caller's own session RPCs need a token", func(t *testing.T) {
		anon := w.clients[anonymous]
		_, err := anon.Users.LogoutEverywhere(ctx, connect.NewRequest(&userv1.LogoutEverywhereRequest{}))
		apptest.WantCode(t, err, connect.CodeUnauthenticated)
		_, err = anon.Users.ChangePassword(ctx, connect.NewRequest(&userv1.ChangePasswordRequest{CurrentPassword: apptest.Password, NewPassword: "another passphrase"}))
		apptest.WantCode(t, err, connect.CodeUnauthenticated)
	})
	t.Run("ListUsers filters by prefix for admins", func(t *testing.T) {
		res, err := root.Users.ListUsers(ctx, connect.NewRequest(&userv1.ListUsersRequest{UsernamePrefix: "a"}))
		apptest.MustOK(t, "ListUsers", err)
		if len(res.Msg.Users) != 1 || res.Msg.Users[0].Username != "alice" {
			t.Fatalf("ListUsers(prefix a) = %v, want just alice", res.Msg.Users)
		}
	})
	t.Run("another user's private playlists are not listed", func(t *testing.T) {
		private := r.Private()
		for who := owner; who < principals; who++ {
			seesPrivate, token := false, ""
			for {
				list, err := w.clients[who].Playlists.ListPlaylists(ctx, connect.NewRequest(&playlistv1.ListPlaylistsRequest{UserId: w.users["carol"].Id, PageSize: 50, PageToken: token}))
				apptest.MustOK(t, "ListPlaylists", err)
				for _, p := range list.Msg.Playlists {
					seesPrivate = seesPrivate || p.Id == private
					if !p.Public && who != owner && who != admin {
						t.Errorf("%s is shown carol's private playlist %s", principalNames[who], p.Id)
					}
				}
				if token = list.Msg.NextPageToken; token == "" {
					break
				}
			}
			if want := who == owner || who == admin; seesPrivate != want {
				t.Errorf("%s sees carol's private playlist: %v, want %v", principalNames[who], seesPrivate, want)
			}
		}
	})
	t.Run("collaborators' additions are credited to them", func(t *testing.T) {
		_, err := w.clients[collaborator].Playlists.AddTracks(ctx, connect.NewRequest(&playlistv1.AddTracksRequest{PlaylistId: r.Private(), TrackIds: []string{r.Track()}}))
		apptest.MustOK(t, "collaborator adds", err)
		got, err := carol.Playlists.GetPlaylist(ctx, connect.NewRequest(&playlistv1.GetPlaylistRequest{PlaylistId: r.Private()}))
		apptest.MustOK(t, "owner reads", err)
		if got.Msg.Playlist.Name != "Secret" || len(got.Msg.Entries) != 2 || got.Msg.Entries[1].AddedByUserId != w.users["dave"].Id {
			t.Fatalf("playlist after collaboration = %v, %v", got.Msg.Playlist, got.Msg.Entries)
		}
	})
	t.Run("a library is its owner's alone", func(t *testing.T) {
		_, err := carol.Library.SaveTracks(ctx, connect.NewRequest(&libraryv1.SaveTracksRequest{TrackIds: []string{r.Track()}}))
		apptest.MustOK(t, "SaveTracks", err)
		for who, want := range map[int]bool{owner: true, otherArtist: false, admin: false} {
			got, err := w.clients[who].Library.AreTracksSaved(ctx, connect.NewRequest(&libraryv1.AreTracksSavedRequest{TrackIds: []string{r.Track()}}))
			apptest.MustOK(t, "AreTracksSaved", err)
			if got.Msg.Saved[0] != want {
				t.Errorf("%s sees the track saved: %v, want %v", principalNames[who], got.Msg.Saved[0], want)
			}
		}
		list, err := bob.Library.ListSavedTracks(ctx, connect.NewRequest(&libraryv1.ListSavedTracksRequest{PageSize: 100}))
		apptest.MustOK(t, "ListSavedTracks", err)
		for _, it := range list.Msg.Items {
			if it.Track.Id == r.Track() {
				t.Fatal("bob's saved tracks list the track carol saved")
			}
		}
	})
	t.Run("GetUser hides other users' email", func(t *testing.T) {
		res, err := carol.Users.GetUser(ctx, connect.NewRequest(&userv1.GetUserRequest{UserId: w.users["alice"].Id}))
		apptest.MustOK(t, "GetUser", err)
		if res.Msg.User.Email != "" || res.Msg.User.Username != "alice" {
			t.Fatalf("GetUser(alice) by carol = %v, want a profile without email", res.Msg.User)
		}
		if !slices.Contains(res.Msg.User.Roles, userv1.Role_ROLE_ARTIST) {
			t.Fatalf("alice's roles %v, want artist", res.Msg.User.Roles)
		}
	})
}
