package e2e

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	playlistv1 "github.com/backbeat/backbeat/gen/go/backbeat/playlist/v1"
	userv1 "github.com/backbeat/backbeat/gen/go/backbeat/user/v1"
	"github.com/backbeat/backbeat/server/auth"
	"github.com/backbeat/backbeat/server/domain"
)

// mint makes an access token with the given issuer settings. With the
// server's data dir it signs with the server's own key.
func mint(t *testing.T, dir, url, audience string, now time.Time, userID string) string {
	t.Helper()
	iss, err := auth.NewIssuer(auth.IssuerConfig{Dir: dir, URL: url, Audience: audience, AccessTTL: time.Minute, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := iss.Mint(userID, []domain.Role{domain.RoleListener, domain.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestAuthentication covers every way a bearer token can be wrong.
func TestAuthentication(t *testing.T) {
	s := startServer(t, t.TempDir())
	good, user := register(t, s, "alice")

	cases := []struct {
		name  string
		token string
	}{
		{"no token", ""},
		{"garbage", "not-a-jwt"},
		{"expired", mint(t, s.dataDir, s.URL(), "backbeat", time.Now().Add(-time.Hour), user.Id)},
		{"forged signature", mint(t, t.TempDir(), s.URL(), "backbeat", time.Now(), user.Id)},
		{"wrong audience", mint(t, s.dataDir, s.URL(), "someone-else", time.Now(), user.Id)},
		{"wrong issuer", mint(t, s.dataDir, "http://evil.example", "backbeat", time.Now(), user.Id)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, p := range protocols {
				c := newAPI(p.http(), s.URL(), tc.token, p.opt...)
				_, err := c.users.GetMe(ctxT(t), connect.NewRequest(&userv1.GetMeRequest{}))
				wantCode(t, err, connect.CodeUnauthenticated)
				_, err = c.catalog.Search(ctxT(t), connect.NewRequest(&catalogv1.SearchRequest{Query: "x"}))
				wantCode(t, err, connect.CodeUnauthenticated)
			}
		})
	}

	t.Run("valid token", func(t *testing.T) {
		me, err := as(s, good).users.GetMe(ctxT(t), connect.NewRequest(&userv1.GetMeRequest{}))
		mustOK(t, "GetMe", err)
		if me.Msg.User.Id != user.Id {
			t.Fatalf("GetMe id %q, want %q", me.Msg.User.Id, user.Id)
		}
	})

	t.Run("WWW-Authenticate", func(t *testing.T) {
		req, _ := http.NewRequest("POST", s.URL()+"/backbeat.user.v1.UserService/GetMe", strings.NewReader("{}"))
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		mustOK(t, "POST", err)
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Fatalf("status %d, WWW-Authenticate %q; want 401 and a Bearer challenge", res.StatusCode, res.Header.Get("WWW-Authenticate"))
		}
	})

	t.Run("refresh rotates and logout revokes", func(t *testing.T) {
		lr := login(t, s, "alice", "correct horse battery")
		rr, err := anon(s).users.RefreshToken(ctxT(t), connect.NewRequest(&userv1.RefreshTokenRequest{RefreshToken: lr.Tokens.RefreshToken}))
		mustOK(t, "RefreshToken", err)
		_, err = anon(s).users.RefreshToken(ctxT(t), connect.NewRequest(&userv1.RefreshTokenRequest{RefreshToken: lr.Tokens.RefreshToken}))
		wantCode(t, err, connect.CodeUnauthenticated) // a used refresh token is spent
		_, err = as(s, rr.Msg.Tokens.AccessToken).users.Logout(ctxT(t), connect.NewRequest(&userv1.LogoutRequest{RefreshToken: rr.Msg.Tokens.RefreshToken}))
		mustOK(t, "Logout", err)
		_, err = anon(s).users.RefreshToken(ctxT(t), connect.NewRequest(&userv1.RefreshTokenRequest{RefreshToken: rr.Msg.Tokens.RefreshToken}))
		wantCode(t, err, connect.CodeUnauthenticated)
	})

	t.Run("wrong password", func(t *testing.T) {
		_, err := anon(s).users.Login(ctxT(t), connect.NewRequest(&userv1.LoginRequest{Login: "alice", Password: "wrong password"}))
		wantCode(t, err, connect.CodeUnauthenticated)
		_, err = anon(s).users.Login(ctxT(t), connect.NewRequest(&userv1.LoginRequest{Login: "nobody", Password: "wrong password"}))
		wantCode(t, err, connect.CodeUnauthenticated)
	})
}

// TestAuthorization covers who may do what.
func TestAuthorization(t *testing.T) {
	s := startServer(t, t.TempDir(), "--admins", "root")
	ctx := ctxT(t)
	rootTok, _ := register(t, s, "root")
	_, alice := register(t, s, "alice")
	_, bob := register(t, s, "bob")
	carolTok, carol := register(t, s, "carol")
	root, c := as(s, rootTok), as(s, carolTok)

	// Alice and Bob become artists; tokens carry roles, so they sign in again.
	for _, u := range []*userv1.User{alice, bob} {
		_, err := root.users.SetUserRoles(ctx, connect.NewRequest(&userv1.SetUserRolesRequest{UserId: u.Id, Roles: []userv1.Role{userv1.Role_ROLE_ARTIST}}))
		mustOK(t, "SetUserRoles", err)
	}
	a := as(s, login(t, s, "alice", "correct horse battery").Tokens.AccessToken)
	b := as(s, login(t, s, "bob", "correct horse battery").Tokens.AccessToken)

	art, err := a.catalog.CreateArtist(ctx, connect.NewRequest(&catalogv1.CreateArtistRequest{Artist: &catalogv1.Artist{Name: "Alice Band"}}))
	mustOK(t, "alice creates artist", err)
	alb, err := a.catalog.CreateAlbum(ctx, connect.NewRequest(&catalogv1.CreateAlbumRequest{Album: &catalogv1.Album{Title: "First", ArtistIds: []string{art.Msg.Artist.Id}}}))
	mustOK(t, "alice creates album", err)
	trk, err := a.catalog.CreateTrack(ctx, connect.NewRequest(&catalogv1.CreateTrackRequest{Track: &catalogv1.Track{Title: "Song", ArtistIds: []string{art.Msg.Artist.Id}, AlbumId: alb.Msg.Album.Id}}))
	mustOK(t, "alice creates track", err)

	t.Run("a listener cannot create artists or tracks", func(t *testing.T) {
		_, err := c.catalog.CreateArtist(ctx, connect.NewRequest(&catalogv1.CreateArtistRequest{Artist: &catalogv1.Artist{Name: "Carol's band"}}))
		wantCode(t, err, connect.CodePermissionDenied)
		_, err = c.catalog.CreateTrack(ctx, connect.NewRequest(&catalogv1.CreateTrackRequest{Track: &catalogv1.Track{Title: "Mine now", ArtistIds: []string{art.Msg.Artist.Id}}}))
		wantCode(t, err, connect.CodePermissionDenied)
	})
	t.Run("an artist cannot edit someone else's album or track", func(t *testing.T) {
		_, err := b.catalog.UpdateAlbum(ctx, connect.NewRequest(&catalogv1.UpdateAlbumRequest{
			Album: &catalogv1.Album{Id: alb.Msg.Album.Id, Title: "Stolen"}, UpdateMask: mask("title")}))
		wantCode(t, err, connect.CodePermissionDenied)
		_, err = b.catalog.DeleteTrack(ctx, connect.NewRequest(&catalogv1.DeleteTrackRequest{TrackId: trk.Msg.Track.Id}))
		wantCode(t, err, connect.CodePermissionDenied)
		_, err = b.catalog.CreateAlbum(ctx, connect.NewRequest(&catalogv1.CreateAlbumRequest{Album: &catalogv1.Album{Title: "Fake", ArtistIds: []string{art.Msg.Artist.Id}}}))
		wantCode(t, err, connect.CodePermissionDenied)
		got, err := c.catalog.GetAlbum(ctx, connect.NewRequest(&catalogv1.GetAlbumRequest{AlbumId: alb.Msg.Album.Id}))
		mustOK(t, "GetAlbum", err)
		if got.Msg.Album.Title != "First" {
			t.Fatalf("album title %q after a refused update, want First", got.Msg.Album.Title)
		}
	})
	t.Run("an admin edits anything", func(t *testing.T) {
		_, err := root.catalog.UpdateTrack(ctx, connect.NewRequest(&catalogv1.UpdateTrackRequest{
			Track: &catalogv1.Track{Id: trk.Msg.Track.Id, Explicit: true}, UpdateMask: mask("explicit")}))
		mustOK(t, "admin updates track", err)
	})
	t.Run("only admins list users and set roles", func(t *testing.T) {
		_, err := c.users.ListUsers(ctx, connect.NewRequest(&userv1.ListUsersRequest{}))
		wantCode(t, err, connect.CodePermissionDenied)
		_, err = c.users.SetUserRoles(ctx, connect.NewRequest(&userv1.SetUserRolesRequest{UserId: carol.Id, Roles: []userv1.Role{userv1.Role_ROLE_ADMIN}}))
		wantCode(t, err, connect.CodePermissionDenied)
		res, err := root.users.ListUsers(ctx, connect.NewRequest(&userv1.ListUsersRequest{UsernamePrefix: "a"}))
		mustOK(t, "ListUsers", err)
		if len(res.Msg.Users) != 1 || res.Msg.Users[0].Username != "alice" {
			t.Fatalf("ListUsers(prefix a) = %v, want just alice", res.Msg.Users)
		}
	})

	priv, err := c.playlists.CreatePlaylist(ctx, connect.NewRequest(&playlistv1.CreatePlaylistRequest{Playlist: &playlistv1.Playlist{Name: "Secret", Collaborative: true}}))
	mustOK(t, "create private playlist", err)
	pid := priv.Msg.Playlist.Id
	t.Run("another user's private playlist does not exist for you", func(t *testing.T) {
		_, err := b.playlists.GetPlaylist(ctx, connect.NewRequest(&playlistv1.GetPlaylistRequest{PlaylistId: pid}))
		wantCode(t, err, connect.CodeNotFound)
		_, err = b.playlists.AddTracks(ctx, connect.NewRequest(&playlistv1.AddTracksRequest{PlaylistId: pid, TrackIds: []string{trk.Msg.Track.Id}}))
		wantCode(t, err, connect.CodeNotFound)
		_, err = b.playlists.FollowPlaylist(ctx, connect.NewRequest(&playlistv1.FollowPlaylistRequest{PlaylistId: pid}))
		wantCode(t, err, connect.CodeNotFound)
		list, err := b.playlists.ListPlaylists(ctx, connect.NewRequest(&playlistv1.ListPlaylistsRequest{UserId: carol.Id}))
		mustOK(t, "list carol's public playlists", err)
		if len(list.Msg.Playlists) != 0 {
			t.Fatalf("bob sees %d of carol's playlists, want 0 (all private)", len(list.Msg.Playlists))
		}
	})
	t.Run("collaborators edit tracks but not details", func(t *testing.T) {
		_, err := c.playlists.AddCollaborator(ctx, connect.NewRequest(&playlistv1.AddCollaboratorRequest{PlaylistId: pid, UserId: bob.Id}))
		mustOK(t, "AddCollaborator", err)
		_, err = b.playlists.AddTracks(ctx, connect.NewRequest(&playlistv1.AddTracksRequest{PlaylistId: pid, TrackIds: []string{trk.Msg.Track.Id}}))
		mustOK(t, "collaborator adds", err)
		_, err = b.playlists.UpdatePlaylist(ctx, connect.NewRequest(&playlistv1.UpdatePlaylistRequest{Playlist: &playlistv1.Playlist{Id: pid, Name: "Bob's"}, UpdateMask: mask("name")}))
		wantCode(t, err, connect.CodePermissionDenied)
		_, err = b.playlists.DeletePlaylist(ctx, connect.NewRequest(&playlistv1.DeletePlaylistRequest{PlaylistId: pid}))
		wantCode(t, err, connect.CodePermissionDenied)
		got, err := c.playlists.GetPlaylist(ctx, connect.NewRequest(&playlistv1.GetPlaylistRequest{PlaylistId: pid}))
		mustOK(t, "owner reads", err)
		if got.Msg.Playlist.Name != "Secret" || len(got.Msg.Entries) != 1 || got.Msg.Entries[0].AddedByUserId != bob.Id {
			t.Fatalf("playlist after collaboration = %v, %v", got.Msg.Playlist, got.Msg.Entries)
		}
	})
	t.Run("GetUser hides other users' email", func(t *testing.T) {
		res, err := c.users.GetUser(ctx, connect.NewRequest(&userv1.GetUserRequest{UserId: alice.Id}))
		mustOK(t, "GetUser", err)
		if res.Msg.User.Email != "" || res.Msg.User.Username != "alice" {
			t.Fatalf("GetUser(alice) by carol = %v, want a profile without email", res.Msg.User)
		}
		if !slices.Contains(res.Msg.User.Roles, userv1.Role_ROLE_ARTIST) {
			t.Fatalf("alice's roles %v, want artist", res.Msg.User.Roles)
		}
	})
}

func mask(paths ...string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: paths} }
