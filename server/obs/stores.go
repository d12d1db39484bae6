package obs

import (
	"context"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/backbeat/backbeat/server/domain"
)

// Stores wraps every store of s so each operation is timed
// (backbeat_store_op_duration_seconds{store,op}), its failures counted by
// kind (backbeat_store_op_errors_total), traced as a child span of the
// request, and run through br (nil: no breaker). name is the store's kind
// (embedded, cassandra). The wrappers hold no state of their own, so they
// compose with any other decorator of the same interfaces, inside or out.
func Stores(s domain.Stores, name string, m *Metrics, tracer trace.Tracer, br *Breaker) domain.Stores {
	o := &observer{store: name, m: m, tracer: tracer, br: br}
	return domain.Stores{
		Users:     users{s.Users, o},
		Catalog:   catalog{s.Catalog, o},
		Playlists: playlists{s.Playlists, o},
		Plays:     plays{s.Plays, o},
		Library:   library{s.Library, o},
	}
}

type observer struct {
	store  string
	m      *Metrics
	tracer trace.Tracer
	br     *Breaker
}

// call0 runs one store operation with its span, metrics and breaker.
func call0(ctx context.Context, o *observer, op string, f func(context.Context) error) error {
	start := time.Now()
	ctx, span := o.tracer.Start(ctx, op, trace.WithSpanKind(trace.SpanKindClient))
	if span.IsRecording() {
		span.SetAttributes(attr("db.system", o.store))
	}
	err := o.br.Do(func() error { return f(ctx) })
	if o.m != nil {
		o.m.StoreDuration.WithLabelValues(o.store, op).Observe(time.Since(start).Seconds())
		if err != nil {
			o.m.StoreErrors.WithLabelValues(o.store, op, KindLabel(err)).Inc()
		}
	}
	endSpan(span, err)
	return err
}

// call1 is call0 for an operation with one result.
func call1[T any](ctx context.Context, o *observer, op string, f func(context.Context) (T, error)) (T, error) {
	var v T
	err := call0(ctx, o, op, func(ctx context.Context) error {
		var err error
		v, err = f(ctx)
		return err
	})
	return v, err
}

// call2 is call0 for an operation with two results (a page and its token).
func call2[T, U any](ctx context.Context, o *observer, op string, f func(context.Context) (T, U, error)) (T, U, error) {
	var (
		v T
		u U
	)
	err := call0(ctx, o, op, func(ctx context.Context) error {
		var err error
		v, u, err = f(ctx)
		return err
	})
	return v, u, err
}

// KindLabel is an error's domain kind as a label value: not_found,
// unavailable, internal, ...
func KindLabel(err error) string {
	return strings.ReplaceAll(domain.KindOf(err).String(), " ", "_")
}

// users observes a domain.UserStore.
type users struct {
	next domain.UserStore
	o    *observer
}

func (w users) CreateUser(ctx context.Context, u *domain.User) error {
	return call0(ctx, w.o, "users.CreateUser", func(ctx context.Context) error { return w.next.CreateUser(ctx, u) })
}

func (w users) GetUser(ctx context.Context, id string) (*domain.User, error) {
	return call1(ctx, w.o, "users.GetUser", func(ctx context.Context) (*domain.User, error) { return w.next.GetUser(ctx, id) })
}

func (w users) GetUserByUsername(ctx context.Context, username string) (*domain.User, error) {
	return call1(ctx, w.o, "users.GetUserByUsername", func(ctx context.Context) (*domain.User, error) { return w.next.GetUserByUsername(ctx, username) })
}

func (w users) GetUserByEmail(ctx context.Context, email string) (*domain.User, error) {
	return call1(ctx, w.o, "users.GetUserByEmail", func(ctx context.Context) (*domain.User, error) { return w.next.GetUserByEmail(ctx, email) })
}

func (w users) GetUserByExternalID(ctx context.Context, issuer, subject string) (*domain.User, error) {
	return call1(ctx, w.o, "users.GetUserByExternalID", func(ctx context.Context) (*domain.User, error) {
		return w.next.GetUserByExternalID(ctx, issuer, subject)
	})
}

func (w users) UpdateUser(ctx context.Context, u *domain.User) error {
	return call0(ctx, w.o, "users.UpdateUser", func(ctx context.Context) error { return w.next.UpdateUser(ctx, u) })
}

func (w users) SetUserDisabled(ctx context.Context, id string, disabled bool) error {
	return call0(ctx, w.o, "users.SetUserDisabled", func(ctx context.Context) error { return w.next.SetUserDisabled(ctx, id, disabled) })
}

func (w users) EndUserSessions(ctx context.Context, id string, epoch int64) error {
	return call0(ctx, w.o, "users.EndUserSessions", func(ctx context.Context) error { return w.next.EndUserSessions(ctx, id, epoch) })
}

func (w users) DeleteUser(ctx context.Context, id string) error {
	return call0(ctx, w.o, "users.DeleteUser", func(ctx context.Context) error { return w.next.DeleteUser(ctx, id) })
}

func (w users) ListUsers(ctx context.Context, prefix string, p domain.Page) ([]*domain.User, string, error) {
	return call2(ctx, w.o, "users.ListUsers", func(ctx context.Context) ([]*domain.User, string, error) { return w.next.ListUsers(ctx, prefix, p) })
}

func (w users) CreateSession(ctx context.Context, s *domain.Session) error {
	return call0(ctx, w.o, "users.CreateSession", func(ctx context.Context) error { return w.next.CreateSession(ctx, s) })
}

func (w users) ConsumeSession(ctx context.Context, tokenHash string) (*domain.Session, error) {
	return call1(ctx, w.o, "users.ConsumeSession", func(ctx context.Context) (*domain.Session, error) { return w.next.ConsumeSession(ctx, tokenHash) })
}

func (w users) DeleteSession(ctx context.Context, tokenHash string) error {
	return call0(ctx, w.o, "users.DeleteSession", func(ctx context.Context) error { return w.next.DeleteSession(ctx, tokenHash) })
}

func (w users) RecordConsumedSession(ctx context.Context, c *domain.ConsumedSession) error {
	return call0(ctx, w.o, "users.RecordConsumedSession", func(ctx context.Context) error { return w.next.RecordConsumedSession(ctx, c) })
}

func (w users) GetConsumedSession(ctx context.Context, tokenHash string) (*domain.ConsumedSession, error) {
	return call1(ctx, w.o, "users.GetConsumedSession", func(ctx context.Context) (*domain.ConsumedSession, error) {
		return w.next.GetConsumedSession(ctx, tokenHash)
	})
}

func (w users) RevokeSessionFamily(ctx context.Context, familyID string) error {
	return call0(ctx, w.o, "users.RevokeSessionFamily", func(ctx context.Context) error { return w.next.RevokeSessionFamily(ctx, familyID) })
}

func (w users) FollowArtist(ctx context.Context, userID, artistID string) error {
	return call0(ctx, w.o, "users.FollowArtist", func(ctx context.Context) error { return w.next.FollowArtist(ctx, userID, artistID) })
}

func (w users) UnfollowArtist(ctx context.Context, userID, artistID string) error {
	return call0(ctx, w.o, "users.UnfollowArtist", func(ctx context.Context) error { return w.next.UnfollowArtist(ctx, userID, artistID) })
}

func (w users) ListFollowedArtists(ctx context.Context, userID string, p domain.Page) ([]string, string, error) {
	return call2(ctx, w.o, "users.ListFollowedArtists", func(ctx context.Context) ([]string, string, error) { return w.next.ListFollowedArtists(ctx, userID, p) })
}

// catalog observes a domain.CatalogStore.
type catalog struct {
	next domain.CatalogStore
	o    *observer
}

func (w catalog) CreateArtist(ctx context.Context, a *domain.Artist) error {
	return call0(ctx, w.o, "catalog.CreateArtist", func(ctx context.Context) error { return w.next.CreateArtist(ctx, a) })
}

func (w catalog) GetArtist(ctx context.Context, id string) (*domain.Artist, error) {
	return call1(ctx, w.o, "catalog.GetArtist", func(ctx context.Context) (*domain.Artist, error) { return w.next.GetArtist(ctx, id) })
}

func (w catalog) UpdateArtist(ctx context.Context, a *domain.Artist) error {
	return call0(ctx, w.o, "catalog.UpdateArtist", func(ctx context.Context) error { return w.next.UpdateArtist(ctx, a) })
}

func (w catalog) DeleteArtist(ctx context.Context, id string) ([]string, error) {
	return call1(ctx, w.o, "catalog.DeleteArtist", func(ctx context.Context) ([]string, error) { return w.next.DeleteArtist(ctx, id) })
}

func (w catalog) ListArtists(ctx context.Context, p domain.Page) ([]*domain.Artist, string, error) {
	return call2(ctx, w.o, "catalog.ListArtists", func(ctx context.Context) ([]*domain.Artist, string, error) { return w.next.ListArtists(ctx, p) })
}

func (w catalog) ListArtistsByOwner(ctx context.Context, userID string) ([]*domain.Artist, error) {
	return call1(ctx, w.o, "catalog.ListArtistsByOwner", func(ctx context.Context) ([]*domain.Artist, error) { return w.next.ListArtistsByOwner(ctx, userID) })
}

func (w catalog) CreateAlbum(ctx context.Context, a *domain.Album) error {
	return call0(ctx, w.o, "catalog.CreateAlbum", func(ctx context.Context) error { return w.next.CreateAlbum(ctx, a) })
}

func (w catalog) GetAlbum(ctx context.Context, id string) (*domain.Album, error) {
	return call1(ctx, w.o, "catalog.GetAlbum", func(ctx context.Context) (*domain.Album, error) { return w.next.GetAlbum(ctx, id) })
}

func (w catalog) UpdateAlbum(ctx context.Context, a *domain.Album) error {
	return call0(ctx, w.o, "catalog.UpdateAlbum", func(ctx context.Context) error { return w.next.UpdateAlbum(ctx, a) })
}

func (w catalog) DeleteAlbum(ctx context.Context, id string) ([]string, error) {
	return call1(ctx, w.o, "catalog.DeleteAlbum", func(ctx context.Context) ([]string, error) { return w.next.DeleteAlbum(ctx, id) })
}

func (w catalog) ListAlbums(ctx context.Context, p domain.Page) ([]*domain.Album, string, error) {
	return call2(ctx, w.o, "catalog.ListAlbums", func(ctx context.Context) ([]*domain.Album, string, error) { return w.next.ListAlbums(ctx, p) })
}

func (w catalog) ListAlbumsByArtist(ctx context.Context, artistID string, p domain.Page) ([]*domain.Album, string, error) {
	return call2(ctx, w.o, "catalog.ListAlbumsByArtist", func(ctx context.Context) ([]*domain.Album, string, error) {
		return w.next.ListAlbumsByArtist(ctx, artistID, p)
	})
}

func (w catalog) CreateTrack(ctx context.Context, t *domain.Track) error {
	return call0(ctx, w.o, "catalog.CreateTrack", func(ctx context.Context) error { return w.next.CreateTrack(ctx, t) })
}

func (w catalog) GetTrack(ctx context.Context, id string) (*domain.Track, error) {
	return call1(ctx, w.o, "catalog.GetTrack", func(ctx context.Context) (*domain.Track, error) { return w.next.GetTrack(ctx, id) })
}

func (w catalog) UpdateTrack(ctx context.Context, t *domain.Track) error {
	return call0(ctx, w.o, "catalog.UpdateTrack", func(ctx context.Context) error { return w.next.UpdateTrack(ctx, t) })
}

func (w catalog) SetTrackMedia(ctx context.Context, trackID string, m domain.TrackMedia) error {
	return call0(ctx, w.o, "catalog.SetTrackMedia", func(ctx context.Context) error { return w.next.SetTrackMedia(ctx, trackID, m) })
}

func (w catalog) DeleteTrack(ctx context.Context, id string) error {
	return call0(ctx, w.o, "catalog.DeleteTrack", func(ctx context.Context) error { return w.next.DeleteTrack(ctx, id) })
}

func (w catalog) ListTracks(ctx context.Context, p domain.Page) ([]*domain.Track, string, error) {
	return call2(ctx, w.o, "catalog.ListTracks", func(ctx context.Context) ([]*domain.Track, string, error) { return w.next.ListTracks(ctx, p) })
}

func (w catalog) ListTracksByAlbum(ctx context.Context, albumID string, p domain.Page) ([]*domain.Track, string, error) {
	return call2(ctx, w.o, "catalog.ListTracksByAlbum", func(ctx context.Context) ([]*domain.Track, string, error) {
		return w.next.ListTracksByAlbum(ctx, albumID, p)
	})
}

func (w catalog) BatchGetTracks(ctx context.Context, ids []string) ([]*domain.Track, error) {
	return call1(ctx, w.o, "catalog.BatchGetTracks", func(ctx context.Context) ([]*domain.Track, error) { return w.next.BatchGetTracks(ctx, ids) })
}

// Search is also a search engine's query (the store's own index), so it is
// timed as one too: backbeat_search_duration_seconds{engine="store"}.
func (w catalog) Search(ctx context.Context, query string, types []domain.ItemType, p domain.Page) ([]domain.SearchHit, string, error) {
	defer w.o.m.searched("store", time.Now())
	return call2(ctx, w.o, "catalog.Search", func(ctx context.Context) ([]domain.SearchHit, string, error) {
		return w.next.Search(ctx, query, types, p)
	})
}

// playlists observes a domain.PlaylistStore.
type playlists struct {
	next domain.PlaylistStore
	o    *observer
}

func (w playlists) CreatePlaylist(ctx context.Context, pl *domain.Playlist) error {
	return call0(ctx, w.o, "playlists.CreatePlaylist", func(ctx context.Context) error { return w.next.CreatePlaylist(ctx, pl) })
}

func (w playlists) GetPlaylist(ctx context.Context, id string) (*domain.Playlist, error) {
	return call1(ctx, w.o, "playlists.GetPlaylist", func(ctx context.Context) (*domain.Playlist, error) { return w.next.GetPlaylist(ctx, id) })
}

func (w playlists) UpdatePlaylist(ctx context.Context, pl *domain.Playlist) error {
	return call0(ctx, w.o, "playlists.UpdatePlaylist", func(ctx context.Context) error { return w.next.UpdatePlaylist(ctx, pl) })
}

func (w playlists) DeletePlaylist(ctx context.Context, id string) error {
	return call0(ctx, w.o, "playlists.DeletePlaylist", func(ctx context.Context) error { return w.next.DeletePlaylist(ctx, id) })
}

func (w playlists) ListPlaylistsByOwner(ctx context.Context, ownerID string, publicOnly bool, p domain.Page) ([]*domain.Playlist, string, error) {
	return call2(ctx, w.o, "playlists.ListPlaylistsByOwner", func(ctx context.Context) ([]*domain.Playlist, string, error) {
		return w.next.ListPlaylistsByOwner(ctx, ownerID, publicOnly, p)
	})
}

func (w playlists) ListEntries(ctx context.Context, playlistID string, p domain.Page) ([]*domain.PlaylistEntry, string, error) {
	return call2(ctx, w.o, "playlists.ListEntries", func(ctx context.Context) ([]*domain.PlaylistEntry, string, error) {
		return w.next.ListEntries(ctx, playlistID, p)
	})
}

func (w playlists) AddEntries(ctx context.Context, playlistID string, entries []*domain.PlaylistEntry, position int) error {
	return call0(ctx, w.o, "playlists.AddEntries", func(ctx context.Context) error { return w.next.AddEntries(ctx, playlistID, entries, position) })
}

func (w playlists) RemoveEntries(ctx context.Context, playlistID string, entryIDs []string) error {
	return call0(ctx, w.o, "playlists.RemoveEntries", func(ctx context.Context) error { return w.next.RemoveEntries(ctx, playlistID, entryIDs) })
}

func (w playlists) MoveEntries(ctx context.Context, playlistID string, entryIDs []string, beforeEntryID string) error {
	return call0(ctx, w.o, "playlists.MoveEntries", func(ctx context.Context) error { return w.next.MoveEntries(ctx, playlistID, entryIDs, beforeEntryID) })
}

func (w playlists) FollowPlaylist(ctx context.Context, userID, playlistID string) error {
	return call0(ctx, w.o, "playlists.FollowPlaylist", func(ctx context.Context) error { return w.next.FollowPlaylist(ctx, userID, playlistID) })
}

func (w playlists) UnfollowPlaylist(ctx context.Context, userID, playlistID string) error {
	return call0(ctx, w.o, "playlists.UnfollowPlaylist", func(ctx context.Context) error { return w.next.UnfollowPlaylist(ctx, userID, playlistID) })
}

func (w playlists) IsFollowingPlaylist(ctx context.Context, userID, playlistID string) (bool, error) {
	return call1(ctx, w.o, "playlists.IsFollowingPlaylist", func(ctx context.Context) (bool, error) { return w.next.IsFollowingPlaylist(ctx, userID, playlistID) })
}

func (w playlists) AddCollaborator(ctx context.Context, playlistID, userID string) error {
	return call0(ctx, w.o, "playlists.AddCollaborator", func(ctx context.Context) error { return w.next.AddCollaborator(ctx, playlistID, userID) })
}

func (w playlists) RemoveCollaborator(ctx context.Context, playlistID, userID string) error {
	return call0(ctx, w.o, "playlists.RemoveCollaborator", func(ctx context.Context) error { return w.next.RemoveCollaborator(ctx, playlistID, userID) })
}

// plays observes a domain.PlayStore.
type plays struct {
	next domain.PlayStore
	o    *observer
}

func (w plays) RecordPlay(ctx context.Context, p *domain.Play) error {
	return call0(ctx, w.o, "plays.RecordPlay", func(ctx context.Context) error { return w.next.RecordPlay(ctx, p) })
}

func (w plays) CountPlay(ctx context.Context, userID, playbackID, trackID string) error {
	return call0(ctx, w.o, "plays.CountPlay", func(ctx context.Context) error { return w.next.CountPlay(ctx, userID, playbackID, trackID) })
}

func (w plays) ListPlays(ctx context.Context, userID string, p domain.Page) ([]*domain.Play, string, error) {
	return call2(ctx, w.o, "plays.ListPlays", func(ctx context.Context) ([]*domain.Play, string, error) { return w.next.ListPlays(ctx, userID, p) })
}

func (w plays) CountedPlays(ctx context.Context, userID, fromID, toID string) (int, error) {
	return call1(ctx, w.o, "plays.CountedPlays", func(ctx context.Context) (int, error) { return w.next.CountedPlays(ctx, userID, fromID, toID) })
}

func (w plays) CreatePlayback(ctx context.Context, sp *domain.StartedPlayback) error {
	return call0(ctx, w.o, "plays.CreatePlayback", func(ctx context.Context) error { return w.next.CreatePlayback(ctx, sp) })
}

func (w plays) GetPlayback(ctx context.Context, userID, playbackID string) (*domain.StartedPlayback, error) {
	return call1(ctx, w.o, "plays.GetPlayback", func(ctx context.Context) (*domain.StartedPlayback, error) {
		return w.next.GetPlayback(ctx, userID, playbackID)
	})
}
