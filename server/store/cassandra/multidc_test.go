package cassandra

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/testenv/cassandratest"
)

// EnvMultiDC gates TestMultiDC: it starts its own two-node cluster, which
// takes a while and two more JVMs.
const EnvMultiDC = "BACKBEAT_CASSANDRA_MULTIDC"

// TestMultiDC runs a store in each of two data centres over one keyspace
// replicated once to each: Migrate refuses to guess the replication of a
// keyspace on two data centres; writes in dc1 reach dc2; with dc2's node
// down, dc1 keeps reading and writing at LOCAL_QUORUM/LOCAL_SERIAL while
// dc2's store fails instead of falling back to dc1's node; when it comes
// back, dc2 catches up (hints).
func TestMultiDC(t *testing.T) {
	cassandratest.SkipUnlessEnabled(t)
	if os.Getenv(EnvMultiDC) != "1" {
		t.Skipf("starts a two-node cluster: set %s=1 to run", EnvMultiDC)
	}
	ctx := t.Context()
	began := time.Now()
	// Addresses are left to the test environment, which picks free
	// loopback addresses (127.0.0.1 may be the shared node's).
	cluster, err := cassandratest.Start(ctx, cassandratest.Options{
		Nodes: []cassandratest.NodeSpec{{DC: "dc1"}, {DC: "dc2"}},
		Logf:  t.Logf,
	})
	if err != nil {
		t.Fatalf("start cluster: %v", err)
	}
	t.Cleanup(func() { _ = cluster.Close() })
	t.Logf("cluster %v up in %s", cluster.Hosts(), time.Since(began).Round(time.Millisecond))

	base := Config{
		Keyspace:    testKeyspace("backbeat_multidc"),
		Replication: map[string]int{"dc1": 1, "dc2": 1},
		Timeout:     10 * time.Second,
		Logger:      testLogger(t),
	}
	in := func(dc string) Config {
		c := base
		c.LocalDC, c.Hosts = dc, cluster.HostsIn(dc)
		return c
	}
	// A new keyspace on two data centres with no replication given is
	// refused, and nothing is created: one replica in dc1 alone would
	// leave dc2 without data.
	guess := in("dc1")
	guess.Replication = nil
	if err := Migrate(ctx, guess); !errors.Is(err, ErrReplicationRequired) || !strings.Contains(err.Error(), "dc1, dc2") {
		t.Fatalf("Migrate on two data centres without replication: %v; want ErrReplicationRequired naming dc1, dc2", err)
	}
	if missing, err := keyspaceMissing(ctx, guess); err != nil || !missing {
		t.Fatalf("after the refused Migrate: keyspace missing %v, err %v; want it not created", missing, err)
	}
	migrating := time.Now()
	if err := Migrate(ctx, in("dc1")); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	t.Logf("migrated in %s", time.Since(migrating).Round(time.Millisecond))
	open := func(dc string) domain.Stores {
		s, err := Open(ctx, in(dc))
		if err != nil {
			t.Fatalf("Open in %s: %v", dc, err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s.Stores()
	}
	dc1, dc2 := open("dc1"), open("dc2")

	w := newWriter(ctx, t, dc1)
	first := w.write("before")
	eventually(t, "dc2 sees dc1's writes", 60*time.Second, func() error { return w.check(dc2, first) })

	dc2Node := indexOf(cluster, "dc2")
	if err := cluster.StopNode(ctx, dc2Node); err != nil {
		t.Fatalf("stop dc2: %v", err)
	}
	t.Log("dc2 stopped")
	// dc1 alone serves reads and writes, but not sign-ups: a username or
	// email claim is a lightweight transaction at SERIAL, which needs a
	// majority of all replicas across data centres (cassandra/cql/README.md,
	// "Rules the schema follows"), so two data centres never both take one.
	during := w.as(first.user).write("during")
	if err := w.check(dc1, first); err != nil {
		t.Fatalf("dc1 reading old data with dc2 down: %v", err)
	}
	if err := w.check(dc1, during); err != nil {
		t.Fatalf("dc1 reading new data with dc2 down: %v", err)
	}
	// dc2's store, with its own data centre down, fails rather than
	// quietly reading and writing through dc1: LOCAL_QUORUM there would
	// mean dc1's quorum, and LOCAL_SERIAL claims taken in two data
	// centres at once could both succeed.
	refused := time.Now()
	if _, err := dc2.Catalog.GetTrack(ctx, first.track.ID); !domain.IsKind(err, domain.KindUnavailable) {
		t.Fatalf("dc2's store reading with dc2 down: %v; want Unavailable, not an answer from dc1", err)
	}
	t.Logf("dc2's store refused to read through dc1 in %s", time.Since(refused).Round(time.Millisecond))
	signUp := *first.user
	signUp.ID, signUp.Username, signUp.Email = domain.NewID(), "user-outage", "outage@example.com"
	if err := dc1.Users.CreateUser(ctx, &signUp); !domain.IsKind(err, domain.KindUnavailable) {
		t.Fatalf("sign-up with dc2 down: %v, want Unavailable (claims need both data centres)", err)
	}

	restarted := time.Now()
	if err := cluster.StartNode(ctx, dc2Node); err != nil {
		t.Fatalf("restart dc2: %v", err)
	}
	t.Logf("dc2 restarted in %s", time.Since(restarted).Round(time.Millisecond))
	// A fresh session: the old one's reconnection to the restarted node is
	// on its own schedule.
	dc2 = open("dc2")
	caughtUp := time.Now()
	eventually(t, "dc2 catches up on what it missed", 3*time.Minute, func() error { return w.check(dc2, during) })
	t.Logf("dc2 caught up %s after restart", time.Since(caughtUp).Round(time.Millisecond))
	if err := w.check(dc2, first); err != nil {
		t.Fatalf("dc2 lost old data: %v", err)
	}
	// With both data centres up, sign-ups work again and a taken name stays
	// taken, from either side.
	eventually(t, "a sign-up in dc2 once it is back", time.Minute, func() error {
		return dc2.Users.CreateUser(ctx, &signUp)
	})
	dup := *first.user
	dup.ID = domain.NewID()
	if err := dc1.Users.CreateUser(ctx, &dup); !domain.IsKind(err, domain.KindAlreadyExists) {
		t.Fatalf("duplicate username: %v, want AlreadyExists", err)
	}
	t.Logf("multi-DC test took %s", time.Since(began).Round(time.Millisecond))
}

func indexOf(c *cassandratest.Cluster, dc string) int {
	for i := range len(c.Hosts()) {
		if c.DC(i) == dc {
			return i
		}
	}
	panic("no node in " + dc)
}

// writer writes a small, connected set of entities through one store.
type writer struct {
	ctx context.Context
	t   *testing.T
	s   domain.Stores
	// owner, when set, owns what is written instead of a new user.
	owner *domain.User
}

type written struct {
	user     *domain.User
	track    *domain.Track
	playlist *domain.Playlist
	entries  []*domain.PlaylistEntry
}

func newWriter(ctx context.Context, t *testing.T, s domain.Stores) *writer {
	return &writer{ctx: ctx, t: t, s: s}
}

// as is w writing as u rather than signing up a new user each time.
func (w *writer) as(u *domain.User) *writer {
	c := *w
	c.owner = u
	return &c
}

func (w *writer) write(tag string) *written {
	w.t.Helper()
	x, err := w.tryWrite(tag)
	if err != nil {
		w.t.Fatalf("write %s: %v", tag, err)
	}
	return x
}

// tryWrite is write returning its error, for use off the test goroutine.
func (w *writer) tryWrite(tag string) (*written, error) {
	now := time.Now().UTC().Truncate(time.Millisecond)
	u := w.owner
	if u == nil {
		u = &domain.User{ID: domain.NewID(), Username: "user-" + tag, Email: tag + "@example.com", DisplayName: tag,
			Roles: []domain.Role{domain.RoleListener}, CreateTime: now, UpdateTime: now}
		if err := w.s.Users.CreateUser(w.ctx, u); err != nil {
			return nil, err
		}
	}
	ar := &domain.Artist{ID: domain.NewID(), Name: "Artist " + tag, OwnerIDs: []string{u.ID}, CreateTime: now, UpdateTime: now}
	if err := w.s.Catalog.CreateArtist(w.ctx, ar); err != nil {
		return nil, err
	}
	al := &domain.Album{ID: domain.NewID(), Title: "Album " + tag, ArtistIDs: []string{ar.ID}, Type: domain.AlbumTypeAlbum, CreateTime: now, UpdateTime: now}
	if err := w.s.Catalog.CreateAlbum(w.ctx, al); err != nil {
		return nil, err
	}
	tr := &domain.Track{ID: domain.NewID(), Title: "Song " + tag, ArtistIDs: []string{ar.ID}, AlbumID: al.ID, DiscNumber: 1, TrackNumber: 1,
		Status: domain.TrackReady, CreateTime: now, UpdateTime: now}
	if err := w.s.Catalog.CreateTrack(w.ctx, tr); err != nil {
		return nil, err
	}
	pl := &domain.Playlist{ID: domain.NewID(), OwnerID: u.ID, Name: "Mix " + tag, Public: true, CreateTime: now, UpdateTime: now}
	if err := w.s.Playlists.CreatePlaylist(w.ctx, pl); err != nil {
		return nil, err
	}
	var es []*domain.PlaylistEntry
	for range 3 {
		es = append(es, &domain.PlaylistEntry{ID: domain.NewID(), TrackID: tr.ID, AddedBy: u.ID, AddTime: now})
	}
	if err := w.s.Playlists.AddEntries(w.ctx, pl.ID, es, -1); err != nil {
		return nil, err
	}
	return &written{user: u, track: tr, playlist: pl, entries: es}, nil
}

// check reads back what write wrote, through s.
func (w *writer) check(s domain.Stores, x *written) error {
	u, err := s.Users.GetUserByUsername(w.ctx, x.user.Username)
	if err != nil {
		return fmt.Errorf("user: %w", err)
	}
	if u.ID != x.user.ID {
		return fmt.Errorf("user: got id %s, want %s", u.ID, x.user.ID)
	}
	if _, err := s.Catalog.GetTrack(w.ctx, x.track.ID); err != nil {
		return fmt.Errorf("track: %w", err)
	}
	pl, err := s.Playlists.GetPlaylist(w.ctx, x.playlist.ID)
	if err != nil {
		return fmt.Errorf("playlist: %w", err)
	}
	if pl.TrackCount != len(x.entries) {
		return fmt.Errorf("playlist: TrackCount %d, want %d", pl.TrackCount, len(x.entries))
	}
	es, _, err := s.Playlists.ListEntries(w.ctx, x.playlist.ID, domain.Page{Size: 10})
	if err != nil {
		return fmt.Errorf("entries: %w", err)
	}
	if len(es) != len(x.entries) {
		return fmt.Errorf("entries: %d listed, want %d", len(es), len(x.entries))
	}
	return nil
}

// eventually polls check until it passes, failing t after timeout.
func eventually(t *testing.T, what string, timeout time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s: %v", what, timeout, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
