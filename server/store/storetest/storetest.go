// Package storetest is the conformance suite of the domain's store
// interfaces: every store implementation runs Run against itself, so they all
// behave as domain.Stores documents. Tests check what a caller can observe,
// never how a store keeps its data.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/store/storeseed"
)

// Run runs the suite. open must return a fresh, empty store each time it is
// called; every subtest calls it once.
func Run(t *testing.T, open func(t *testing.T) domain.Stores) {
	groups := [][]test{userTests, revocationTests, catalogTests, mediaTests, playlistTests, playTests, searchTests, pagingTests(), concurrencyTests, libraryTests}
	for _, group := range groups {
		for _, tc := range group {
			t.Run(tc.name, func(t *testing.T) {
				tc.run(t, newFixture(t, open(t)))
			})
		}
	}
}

type test struct {
	name string
	run  func(t *testing.T, f *fixture)
}

// fixture creates entities with valid, distinct values. Ids and create times
// both increase with every entity made, so "oldest first" means the same
// whether a store orders by id or by time. Times are whole milliseconds, the
// finest every store keeps.
type fixture struct {
	t      *testing.T
	ctx    context.Context
	s      domain.Stores
	clock  time.Time
	lastID string
	n      int
}

func newFixture(t *testing.T, s domain.Stores) *fixture {
	return &fixture{t: t, ctx: t.Context(), s: s, clock: time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)}
}

// id returns a new id above every id it returned before.
func (f *fixture) id() string {
	f.lastID = storeseed.IDAfter(f.lastID)
	return f.lastID
}

// now returns a time one second after the last one it returned.
func (f *fixture) now() time.Time {
	f.clock = f.clock.Add(time.Second)
	return f.clock
}

func (f *fixture) seq() int {
	f.n++
	return f.n
}

func (f *fixture) newUser(username string) *domain.User {
	t := f.now()
	return &domain.User{
		ID:           f.id(),
		Username:     username,
		Email:        username + "@example.com",
		DisplayName:  "User " + username,
		Roles:        []domain.Role{domain.RoleListener},
		PasswordHash: "hash-" + username,
		CreateTime:   t,
		UpdateTime:   t,
	}
}

func (f *fixture) user(username string) *domain.User {
	f.t.Helper()
	u := f.newUser(username)
	must(f.t, f.s.Users.CreateUser(f.ctx, u))
	return u
}

func (f *fixture) newArtist(name string, owners ...*domain.User) *domain.Artist {
	t := f.now()
	a := &domain.Artist{
		ID:         f.id(),
		Name:       name,
		Bio:        "About " + name,
		Genres:     []string{"pop", "electronic"},
		ImageURL:   "https://img.example.com/" + name,
		CreateTime: t,
		UpdateTime: t,
	}
	for _, o := range owners {
		a.OwnerIDs = append(a.OwnerIDs, o.ID)
	}
	return a
}

func (f *fixture) artist(name string, owners ...*domain.User) *domain.Artist {
	f.t.Helper()
	a := f.newArtist(name, owners...)
	must(f.t, f.s.Catalog.CreateArtist(f.ctx, a))
	return a
}

func (f *fixture) newAlbum(title string, artists ...*domain.Artist) *domain.Album {
	t := f.now()
	a := &domain.Album{
		ID:          f.id(),
		Title:       title,
		Type:        domain.AlbumTypeAlbum,
		Genres:      []string{"pop"},
		ReleaseDate: fmt.Sprintf("2020-01-%02d", 1+f.seq()%28),
		ArtworkURL:  "https://img.example.com/album/" + title,
		CreateTime:  t,
		UpdateTime:  t,
	}
	for _, ar := range artists {
		a.ArtistIDs = append(a.ArtistIDs, ar.ID)
	}
	return a
}

func (f *fixture) album(title string, artists ...*domain.Artist) *domain.Album {
	f.t.Helper()
	a := f.newAlbum(title, artists...)
	must(f.t, f.s.Catalog.CreateAlbum(f.ctx, a))
	return a
}

func (f *fixture) newTrack(title string, album *domain.Album, artists ...*domain.Artist) *domain.Track {
	t := f.now()
	n := f.seq()
	tr := &domain.Track{
		ID:          f.id(),
		Title:       title,
		DiscNumber:  1,
		TrackNumber: n,
		Genres:      []string{"pop"},
		Duration:    time.Duration(180+n) * time.Second,
		ReleaseDate: "2020-01-01",
		ISRC:        fmt.Sprintf("USABC20%05d", n),
		ArtworkURL:  "https://img.example.com/track/" + title,
		Status:      domain.TrackReady,
		MediaID:     fmt.Sprintf("media-%05d", n),
		Loudness:    domain.Loudness{IntegratedLUFS: -14.25 - float64(n)/8, TruePeakDBTP: -1.5, RangeLU: 6.125},
		CreateTime:  t,
		UpdateTime:  t,
	}
	if album != nil {
		tr.AlbumID = album.ID
	}
	for _, a := range artists {
		tr.ArtistIDs = append(tr.ArtistIDs, a.ID)
	}
	return tr
}

func (f *fixture) track(title string, album *domain.Album, artists ...*domain.Artist) *domain.Track {
	f.t.Helper()
	tr := f.newTrack(title, album, artists...)
	must(f.t, f.s.Catalog.CreateTrack(f.ctx, tr))
	return tr
}

// tracks makes n tracks on one album, for tests that need something to put
// in playlists.
func (f *fixture) tracks(n int) []*domain.Track {
	f.t.Helper()
	ar := f.artist(fmt.Sprintf("Filler Artist %d", f.seq()))
	al := f.album(fmt.Sprintf("Filler Album %d", f.seq()), ar)
	out := make([]*domain.Track, n)
	for i := range out {
		out[i] = f.track(fmt.Sprintf("Filler Track %d", f.seq()), al, ar)
	}
	return out
}

// newPlay makes a play of tr by u, PlayTime a second after the last time
// the fixture handed out.
func (f *fixture) newPlay(u *domain.User, tr *domain.Track) *domain.Play {
	return &domain.Play{UserID: u.ID, PlaybackID: f.id(), TrackID: tr.ID, DeviceID: "device-" + u.Username, PlayTime: f.now()}
}

// play records a new play of tr by u.
func (f *fixture) play(u *domain.User, tr *domain.Track) *domain.Play {
	f.t.Helper()
	p := f.newPlay(u, tr)
	must(f.t, f.s.Plays.RecordPlay(f.ctx, p))
	return p
}

// settleCounts has a store that adds counted plays to tracks in the
// background (it offers RollupPlays) do so now.
func (f *fixture) settleCounts() {
	f.t.Helper()
	if r, ok := f.s.Plays.(interface{ RollupPlays(context.Context) error }); ok {
		must(f.t, r.RollupPlays(f.ctx))
	}
}

// playCount is the track's PlayCount once every count made is settled.
func (f *fixture) playCount(trackID string) int64 {
	f.t.Helper()
	f.settleCounts()
	return f.getTrack(trackID).PlayCount
}

// plays lists all of a user's plays.
func (f *fixture) plays(userID string) []*domain.Play {
	f.t.Helper()
	return mustList(f.t, func(p domain.Page) ([]*domain.Play, string, error) { return f.s.Plays.ListPlays(f.ctx, userID, p) })
}

func (f *fixture) getTrack(id string) *domain.Track {
	f.t.Helper()
	tr, err := f.s.Catalog.GetTrack(f.ctx, id)
	must(f.t, err)
	return tr
}

func (f *fixture) newPlaylist(owner *domain.User, name string) *domain.Playlist {
	t := f.now()
	return &domain.Playlist{
		ID:          f.id(),
		OwnerID:     owner.ID,
		Name:        name,
		Description: "About " + name,
		Public:      true,
		CreateTime:  t,
		UpdateTime:  t,
	}
}

func (f *fixture) playlist(owner *domain.User, name string) *domain.Playlist {
	f.t.Helper()
	pl := f.newPlaylist(owner, name)
	must(f.t, f.s.Playlists.CreatePlaylist(f.ctx, pl))
	return pl
}

func (f *fixture) newEntries(by *domain.User, tracks ...*domain.Track) []*domain.PlaylistEntry {
	out := make([]*domain.PlaylistEntry, len(tracks))
	for i, tr := range tracks {
		out[i] = &domain.PlaylistEntry{ID: f.id(), TrackID: tr.ID, AddedBy: by.ID, AddTime: f.now()}
	}
	return out
}

// add appends entries for tracks to pl and returns their ids.
func (f *fixture) add(pl *domain.Playlist, by *domain.User, tracks ...*domain.Track) []string {
	f.t.Helper()
	es := f.newEntries(by, tracks...)
	must(f.t, f.s.Playlists.AddEntries(f.ctx, pl.ID, es, -1))
	return entryIDs(es)
}

func entryIDs(es []*domain.PlaylistEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

// entries lists all of a playlist's entries.
func (f *fixture) entries(playlistID string) []*domain.PlaylistEntry {
	f.t.Helper()
	var all []*domain.PlaylistEntry
	token := ""
	for range domain.MaxPlaylistEntries/domain.MaxPageSize + 2 {
		page, next, err := f.s.Playlists.ListEntries(f.ctx, playlistID, domain.Page{Size: domain.MaxPageSize, Token: token})
		must(f.t, err)
		all = append(all, page...)
		if next == "" {
			return all
		}
		token = next
	}
	f.t.Fatalf("ListEntries(%s) never ended", playlistID)
	return nil
}

func (f *fixture) entryOrder(playlistID string) []string {
	f.t.Helper()
	return entryIDs(f.entries(playlistID))
}

func (f *fixture) getPlaylist(id string) *domain.Playlist {
	f.t.Helper()
	pl, err := f.s.Playlists.GetPlaylist(f.ctx, id)
	must(f.t, err)
	return pl
}

func (f *fixture) getAlbum(id string) *domain.Album {
	f.t.Helper()
	a, err := f.s.Catalog.GetAlbum(f.ctx, id)
	must(f.t, err)
	return a
}

// search returns the hits of one page big enough for the tests' results.
func (f *fixture) search(query string, types ...domain.ItemType) []domain.SearchHit {
	f.t.Helper()
	hits, _, err := f.s.Catalog.Search(f.ctx, query, types, domain.Page{Size: 50})
	must(f.t, err)
	return hits
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// wantKind fails unless err carries kind k.
func wantKind(t *testing.T, err error, k domain.Kind) {
	t.Helper()
	if got := domain.KindOf(err); err == nil || got != k {
		t.Fatalf("error = %v (kind %v), want kind %v", err, got, k)
	}
}

// wantField fails unless err is AlreadyExists (or another kind k) on field.
func wantField(t *testing.T, err error, k domain.Kind, field string) {
	t.Helper()
	wantKind(t, err, k)
	var de *domain.Error
	if !errors.As(err, &de) || de.Field != field {
		t.Fatalf("error = %v, want Field %q", err, field)
	}
}

// wantEqual compares entities as a caller sees them: times by instant, and
// an empty slice the same as a nil one.
func wantEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(canon(reflect.ValueOf(got)).Interface(), canon(reflect.ValueOf(want)).Interface()) {
		t.Fatalf("%s:\n got %s\nwant %s", what, show(got), show(want))
	}
}

func show(v any) string {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv = rv.Elem()
	}
	if rv.Kind() == reflect.Slice {
		s := "["
		for i := range rv.Len() {
			if i > 0 {
				s += ", "
			}
			s += show(rv.Index(i).Interface())
		}
		return s + "]"
	}
	return fmt.Sprintf("%+v", rv.Interface())
}

var timeType = reflect.TypeFor[time.Time]()

// canon returns a copy of v with times in UTC and empty slices nil.
func canon(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		c := reflect.New(v.Type().Elem())
		c.Elem().Set(canon(v.Elem()))
		return c
	case reflect.Struct:
		if v.Type() == timeType {
			return reflect.ValueOf(v.Interface().(time.Time).UTC())
		}
		c := reflect.New(v.Type()).Elem()
		for i := range v.NumField() {
			if c.Field(i).CanSet() {
				c.Field(i).Set(canon(v.Field(i)))
			}
		}
		return c
	case reflect.Slice:
		if v.Len() == 0 {
			return reflect.Zero(v.Type())
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			c.Index(i).Set(canon(v.Index(i)))
		}
		return c
	case reflect.Interface:
		if v.IsNil() {
			return v
		}
		c := reflect.New(v.Type()).Elem()
		c.Set(canon(v.Elem()))
		return c
	}
	return v
}

// wantIDs compares id lists, order included.
func wantIDs(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s:\n got %q\nwant %q", what, got, want)
	}
}

func ids[T any](xs []T, id func(T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = id(x)
	}
	return out
}

func userID(u *domain.User) string              { return u.ID }
func artistID(a *domain.Artist) string          { return a.ID }
func albumID(a *domain.Album) string            { return a.ID }
func trackID(t *domain.Track) string            { return t.ID }
func playbackID(p *domain.Play) string          { return p.PlaybackID }
func playlistID(p *domain.Playlist) string      { return p.ID }
func entryID(e *domain.PlaylistEntry) string    { return e.ID }
func entryTrack(e *domain.PlaylistEntry) string { return e.TrackID }
func hitID(h domain.SearchHit) string {
	switch {
	case h.Track != nil:
		return h.Track.ID
	case h.Album != nil:
		return h.Album.ID
	case h.Artist != nil:
		return h.Artist.ID
	case h.Playlist != nil:
		return h.Playlist.ID
	}
	return ""
}
