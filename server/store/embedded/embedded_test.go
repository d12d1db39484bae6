package embedded_test

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/store/embedded"
	"github.com/backbeat/backbeat/server/store/storetest"
)

func open(t *testing.T, dir string) *embedded.Store {
	t.Helper()
	s, err := embedded.Open(t.Context(), dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) domain.Stores {
		s := open(t, t.TempDir())
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return s.Stores()
	})
}

func TestSearchQuality(t *testing.T) {
	storetest.RunSearchQuality(t, func(t *testing.T) storetest.SearchSetup {
		s := open(t, t.TempDir())
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return storetest.SearchSetup{Stores: s.Stores()}
	})
}

// TestReopen checks that everything, the search index included, survives a
// Close and Open of the same directory.
func TestReopen(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	s := open(t, dir)
	st := s.Stores()
	now := time.Now().UTC().Truncate(time.Millisecond)
	u := &domain.User{ID: domain.NewID(), Username: "Persisted", Email: "p@example.com", Roles: []domain.Role{domain.RoleArtist},
		CreateTime: now, UpdateTime: now}
	ar := &domain.Artist{ID: domain.NewID(), Name: "Søren Kierkegaard Trio", OwnerIDs: []string{u.ID}, CreateTime: now, UpdateTime: now}
	al := &domain.Album{ID: domain.NewID(), Title: "Either/Or", ArtistIDs: []string{ar.ID}, Type: domain.AlbumTypeAlbum,
		ReleaseDate: "1843-02-20", CreateTime: now, UpdateTime: now}
	tr := &domain.Track{ID: domain.NewID(), Title: "Fear and Trembling", ArtistIDs: []string{ar.ID}, AlbumID: al.ID,
		DiscNumber: 1, TrackNumber: 1, Duration: 3 * time.Minute, Status: domain.TrackReady, PlayCount: 7,
		CreateTime: now, UpdateTime: now}
	pl := &domain.Playlist{ID: domain.NewID(), OwnerID: u.ID, Name: "Existential", Public: true, CreateTime: now, UpdateTime: now}
	e := &domain.PlaylistEntry{ID: domain.NewID(), TrackID: tr.ID, AddedBy: u.ID, AddTime: now}
	for _, err := range []error{
		st.Users.CreateUser(ctx, u),
		st.Catalog.CreateArtist(ctx, ar),
		st.Catalog.CreateAlbum(ctx, al),
		st.Catalog.CreateTrack(ctx, tr),
		st.Playlists.CreatePlaylist(ctx, pl),
		st.Playlists.AddEntries(ctx, pl.ID, []*domain.PlaylistEntry{e}, -1),
		st.Playlists.FollowPlaylist(ctx, u.ID, pl.ID),
		st.Users.CreateSession(ctx, &domain.Session{TokenHash: "h", UserID: u.ID, CreateTime: now, ExpireTime: now.Add(time.Hour)}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open(t, dir)
	defer s.Close()
	st = s.Stores()
	gotUser, err := st.Users.GetUserByUsername(ctx, "persisted")
	if err != nil || gotUser.ID != u.ID {
		t.Fatalf("user after reopen: %v, %v", gotUser, err)
	}
	gotTrack, err := st.Catalog.GetTrack(ctx, tr.ID)
	if err != nil || gotTrack.Title != tr.Title || gotTrack.PlayCount != 7 {
		t.Fatalf("track after reopen: %+v, %v", gotTrack, err)
	}
	gotPl, err := st.Playlists.GetPlaylist(ctx, pl.ID)
	if err != nil || gotPl.TrackCount != 1 || gotPl.FollowerCount != 1 {
		t.Fatalf("playlist after reopen: %+v, %v", gotPl, err)
	}
	if _, err := st.Users.ConsumeSession(ctx, "h"); err != nil {
		t.Fatalf("session after reopen: %v", err)
	}
	for query, want := range map[string]int{"soren": 3, "either or": 2, "fear tremb": 1} {
		hits, _, err := st.Catalog.Search(ctx, query, nil, domain.Page{Size: 10})
		if err != nil || len(hits) != want {
			t.Errorf("search %q after reopen: %d hits, %v; want %d", query, len(hits), err, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "backbeat.db")); err != nil {
		t.Fatalf("database file: %v", err)
	}
}

// TestNewerSchema checks that a database written by a newer binary is
// refused rather than misread.
func TestNewerSchema(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	s.Close()
	db, err := sql.Open("sqlite", filepath.Join(dir, "backbeat.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA user_version = 999"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if s, err := embedded.Open(t.Context(), dir, nil); err == nil {
		s.Close()
		t.Fatal("Open of a newer schema succeeded")
	}
}

// TestBatch checks that a batch commits all its calls or none, index
// included, and that a failed call inside a batch leaves nothing behind.
func TestBatch(t *testing.T) {
	ctx := t.Context()
	s := open(t, t.TempDir())
	defer s.Close()
	st := s.Stores()
	now := time.Now().UTC().Truncate(time.Millisecond)
	artist := func(name string) *domain.Artist {
		return &domain.Artist{ID: domain.NewID(), Name: name, CreateTime: now, UpdateTime: now}
	}
	search := func(q string) int {
		hits, _, err := st.Catalog.Search(ctx, q, nil, domain.Page{Size: 10})
		if err != nil {
			t.Fatal(err)
		}
		return len(hits)
	}

	kept, failed := artist("Kept Together"), artist("Kept Together")
	failed.ID = kept.ID
	u := &domain.User{ID: domain.NewID(), Username: "batcher", Email: "b@example.com", CreateTime: now, UpdateTime: now}
	err := s.Batch(ctx, func(ctx context.Context) error {
		if err := st.Catalog.CreateArtist(ctx, kept); err != nil {
			return err
		}
		// A failing call inside the batch: reported, and nothing of it stays.
		if err := st.Catalog.CreateArtist(ctx, failed); domain.KindOf(err) != domain.KindAlreadyExists {
			t.Errorf("duplicate in batch: %v", err)
		}
		if err := st.Users.CreateUser(ctx, u); err != nil {
			return err
		}
		// Reads in the batch see its writes.
		if _, err := st.Users.GetUserByUsername(ctx, "batcher"); err != nil {
			t.Errorf("read in batch: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := st.Catalog.GetArtist(ctx, kept.ID); err != nil || got.Name != kept.Name {
		t.Fatalf("artist after batch: %v, %v", got, err)
	}
	if n := search("kept together"); n != 1 {
		t.Fatalf("search after batch: %d hits, want 1", n)
	}

	doomed := artist("Rolled Back")
	boom := errors.New("boom")
	err = s.Batch(ctx, func(ctx context.Context) error {
		if err := st.Catalog.CreateArtist(ctx, doomed); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Batch = %v, want %v", err, boom)
	}
	if _, err := st.Catalog.GetArtist(ctx, doomed.ID); domain.KindOf(err) != domain.KindNotFound {
		t.Fatalf("artist of a rolled back batch: %v", err)
	}
	if n := search("rolled back"); n != 0 {
		t.Fatalf("search after rollback: %d hits, want 0", n)
	}
}
