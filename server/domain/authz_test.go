package domain_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/store/embedded"
)

// The authorization matrix: who may do what to which resource, decided by the
// domain alone (the edge only maps each kind to its Connect code, in
// server/api/apierr). Each table row is one operation on one resource state;
// its outcomes list, per principal in the order of principalNames, the kind
// of error the domain answers, or allow.
//
// A refused call must change nothing: every refused case compares its target
// before and after.

// Outcomes besides the domain's error kinds.
const (
	allow = domain.Kind(-1)
	// unasserted marks a cell the matrix leaves open: an anonymous caller
	// whose call the domain lets through to a write under an empty user id.
	// The edge never lets it get that far (the auth interceptor answers
	// unauthenticated first), and what a store makes of it is its business.
	unasserted = domain.Kind(-2)

	notFound = domain.KindNotFound
	denied   = domain.KindPermissionDenied
	precond  = domain.KindFailedPrecondition
	unauth   = domain.KindUnauthenticated
)

// The principals, one column each.
const (
	anonymous      = iota // the zero Principal: to the domain, a stranger with no role
	listener              // alice: owns the playlists below
	otherListener         // bob: a collaborator where the state says so
	ownerArtist           // ana: an artist managing artist A, which the album and track belong to
	otherArtist           // ben: an artist managing artist B only
	admin                 // root
	principalCount        // the number of columns
)

var principalNames = [principalCount]string{"anonymous", "listener", "other_listener", "owner_artist", "other_artist", "admin"}

// outcomes are one row's cells, in column order:
//
//	outcomes{anonymous, listener, other_listener, owner_artist, other_artist, admin}
type outcomes [principalCount]domain.Kind

// authz is the domain over a real embedded store, with the users every case
// shares. Each case makes its own resources, so cases cannot disturb each
// other.
type authz struct {
	ctx       context.Context
	stores    domain.Stores
	users     *domain.Users
	catalog   *domain.Catalog
	playlists *domain.Playlists
	media     *domain.Media
	playback  *domain.Playback

	who [principalCount]domain.Principal
	// artistA is managed by ana, artistB by ben; track is a ready track of
	// artistA, in album.
	artistA, artistB *domain.Artist
	album            *domain.Album
	track            *domain.Track
	// gone is a user who deleted their account.
	gone domain.Principal
	// made counts the users cases made, for unique names.
	made int
}

// fakeSigner signs nothing: the matrix is about who gets a URL, not its form.
type fakeSigner struct{}

func (fakeSigner) UploadURL(trackID, uploadID, userID string) (string, time.Time) {
	return "upload/" + trackID + "/" + uploadID, time.Now().Add(time.Hour)
}

func (fakeSigner) PlaybackURLs(trackID, mediaID, userID string) domain.MediaURLs {
	return domain.MediaURLs{HLS: "hls/" + mediaID, DASH: "dash/" + mediaID, Progressive: "file/" + mediaID, Expire: time.Now().Add(time.Hour)}
}

// discard takes transcode jobs and play events and drops them.
type discard struct{}

func (discard) EnqueueTranscode(context.Context, domain.TranscodeJob) error { return nil }

func (discard) PublishPlayEvents(context.Context, string, []domain.PlayEvent) error { return nil }

func newAuthz(t *testing.T) *authz {
	t.Helper()
	ctx := t.Context()
	s, err := embedded.Open(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	stores := s.Stores()
	a := &authz{ctx: ctx, stores: stores}
	// A nil janitor schedules no media cleanup: there is no media here.
	a.users = domain.NewUsers(stores, nil, domain.UsersConfig{})
	a.catalog = domain.NewCatalog(stores, nil, nil)
	a.playlists = domain.NewPlaylists(stores, nil)
	a.media = domain.NewMedia(stores, a.catalog, discard{}, nil, fakeSigner{}, 1<<20)
	a.playback = domain.NewPlayback(stores, a.playlists, fakeSigner{}, discard{}, nil)

	a.who[listener] = a.newUser(t, "alice")
	a.who[otherListener] = a.newUser(t, "bob")
	a.who[ownerArtist] = a.newUser(t, "ana", domain.RoleArtist)
	a.who[otherArtist] = a.newUser(t, "ben", domain.RoleArtist)
	a.who[admin] = a.newUser(t, "root", domain.RoleAdmin)
	a.gone = a.newUser(t, "gone")
	if err := a.users.DeleteMe(ctx, a.gone); err != nil {
		t.Fatal(err)
	}

	a.artistA = a.newArtist(t, ownerArtist)
	a.artistB = a.newArtist(t, otherArtist)
	a.album = a.newAlbum(t, a.artistA.ID)
	a.track = a.newTrack(t, a.artistA.ID, a.album.ID, true)
	return a
}

func (a *authz) newUser(t *testing.T, name string, roles ...domain.Role) domain.Principal {
	t.Helper()
	roles = append([]domain.Role{domain.RoleListener}, roles...)
	u := &domain.User{ID: domain.NewID(), Username: name, Email: name + "@example.com", DisplayName: name, Roles: roles}
	if err := a.stores.Users.CreateUser(a.ctx, u); err != nil {
		t.Fatal(err)
	}
	return domain.Principal{UserID: u.ID, Roles: roles}
}

func (a *authz) newArtist(t *testing.T, manager int) *domain.Artist {
	t.Helper()
	ar, err := a.catalog.CreateArtist(a.ctx, a.who[manager], &domain.Artist{Name: principalNames[manager] + "'s band"})
	if err != nil {
		t.Fatal(err)
	}
	return ar
}

func (a *authz) newAlbum(t *testing.T, artistID string) *domain.Album {
	t.Helper()
	al, err := a.catalog.CreateAlbum(a.ctx, a.who[admin], &domain.Album{Title: "Album", ArtistIDs: []string{artistID}})
	if err != nil {
		t.Fatal(err)
	}
	return al
}

// newTrack makes a track; a ready one has transcoded media to play.
func (a *authz) newTrack(t *testing.T, artistID, albumID string, ready bool) *domain.Track {
	t.Helper()
	tr, err := a.catalog.CreateTrack(a.ctx, a.who[admin], &domain.Track{Title: "Song", ArtistIDs: []string{artistID}, AlbumID: albumID})
	if err != nil {
		t.Fatal(err)
	}
	if ready {
		tm := domain.TrackMedia{Status: domain.TrackReady, MediaID: domain.NewID(), Duration: 3 * time.Minute}
		if err := a.stores.Catalog.SetTrackMedia(a.ctx, tr.ID, tm); err != nil {
			t.Fatal(err)
		}
	}
	return tr
}

// target is what one case acts on; the ids it does not need stay empty.
type target struct {
	playlistID string
	entryIDs   []string
	artistID   string
	albumID    string
	trackID    string
	userID     string
}

// The playlist states. Alice owns every playlist, holding the shared track
// twice.
type playlistState struct {
	name  string
	setup func(t *testing.T, a *authz) target
}

func (a *authz) playlist(t *testing.T, public, collaborative bool) target {
	t.Helper()
	alice := a.who[listener]
	pl, err := a.playlists.Create(a.ctx, alice, &domain.Playlist{Name: "Mix", Public: public, Collaborative: collaborative})
	if err != nil {
		t.Fatal(err)
	}
	entries, _, err := a.playlists.AddTracks(a.ctx, alice, pl.ID, []string{a.track.ID, a.track.ID}, -1)
	if err != nil {
		t.Fatal(err)
	}
	return target{playlistID: pl.ID, entryIDs: []string{entries[0].ID, entries[1].ID}}
}

func (a *authz) update(t *testing.T, tg target, pl *domain.Playlist, fields ...string) {
	t.Helper()
	pl.ID = tg.playlistID
	if _, err := a.playlists.Update(a.ctx, a.who[listener], pl, fields); err != nil {
		t.Fatal(err)
	}
}

func (a *authz) invite(t *testing.T, tg target, who int) {
	t.Helper()
	if _, err := a.playlists.AddCollaborator(a.ctx, a.who[listener], tg.playlistID, a.who[who].UserID); err != nil {
		t.Fatal(err)
	}
}

var (
	publicPlaylist = playlistState{"public", func(t *testing.T, a *authz) target {
		return a.playlist(t, true, false)
	}}
	privatePlaylist = playlistState{"private", func(t *testing.T, a *authz) target {
		return a.playlist(t, false, false)
	}}
	collaborativePlaylist = playlistState{"private_bob_collaborates", func(t *testing.T, a *authz) target {
		tg := a.playlist(t, false, true)
		a.invite(t, tg, otherListener)
		return tg
	}}
	// Collaborators stay listed when the owner turns collaboration off: they
	// still see the playlist, but no longer edit its tracks.
	noLongerCollaborativePlaylist = playlistState{"private_bob_collaborated_before_collaboration_ended", func(t *testing.T, a *authz) target {
		tg := a.playlist(t, false, true)
		a.invite(t, tg, otherListener)
		a.update(t, tg, &domain.Playlist{Collaborative: false}, "collaborative")
		return tg
	}}
	publicCollaborativePlaylist = playlistState{"public_collaborative_bob_not_invited", func(t *testing.T, a *authz) target {
		return a.playlist(t, true, true)
	}}
	// Bob followed it while it was public; then Alice made it private.
	followedThenPrivatePlaylist = playlistState{"private_bob_followed_while_public", func(t *testing.T, a *authz) target {
		tg := a.playlist(t, true, false)
		if err := a.playlists.Follow(a.ctx, a.who[otherListener], tg.playlistID); err != nil {
			t.Fatal(err)
		}
		a.update(t, tg, &domain.Playlist{Public: false}, "public")
		return tg
	}}
	deletedPlaylist = playlistState{"deleted", func(t *testing.T, a *authz) target {
		tg := a.playlist(t, true, true)
		if err := a.playlists.Delete(a.ctx, a.who[listener], tg.playlistID); err != nil {
			t.Fatal(err)
		}
		return tg
	}}
)

type op func(a *authz, p domain.Principal, tg target) error

type authzCase struct {
	op    string
	state string
	setup func(t *testing.T, a *authz) target
	do    op
	want  outcomes
}

// onPlaylist builds the cases of one playlist operation, one per state.
func onPlaylist(name string, do op, rows ...playlistRow) []authzCase {
	cases := make([]authzCase, 0, len(rows))
	for _, r := range rows {
		cases = append(cases, authzCase{op: name, state: r.state.name, setup: r.state.setup, do: do, want: r.want})
	}
	return cases
}

type playlistRow struct {
	state playlistState
	want  outcomes
}

func row(s playlistState, want outcomes) playlistRow { return playlistRow{s, want} }

func playlistCases() []authzCase {
	var cases []authzCase
	add := func(cs []authzCase) { cases = append(cases, cs...) }

	// Reading: a playlist the caller may not see does not exist for them.
	add(onPlaylist("get", getPlaylist,
		row(publicPlaylist, outcomes{allow, allow, allow, allow, allow, allow}),
		row(privatePlaylist, outcomes{notFound, allow, notFound, notFound, notFound, allow}),
		row(collaborativePlaylist, outcomes{notFound, allow, allow, notFound, notFound, allow}),
		row(noLongerCollaborativePlaylist, outcomes{notFound, allow, allow, notFound, notFound, allow}),
		row(publicCollaborativePlaylist, outcomes{allow, allow, allow, allow, allow, allow}),
		row(followedThenPrivatePlaylist, outcomes{notFound, allow, notFound, notFound, notFound, allow}),
		row(deletedPlaylist, outcomes{notFound, notFound, notFound, notFound, notFound, notFound}),
	))
	// Details and deletion: the owner and admins; a visible playlist is
	// refused, an invisible one stays not found.
	for _, o := range []struct {
		name string
		do   op
	}{{"update", renamePlaylist}, {"delete", deletePlaylist}} {
		add(onPlaylist(o.name, o.do,
			row(publicPlaylist, outcomes{denied, allow, denied, denied, denied, allow}),
			row(privatePlaylist, outcomes{notFound, allow, notFound, notFound, notFound, allow}),
			row(collaborativePlaylist, outcomes{notFound, allow, denied, notFound, notFound, allow}),
			row(noLongerCollaborativePlaylist, outcomes{notFound, allow, denied, notFound, notFound, allow}),
			row(publicCollaborativePlaylist, outcomes{denied, allow, denied, denied, denied, allow}),
			row(deletedPlaylist, outcomes{notFound, notFound, notFound, notFound, notFound, notFound}),
		))
	}
	// Tracks: the owner, admins and, while the playlist is collaborative,
	// its collaborators.
	for _, o := range []struct {
		name string
		do   op
	}{{"add_tracks", addTracks}, {"remove_tracks", removeTracks}, {"move_tracks", moveTracks}} {
		add(onPlaylist(o.name, o.do,
			row(publicPlaylist, outcomes{denied, allow, denied, denied, denied, allow}),
			row(privatePlaylist, outcomes{notFound, allow, notFound, notFound, notFound, allow}),
			row(collaborativePlaylist, outcomes{notFound, allow, allow, notFound, notFound, allow}),
			row(noLongerCollaborativePlaylist, outcomes{notFound, allow, denied, notFound, notFound, allow}),
			row(publicCollaborativePlaylist, outcomes{denied, allow, denied, denied, denied, allow}),
			row(deletedPlaylist, outcomes{notFound, notFound, notFound, notFound, notFound, notFound}),
		))
	}
	// Collaborators: the owner invites, on a collaborative playlist only.
	add(onPlaylist("add_collaborator", addCollaborator,
		row(publicPlaylist, outcomes{denied, precond, denied, denied, denied, precond}),
		row(privatePlaylist, outcomes{notFound, precond, notFound, notFound, notFound, precond}),
		row(collaborativePlaylist, outcomes{notFound, allow, denied, notFound, notFound, allow}),
		row(publicCollaborativePlaylist, outcomes{denied, allow, denied, denied, denied, allow}),
		row(deletedPlaylist, outcomes{notFound, notFound, notFound, notFound, notFound, notFound}),
	))
	// Inviting someone whose account is gone: the owner learns the user does
	// not exist; anyone else is refused first.
	add(onPlaylist("add_deleted_user_as_collaborator", addGoneCollaborator,
		row(publicCollaborativePlaylist, outcomes{denied, notFound, denied, denied, denied, notFound}),
	))
	// Removing Bob: the owner does, and Bob may leave himself.
	add(onPlaylist("remove_collaborator_bob", removeBob,
		row(publicPlaylist, outcomes{denied, allow, allow, denied, denied, allow}),
		row(privatePlaylist, outcomes{notFound, allow, notFound, notFound, notFound, allow}),
		row(collaborativePlaylist, outcomes{notFound, allow, allow, notFound, notFound, allow}),
		row(noLongerCollaborativePlaylist, outcomes{notFound, allow, allow, notFound, notFound, allow}),
		row(deletedPlaylist, outcomes{notFound, notFound, notFound, notFound, notFound, notFound}),
	))
	// Following needs sight of the playlist; letting go of one followed
	// before it turned private works.
	add(onPlaylist("follow", followPlaylist,
		row(publicPlaylist, outcomes{unasserted, allow, allow, allow, allow, allow}),
		row(privatePlaylist, outcomes{notFound, allow, notFound, notFound, notFound, allow}),
		row(collaborativePlaylist, outcomes{notFound, allow, allow, notFound, notFound, allow}),
		row(deletedPlaylist, outcomes{notFound, notFound, notFound, notFound, notFound, notFound}),
	))
	add(onPlaylist("unfollow", unfollowPlaylist,
		row(publicPlaylist, outcomes{unasserted, allow, allow, allow, allow, allow}),
		row(privatePlaylist, outcomes{notFound, allow, notFound, notFound, notFound, allow}),
		row(followedThenPrivatePlaylist, outcomes{notFound, allow, allow, notFound, notFound, allow}),
		row(deletedPlaylist, outcomes{notFound, notFound, notFound, notFound, notFound, notFound}),
	))
	// Playing from a playlist needs sight of it, and a playback needs a
	// listener: an anonymous caller is refused before anything is looked up.
	add(onPlaylist("start_playback_in_playlist", playFromPlaylist,
		row(publicPlaylist, outcomes{unauth, allow, allow, allow, allow, allow}),
		row(privatePlaylist, outcomes{unauth, allow, notFound, notFound, notFound, allow}),
		row(collaborativePlaylist, outcomes{unauth, allow, allow, notFound, notFound, allow}),
		row(followedThenPrivatePlaylist, outcomes{unauth, allow, notFound, notFound, notFound, allow}),
		row(deletedPlaylist, outcomes{unauth, notFound, notFound, notFound, notFound, notFound}),
	))
	return cases
}

func getPlaylist(a *authz, p domain.Principal, tg target) error {
	pl, entries, _, err := a.playlists.Get(a.ctx, p, tg.playlistID, domain.Page{Size: 10})
	if err == nil && (pl.ID != tg.playlistID || len(entries) != len(tg.entryIDs)) {
		return fmt.Errorf("got playlist %s with %d entries, want %s with %d", pl.ID, len(entries), tg.playlistID, len(tg.entryIDs))
	}
	return err
}

func renamePlaylist(a *authz, p domain.Principal, tg target) error {
	_, err := a.playlists.Update(a.ctx, p, &domain.Playlist{ID: tg.playlistID, Name: "Renamed"}, []string{"name"})
	return err
}

func deletePlaylist(a *authz, p domain.Principal, tg target) error {
	return a.playlists.Delete(a.ctx, p, tg.playlistID)
}

func addTracks(a *authz, p domain.Principal, tg target) error {
	_, _, err := a.playlists.AddTracks(a.ctx, p, tg.playlistID, []string{a.track.ID}, 0)
	return err
}

func removeTracks(a *authz, p domain.Principal, tg target) error {
	_, err := a.playlists.RemoveTracks(a.ctx, p, tg.playlistID, tg.entryIDs[:1])
	return err
}

func moveTracks(a *authz, p domain.Principal, tg target) error {
	_, err := a.playlists.MoveTracks(a.ctx, p, tg.playlistID, tg.entryIDs[1:], tg.entryIDs[0])
	return err
}

func addCollaborator(a *authz, p domain.Principal, tg target) error {
	_, err := a.playlists.AddCollaborator(a.ctx, p, tg.playlistID, a.who[ownerArtist].UserID)
	return err
}

func addGoneCollaborator(a *authz, p domain.Principal, tg target) error {
	_, err := a.playlists.AddCollaborator(a.ctx, p, tg.playlistID, a.gone.UserID)
	return err
}

func removeBob(a *authz, p domain.Principal, tg target) error {
	_, err := a.playlists.RemoveCollaborator(a.ctx, p, tg.playlistID, a.who[otherListener].UserID)
	return err
}

func followPlaylist(a *authz, p domain.Principal, tg target) error {
	return a.playlists.Follow(a.ctx, p, tg.playlistID)
}

func unfollowPlaylist(a *authz, p domain.Principal, tg target) error {
	return a.playlists.Unfollow(a.ctx, p, tg.playlistID)
}

func playFromPlaylist(a *authz, p domain.Principal, tg target) error {
	st, err := a.playback.Start(a.ctx, p, "", domain.PlayContext{PlaylistID: tg.playlistID}, 0)
	if err == nil && (st.Track.ID != a.track.ID || st.URLs.HLS == "") {
		return fmt.Errorf("started track %s with URLs %+v, want %s with URLs", st.Track.ID, st.URLs, a.track.ID)
	}
	return err
}

// TestPlaylistAuthorization runs the playlist half of the matrix.
func TestPlaylistAuthorization(t *testing.T) {
	runMatrix(t, newAuthz(t), playlistCases())
}

// The catalog states: artist A is ana's, with an album and a ready track.
func freshArtist(t *testing.T, a *authz) target {
	return target{artistID: a.newArtist(t, ownerArtist).ID}
}

func freshAlbum(t *testing.T, a *authz) target {
	return target{albumID: a.newAlbum(t, a.artistA.ID).ID}
}

func freshTrack(t *testing.T, a *authz) target {
	return target{trackID: a.newTrack(t, a.artistA.ID, a.album.ID, true).ID}
}

func silentTrack(t *testing.T, a *authz) target {
	return target{trackID: a.newTrack(t, a.artistA.ID, a.album.ID, false).ID}
}

func deletedArtist(t *testing.T, a *authz) target {
	tg := freshArtist(t, a)
	if err := a.catalog.DeleteArtist(a.ctx, a.who[admin], tg.artistID); err != nil {
		t.Fatal(err)
	}
	return tg
}

func deletedTrack(t *testing.T, a *authz) target {
	tg := freshTrack(t, a)
	if err := a.catalog.DeleteTrack(a.ctx, a.who[admin], tg.trackID); err != nil {
		t.Fatal(err)
	}
	return tg
}

func nothing(*testing.T, *authz) target { return target{} }

// albumCreditingB is an album of artist A that credits artist B too (an
// admin made it: crediting B is ben's call, or an admin's).
func albumCreditingB(t *testing.T, a *authz) target {
	al, err := a.catalog.CreateAlbum(a.ctx, a.who[admin], &domain.Album{Title: "Duet", ArtistIDs: []string{a.artistA.ID, a.artistB.ID}})
	if err != nil {
		t.Fatal(err)
	}
	return target{albumID: al.ID}
}

// trackCreditingB is a track of artist A, in A's album, crediting B too.
func trackCreditingB(t *testing.T, a *authz) target {
	tr, err := a.catalog.CreateTrack(a.ctx, a.who[admin], &domain.Track{Title: "Duet", ArtistIDs: []string{a.artistA.ID, a.artistB.ID}, AlbumID: a.album.ID})
	if err != nil {
		t.Fatal(err)
	}
	return target{trackID: tr.ID}
}

func catalogCases() []authzCase {
	everyone := outcomes{allow, allow, allow, allow, allow, allow}
	nobody := outcomes{notFound, notFound, notFound, notFound, notFound, notFound}
	// Managing what artist A owns: ana, who manages A, and admins.
	managers := outcomes{denied, denied, denied, allow, denied, allow}
	adminOnly := outcomes{denied, denied, denied, denied, denied, allow}
	return []authzCase{
		// Every caller reads the catalog.
		{"get", "artist", freshArtist, getArtist, everyone},
		{"get", "album", freshAlbum, getAlbum, everyone},
		{"get", "track", freshTrack, getTrack, everyone},
		{"get", "deleted_artist", deletedArtist, getArtist, nobody},
		{"get", "deleted_track", deletedTrack, getTrack, nobody},
		{"list_albums", "artist", freshArtist, listAlbumsByArtist, everyone},
		{"list_albums", "deleted_artist", deletedArtist, listAlbumsByArtist, nobody},

		// Artists: the artist role makes new ones; managers edit theirs;
		// only admins hand an artist to other managers.
		{"create", "artist", nothing, createArtist, outcomes{denied, denied, denied, allow, allow, allow}},
		{"update", "artist", freshArtist, renameArtist, managers},
		{"update_managers", "artist", freshArtist, setArtistManagers, adminOnly},
		{"delete", "artist", freshArtist, deleteArtist, managers},
		{"delete", "deleted_artist", deletedArtist, deleteArtist, nobody},
		{"follow", "artist", freshArtist, followArtist, outcomes{unasserted, allow, allow, allow, allow, allow}},
		{"follow", "deleted_artist", deletedArtist, followArtist, nobody},

		// Albums of artist A.
		{"create", "album_of_artist_a", nothing, createAlbum, managers},
		{"update", "album", freshAlbum, renameAlbum, managers},
		// Handing an album to artist B needs rights over both.
		{"update_primary_artist_to_b", "album", freshAlbum, moveAlbumToB, adminOnly},
		{"delete", "album", freshAlbum, deleteAlbum, managers},
		// Crediting artist B is B's managers' call: ana, managing A only,
		// cannot put B on her album, at creation or later.
		{"create", "album_of_a_crediting_b", nothing, createAlbumCreditingB, adminOnly},
		{"update_credit_b", "album", freshAlbum, creditBOnAlbum, adminOnly},
		// Credits already there stay without asking again.
		{"update_keep_credits", "album_crediting_b", albumCreditingB, keepAlbumCredits, managers},
		{"update", "album_crediting_b", albumCreditingB, renameAlbum, managers},
		// B's managers may take B off the credits, and only that.
		{"update_withdraw_b", "album_crediting_b", albumCreditingB, withdrawBFromAlbum, outcomes{denied, denied, denied, allow, allow, allow}},
		{"update_drop_primary_a", "album_crediting_b", albumCreditingB, dropAFromAlbum, adminOnly},

		// Tracks of artist A.
		{"create", "track_of_artist_a", nothing, createTrack, managers},
		// A track of artist B in artist A's album needs rights over both.
		{"create", "track_of_artist_b_in_album_of_a", nothing, createTrackOfBInAlbumOfA, adminOnly},
		{"update", "track", freshTrack, renameTrack, managers},
		// Tracks carry credits too: the same rules.
		{"create", "track_of_a_crediting_b", nothing, createTrackCreditingB, adminOnly},
		{"update_credit_b", "track", freshTrack, creditBOnTrack, adminOnly},
		{"update_keep_credits", "track_crediting_b", trackCreditingB, keepTrackCredits, managers},
		{"update", "track_crediting_b", trackCreditingB, renameTrack, managers},
		{"update_withdraw_b", "track_crediting_b", trackCreditingB, withdrawBFromTrack, outcomes{denied, denied, denied, allow, allow, allow}},
		{"update", "deleted_track", deletedTrack, renameTrack, nobody},
		{"delete", "track", freshTrack, deleteTrack, managers},
		{"delete", "deleted_track", deletedTrack, deleteTrack, nobody},
		{"upload", "track", freshTrack, createUpload, managers},
		{"upload", "deleted_track", deletedTrack, createUpload, nobody},

		// Every signed-in caller plays a ready track, alone or from its
		// album; a playback needs a listener, so anonymous is refused first.
		{"start_playback", "track", freshTrack, playTrack, outcomes{unauth, allow, allow, allow, allow, allow}},
		{"start_playback_in_album", "track", freshTrack, playFromAlbum, outcomes{unauth, allow, allow, allow, allow, allow}},
		{"start_playback", "track_without_audio", silentTrack, playTrack,
			outcomes{unauth, precond, precond, precond, precond, precond}},
		{"start_playback", "deleted_track", deletedTrack, playTrack,
			outcomes{unauth, notFound, notFound, notFound, notFound, notFound}},
	}
}

func getArtist(a *authz, _ domain.Principal, tg target) error {
	_, err := a.catalog.GetArtist(a.ctx, tg.artistID)
	return err
}

func getAlbum(a *authz, _ domain.Principal, tg target) error {
	_, err := a.catalog.GetAlbum(a.ctx, tg.albumID)
	return err
}

func getTrack(a *authz, _ domain.Principal, tg target) error {
	_, err := a.catalog.GetTrack(a.ctx, tg.trackID)
	return err
}

func listAlbumsByArtist(a *authz, _ domain.Principal, tg target) error {
	_, _, err := a.catalog.ListAlbumsByArtist(a.ctx, tg.artistID, domain.Page{Size: 10})
	return err
}

func createArtist(a *authz, p domain.Principal, _ target) error {
	_, err := a.catalog.CreateArtist(a.ctx, p, &domain.Artist{Name: "New band"})
	return err
}

func renameArtist(a *authz, p domain.Principal, tg target) error {
	_, err := a.catalog.UpdateArtist(a.ctx, p, &domain.Artist{ID: tg.artistID, Name: "Renamed"}, []string{"name"})
	return err
}

func setArtistManagers(a *authz, p domain.Principal, tg target) error {
	managers := []string{a.who[ownerArtist].UserID, a.who[otherArtist].UserID}
	_, err := a.catalog.UpdateArtist(a.ctx, p, &domain.Artist{ID: tg.artistID, OwnerIDs: managers}, []string{"owner_user_ids"})
	return err
}

func deleteArtist(a *authz, p domain.Principal, tg target) error {
	return a.catalog.DeleteArtist(a.ctx, p, tg.artistID)
}

func followArtist(a *authz, p domain.Principal, tg target) error {
	return a.users.FollowArtist(a.ctx, p, tg.artistID)
}

func createAlbum(a *authz, p domain.Principal, _ target) error {
	_, err := a.catalog.CreateAlbum(a.ctx, p, &domain.Album{Title: "New", ArtistIDs: []string{a.artistA.ID}})
	return err
}

func renameAlbum(a *authz, p domain.Principal, tg target) error {
	_, err := a.catalog.UpdateAlbum(a.ctx, p, &domain.Album{ID: tg.albumID, Title: "Renamed"}, []string{"title"})
	return err
}

func moveAlbumToB(a *authz, p domain.Principal, tg target) error {
	_, err := a.catalog.UpdateAlbum(a.ctx, p, &domain.Album{ID: tg.albumID, ArtistIDs: []string{a.artistB.ID}}, []string{"artist_ids"})
	return err
}

func createAlbumCreditingB(a *authz, p domain.Principal, _ target) error {
	_, err := a.catalog.CreateAlbum(a.ctx, p, &domain.Album{Title: "Feat", ArtistIDs: []string{a.artistA.ID, a.artistB.ID}})
	return err
}

func setAlbumArtists(a *authz, p domain.Principal, tg target, ids ...string) error {
	_, err := a.catalog.UpdateAlbum(a.ctx, p, &domain.Album{ID: tg.albumID, ArtistIDs: ids}, []string{"artist_ids"})
	return err
}

func creditBOnAlbum(a *authz, p domain.Principal, tg target) error {
	return setAlbumArtists(a, p, tg, a.artistA.ID, a.artistB.ID)
}

func keepAlbumCredits(a *authz, p domain.Principal, tg target) error {
	_, err := a.catalog.UpdateAlbum(a.ctx, p, &domain.Album{ID: tg.albumID, Title: "Duet II", ArtistIDs: []string{a.artistA.ID, a.artistB.ID}}, []string{"title", "artist_ids"})
	return err
}

func withdrawBFromAlbum(a *authz, p domain.Principal, tg target) error {
	if err := setAlbumArtists(a, p, tg, a.artistA.ID); err != nil {
		return err
	}
	al, err := a.catalog.GetAlbum(a.ctx, tg.albumID)
	if err == nil && !slices.Equal(al.ArtistIDs, []string{a.artistA.ID}) {
		return fmt.Errorf("album credits %v after withdrawing B, want artist A alone", al.ArtistIDs)
	}
	return err
}

func dropAFromAlbum(a *authz, p domain.Principal, tg target) error {
	return setAlbumArtists(a, p, tg, a.artistB.ID)
}

func deleteAlbum(a *authz, p domain.Principal, tg target) error {
	return a.catalog.DeleteAlbum(a.ctx, p, tg.albumID)
}

func createTrack(a *authz, p domain.Principal, _ target) error {
	_, err := a.catalog.CreateTrack(a.ctx, p, &domain.Track{Title: "New", ArtistIDs: []string{a.artistA.ID}, AlbumID: a.album.ID})
	return err
}

func createTrackOfBInAlbumOfA(a *authz, p domain.Principal, _ target) error {
	_, err := a.catalog.CreateTrack(a.ctx, p, &domain.Track{Title: "New", ArtistIDs: []string{a.artistB.ID}, AlbumID: a.album.ID})
	return err
}

func createTrackCreditingB(a *authz, p domain.Principal, _ target) error {
	_, err := a.catalog.CreateTrack(a.ctx, p, &domain.Track{Title: "Feat", ArtistIDs: []string{a.artistA.ID, a.artistB.ID}, AlbumID: a.album.ID})
	return err
}

func setTrackArtists(a *authz, p domain.Principal, tg target, ids ...string) error {
	_, err := a.catalog.UpdateTrack(a.ctx, p, &domain.Track{ID: tg.trackID, ArtistIDs: ids}, []string{"artist_ids"})
	return err
}

func creditBOnTrack(a *authz, p domain.Principal, tg target) error {
	return setTrackArtists(a, p, tg, a.artistA.ID, a.artistB.ID)
}

func keepTrackCredits(a *authz, p domain.Principal, tg target) error {
	_, err := a.catalog.UpdateTrack(a.ctx, p, &domain.Track{ID: tg.trackID, Title: "Duet II", ArtistIDs: []string{a.artistA.ID, a.artistB.ID}}, []string{"title", "artist_ids"})
	return err
}

func withdrawBFromTrack(a *authz, p domain.Principal, tg target) error {
	if err := setTrackArtists(a, p, tg, a.artistA.ID); err != nil {
		return err
	}
	tr, err := a.catalog.GetTrack(a.ctx, tg.trackID)
	if err == nil && !slices.Equal(tr.ArtistIDs, []string{a.artistA.ID}) {
		return fmt.Errorf("track credits %v after withdrawing B, want artist A alone", tr.ArtistIDs)
	}
	return err
}

func renameTrack(a *authz, p domain.Principal, tg target) error {
	_, err := a.catalog.UpdateTrack(a.ctx, p, &domain.Track{ID: tg.trackID, Title: "Renamed"}, []string{"title"})
	return err
}

func deleteTrack(a *authz, p domain.Principal, tg target) error {
	return a.catalog.DeleteTrack(a.ctx, p, tg.trackID)
}

func createUpload(a *authz, p domain.Principal, tg target) error {
	up, err := a.media.CreateUpload(a.ctx, p, tg.trackID, 1000)
	if err == nil && (up.TrackID != tg.trackID || up.URL == "") {
		return fmt.Errorf("upload %+v, want one for track %s with a URL", up, tg.trackID)
	}
	return err
}

func playTrack(a *authz, p domain.Principal, tg target) error {
	st, err := a.playback.Start(a.ctx, p, tg.trackID, domain.PlayContext{}, 0)
	if err == nil && (st.Track.ID != tg.trackID || st.URLs.HLS == "") {
		return fmt.Errorf("started track %s with URLs %+v, want %s with URLs", st.Track.ID, st.URLs, tg.trackID)
	}
	return err
}

func playFromAlbum(a *authz, p domain.Principal, tg target) error {
	_, err := a.playback.Start(a.ctx, p, tg.trackID, domain.PlayContext{AlbumID: a.album.ID}, 0)
	return err
}

// TestCatalogAuthorization runs the catalog and media half of the matrix.
func TestCatalogAuthorization(t *testing.T) {
	runMatrix(t, newAuthz(t), catalogCases())
}

func freshListener(t *testing.T, a *authz) target {
	a.made++
	return target{userID: a.newUser(t, fmt.Sprintf("user%d", a.made)).UserID}
}

func userCases() []authzCase {
	adminOnly := outcomes{denied, denied, denied, denied, denied, allow}
	nobody := outcomes{notFound, notFound, notFound, notFound, notFound, notFound}
	return []authzCase{
		{"list_users", "", nothing, listUsers, adminOnly},
		{"set_roles", "listener", freshListener, makeArtist, adminOnly},
		// An admin cannot drop their own admin role; everyone else is
		// refused before that question arises.
		{"drop_own_admin_role", "self", nothing, dropOwnAdmin, outcomes{denied, denied, denied, denied, denied, precond}},
		{"set_roles", "deleted_user", nothing, setGoneRoles, outcomes{denied, denied, denied, denied, denied, notFound}},
		{"get_user", "deleted_user", nothing, getGone, nobody},
		{"list_playlists", "deleted_user", nothing, listGonePlaylists, nobody},
		{"disable_user", "listener", freshListener, disableUser, adminOnly},
		{"enable_user", "disabled_listener", freshDisabledListener, enableUser, adminOnly},
		{"end_user_sessions", "listener", freshListener, endUserSessions, adminOnly},
		// An admin cannot disable themself, as they cannot drop their own
		// admin role; ending their own sessions is LogoutEverywhere's job
		// and allowed.
		{"disable_user", "self", nothing, disableSelf, outcomes{denied, denied, denied, denied, denied, precond}},
		{"disable_user", "deleted_user", nothing, disableGone, outcomes{denied, denied, denied, denied, denied, notFound}},
		{"enable_user", "deleted_user", nothing, enableGone, outcomes{denied, denied, denied, denied, denied, notFound}},
		{"end_user_sessions", "deleted_user", nothing, endGoneSessions, outcomes{denied, denied, denied, denied, denied, notFound}},
		// Everyone signed in may sign themself out everywhere; the anonymous
		// principal has no account to sign out.
		{"logout_everywhere", "self", nothing, logoutEverywhere, outcomes{notFound, allow, allow, allow, allow, allow}},
	}
}

func freshDisabledListener(t *testing.T, a *authz) target {
	tg := freshListener(t, a)
	if err := a.stores.Users.SetUserDisabled(a.ctx, tg.userID, true); err != nil {
		t.Fatal(err)
	}
	return tg
}

func disableUser(a *authz, p domain.Principal, tg target) error {
	u, err := a.users.DisableUser(a.ctx, p, tg.userID)
	if err == nil && !u.Disabled {
		return fmt.Errorf("DisableUser returned %+v, want it disabled", u)
	}
	return err
}

func enableUser(a *authz, p domain.Principal, tg target) error {
	u, err := a.users.EnableUser(a.ctx, p, tg.userID)
	if err == nil && u.Disabled {
		return fmt.Errorf("EnableUser returned %+v, want it enabled", u)
	}
	return err
}

func endUserSessions(a *authz, p domain.Principal, tg target) error {
	return a.users.EndUserSessions(a.ctx, p, tg.userID)
}

func disableSelf(a *authz, p domain.Principal, _ target) error {
	_, err := a.users.DisableUser(a.ctx, p, p.UserID)
	return err
}

func disableGone(a *authz, p domain.Principal, _ target) error {
	_, err := a.users.DisableUser(a.ctx, p, a.gone.UserID)
	return err
}

func enableGone(a *authz, p domain.Principal, _ target) error {
	_, err := a.users.EnableUser(a.ctx, p, a.gone.UserID)
	return err
}

func endGoneSessions(a *authz, p domain.Principal, _ target) error {
	return a.users.EndUserSessions(a.ctx, p, a.gone.UserID)
}

func logoutEverywhere(a *authz, p domain.Principal, _ target) error {
	return a.users.LogoutEverywhere(a.ctx, p)
}

func listUsers(a *authz, p domain.Principal, _ target) error {
	_, _, err := a.users.ListUsers(a.ctx, p, "", domain.Page{Size: 10})
	return err
}

func makeArtist(a *authz, p domain.Principal, tg target) error {
	_, err := a.users.SetUserRoles(a.ctx, p, tg.userID, []domain.Role{domain.RoleArtist})
	return err
}

func dropOwnAdmin(a *authz, p domain.Principal, _ target) error {
	_, err := a.users.SetUserRoles(a.ctx, p, p.UserID, []domain.Role{domain.RoleListener})
	return err
}

func setGoneRoles(a *authz, p domain.Principal, _ target) error {
	_, err := a.users.SetUserRoles(a.ctx, p, a.gone.UserID, []domain.Role{domain.RoleArtist})
	return err
}

func getGone(a *authz, p domain.Principal, _ target) error {
	_, err := a.users.GetUser(a.ctx, p, a.gone.UserID)
	return err
}

func listGonePlaylists(a *authz, p domain.Principal, _ target) error {
	_, _, err := a.playlists.List(a.ctx, p, a.gone.UserID, domain.Page{Size: 10})
	return err
}

// TestUserAuthorization runs the account half of the matrix.
func TestUserAuthorization(t *testing.T) {
	runMatrix(t, newAuthz(t), userCases())
}

// runMatrix runs every case once per principal, each on fresh resources.
func runMatrix(t *testing.T, a *authz, cases []authzCase) {
	for _, c := range cases {
		name := c.op
		if c.state != "" {
			name += "/" + c.state
		}
		for who, want := range c.want {
			if want == unasserted {
				continue
			}
			t.Run(name+"/"+principalNames[who], func(t *testing.T) {
				tg := c.setup(t, a)
				if want == allow {
					if err := c.do(a, a.who[who], tg); err != nil {
						t.Fatalf("%s: %v (kind %v), want it allowed", principalNames[who], err, domain.KindOf(err))
					}
					return
				}
				before := a.snapshot(t, tg)
				err := c.do(a, a.who[who], tg)
				switch {
				case err == nil:
					t.Fatalf("%s: allowed, want %v", principalNames[who], want)
				case domain.KindOf(err) != want:
					t.Fatalf("%s: %v (kind %v), want kind %v", principalNames[who], err, domain.KindOf(err), want)
				}
				if after := a.snapshot(t, tg); !reflect.DeepEqual(before, after) {
					t.Fatalf("%s: refused (%v), yet the target changed:\nbefore %+v\nafter  %+v", principalNames[who], err, before, after)
				}
			})
		}
	}
}

// state is everything a refused call must leave as it was: the target (a
// playlist's follows show in its FollowerCount) and, for the catalog and
// accounts, what a refused creation would have added to.
type state struct {
	Playlist *domain.Playlist
	Entries  []domain.PlaylistEntry
	Artist   *domain.Artist
	Album    *domain.Album
	Track    *domain.Track
	User     *domain.User
	// Principals are the signed-in principals' accounts, with the artists
	// each manages.
	Principals []*domain.User
	Managed    [][]*domain.Artist
	// SharedAlbum (its track count) and AlbumsOfA change when a track or an
	// album of artist A is created.
	SharedAlbum *domain.Album
	AlbumsOfA   []*domain.Album
}

func (a *authz) snapshot(t *testing.T, tg target) state {
	t.Helper()
	// found fails the test on any error but not found.
	found := func(err error) bool {
		if domain.IsKind(err, domain.KindNotFound) {
			return false
		}
		if err != nil {
			t.Fatal(err)
		}
		return true
	}
	var s state
	if tg.playlistID != "" {
		if pl, err := a.stores.Playlists.GetPlaylist(a.ctx, tg.playlistID); found(err) {
			slices.Sort(pl.CollaboratorIDs)
			s.Playlist = pl
			entries, _, err := a.stores.Playlists.ListEntries(a.ctx, tg.playlistID, domain.Page{Size: 100})
			found(err)
			for _, e := range entries {
				s.Entries = append(s.Entries, *e)
			}
		}
		return s
	}
	if tg.artistID != "" {
		if ar, err := a.stores.Catalog.GetArtist(a.ctx, tg.artistID); found(err) {
			s.Artist = ar
		}
	}
	if tg.albumID != "" {
		if al, err := a.stores.Catalog.GetAlbum(a.ctx, tg.albumID); found(err) {
			s.Album = al
		}
	}
	if tg.trackID != "" {
		if tr, err := a.stores.Catalog.GetTrack(a.ctx, tg.trackID); found(err) {
			s.Track = tr
		}
	}
	if tg.userID != "" {
		if u, err := a.stores.Users.GetUser(a.ctx, tg.userID); found(err) {
			s.User = u
		}
	}
	for _, p := range a.who[listener:] {
		u, err := a.stores.Users.GetUser(a.ctx, p.UserID)
		found(err)
		s.Principals = append(s.Principals, u)
		managed, err := a.stores.Catalog.ListArtistsByOwner(a.ctx, p.UserID)
		found(err)
		s.Managed = append(s.Managed, managed)
	}
	var err error
	s.SharedAlbum, err = a.stores.Catalog.GetAlbum(a.ctx, a.album.ID)
	found(err)
	s.AlbumsOfA, _, err = a.stores.Catalog.ListAlbumsByArtist(a.ctx, a.artistA.ID, domain.Page{Size: domain.MaxPageSize})
	found(err)
	return s
}

// TestPlaylistListsShowWhatTheCallerMaySee: another user's list shows their
// public playlists only, even to a collaborator; the owner and admins see
// them all.
func TestPlaylistListsShowWhatTheCallerMaySee(t *testing.T) {
	a := newAuthz(t)
	dora := a.newUser(t, "dora")
	for _, pl := range []*domain.Playlist{
		{Name: "public", Public: true},
		{Name: "private"},
		{Name: "shared with bob", Collaborative: true},
	} {
		pl, err := a.playlists.Create(a.ctx, dora, pl)
		if err != nil {
			t.Fatal(err)
		}
		if pl.Collaborative {
			if _, err := a.playlists.AddCollaborator(a.ctx, dora, pl.ID, a.who[otherListener].UserID); err != nil {
				t.Fatal(err)
			}
		}
	}
	all := []string{"private", "public", "shared with bob"}
	public := []string{"public"}
	cases := []struct {
		name   string
		p      domain.Principal
		userID string
		want   []string
	}{
		{"owner, own list", dora, "", all},
		{"owner, by id", dora, dora.UserID, all},
		{"anonymous", a.who[anonymous], dora.UserID, public},
		{"listener", a.who[listener], dora.UserID, public},
		{"collaborator", a.who[otherListener], dora.UserID, public},
		{"artist", a.who[ownerArtist], dora.UserID, public},
		{"admin", a.who[admin], dora.UserID, all},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pls, _, err := a.playlists.List(a.ctx, c.p, c.userID, domain.Page{Size: 10})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, pl := range pls {
				got = append(got, pl.Name)
			}
			slices.Sort(got)
			if !slices.Equal(got, c.want) {
				t.Fatalf("sees %q, want %q", got, c.want)
			}
		})
	}
}

// TestEmailIsShownToItsUserAndAdmins: a profile's email is for the user
// themself and admins.
func TestEmailIsShownToItsUserAndAdmins(t *testing.T) {
	a := newAuthz(t)
	alice := a.who[listener].UserID
	for who, p := range a.who {
		t.Run(principalNames[who], func(t *testing.T) {
			u, err := a.users.GetUser(a.ctx, p, alice)
			if err != nil {
				t.Fatal(err)
			}
			want := ""
			if who == listener || who == admin {
				want = "alice@example.com"
			}
			if u.Email != want || u.Username != "alice" {
				t.Fatalf("profile %s <%s>, want alice <%s>", u.Username, u.Email, want)
			}
		})
	}
}

// TestDeletedAccount: a token outliving its account finds nothing of it.
func TestDeletedAccount(t *testing.T) {
	a := newAuthz(t)
	if _, err := a.users.GetMe(a.ctx, a.gone); !domain.IsKind(err, domain.KindNotFound) {
		t.Fatalf("GetMe of a deleted account: %v, want not found", err)
	}
	pls, _, err := a.playlists.List(a.ctx, a.gone, "", domain.Page{Size: 10})
	if err != nil || len(pls) != 0 {
		t.Fatalf("own playlists of a deleted account: %d, %v; want none", len(pls), err)
	}
}

// TestCreditRefusalNamesTheField: refusing an uninvited credit says which
// field and which artist, and a withdrawal that also changes anything else
// is refused whole.
func TestCreditRefusalNamesTheField(t *testing.T) {
	a := newAuthz(t)
	ana, ben := a.who[ownerArtist], a.who[otherArtist]
	_, err := a.catalog.CreateAlbum(a.ctx, ana, &domain.Album{Title: "Feat", ArtistIDs: []string{a.artistA.ID, a.artistB.ID}})
	if !domain.IsKind(err, domain.KindPermissionDenied) || !strings.Contains(err.Error(), "album.artist_ids") || !strings.Contains(err.Error(), a.artistB.Name) {
		t.Fatalf("ana credits B on a new album: %v; want permission_denied naming album.artist_ids and B", err)
	}
	_, err = a.catalog.CreateTrack(a.ctx, ana, &domain.Track{Title: "Feat", ArtistIDs: []string{a.artistA.ID, a.artistB.ID}})
	if !domain.IsKind(err, domain.KindPermissionDenied) || !strings.Contains(err.Error(), "track.artist_ids") {
		t.Fatalf("ana credits B on a new track: %v; want permission_denied naming track.artist_ids", err)
	}
	tg := albumCreditingB(t, a)
	before := a.snapshot(t, tg)
	_, err = a.catalog.UpdateAlbum(a.ctx, ben, &domain.Album{ID: tg.albumID, Title: "Ben's", ArtistIDs: []string{a.artistA.ID}}, []string{"title", "artist_ids"})
	if !domain.IsKind(err, domain.KindPermissionDenied) || !strings.Contains(err.Error(), "album.artist_ids") {
		t.Fatalf("ben withdraws B and renames: %v; want permission_denied naming album.artist_ids", err)
	}
	if after := a.snapshot(t, tg); !reflect.DeepEqual(before, after) {
		t.Fatalf("refused, yet the album changed:\nbefore %+v\nafter  %+v", before.Album, after.Album)
	}
}

// TestOperatorSetAdmin: the operator's grant and revoke change the admin
// role alone of the account named exactly, and report whether anything
// changed; an unknown or differently-cased name is not found.
func TestOperatorSetAdmin(t *testing.T) {
	a := newAuthz(t)
	roles := func(u *domain.User) []domain.Role { return u.Roles }
	u, changed, err := a.users.OperatorSetAdmin(a.ctx, "ana", true)
	if err != nil || !changed || !slices.Equal(roles(u), []domain.Role{domain.RoleListener, domain.RoleArtist, domain.RoleAdmin}) {
		t.Fatalf("grant ana: %v, changed %v, err %v; want listener, artist, admin", u, changed, err)
	}
	if _, changed, err = a.users.OperatorSetAdmin(a.ctx, "ana", true); err != nil || changed {
		t.Fatalf("grant ana again: changed %v, err %v; want no change", changed, err)
	}
	admins, err := a.users.OperatorListAdmins(a.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, u := range admins {
		names = append(names, u.Username)
	}
	if !slices.Equal(names, []string{"ana", "root"}) {
		t.Fatalf("admins %v, want ana and root", names)
	}
	u, changed, err = a.users.OperatorSetAdmin(a.ctx, "ana", false)
	if err != nil || !changed || !slices.Equal(roles(u), []domain.Role{domain.RoleListener, domain.RoleArtist}) {
		t.Fatalf("revoke ana: %v, changed %v, err %v; want listener, artist", u, changed, err)
	}
	stored, err := a.stores.Users.GetUserByUsername(a.ctx, "ana")
	if err != nil || !slices.Equal(stored.Roles, []domain.Role{domain.RoleListener, domain.RoleArtist}) {
		t.Fatalf("stored ana %v, err %v", stored, err)
	}
	for _, name := range []string{"nobody", "ANA", "ana@example.com", ""} {
		if _, _, err := a.users.OperatorSetAdmin(a.ctx, name, true); !domain.IsKind(err, domain.KindNotFound) {
			t.Errorf("grant %q: %v; want not found", name, err)
		}
	}
}
