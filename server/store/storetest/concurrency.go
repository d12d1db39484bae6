package storetest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/domain"
)

var concurrencyTests = []test{
	{"Concurrent/AddEntries", testConcurrentAdd},
	{"Concurrent/CreateSameUsername", testConcurrentUsername},
	{"Concurrent/ConsumeSession", testConcurrentConsume},
	{"Concurrent/FollowPlaylist", testConcurrentFollow},
}

// testConcurrentAdd has writers append and prepend batches to one playlist
// at once: every entry lands, and each batch stays whole and in its order.
func testConcurrentAdd(t *testing.T, f *fixture) {
	const writers, calls, batch = 4, 5, 10
	u := f.user("owner")
	ts := f.tracks(batch)
	pl := f.playlist(u, "Contended")
	batches := make([][]*domain.PlaylistEntry, writers*calls)
	for i := range batches {
		batches[i] = f.newEntries(u, ts...)
	}
	errs := make(chan error, len(batches))
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for c := range calls {
				position := -1
				if (w+c)%2 == 0 {
					position = 0
				}
				errs <- f.s.Playlists.AddEntries(f.ctx, pl.ID, batches[w*calls+c], position)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}

	order := f.entryOrder(pl.ID)
	if len(order) != writers*calls*batch {
		t.Fatalf("%d entries listed, want %d", len(order), writers*calls*batch)
	}
	if n := f.getPlaylist(pl.ID).TrackCount; n != len(order) {
		t.Fatalf("TrackCount = %d, want %d", n, len(order))
	}
	for i, b := range batches {
		ids := entryIDs(b)
		at := slices.Index(order, ids[0])
		if at < 0 || at+batch > len(order) || !slices.Equal(order[at:at+batch], ids) {
			t.Fatalf("batch %d is not whole and in order in the playlist", i)
		}
	}
}

// testConcurrentUsername races creations of one username, in varied case:
// exactly one wins.
func testConcurrentUsername(t *testing.T, f *fixture) {
	const n = 8
	users := make([]*domain.User, n)
	for i := range users {
		users[i] = f.newUser(fmt.Sprintf("racer%d", i))
		users[i].Username = "Racer"
		if i%2 == 1 {
			users[i].Username = strings.ToUpper(users[i].Username)
		}
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range users {
		wg.Go(func() {
			<-start
			errs[i] = f.s.Users.CreateUser(f.ctx, users[i])
		})
	}
	close(start)
	wg.Wait()
	won := -1
	for i, err := range errs {
		if err == nil {
			if won >= 0 {
				t.Fatalf("creations %d and %d both succeeded", won, i)
			}
			won = i
			continue
		}
		wantField(t, err, domain.KindAlreadyExists, "username")
	}
	if won < 0 {
		t.Fatal("no creation succeeded")
	}
	got, err := f.s.Users.GetUserByUsername(f.ctx, "racer")
	must(t, err)
	wantEqual(t, "stored user", got, users[won])
}

// testConcurrentConsume races consumers of each of several sessions: each
// session goes to exactly one of them.
func testConcurrentConsume(t *testing.T, f *fixture) {
	const sessions, consumers = 10, 3
	u := f.user("owner")
	for i := range sessions {
		must(t, f.s.Users.CreateSession(f.ctx, &domain.Session{TokenHash: fmt.Sprintf("token-%d", i), UserID: u.ID,
			CreateTime: f.now(), ExpireTime: time.Now().Add(time.Hour)}))
	}
	type result struct {
		token string
		err   error
	}
	results := make(chan result, sessions*consumers)
	var wg sync.WaitGroup
	for i := range sessions {
		for range consumers {
			wg.Go(func() {
				token := fmt.Sprintf("token-%d", i)
				s, err := f.s.Users.ConsumeSession(f.ctx, token)
				if err == nil && s.TokenHash != token {
					t.Errorf("consumed %q, got session %q", token, s.TokenHash)
				}
				results <- result{token, err}
			})
		}
	}
	wg.Wait()
	close(results)
	wins := map[string]int{}
	for r := range results {
		if r.err == nil {
			wins[r.token]++
			continue
		}
		if domain.KindOf(r.err) != domain.KindNotFound {
			t.Fatalf("consume %s: %v, want success or NotFound", r.token, r.err)
		}
	}
	for i := range sessions {
		if n := wins[fmt.Sprintf("token-%d", i)]; n != 1 {
			t.Fatalf("token-%d consumed %d times, want exactly once", i, n)
		}
	}
}

// testConcurrentFollow has many users follow one playlist at once, some
// twice: the count is the number of distinct followers.
func testConcurrentFollow(t *testing.T, f *fixture) {
	const n = 12
	owner := f.user("owner")
	pl := f.playlist(owner, "Viral")
	users := make([]*domain.User, n)
	for i := range users {
		users[i] = f.user(fmt.Sprintf("fan%d", i))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i, u := range users {
		wg.Go(func() {
			errs <- f.s.Playlists.FollowPlaylist(f.ctx, u.ID, pl.ID)
			if i%3 == 0 {
				errs <- f.s.Playlists.FollowPlaylist(f.ctx, u.ID, pl.ID)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	if got := f.getPlaylist(pl.ID).FollowerCount; got != n {
		t.Fatalf("FollowerCount = %d, want %d", got, n)
	}
}
