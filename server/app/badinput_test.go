package app_test

import (
	"context"
	"strings"
	"testing"

	"connectrpc.com/connect"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	libraryv1 "github.com/backbeat/backbeat/gen/go/backbeat/library/v1"
	playbackv1 "github.com/backbeat/backbeat/gen/go/backbeat/playback/v1"
	playlistv1 "github.com/backbeat/backbeat/gen/go/backbeat/playlist/v1"
	userv1 "github.com/backbeat/backbeat/gen/go/backbeat/user/v1"
	"github.com/backbeat/backbeat/server/app/apptest"
	"github.com/backbeat/backbeat/server/domain"
)

// TestBadInput sends requests a careless or hostile client would, at least
// one to every RPC that takes input, and checks each gets the right code, a
// message naming the field, and writes nothing.
func TestBadInput(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	ctx := apptest.Context(t)
	rootTok, _ := s.RegisterAdmin(t, "root")
	root := s.As(rootTok)
	art, err := root.Catalog.CreateArtist(ctx, connect.NewRequest(&catalogv1.CreateArtistRequest{Artist: &catalogv1.Artist{Name: "Root Band"}}))
	apptest.MustOK(t, "CreateArtist", err)
	trk, err := root.Catalog.CreateTrack(ctx, connect.NewRequest(&catalogv1.CreateTrackRequest{Track: &catalogv1.Track{Title: "Root Song", ArtistIds: []string{art.Msg.Artist.Id}}}))
	apptest.MustOK(t, "CreateTrack", err)
	pl, err := root.Playlists.CreatePlaylist(ctx, connect.NewRequest(&playlistv1.CreatePlaylistRequest{Playlist: &playlistv1.Playlist{Name: "Mine", Collaborative: true}}))
	apptest.MustOK(t, "CreatePlaylist", err)
	pid, tid := pl.Msg.Playlist.Id, trk.Msg.Track.Id
	unknown := domain.NewID()

	type call func(ctx context.Context) error
	cases := []struct {
		name  string
		call  call
		code  connect.Code
		field string // the message must name it
	}{
		{"register short username", func(ctx context.Context) error {
			_, err := s.Anon().Users.Register(ctx, connect.NewRequest(&userv1.RegisterRequest{Username: "ab", Email: "ab@example.com", Password: "long enough pw"}))
			return err
		}, connect.CodeInvalidArgument, "username"},
		{"register bad email", func(ctx context.Context) error {
			_, err := s.Anon().Users.Register(ctx, connect.NewRequest(&userv1.RegisterRequest{Username: "newbie", Email: "not-an-email", Password: "long enough pw"}))
			return err
		}, connect.CodeInvalidArgument, "email"},
		{"register short password", func(ctx context.Context) error {
			_, err := s.Anon().Users.Register(ctx, connect.NewRequest(&userv1.RegisterRequest{Username: "newbie", Email: "n@example.com", Password: "short"}))
			return err
		}, connect.CodeInvalidArgument, "password"},
		{"register taken username", func(ctx context.Context) error {
			_, err := s.Anon().Users.Register(ctx, connect.NewRequest(&userv1.RegisterRequest{Username: "ROOT", Email: "other@example.com", Password: "long enough pw"}))
			return err
		}, connect.CodeAlreadyExists, "username"},
		{"register taken email", func(ctx context.Context) error {
			_, err := s.Anon().Users.Register(ctx, connect.NewRequest(&userv1.RegisterRequest{Username: "other", Email: "Root@Example.com", Password: "long enough pw"}))
			return err
		}, connect.CodeAlreadyExists, "email"},
		{"get track bad id", func(ctx context.Context) error {
			_, err := root.Catalog.GetTrack(ctx, connect.NewRequest(&catalogv1.GetTrackRequest{TrackId: "../../etc/passwd"}))
			return err
		}, connect.CodeInvalidArgument, "track_id"},
		{"get track unknown id", func(ctx context.Context) error {
			_, err := root.Catalog.GetTrack(ctx, connect.NewRequest(&catalogv1.GetTrackRequest{TrackId: unknown}))
			return err
		}, connect.CodeNotFound, ""},
		{"create artist without name", func(ctx context.Context) error {
			_, err := root.Catalog.CreateArtist(ctx, connect.NewRequest(&catalogv1.CreateArtistRequest{Artist: &catalogv1.Artist{Name: "  "}}))
			return err
		}, connect.CodeInvalidArgument, "artist.name"},
		{"create artist missing message", func(ctx context.Context) error {
			_, err := root.Catalog.CreateArtist(ctx, connect.NewRequest(&catalogv1.CreateArtistRequest{}))
			return err
		}, connect.CodeInvalidArgument, "artist"},
		{"create track bad isrc", func(ctx context.Context) error {
			_, err := root.Catalog.CreateTrack(ctx, connect.NewRequest(&catalogv1.CreateTrackRequest{Track: &catalogv1.Track{Title: "X", ArtistIds: []string{art.Msg.Artist.Id}, Isrc: "nope"}}))
			return err
		}, connect.CodeInvalidArgument, "track.isrc"},
		{"create track bad release date", func(ctx context.Context) error {
			_, err := root.Catalog.CreateTrack(ctx, connect.NewRequest(&catalogv1.CreateTrackRequest{Track: &catalogv1.Track{Title: "X", ArtistIds: []string{art.Msg.Artist.Id}, ReleaseDate: "2023-02-30"}}))
			return err
		}, connect.CodeInvalidArgument, "track.release_date"},
		{"create track unknown artist", func(ctx context.Context) error {
			_, err := root.Catalog.CreateTrack(ctx, connect.NewRequest(&catalogv1.CreateTrackRequest{Track: &catalogv1.Track{Title: "X", ArtistIds: []string{unknown}}}))
			return err
		}, connect.CodeNotFound, ""},
		{"create track no artists", func(ctx context.Context) error {
			_, err := root.Catalog.CreateTrack(ctx, connect.NewRequest(&catalogv1.CreateTrackRequest{Track: &catalogv1.Track{Title: "X"}}))
			return err
		}, connect.CodeInvalidArgument, "track.artist_ids"},
		{"update with unknown mask path", func(ctx context.Context) error {
			_, err := root.Catalog.UpdateTrack(ctx, connect.NewRequest(&catalogv1.UpdateTrackRequest{Track: &catalogv1.Track{Id: tid, Title: "Y"}, UpdateMask: mask("play_count")}))
			return err
		}, connect.CodeInvalidArgument, "update_mask"},
		{"update with empty mask", func(ctx context.Context) error {
			_, err := root.Catalog.UpdateTrack(ctx, connect.NewRequest(&catalogv1.UpdateTrackRequest{Track: &catalogv1.Track{Id: tid, Title: "Y"}}))
			return err
		}, connect.CodeInvalidArgument, "update_mask"},
		{"page size too big", func(ctx context.Context) error {
			_, err := root.Catalog.ListTracks(ctx, connect.NewRequest(&catalogv1.ListTracksRequest{PageSize: 100000}))
			return err
		}, connect.CodeInvalidArgument, "page_size"},
		{"negative page size", func(ctx context.Context) error {
			_, err := root.Catalog.ListTracks(ctx, connect.NewRequest(&catalogv1.ListTracksRequest{PageSize: -1}))
			return err
		}, connect.CodeInvalidArgument, "page_size"},
		{"garbage page token", func(ctx context.Context) error {
			_, err := root.Catalog.ListTracks(ctx, connect.NewRequest(&catalogv1.ListTracksRequest{PageToken: "%%%garbage"}))
			return err
		}, connect.CodeInvalidArgument, "page_token"},
		{"empty search", func(ctx context.Context) error {
			_, err := root.Catalog.Search(ctx, connect.NewRequest(&catalogv1.SearchRequest{Query: "   "}))
			return err
		}, connect.CodeInvalidArgument, "query"},
		{"search too long", func(ctx context.Context) error {
			_, err := root.Catalog.Search(ctx, connect.NewRequest(&catalogv1.SearchRequest{Query: strings.Repeat("a", 201)}))
			return err
		}, connect.CodeInvalidArgument, "query"},
		{"search unspecified type", func(ctx context.Context) error {
			_, err := root.Catalog.Search(ctx, connect.NewRequest(&catalogv1.SearchRequest{Query: "a", Types: []catalogv1.ItemType{catalogv1.ItemType_ITEM_TYPE_PLAYLIST, 0}}))
			return err
		}, connect.CodeInvalidArgument, "types"},
		{"search repeated type", func(ctx context.Context) error {
			_, err := root.Catalog.Search(ctx, connect.NewRequest(&catalogv1.SearchRequest{Query: "a", Types: []catalogv1.ItemType{catalogv1.ItemType_ITEM_TYPE_PLAYLIST, catalogv1.ItemType_ITEM_TYPE_PLAYLIST}}))
			return err
		}, connect.CodeInvalidArgument, "types"},
		{"search group token of another query", func(ctx context.Context) error {
			first, err := root.Catalog.Search(ctx, connect.NewRequest(&catalogv1.SearchRequest{Query: "root", PageSize: 1,
				Types: []catalogv1.ItemType{catalogv1.ItemType_ITEM_TYPE_ARTIST, catalogv1.ItemType_ITEM_TYPE_TRACK}}))
			if err != nil {
				return err
			}
			//lint:ignore SA1019 the tokens of the mixed list and of a group are alike.
			token := first.Msg.NextPageToken
			_, err = root.Catalog.Search(ctx, connect.NewRequest(&catalogv1.SearchRequest{Query: "song", PageToken: token, Types: []catalogv1.ItemType{catalogv1.ItemType_ITEM_TYPE_TRACK}}))
			return err
		}, connect.CodeInvalidArgument, "page_token"},
		{"search unknown type", func(ctx context.Context) error {
			_, err := root.Catalog.Search(ctx, connect.NewRequest(&catalogv1.SearchRequest{Query: "a", Types: []catalogv1.ItemType{99}}))
			return err
		}, connect.CodeInvalidArgument, "types"},
		{"batch get too many", func(ctx context.Context) error {
			ids := make([]string, 101)
			for i := range ids {
				ids[i] = domain.NewID()
			}
			_, err := root.Catalog.BatchGetTracks(ctx, connect.NewRequest(&catalogv1.BatchGetTracksRequest{TrackIds: ids}))
			return err
		}, connect.CodeInvalidArgument, "track_ids"},
		{"playlist name too long", func(ctx context.Context) error {
			_, err := root.Playlists.CreatePlaylist(ctx, connect.NewRequest(&playlistv1.CreatePlaylistRequest{Playlist: &playlistv1.Playlist{Name: strings.Repeat("n", 201)}}))
			return err
		}, connect.CodeInvalidArgument, "playlist.name"},
		{"add no tracks", func(ctx context.Context) error {
			_, err := root.Playlists.AddTracks(ctx, connect.NewRequest(&playlistv1.AddTracksRequest{PlaylistId: pid}))
			return err
		}, connect.CodeInvalidArgument, "track_ids"},
		{"add unknown track", func(ctx context.Context) error {
			_, err := root.Playlists.AddTracks(ctx, connect.NewRequest(&playlistv1.AddTracksRequest{PlaylistId: pid, TrackIds: []string{tid, unknown}}))
			return err
		}, connect.CodeNotFound, ""},
		{"add at negative position", func(ctx context.Context) error {
			pos := int32(-2)
			_, err := root.Playlists.AddTracks(ctx, connect.NewRequest(&playlistv1.AddTracksRequest{PlaylistId: pid, TrackIds: []string{tid}, Position: &pos}))
			return err
		}, connect.CodeInvalidArgument, "position"},
		{"remove unknown entry", func(ctx context.Context) error {
			_, err := root.Playlists.RemoveTracks(ctx, connect.NewRequest(&playlistv1.RemoveTracksRequest{PlaylistId: pid, EntryIds: []string{unknown}}))
			return err
		}, connect.CodeNotFound, ""},
		{"set unknown role", func(ctx context.Context) error {
			_, err := root.Users.SetUserRoles(ctx, connect.NewRequest(&userv1.SetUserRolesRequest{UserId: unknown, Roles: []userv1.Role{42}}))
			return err
		}, connect.CodeInvalidArgument, "roles"},
		// One case for every other RPC that takes input.
		{"login without login", func(ctx context.Context) error {
			_, err := s.Anon().Users.Login(ctx, connect.NewRequest(&userv1.LoginRequest{Password: "x"}))
			return err
		}, connect.CodeInvalidArgument, "login"},
		{"refresh without token", func(ctx context.Context) error {
			_, err := s.Anon().Users.RefreshToken(ctx, connect.NewRequest(&userv1.RefreshTokenRequest{}))
			return err
		}, connect.CodeInvalidArgument, "refresh_token"},
		{"logout without token", func(ctx context.Context) error {
			_, err := root.Users.Logout(ctx, connect.NewRequest(&userv1.LogoutRequest{}))
			return err
		}, connect.CodeInvalidArgument, "refresh_token"},
		{"update me unknown mask path", func(ctx context.Context) error {
			_, err := root.Users.UpdateMe(ctx, connect.NewRequest(&userv1.UpdateMeRequest{User: &userv1.User{DisplayName: "x"}, UpdateMask: mask("roles")}))
			return err
		}, connect.CodeInvalidArgument, "update_mask"},
		{"update me bad email", func(ctx context.Context) error {
			_, err := root.Users.UpdateMe(ctx, connect.NewRequest(&userv1.UpdateMeRequest{User: &userv1.User{Email: "nope"}, UpdateMask: mask("email")}))
			return err
		}, connect.CodeInvalidArgument, "user.email"},
		{"get user bad id", func(ctx context.Context) error {
			_, err := root.Users.GetUser(ctx, connect.NewRequest(&userv1.GetUserRequest{UserId: "x y"}))
			return err
		}, connect.CodeInvalidArgument, "user_id"},
		{"follow artist bad id", func(ctx context.Context) error {
			_, err := root.Users.FollowArtist(ctx, connect.NewRequest(&userv1.FollowArtistRequest{ArtistId: "x y"}))
			return err
		}, connect.CodeInvalidArgument, "artist_id"},
		{"unfollow artist bad id", func(ctx context.Context) error {
			_, err := root.Users.UnfollowArtist(ctx, connect.NewRequest(&userv1.UnfollowArtistRequest{ArtistId: ""}))
			return err
		}, connect.CodeInvalidArgument, "artist_id"},
		{"list followed artists page size", func(ctx context.Context) error {
			_, err := root.Users.ListFollowedArtists(ctx, connect.NewRequest(&userv1.ListFollowedArtistsRequest{PageSize: -1}))
			return err
		}, connect.CodeInvalidArgument, "page_size"},
		{"list users bad token", func(ctx context.Context) error {
			_, err := root.Users.ListUsers(ctx, connect.NewRequest(&userv1.ListUsersRequest{PageToken: "%%%garbage"}))
			return err
		}, connect.CodeInvalidArgument, "page_token"},
		{"change password too short", func(ctx context.Context) error {
			_, err := root.Users.ChangePassword(ctx, connect.NewRequest(&userv1.ChangePasswordRequest{CurrentPassword: apptest.Password, NewPassword: "short"}))
			return err
		}, connect.CodeInvalidArgument, "new_password"},
		{"change password without the current one", func(ctx context.Context) error {
			_, err := root.Users.ChangePassword(ctx, connect.NewRequest(&userv1.ChangePasswordRequest{NewPassword: "a long enough passphrase"}))
			return err
		}, connect.CodeInvalidArgument, "current_password"},
		{"change password current one too long", func(ctx context.Context) error {
			_, err := root.Users.ChangePassword(ctx, connect.NewRequest(&userv1.ChangePasswordRequest{CurrentPassword: strings.Repeat("x", 10_000), NewPassword: "a long enough passphrase"}))
			return err
		}, connect.CodeInvalidArgument, "current_password"},
		{"disable user bad id", func(ctx context.Context) error {
			_, err := root.Users.DisableUser(ctx, connect.NewRequest(&userv1.DisableUserRequest{UserId: "x y"}))
			return err
		}, connect.CodeInvalidArgument, "user_id"},
		{"enable user without id", func(ctx context.Context) error {
			_, err := root.Users.EnableUser(ctx, connect.NewRequest(&userv1.EnableUserRequest{}))
			return err
		}, connect.CodeInvalidArgument, "user_id"},
		{"end user sessions bad id", func(ctx context.Context) error {
			_, err := root.Users.EndUserSessions(ctx, connect.NewRequest(&userv1.EndUserSessionsRequest{UserId: "x y"}))
			return err
		}, connect.CodeInvalidArgument, "user_id"},
		{"disable unknown user", func(ctx context.Context) error {
			_, err := root.Users.DisableUser(ctx, connect.NewRequest(&userv1.DisableUserRequest{UserId: unknown}))
			return err
		}, connect.CodeNotFound, ""},
		{"set roles bad user id", func(ctx context.Context) error {
			_, err := root.Users.SetUserRoles(ctx, connect.NewRequest(&userv1.SetUserRolesRequest{UserId: "x y", Roles: []userv1.Role{userv1.Role_ROLE_ARTIST}}))
			return err
		}, connect.CodeInvalidArgument, "user_id"},
		{"get artist bad id", func(ctx context.Context) error {
			_, err := root.Catalog.GetArtist(ctx, connect.NewRequest(&catalogv1.GetArtistRequest{ArtistId: "x y"}))
			return err
		}, connect.CodeInvalidArgument, "artist_id"},
		{"update artist bad image url", func(ctx context.Context) error {
			_, err := root.Catalog.UpdateArtist(ctx, connect.NewRequest(&catalogv1.UpdateArtistRequest{Artist: &catalogv1.Artist{Id: art.Msg.Artist.Id, ImageUrl: "javascript:alert(1)"}, UpdateMask: mask("image_url")}))
			return err
		}, connect.CodeInvalidArgument, "artist.image_url"},
		{"delete artist bad id", func(ctx context.Context) error {
			_, err := root.Catalog.DeleteArtist(ctx, connect.NewRequest(&catalogv1.DeleteArtistRequest{ArtistId: "x y"}))
			return err
		}, connect.CodeInvalidArgument, "artist_id"},
		{"list artists page size", func(ctx context.Context) error {
			_, err := root.Catalog.ListArtists(ctx, connect.NewRequest(&catalogv1.ListArtistsRequest{PageSize: 100000}))
			return err
		}, connect.CodeInvalidArgument, "page_size"},
		{"create album without title", func(ctx context.Context) error {
			_, err := root.Catalog.CreateAlbum(ctx, connect.NewRequest(&catalogv1.CreateAlbumRequest{Album: &catalogv1.Album{ArtistIds: []string{art.Msg.Artist.Id}}}))
			return err
		}, connect.CodeInvalidArgument, "album.title"},
		{"get album bad id", func(ctx context.Context) error {
			_, err := root.Catalog.GetAlbum(ctx, connect.NewRequest(&catalogv1.GetAlbumRequest{AlbumId: "x y"}))
			return err
		}, connect.CodeInvalidArgument, "album_id"},
		{"update album missing message", func(ctx context.Context) error {
			_, err := root.Catalog.UpdateAlbum(ctx, connect.NewRequest(&catalogv1.UpdateAlbumRequest{UpdateMask: mask("title")}))
			return err
		}, connect.CodeInvalidArgument, "album"},
		{"delete album bad id", func(ctx context.Context) error {
			_, err := root.Catalog.DeleteAlbum(ctx, connect.NewRequest(&catalogv1.DeleteAlbumRequest{AlbumId: "x y"}))
			return err
		}, connect.CodeInvalidArgument, "album_id"},
		{"list albums bad token", func(ctx context.Context) error {
			_, err := root.Catalog.ListAlbums(ctx, connect.NewRequest(&catalogv1.ListAlbumsRequest{PageToken: "%%%garbage"}))
			return err
		}, connect.CodeInvalidArgument, "page_token"},
		{"list albums by artist bad id", func(ctx context.Context) error {
			_, err := root.Catalog.ListAlbumsByArtist(ctx, connect.NewRequest(&catalogv1.ListAlbumsByArtistRequest{ArtistId: "x y"}))
			return err
		}, connect.CodeInvalidArgument, "artist_id"},
		{"delete track bad id", func(ctx context.Context) error {
			_, err := root.Catalog.DeleteTrack(ctx, connect.NewRequest(&catalogv1.DeleteTrackRequest{TrackId: "x y"}))
			return err
		}, connect.CodeInvalidArgument, "track_id"},
		{"upload negative size", func(ctx context.Context) error {
			_, err := root.Catalog.CreateTrackUpload(ctx, connect.NewRequest(&catalogv1.CreateTrackUploadRequest{TrackId: tid, SizeBytes: -1}))
			return err
		}, connect.CodeInvalidArgument, "size_bytes"},
		{"list tracks by album bad id", func(ctx context.Context) error {
			_, err := root.Catalog.ListTracksByAlbum(ctx, connect.NewRequest(&catalogv1.ListTracksByAlbumRequest{AlbumId: "x y"}))
			return err
		}, connect.CodeInvalidArgument, "album_id"},
		{"get playlist bad id", func(ctx context.Context) error {
			_, err := root.Playlists.GetPlaylist(ctx, connect.NewRequest(&playlistv1.GetPlaylistRequest{PlaylistId: "x y"}))
			return err
		}, connect.CodeInvalidArgument, "playlist_id"},
		{"list playlists bad user id", func(ctx context.Context) error {
			_, err := root.Playlists.ListPlaylists(ctx, connect.NewRequest(&playlistv1.ListPlaylistsRequest{UserId: "x y"}))
			return err
		}, connect.CodeInvalidArgument, "user_id"},
		{"update playlist unknown mask path", func(ctx context.Context) error {
			_, err := root.Playlists.UpdatePlaylist(ctx, connect.NewRequest(&playlistv1.UpdatePlaylistRequest{Playlist: &playlistv1.Playlist{Id: pid, Name: "Y"}, UpdateMask: mask("owner_user_id")}))
			return err
		}, connect.CodeInvalidArgument, "update_mask"},
		{"delete playlist bad id", func(ctx context.Context) error {
			_, err := root.Playlists.DeletePlaylist(ctx, connect.NewRequest(&playlistv1.DeletePlaylistRequest{PlaylistId: "x y"}))
			return err
		}, connect.CodeInvalidArgument, "playlist_id"},
		{"remove no entries", func(ctx context.Context) error {
			_, err := root.Playlists.RemoveTracks(ctx, connect.NewRequest(&playlistv1.RemoveTracksRequest{PlaylistId: pid}))
			return err
		}, connect.CodeInvalidArgument, "entry_ids"},
		{"move no entries", func(ctx context.Context) error {
			_, err := root.Playlists.MoveTracks(ctx, connect.NewRequest(&playlistv1.MoveTracksRequest{PlaylistId: pid}))
			return err
		}, connect.CodeInvalidArgument, "entry_ids"},
		{"follow playlist bad id", func(ctx context.Context) error {
			_, err := root.Playlists.FollowPlaylist(ctx, connect.NewRequest(&playlistv1.FollowPlaylistRequest{PlaylistId: "x y"}))
			return err
		}, connect.CodeInvalidArgument, "playlist_id"},
		{"unfollow playlist bad id", func(ctx context.Context) error {
			_, err := root.Playlists.UnfollowPlaylist(ctx, connect.NewRequest(&playlistv1.UnfollowPlaylistRequest{PlaylistId: "x y"}))
			return err
		}, connect.CodeInvalidArgument, "playlist_id"},
		{"add collaborator bad user id", func(ctx context.Context) error {
			_, err := root.Playlists.AddCollaborator(ctx, connect.NewRequest(&playlistv1.AddCollaboratorRequest{PlaylistId: pid, UserId: "x y"}))
			return err
		}, connect.CodeInvalidArgument, "user_id"},
		{"remove collaborator bad user id", func(ctx context.Context) error {
			_, err := root.Playlists.RemoveCollaborator(ctx, connect.NewRequest(&playlistv1.RemoveCollaboratorRequest{PlaylistId: pid, UserId: "x y"}))
			return err
		}, connect.CodeInvalidArgument, "user_id"},
		{"start playback without track or context", func(ctx context.Context) error {
			_, err := root.Playback.StartPlayback(ctx, connect.NewRequest(&playbackv1.StartPlaybackRequest{}))
			return err
		}, connect.CodeInvalidArgument, "track_id"},
		{"start playback negative position", func(ctx context.Context) error {
			_, err := root.Playback.StartPlayback(ctx, connect.NewRequest(&playbackv1.StartPlaybackRequest{TrackId: tid, PositionMs: -1}))
			return err
		}, connect.CodeInvalidArgument, "position_ms"},
		{"report playback no events", func(ctx context.Context) error {
			_, err := root.Playback.ReportPlayback(ctx, connect.NewRequest(&playbackv1.ReportPlaybackRequest{}))
			return err
		}, connect.CodeInvalidArgument, "events"},
		{"report playback bad event", func(ctx context.Context) error {
			_, err := root.Playback.ReportPlayback(ctx, connect.NewRequest(&playbackv1.ReportPlaybackRequest{Events: []*playbackv1.PlaybackEvent{{PlaybackId: "x y", TrackId: tid}}}))
			return err
		}, connect.CodeInvalidArgument, "events[0].playback_id"},
		{"recently played page size", func(ctx context.Context) error {
			_, err := root.Playback.ListRecentlyPlayed(ctx, connect.NewRequest(&playbackv1.ListRecentlyPlayedRequest{PageSize: -1}))
			return err
		}, connect.CodeInvalidArgument, "page_size"},
		{"save no tracks", func(ctx context.Context) error {
			_, err := root.Library.SaveTracks(ctx, connect.NewRequest(&libraryv1.SaveTracksRequest{}))
			return err
		}, connect.CodeInvalidArgument, "track_ids"},
		{"save 51 tracks", func(ctx context.Context) error {
			_, err := root.Library.SaveTracks(ctx, connect.NewRequest(&libraryv1.SaveTracksRequest{TrackIds: repeatIDs(domain.MaxLibraryBatch + 1)}))
			return err
		}, connect.CodeInvalidArgument, "track_ids"},
		{"save a track twice in one call", func(ctx context.Context) error {
			_, err := root.Library.SaveTracks(ctx, connect.NewRequest(&libraryv1.SaveTracksRequest{TrackIds: []string{tid, tid}}))
			return err
		}, connect.CodeInvalidArgument, "track_ids[1]"},
		{"save a bad track id", func(ctx context.Context) error {
			_, err := root.Library.SaveTracks(ctx, connect.NewRequest(&libraryv1.SaveTracksRequest{TrackIds: []string{tid, "x y"}}))
			return err
		}, connect.CodeInvalidArgument, "track_ids[1]"},
		{"save an unknown track with a known one", func(ctx context.Context) error {
			_, err := root.Library.SaveTracks(ctx, connect.NewRequest(&libraryv1.SaveTracksRequest{TrackIds: []string{tid, unknown}}))
			return err
		}, connect.CodeNotFound, unknown},
		{"remove a bad track id", func(ctx context.Context) error {
			_, err := root.Library.RemoveSavedTracks(ctx, connect.NewRequest(&libraryv1.RemoveSavedTracksRequest{TrackIds: []string{"../x"}}))
			return err
		}, connect.CodeInvalidArgument, "track_ids[0]"},
		{"are saved: no ids", func(ctx context.Context) error {
			_, err := root.Library.AreTracksSaved(ctx, connect.NewRequest(&libraryv1.AreTracksSavedRequest{}))
			return err
		}, connect.CodeInvalidArgument, "track_ids"},
		{"are saved: 51 ids", func(ctx context.Context) error {
			_, err := root.Library.AreAlbumsSaved(ctx, connect.NewRequest(&libraryv1.AreAlbumsSavedRequest{AlbumIds: repeatIDs(domain.MaxLibraryBatch + 1)}))
			return err
		}, connect.CodeInvalidArgument, "album_ids"},
		{"save an unknown album", func(ctx context.Context) error {
			_, err := root.Library.SaveAlbums(ctx, connect.NewRequest(&libraryv1.SaveAlbumsRequest{AlbumIds: []string{unknown}}))
			return err
		}, connect.CodeNotFound, unknown},
		{"remove a bad album id", func(ctx context.Context) error {
			_, err := root.Library.RemoveSavedAlbums(ctx, connect.NewRequest(&libraryv1.RemoveSavedAlbumsRequest{AlbumIds: []string{""}}))
			return err
		}, connect.CodeInvalidArgument, "album_ids[0]"},
		{"saved tracks page size", func(ctx context.Context) error {
			_, err := root.Library.ListSavedTracks(ctx, connect.NewRequest(&libraryv1.ListSavedTracksRequest{PageSize: -1}))
			return err
		}, connect.CodeInvalidArgument, "page_size"},
		{"saved albums page token", func(ctx context.Context) error {
			_, err := root.Library.ListSavedAlbums(ctx, connect.NewRequest(&libraryv1.ListSavedAlbumsRequest{PageToken: "garbage"}))
			return err
		}, connect.CodeInvalidArgument, "page_token"},
		{"liked songs set false", func(ctx context.Context) error {
			_, err := root.Playback.StartPlayback(ctx, connect.NewRequest(&playbackv1.StartPlaybackRequest{
				Context: &playbackv1.PlaybackContext{Context: &playbackv1.PlaybackContext_LikedSongs{}}}))
			return err
		}, connect.CodeInvalidArgument, "context.liked_songs"},
		{"liked songs index past the end", func(ctx context.Context) error {
			_, err := root.Playback.StartPlayback(ctx, connect.NewRequest(&playbackv1.StartPlaybackRequest{ContextIndex: 3,
				Context: &playbackv1.PlaybackContext{Context: &playbackv1.PlaybackContext_LikedSongs{LikedSongs: true}}}))
			return err
		}, connect.CodeInvalidArgument, "context_index"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call(apptest.Context(t))
			apptest.WantCode(t, err, tc.code)
			if tc.field != "" {
				if msg := connect.CodeOf(err).String() + ": " + err.Error(); !strings.Contains(msg, tc.field) {
					t.Fatalf("error %q does not name field %q", msg, tc.field)
				}
			}
		})
	}

	// Nothing a refused request carried was written.
	got, err := root.Playlists.GetPlaylist(ctx, connect.NewRequest(&playlistv1.GetPlaylistRequest{PlaylistId: pid}))
	apptest.MustOK(t, "GetPlaylist", err)
	if len(got.Msg.Entries) != 0 || got.Msg.Playlist.TrackCount != 0 || got.Msg.Playlist.Name != "Mine" || len(got.Msg.Playlist.CollaboratorIds) != 0 {
		t.Fatalf("playlist %v with %d entries after refused changes, want Mine, empty, no collaborators", got.Msg.Playlist, len(got.Msg.Entries))
	}
	tr, err := root.Catalog.GetTrack(ctx, connect.NewRequest(&catalogv1.GetTrackRequest{TrackId: tid}))
	apptest.MustOK(t, "GetTrack", err)
	if tr.Msg.Track.Title != "Root Song" {
		t.Fatalf("track title %q after refused updates, want Root Song", tr.Msg.Track.Title)
	}
	list, err := root.Catalog.ListTracks(ctx, connect.NewRequest(&catalogv1.ListTracksRequest{}))
	apptest.MustOK(t, "ListTracks", err)
	if len(list.Msg.Tracks) != 1 {
		t.Fatalf("%d tracks after refused creates, want 1", len(list.Msg.Tracks))
	}
	artists, err := root.Catalog.ListArtists(ctx, connect.NewRequest(&catalogv1.ListArtistsRequest{}))
	apptest.MustOK(t, "ListArtists", err)
	if len(artists.Msg.Artists) != 1 || artists.Msg.Artists[0].ImageUrl != "" {
		t.Fatalf("artists after refused creates and updates = %v, want Root Band alone, unchanged", artists.Msg.Artists)
	}
	albums, err := root.Catalog.ListAlbums(ctx, connect.NewRequest(&catalogv1.ListAlbumsRequest{}))
	apptest.MustOK(t, "ListAlbums", err)
	if len(albums.Msg.Albums) != 0 {
		t.Fatalf("%d albums after refused creates, want 0", len(albums.Msg.Albums))
	}
	users, err := root.Users.ListUsers(ctx, connect.NewRequest(&userv1.ListUsersRequest{}))
	apptest.MustOK(t, "ListUsers", err)
	if len(users.Msg.Users) != 1 {
		t.Fatalf("%d users after refused registrations, want 1", len(users.Msg.Users))
	}
	// Refused password changes left the password, and the sessions (root's
	// token still answers below), as they were.
	s.Login(t, "root", apptest.Password)
	me, err := root.Users.GetMe(ctx, connect.NewRequest(&userv1.GetMeRequest{}))
	apptest.MustOK(t, "GetMe", err)
	if me.Msg.User.Email != "root@example.com" {
		t.Fatalf("email %q after a refused update, want root@example.com", me.Msg.User.Email)
	}
	played, err := root.Playback.ListRecentlyPlayed(ctx, connect.NewRequest(&playbackv1.ListRecentlyPlayedRequest{}))
	apptest.MustOK(t, "ListRecentlyPlayed", err)
	if len(played.Msg.Items) != 0 {
		t.Fatalf("%d plays after refused reports, want 0", len(played.Msg.Items))
	}
	saved, err := root.Library.AreTracksSaved(ctx, connect.NewRequest(&libraryv1.AreTracksSavedRequest{TrackIds: []string{tid}}))
	apptest.MustOK(t, "AreTracksSaved", err)
	if saved.Msg.Saved[0] {
		t.Fatal("a refused SaveTracks saved the valid track it carried")
	}
}

// repeatIDs returns n distinct valid ids.
func repeatIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = domain.NewID()
	}
	return ids
}
