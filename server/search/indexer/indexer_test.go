package indexer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gocql/gocql"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/search/indexer"
	"github.com/backbeat/backbeat/server/search/opensearch"
	"github.com/backbeat/backbeat/server/store/cassandra"
	"github.com/backbeat/backbeat/server/testenv/cassandratest"
	"github.com/backbeat/backbeat/server/testenv/netcut"
	"github.com/backbeat/backbeat/server/testenv/opensearchtest"
)

// lagBound is how soon a write must be searchable with a running indexer:
// Settle (200 ms here) plus a poll and OpenSearch's refresh (1 s), with
// slack for a loaded machine.
const lagBound = 15 * time.Second

type env struct {
	cfg    cassandra.Config
	store  *cassandra.Store
	feed   domain.SearchFeed
	url    string // OpenSearch, possibly through a proxy
	index  string
	engine *opensearch.Engine
}

// newEnv opens a keyspace and an index of the test's own; url, when set,
// is where the engine reaches OpenSearch (a proxy the test controls).
func newEnv(t testing.TB, url string) *env {
	t.Helper()
	opensearchtest.Skip(t)
	node := opensearchtest.Shared(t)
	hosts := cassandratest.Shared(t)
	ks := fmt.Sprintf("backbeat_ix_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9)
	cfg := cassandra.Config{Hosts: hosts, LocalDC: cassandratest.SharedDC, Keyspace: ks,
		Replication: map[string]int{cassandratest.SharedDC: 1}, Timeout: 30 * time.Second}
	ctx := t.Context()
	if err := cassandra.Migrate(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	st, err := cassandra.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if url == "" {
		url = node.URL
	}
	e := &env{cfg: cfg, store: st, feed: st.SearchFeed(), url: url, index: "ix-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))}
	e.engine = e.newEngine(t, e.index, url)
	return e
}

func (e *env) newEngine(t testing.TB, index, url string) *opensearch.Engine {
	t.Helper()
	eng, err := opensearch.New(opensearch.Config{URL: url, Index: index, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.EnsureIndex(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.DropIndex(context.Background()) })
	return eng
}

func (e *env) indexer(holder string, batch int) *indexer.Indexer {
	return indexer.New(e.feed, e.engine.Port(), indexer.Config{
		Holder: holder, LeaseTTL: 3 * time.Second, Poll: 50 * time.Millisecond, Settle: 200 * time.Millisecond, Batch: batch,
	})
}

// run runs ix until the returned stop is called (or the test ends).
func run(t *testing.T, ix *indexer.Indexer) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := ix.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

func (e *env) artist(t testing.TB, name string) *domain.Artist {
	t.Helper()
	now := time.Now().UTC()
	a := &domain.Artist{ID: domain.NewID(), Name: name, OwnerIDs: []string{"owner"}, CreateTime: now, UpdateTime: now}
	if err := e.store.Stores().Catalog.CreateArtist(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	return a
}

func (e *env) tracks(t testing.TB, artist *domain.Artist, n int, title string) []string {
	t.Helper()
	ids := make([]string, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 16)
	for i := range n {
		ids[i] = domain.NewID()
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			now := time.Now().UTC()
			tr := &domain.Track{ID: ids[i], Title: fmt.Sprintf("%s %d", title, i), ArtistIDs: []string{artist.ID},
				Status: domain.TrackReady, CreateTime: now, UpdateTime: now}
			if err := e.store.Stores().Catalog.CreateTrack(context.Background(), tr); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return ids
}

// indexed returns every document of the index, by "kind:id", as stored.
func indexed(t *testing.T, url, index string) map[string]string {
	t.Helper()
	if _, err := http.Post(url+"/"+index+"/_refresh", "application/json", nil); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(url + "/" + index + "/_search?size=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Hits struct {
			Hits []struct {
				ID     string          `json:"_id"`
				Source json.RawMessage `json:"_source"`
			} `json:"hits"`
		} `json:"hits"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	out := make(map[string]string, len(body.Hits.Hits))
	for _, h := range body.Hits.Hits {
		out[h.ID] = string(h.Source)
	}
	return out
}

// waitFor polls cond until it holds or lagBound passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(lagBound)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, lagBound)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func search(t *testing.T, e *env, q string) ([]domain.SearchRef, error) {
	t.Helper()
	refs, _, err := e.engine.Port().Search(t.Context(), q, nil, domain.Page{Size: 50})
	return refs, err
}

func hasRef(refs []domain.SearchRef, kind domain.ItemType, id string) bool {
	return slices.ContainsFunc(refs, func(r domain.SearchRef) bool { return r.Kind == kind && r.ID == id })
}

// TestWritesBecomeSearchable: the live path. A write is searchable within
// the lag bound, a rename replaces the old name, a delete removes it, and
// the lag is measured.
func TestWritesBecomeSearchable(t *testing.T) {
	e := newEnv(t, "")
	ix := e.indexer("a", 500)
	run(t, ix)
	a := e.artist(t, "Sigur Rós")
	waitFor(t, "new artist searchable", func() bool {
		refs, err := search(t, e, "sigur ros")
		return err == nil && hasRef(refs, domain.ItemArtist, a.ID)
	})
	tr := e.tracks(t, a, 1, "Hoppípolla")
	waitFor(t, "track found by its artist's name", func() bool {
		refs, err := search(t, e, "sigur hoppipolla")
		return err == nil && hasRef(refs, domain.ItemTrack, tr[0])
	})
	a.Name = "Jónsi"
	if err := e.store.Stores().Catalog.UpdateArtist(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "rename reaches the track", func() bool {
		refs, err := search(t, e, "jonsi hoppipolla")
		old, err2 := search(t, e, "sigur")
		return err == nil && err2 == nil && hasRef(refs, domain.ItemTrack, tr[0]) && len(old) == 0
	})
	if _, err := e.store.Stores().Catalog.DeleteArtist(t.Context(), a.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "delete removes artist and track", func() bool {
		refs, err := search(t, e, "jonsi")
		return err == nil && len(refs) == 0
	})
	st := ix.Status()
	if !st.Holding || st.Watermark.IsZero() || st.Indexed == 0 {
		t.Errorf("status = %+v", st)
	}
	lag, err := indexer.Lag(t.Context(), e.feed, "search", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("record lag p50 %s p99 %s; checkpoint lag %s", ix.LagPercentile(50), ix.LagPercentile(99), lag)
}

// TestKilledIndexerResumes: an indexer stopped mid-feed, its lease left to
// expire as a crashed one's would, is taken over by another, which
// finishes from the saved positions: every document once, none missing.
func TestKilledIndexerResumes(t *testing.T) {
	e := newEnv(t, "")
	a := e.artist(t, "Balladeer")
	// The first pass of an indexer with no positions builds the index; a
	// crash mid-feed is about the feed, so that pass happens first.
	first := e.indexer("first", 10)
	stop := run(t, first)
	waitFor(t, "first indexer caught up", func() bool { return !first.Status().Watermark.IsZero() })
	const n = 400
	ids := e.tracks(t, a, n, "Love Song")
	waitFor(t, "first indexer partly through", func() bool { return first.Status().Indexed > 20 })
	stop()
	if got := first.Status().Indexed; got >= n {
		t.Fatalf("first indexer indexed %d of %d before it was stopped: the test needs it mid-feed", got, n)
	}
	// A crash releases nothing: take the lease as the dead holder would
	// still have it.
	if ok, err := e.feed.HoldLease(t.Context(), "search", "first", 3*time.Second); err != nil || !ok {
		t.Fatalf("re-taking the dead holder's lease: %v %v", ok, err)
	}
	second := e.indexer("second", 50)
	run(t, second)
	waitFor(t, "every track indexed once", func() bool {
		docs := indexed(t, e.url, e.index)
		for _, id := range ids {
			if _, ok := docs["track:"+id]; !ok {
				return false
			}
		}
		return len(docs) == n+1
	})
	if !second.Status().Holding {
		t.Error("second indexer does not hold the lease")
	}
}

// TestOneIndexerAcrossReplicas: of two running indexers exactly one is
// active; when it stops the other takes over; and a holder that dies
// without giving the lease up is replaced once its TTL runs out.
func TestOneIndexerAcrossReplicas(t *testing.T) {
	e := newEnv(t, "")
	a, b := e.indexer("a", 500), e.indexer("b", 500)
	stops := map[*indexer.Indexer]func(){a: run(t, a), b: run(t, b)}
	waitFor(t, "one holds the lease", func() bool { return a.Status().Holding || b.Status().Holding })
	for range 20 {
		if a.Status().Holding == b.Status().Holding {
			t.Fatalf("a holding %v, b holding %v: want exactly one", a.Status().Holding, b.Status().Holding)
		}
		time.Sleep(100 * time.Millisecond)
	}
	holder, other := a, b
	if b.Status().Holding {
		holder, other = b, a
	}
	stops[holder]()
	waitFor(t, "the other takes over", func() bool { return other.Status().Holding })
	art := e.artist(t, "Takeover")
	waitFor(t, "the other indexes", func() bool {
		refs, err := search(t, e, "takeover")
		return err == nil && hasRef(refs, domain.ItemArtist, art.ID)
	})
	stops[other]()

	// A holder that crashed keeps the lease until its TTL runs out.
	if ok, err := e.feed.HoldLease(t.Context(), "search", "crashed", 3*time.Second); err != nil || !ok {
		t.Fatalf("taking the lease as the crashed holder: %v %v", ok, err)
	}
	crashed := time.Now()
	c := e.indexer("c", 500)
	run(t, c)
	waitFor(t, "c takes over from the crashed holder", func() bool { return c.Status().Holding })
	if took := time.Since(crashed); took < 2*time.Second {
		t.Errorf("c took the lease %s after the crash, before the crashed holder's TTL ran out", took)
	}
	late := e.artist(t, "After The Crash")
	waitFor(t, "c indexes", func() bool {
		refs, err := search(t, e, "after the crash")
		return err == nil && hasRef(refs, domain.ItemArtist, late.ID)
	})
}

// TestEngineOutage: with OpenSearch unreachable, Search fails fast as
// unavailable and the store keeps taking writes; when it is back the
// indexer catches up on what was written meanwhile.
func TestEngineOutage(t *testing.T) {
	node := opensearchtest.Shared(t)
	p := netcut.Start(t, strings.TrimPrefix(node.URL, "http://"))
	e := newEnv(t, "http://"+p.Addr())
	ix := e.indexer("a", 500)
	run(t, ix)
	before := e.artist(t, "Before Outage")
	waitFor(t, "indexed before the outage", func() bool {
		refs, err := search(t, e, "before outage")
		return err == nil && hasRef(refs, domain.ItemArtist, before.ID)
	})
	p.Cut()
	began := time.Now()
	_, err := search(t, e, "before")
	if !domain.IsKind(err, domain.KindUnavailable) {
		t.Fatalf("Search during the outage: %v, want unavailable", err)
	}
	t.Logf("Search during the outage: %v after %s", err, time.Since(began).Round(time.Millisecond))
	during := e.artist(t, "During Outage") // the store is not affected
	waitFor(t, "indexer notices the outage", func() bool { return ix.Status().LastError != "" })
	p.Restore(t)
	waitFor(t, "caught up after the outage", func() bool {
		refs, err := search(t, e, "during outage")
		return err == nil && hasRef(refs, domain.ItemArtist, during.ID)
	})
}

// TestReindexMatchesLiveIndex: a rebuild from the store into an empty
// index holds the same documents as the index the feed kept.
func TestReindexMatchesLiveIndex(t *testing.T) {
	e := newEnv(t, "")
	ix := e.indexer("a", 500)
	run(t, ix)
	a := e.artist(t, "Daft Punk")
	ids := e.tracks(t, a, 30, "Around the World")
	now := time.Now().UTC()
	al := &domain.Album{ID: domain.NewID(), Title: "Homework", ArtistIDs: []string{a.ID}, Type: domain.AlbumTypeAlbum, CreateTime: now, UpdateTime: now}
	if err := e.store.Stores().Catalog.CreateAlbum(t.Context(), al); err != nil {
		t.Fatal(err)
	}
	if err := e.store.Stores().Catalog.DeleteTrack(t.Context(), ids[0]); err != nil {
		t.Fatal(err)
	}
	u := &domain.User{ID: domain.NewID(), Username: "alice", Email: "a@example.com", CreateTime: now, UpdateTime: now}
	if err := e.store.Stores().Users.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	for i, public := range []bool{true, false} {
		pl := &domain.Playlist{ID: domain.NewID(), OwnerID: u.ID, Name: fmt.Sprintf("Mix %d", i), Public: public, CreateTime: now, UpdateTime: now}
		if err := e.store.Stores().Playlists.CreatePlaylist(t.Context(), pl); err != nil {
			t.Fatal(err)
		}
	}
	// A track with plays (an import's history) carries its popularity.
	hit := &domain.Track{ID: domain.NewID(), Title: "Da Funk", ArtistIDs: []string{a.ID}, AlbumID: al.ID, PlayCount: 1234,
		Status: domain.TrackReady, CreateTime: now, UpdateTime: now}
	if err := e.store.Stores().Catalog.CreateTrack(t.Context(), hit); err != nil {
		t.Fatal(err)
	}
	const want = 1 + 29 + 1 + 1 + 1 // artist, tracks left, album, public playlist, the played track
	waitFor(t, "live index complete", func() bool { return len(indexed(t, e.url, e.index)) == want })
	live := indexed(t, e.url, e.index)

	rebuilt := "ix-rebuilt-" + strings.ToLower(t.Name())
	eng := e.newEngine(t, rebuilt, e.url)
	var progress []string
	n, err := indexer.Reindex(t.Context(), e.feed, eng.Port(), 7, func(kind domain.ItemType, done int) {
		progress = append(progress, fmt.Sprintf("%s:%d", kind, done))
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != want {
		t.Errorf("Reindex wrote %d documents, want %d", n, want)
	}
	if len(progress) < 4 {
		t.Errorf("progress = %v, want a report per page", progress)
	}
	got := indexed(t, e.url, rebuilt)
	for id, src := range live {
		if got[id] != src {
			t.Errorf("%s: live %s, rebuilt %s", id, src, got[id])
		}
	}
	if len(got) != len(live) {
		t.Errorf("rebuilt %d documents, live %d", len(got), len(live))
	}
}

// TestLateRecordIsIndexed: a record whose write lands after the indexer's
// position passed its time (a batch retried for seconds) is still indexed,
// by the recheck of the positions' recent past.
func TestLateRecordIsIndexed(t *testing.T) {
	e := newEnv(t, "")
	ix := e.indexer("a", 500)
	run(t, ix)
	ctx := t.Context()
	now := time.Now().UTC()
	u := &domain.User{ID: domain.NewID(), Username: "late", Email: "late@example.com", CreateTime: now, UpdateTime: now}
	if err := e.store.Stores().Users.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	pl := &domain.Playlist{ID: domain.NewID(), OwnerID: u.ID, Name: "Late Night", CreateTime: now, UpdateTime: now}
	if err := e.store.Stores().Playlists.CreatePlaylist(ctx, pl); err != nil {
		t.Fatal(err)
	}
	// Every shard's saved position (where a pass starts reading) past the
	// time the record will bear.
	waitFor(t, "positions past the record's time to be", func() bool {
		lag, err := indexer.Lag(ctx, e.feed, "search", time.Now())
		return err == nil && time.Now().Add(-lag).After(now.Add(time.Second))
	})

	// Made public behind the store's back, with its record written now
	// but timed before the indexer's position, as a late-landing write's.
	cluster := gocql.NewCluster(e.cfg.Hosts...)
	cluster.Keyspace, cluster.Timeout = e.cfg.Keyspace, 30*time.Second
	sess, err := cluster.CreateSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if err := sess.Query(`UPDATE playlists SET public = true WHERE id = ?`, pl.ID).WithContext(ctx).Exec(); err != nil {
		t.Fatal(err)
	}
	at := gocql.UUIDFromTime(now.Add(500 * time.Millisecond))
	for shard := range e.feed.FeedShards() { // whichever shard the store would pick
		if err := sess.Query(`INSERT INTO search_feed (bucket, shard, at, kind, id) VALUES (?, ?, ?, ?, ?)`,
			at.Time().Unix()/60, shard, at, "playlist", pl.ID).WithContext(ctx).Exec(); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the late record indexed", func() bool {
		_, ok := indexed(t, e.url, e.index)["playlist:"+pl.ID]
		return ok
	})
}

// BenchmarkFeed prints the index lag under a write load and the time to
// rebuild the index: n tracks written by 16 concurrent writers through the
// store while an indexer with the serving defaults (Settle 2 s, Poll
// 250 ms) tails the feed; then the lag percentiles of those records (write
// to searchable, before OpenSearch's 1 s refresh), then a Reindex of
// everything into an empty index. Run with
//
//	BACKBEAT_CASSANDRA=1 BACKBEAT_OPENSEARCH=1 go test ./server/search/indexer -run '^$' -bench Feed -benchtime 1x
func BenchmarkFeed(b *testing.B) {
	const n = 5000
	for range b.N {
		benchFeed(b, n)
	}
}

func benchFeed(b *testing.B, n int) {
	e := newEnv(b, "")
	ix := indexer.New(e.feed, e.engine.Port(), indexer.Config{Holder: "bench"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = ix.Run(ctx) }()
	defer func() { cancel(); <-done }()
	for ix.Status().Watermark.IsZero() {
		time.Sleep(50 * time.Millisecond)
	}
	a := e.artist(b, "Bench Artist")
	began := time.Now()
	e.tracks(b, a, n, "Bench Song")
	wrote := time.Since(began)
	for ix.Status().Indexed < int64(n+1) {
		time.Sleep(50 * time.Millisecond)
	}
	b.ReportMetric(float64(n)/wrote.Seconds(), "writes/s")
	b.ReportMetric(float64(ix.LagPercentile(50).Milliseconds()), "lag-p50-ms")
	b.ReportMetric(float64(ix.LagPercentile(99).Milliseconds()), "lag-p99-ms")
	b.Logf("%d tracks written in %s (%.0f/s); index lag p50 %s, p99 %s (settle 2 s included)",
		n, wrote.Round(time.Millisecond), float64(n)/wrote.Seconds(), ix.LagPercentile(50).Round(time.Millisecond), ix.LagPercentile(99).Round(time.Millisecond))

	rebuilt := e.newEngine(b, e.index+"-rebuilt", e.url)
	began = time.Now()
	docs, err := indexer.Reindex(context.Background(), e.feed, rebuilt.Port(), 500, nil)
	if err != nil {
		b.Fatal(err)
	}
	took := time.Since(began)
	b.ReportMetric(took.Seconds(), "reindex-s")
	b.Logf("reindex of %d documents: %s (%.0f docs/s)", docs, took.Round(time.Millisecond), float64(docs)/took.Seconds())
}
