package cassandra

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/gocql/gocql"

	"github.com/backbeat/backbeat/server/domain"
)

// closedStore is a store whose session is closed: every statement fails
// with gocql.ErrSessionClosed, a driver error a retry on a fresh session
// may fix, with no cluster needed.
func closedStore(t *testing.T) domain.Stores {
	t.Helper()
	session := new(gocql.Session)
	session.Close()
	return newStore(Config{Logger: slog.New(slog.DiscardHandler)}, session, driverSession{session}).Stores()
}

// TestDriverErrorsAreClassified checks that a transient driver error comes
// out of an operation as KindUnavailable, which clients may retry, and
// names the operation for the logs, whichever step of it failed.
func TestDriverErrorsAreClassified(t *testing.T) {
	ctx := context.Background()
	st := closedStore(t)
	page := domain.Page{Size: 10}
	ops := map[string]func() error{
		`cassandra.GetUser("u1")`: func() error { _, err := st.Users.GetUser(ctx, "u1"); return err },
		`cassandra.CreateSession("u1")`: func() error {
			return st.Users.CreateSession(ctx, &domain.Session{TokenHash: "h", UserID: "u1", ExpireTime: time.Now().Add(time.Hour)})
		},
		`cassandra.FollowArtist("u1", "a1")`: func() error { return st.Users.FollowArtist(ctx, "u1", "a1") },
		`cassandra.ListTracksByAlbum("al1")`: func() error {
			_, _, err := st.Catalog.ListTracksByAlbum(ctx, "al1", page)
			return err
		},
		`cassandra.AddEntries("p1")`: func() error {
			return st.Playlists.AddEntries(ctx, "p1", []*domain.PlaylistEntry{{ID: "e1", TrackID: "t1"}}, -1)
		},
		`cassandra.CountPlay("u1", "pb1")`: func() error { return st.Plays.CountPlay(ctx, "u1", "pb1", "t1") },
	}
	for op, call := range ops {
		err := call()
		if got := domain.KindOf(err); got != domain.KindUnavailable {
			t.Errorf("%s: kind %v, want unavailable (err %v)", op, got, err)
		}
		if err == nil || !strings.HasPrefix(err.Error(), op+": ") {
			t.Errorf("%s: error %q does not start with the operation", op, err)
		}
		if !errors.Is(err, gocql.ErrSessionClosed) {
			t.Errorf("%s: driver error lost from %v", op, err)
		}
	}
}

// says reports whether err's message contains s.
func says(err error, s string) bool { return err != nil && strings.Contains(err.Error(), s) }
