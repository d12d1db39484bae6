package cassandra

import (
	"slices"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/testenv/cassandratest"
)

// openFeedStore migrates a keyspace of its own and opens it.
func openFeedStore(t *testing.T) *Store {
	t.Helper()
	hosts := cassandratest.Shared(t)
	cfg := Config{
		Hosts: hosts, LocalDC: cassandratest.SharedDC, Keyspace: testKeyspace("backbeat_feed"),
		Replication: map[string]int{cassandratest.SharedDC: 1}, Timeout: 30 * time.Second, Logger: testLogger(t),
	}
	if err := Migrate(t.Context(), cfg); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	s, err := Open(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		dropKeyspace(t, s, cfg.Keyspace)
		_ = s.Close()
	})
	return s
}

// readAllFeed returns every record of every shard written since since.
func readAllFeed(t *testing.T, f domain.SearchFeed, since time.Time) []domain.FeedRecord {
	t.Helper()
	var out []domain.FeedRecord
	for shard := range f.FeedShards() {
		recs, err := f.ReadFeed(t.Context(), shard, "", since, time.Now().Add(time.Second), 10_000)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, recs...)
	}
	return out
}

func named(recs []domain.FeedRecord, kind domain.ItemType, id string) int {
	n := 0
	for _, r := range recs {
		if r.Kind == kind && r.ID == id {
			n++
		}
	}
	return n
}

// TestSearchFeedRecordsEveryWrite checks each catalog and playlist write
// leaves a record naming the documents it changed, including the cascades
// (an artist's rename changes its albums' and tracks' documents), and
// that SearchDoc reads the document as it is now.
func TestSearchFeedRecordsEveryWrite(t *testing.T) {
	s := openFeedStore(t)
	ctx := t.Context()
	st := s.Stores()
	f := s.SearchFeed()
	since := time.Now().Add(-time.Second)
	now := time.Now().UTC()

	u := &domain.User{ID: domain.NewID(), Username: "owner", Email: "o@example.com", CreateTime: now, UpdateTime: now}
	must(t, st.Users.CreateUser(ctx, u))
	ar := &domain.Artist{ID: domain.NewID(), Name: "Daft Punk", OwnerIDs: []string{u.ID}, CreateTime: now, UpdateTime: now}
	must(t, st.Catalog.CreateArtist(ctx, ar))
	al := &domain.Album{ID: domain.NewID(), Title: "Discovery", ArtistIDs: []string{ar.ID}, Type: domain.AlbumTypeAlbum, CreateTime: now, UpdateTime: now}
	must(t, st.Catalog.CreateAlbum(ctx, al))
	tr := &domain.Track{ID: domain.NewID(), Title: "One More Time", ArtistIDs: []string{ar.ID}, AlbumID: al.ID, Status: domain.TrackReady, CreateTime: now, UpdateTime: now}
	must(t, st.Catalog.CreateTrack(ctx, tr))
	pl := &domain.Playlist{ID: domain.NewID(), OwnerID: u.ID, Name: "Road trip", Public: true, CreateTime: now, UpdateTime: now}
	must(t, st.Playlists.CreatePlaylist(ctx, pl))

	recs := readAllFeed(t, f, since)
	for _, want := range []struct {
		kind domain.ItemType
		id   string
	}{{domain.ItemArtist, ar.ID}, {domain.ItemAlbum, al.ID}, {domain.ItemTrack, tr.ID}, {domain.ItemPlaylist, pl.ID}} {
		if named(recs, want.kind, want.id) != 1 {
			t.Errorf("after creation: %d records of %s %s, want 1", named(recs, want.kind, want.id), want.kind, want.id)
		}
	}
	d, err := f.SearchDoc(ctx, domain.ItemTrack, tr.ID)
	must(t, err)
	if d.Name != "One More Time" || !slices.Equal(d.Artists, []string{"Daft Punk", "Discovery"}) || d.Version == 0 {
		t.Errorf("track document = %+v", d)
	}

	// A rename reaches the album's and the track's documents.
	ar.Name = "Daft Punk!"
	must(t, st.Catalog.UpdateArtist(ctx, ar))
	recs = readAllFeed(t, f, since)
	if named(recs, domain.ItemAlbum, al.ID) != 2 || named(recs, domain.ItemTrack, tr.ID) != 2 {
		t.Errorf("after the artist's rename: album %d, track %d records, want 2 each",
			named(recs, domain.ItemAlbum, al.ID), named(recs, domain.ItemTrack, tr.ID))
	}
	d, err = f.SearchDoc(ctx, domain.ItemAlbum, al.ID)
	must(t, err)
	if !slices.Equal(d.Artists, []string{"Daft Punk!"}) {
		t.Errorf("album document after rename = %+v", d)
	}

	// A private playlist is not a document.
	pl.Public = false
	must(t, st.Playlists.UpdatePlaylist(ctx, pl))
	if _, err := f.SearchDoc(ctx, domain.ItemPlaylist, pl.ID); !domain.IsKind(err, domain.KindNotFound) {
		t.Errorf("SearchDoc of a private playlist: %v, want not found", err)
	}

	// Deletes are recorded too, and the document is then gone.
	_, err = st.Catalog.DeleteArtist(ctx, ar.ID)
	must(t, err)
	must(t, st.Playlists.DeletePlaylist(ctx, pl.ID))
	recs = readAllFeed(t, f, since)
	if named(recs, domain.ItemArtist, ar.ID) < 3 || named(recs, domain.ItemTrack, tr.ID) < 3 || named(recs, domain.ItemPlaylist, pl.ID) != 3 {
		t.Errorf("after deletes: artist %d, track %d, playlist %d records",
			named(recs, domain.ItemArtist, ar.ID), named(recs, domain.ItemTrack, tr.ID), named(recs, domain.ItemPlaylist, pl.ID))
	}
	for _, k := range []domain.ItemType{domain.ItemArtist, domain.ItemAlbum, domain.ItemTrack} {
		id := map[domain.ItemType]string{domain.ItemArtist: ar.ID, domain.ItemAlbum: al.ID, domain.ItemTrack: tr.ID}[k]
		if _, err := f.SearchDoc(ctx, k, id); !domain.IsKind(err, domain.KindNotFound) {
			t.Errorf("SearchDoc(%s) after delete: %v, want not found", k, err)
		}
	}

	// Records come back in order, and reading after a position skips it.
	for shard := range f.FeedShards() {
		all, err := f.ReadFeed(ctx, shard, "", since, time.Now(), 1000)
		must(t, err)
		if !slices.IsSortedFunc(all, func(a, b domain.FeedRecord) int { return a.Time.Compare(b.Time) }) {
			t.Errorf("shard %d: records out of order", shard)
		}
		if len(all) < 2 {
			continue
		}
		rest, err := f.ReadFeed(ctx, shard, all[0].Pos, since, time.Now(), 1000)
		must(t, err)
		if len(rest) != len(all)-1 || rest[0].Pos != all[1].Pos {
			t.Errorf("shard %d: reading after the first record gave %d records, want %d", shard, len(rest), len(all)-1)
		}
	}
}

// TestSearchFeedLease checks one holder at a time: a second holder is
// refused while the first renews, and takes the lease once it lapses.
func TestSearchFeedLease(t *testing.T) {
	s := openFeedStore(t)
	ctx := t.Context()
	f := s.SearchFeed()
	ttl := 2 * time.Second
	hold := func(holder string) bool {
		ok, err := f.HoldLease(ctx, "search", holder, ttl)
		must(t, err)
		return ok
	}
	if !hold("a") {
		t.Fatal("a could not take a free lease")
	}
	if hold("b") {
		t.Fatal("b took a lease a holds")
	}
	if !hold("a") {
		t.Fatal("a could not renew its lease")
	}
	deadline := time.Now().Add(3 * ttl)
	for !hold("b") {
		if time.Now().After(deadline) {
			t.Fatal("b did not take the lease after a stopped renewing")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if hold("a") {
		t.Fatal("a renewed a lease b took over")
	}
	must(t, f.ReleaseLease(ctx, "search", "b"))
	if !hold("a") {
		t.Fatal("a could not take a released lease")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
