package storetest

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/domain"
)

// lister fetches one page of some list, as ids.
type lister func(p domain.Page) ([]string, string, error)

// collect walks every page of list with the given size and returns the ids
// in order, failing on an oversized page or a list that never ends.
func collect(t *testing.T, size int, list lister) []string {
	t.Helper()
	var all []string
	token := ""
	for range 1000 {
		page, next, err := list(domain.Page{Size: size, Token: token})
		if err != nil {
			t.Fatalf("page size %d, token %q: %v", size, token, err)
		}
		if len(page) > size {
			t.Fatalf("page size %d: got %d items", size, len(page))
		}
		all = append(all, page...)
		if next == "" {
			return all
		}
		if len(page) == 0 {
			t.Fatalf("page size %d: empty page with a next token", size)
		}
		token = next
	}
	t.Fatalf("page size %d: list never ends", size)
	return nil
}

// pagedList is one list method under test: setup fills a fresh store and
// returns the ids the list must return, a lister, and a way to remove one
// item of the list (to test a token whose rest was deleted).
type pagedList struct {
	name string
	// unordered: the order is a ranking the suite does not pin down, so
	// pages are checked for completeness and duplicates only.
	unordered bool
	setup     func(f *fixture) (want []string, list lister, remove func(id string) error)
}

const pagedItems = 7

var pagedLists = []pagedList{
	{name: "ListSaved", setup: librarySaver},
	{name: "ListUsers", setup: func(f *fixture) ([]string, lister, func(string) error) {
		var want []string
		for i := range pagedItems {
			want = append(want, f.user(fmt.Sprintf("pager%02d", pagedItems-i)).ID)
		}
		slices.Reverse(want) // by username
		return want, func(p domain.Page) ([]string, string, error) {
				us, next, err := f.s.Users.ListUsers(f.ctx, "pager", p)
				return ids(us, userID), next, err
			}, func(id string) error {
				return f.s.Users.DeleteUser(f.ctx, id)
			}
	}},
	{name: "ListFollowedArtists", setup: func(f *fixture) ([]string, lister, func(string) error) {
		u := f.user("fan")
		var want []string
		for i := range pagedItems {
			a := f.artist(fmt.Sprintf("Followed %d", i))
			must(f.t, f.s.Users.FollowArtist(f.ctx, u.ID, a.ID))
			time.Sleep(2 * time.Millisecond) // see testFollowArtist
			want = append(want, a.ID)
		}
		slices.Reverse(want) // newest first
		return want, func(p domain.Page) ([]string, string, error) {
				return f.s.Users.ListFollowedArtists(f.ctx, u.ID, p)
			}, func(id string) error {
				return f.s.Users.UnfollowArtist(f.ctx, u.ID, id)
			}
	}},
	{name: "ListArtists", setup: func(f *fixture) ([]string, lister, func(string) error) {
		var want []string
		for i := range pagedItems {
			want = append(want, f.artist(fmt.Sprintf("Artist %d", i)).ID)
		}
		return want, func(p domain.Page) ([]string, string, error) {
				as, next, err := f.s.Catalog.ListArtists(f.ctx, p)
				return ids(as, artistID), next, err
			}, func(id string) error {
				_, err := f.s.Catalog.DeleteArtist(f.ctx, id)
				return err
			}
	}},
	{name: "ListAlbums", setup: func(f *fixture) ([]string, lister, func(string) error) {
		ar := f.artist("Prolific")
		var want []string
		for i := range pagedItems {
			want = append(want, f.album(fmt.Sprintf("Album %d", i), ar).ID)
		}
		return want, func(p domain.Page) ([]string, string, error) {
				as, next, err := f.s.Catalog.ListAlbums(f.ctx, p)
				return ids(as, albumID), next, err
			}, func(id string) error {
				_, err := f.s.Catalog.DeleteAlbum(f.ctx, id)
				return err
			}
	}},
	{name: "ListAlbumsByArtist", setup: func(f *fixture) ([]string, lister, func(string) error) {
		ar, other := f.artist("Prolific"), f.artist("Guest Host")
		f.album("Someone Else's", other)
		// Created out of release order, some crediting ar as a guest.
		dates := []string{"2019-05-01", "2023-01-15", "2001-12-31", "2023-01-16", "2010-07-04", "1999-01-01", "2015-02-02"}
		type rel struct{ date, id string }
		var rels []rel
		for i, d := range dates {
			a := f.newAlbum(fmt.Sprintf("Album %d", i), ar)
			if i%3 == 1 {
				a.ArtistIDs = []string{other.ID, ar.ID}
			}
			a.ReleaseDate = d
			must(f.t, f.s.Catalog.CreateAlbum(f.ctx, a))
			rels = append(rels, rel{d, a.ID})
		}
		slices.SortFunc(rels, func(a, b rel) int { return -compareStrings(a.date, b.date) })
		return ids(rels, func(r rel) string { return r.id }), func(p domain.Page) ([]string, string, error) {
				as, next, err := f.s.Catalog.ListAlbumsByArtist(f.ctx, ar.ID, p)
				return ids(as, albumID), next, err
			}, func(id string) error {
				_, err := f.s.Catalog.DeleteAlbum(f.ctx, id)
				return err
			}
	}},
	{name: "ListTracks", setup: func(f *fixture) ([]string, lister, func(string) error) {
		want := ids(f.tracks(pagedItems), trackID)
		return want, func(p domain.Page) ([]string, string, error) {
				ts, next, err := f.s.Catalog.ListTracks(f.ctx, p)
				return ids(ts, trackID), next, err
			}, func(id string) error {
				return f.s.Catalog.DeleteTrack(f.ctx, id)
			}
	}},
	{name: "ListTracksByAlbum", setup: func(f *fixture) ([]string, lister, func(string) error) {
		ar := f.artist("Band")
		al, other := f.album("Double Album", ar), f.album("Other", ar)
		f.track("Not On It", other, ar)
		// Created out of order: {disc, number}.
		places := [][2]int{{2, 1}, {1, 3}, {1, 1}, {2, 3}, {1, 2}, {2, 2}, {1, 10}}
		byPlace := map[[2]int]string{}
		for i, pl := range places {
			tr := f.newTrack(fmt.Sprintf("Side %d", i), al, ar)
			tr.DiscNumber, tr.TrackNumber = pl[0], pl[1]
			must(f.t, f.s.Catalog.CreateTrack(f.ctx, tr))
			byPlace[pl] = tr.ID
		}
		slices.SortFunc(places, func(a, b [2]int) int {
			if a[0] != b[0] {
				return a[0] - b[0]
			}
			return a[1] - b[1]
		})
		return ids(places, func(p [2]int) string { return byPlace[p] }), func(p domain.Page) ([]string, string, error) {
				ts, next, err := f.s.Catalog.ListTracksByAlbum(f.ctx, al.ID, p)
				return ids(ts, trackID), next, err
			}, func(id string) error {
				return f.s.Catalog.DeleteTrack(f.ctx, id)
			}
	}},
	{name: "ListPlaylistsByOwner", setup: func(f *fixture) ([]string, lister, func(string) error) {
		u, other := f.user("owner"), f.user("other")
		f.playlist(other, "Not Mine")
		var want []string
		for i := range pagedItems {
			want = append(want, f.playlist(u, fmt.Sprintf("Mix %d", i)).ID)
		}
		slices.Reverse(want) // newest first
		return want, func(p domain.Page) ([]string, string, error) {
				pls, next, err := f.s.Playlists.ListPlaylistsByOwner(f.ctx, u.ID, false, p)
				return ids(pls, playlistID), next, err
			}, func(id string) error {
				return f.s.Playlists.DeletePlaylist(f.ctx, id)
			}
	}},
	{name: "ListPlaylistsByOwner/publicOnly", setup: func(f *fixture) ([]string, lister, func(string) error) {
		u := f.user("owner")
		var want []string
		for i := range 2 * pagedItems {
			pl := f.newPlaylist(u, fmt.Sprintf("Mix %d", i))
			pl.Public = i%2 == 0
			must(f.t, f.s.Playlists.CreatePlaylist(f.ctx, pl))
			if pl.Public {
				want = append(want, pl.ID)
			}
		}
		slices.Reverse(want)
		return want, func(p domain.Page) ([]string, string, error) {
				pls, next, err := f.s.Playlists.ListPlaylistsByOwner(f.ctx, u.ID, true, p)
				return ids(pls, playlistID), next, err
			}, func(id string) error {
				return f.s.Playlists.DeletePlaylist(f.ctx, id)
			}
	}},
	{name: "ListEntries", setup: func(f *fixture) ([]string, lister, func(string) error) {
		u := f.user("owner")
		pl := f.playlist(u, "Long")
		tracks := f.tracks(3)
		var want []string
		for i := range pagedItems {
			// The same track fills several slots.
			want = append(want, f.add(pl, u, tracks[i%len(tracks)])...)
		}
		return want, func(p domain.Page) ([]string, string, error) {
				es, next, err := f.s.Playlists.ListEntries(f.ctx, pl.ID, p)
				return ids(es, entryID), next, err
			}, func(id string) error {
				return f.s.Playlists.RemoveEntries(f.ctx, pl.ID, []string{id})
			}
	}},
	{name: "Search", unordered: true, setup: func(f *fixture) ([]string, lister, func(string) error) {
		ar := f.artist("Paging Band")
		al := f.album("Unrelated", ar)
		var want []string
		for i := range pagedItems {
			want = append(want, f.track(fmt.Sprintf("Pager Song %d", i), al, ar).ID)
		}
		f.track("Something Else", al, ar)
		return want, func(p domain.Page) ([]string, string, error) {
				hits, next, err := f.s.Catalog.Search(f.ctx, "pager", nil, p)
				return ids(hits, hitID), next, err
			}, func(id string) error {
				return f.s.Catalog.DeleteTrack(f.ctx, id)
			}
	}},
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// pagingTests checks every list the same way: all sizes return every item
// once, in order; a page ending at the end of the list has no next token;
// garbage tokens are KindInvalid; a token whose rest was deleted yields an
// empty last page.
func pagingTests() []test {
	var tests []test
	for _, pl := range pagedLists {
		tests = append(tests, test{"Paging/" + pl.name, func(t *testing.T, f *fixture) {
			want, list, remove := pl.setup(f)
			if len(want) != pagedItems {
				t.Fatalf("setup made %d items, want %d", len(want), pagedItems)
			}
			for _, size := range []int{1, 2, 3, pagedItems - 1, pagedItems, pagedItems + 1, domain.MaxPageSize} {
				got := collect(t, size, list)
				if pl.unordered {
					got, want := slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
					wantIDs(t, fmt.Sprintf("size %d, sorted", size), got, want)
				} else {
					wantIDs(t, fmt.Sprintf("size %d", size), got, want)
				}
			}

			page, next, err := list(domain.Page{Size: pagedItems})
			must(t, err)
			if len(page) != pagedItems || next != "" {
				t.Fatalf("page of exactly all %d items: got %d items, next %q; want no next token", pagedItems, len(page), next)
			}

			for _, garbage := range []string{"garbage", "%%%", "AAAAAAAAAAAAAAAA", "eyJ4IjoxfQ"} {
				_, _, err := list(domain.Page{Size: 2, Token: garbage})
				wantField(t, err, domain.KindInvalid, "page_token")
			}

			first, next, err := list(domain.Page{Size: 2})
			must(t, err)
			if next == "" {
				t.Fatal("first page of 2: no next token")
			}
			for _, forged := range forgeTokens(t, next) {
				wantForgedRefused(t, forged, list)
			}
			rest := slices.DeleteFunc(slices.Clone(want), func(id string) bool { return slices.Contains(first, id) })
			for _, id := range rest {
				must(t, remove(id))
			}
			page, next, err = list(domain.Page{Size: 2, Token: next})
			must(t, err)
			if len(page) != 0 || next != "" {
				t.Fatalf("past the end: got %q, next %q; want an empty page and no token", page, next)
			}
		}})
	}
	return tests
}

// forgeTokens makes tokens a client could forge from a real one: each of
// its fields, and each field a cursor may have, set to extreme or
// ill-typed values, re-encoded the way tokens are.
func forgeTokens(t *testing.T, token string) []string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		t.Fatalf("a store's own token %q is not base64url: %v", token, err)
	}
	var orig map[string]any
	if err := json.Unmarshal(raw, &orig); err != nil {
		t.Fatalf("a store's own token %q is not a JSON object: %v", token, err)
	}
	values := []any{
		int64(math.MaxInt64), int64(math.MinInt64), -1, 0, 1 << 40, 1.5, "", "\x00", "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
		nil, true, []any{1}, map[string]any{}, string(make([]byte, 5000)),
	}
	var out []string
	for _, key := range []string{"l", "k", "d", "n", "m"} {
		for _, v := range values {
			c := map[string]any{}
			for k, ov := range orig {
				c[k] = ov
			}
			c[key] = v
			b, err := json.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, base64.RawURLEncoding.EncodeToString(b))
		}
	}
	return out
}

// wantForgedRefused lists with a forged token: a page (the token is a
// cursor like any other) or KindInvalid on page_token, never a panic or
// another error.
func wantForgedRefused(t *testing.T, token string, list lister) {
	t.Helper()
	raw, _ := base64.RawURLEncoding.DecodeString(token)
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("forged token %s panicked: %v", raw, r)
		}
	}()
	_, _, err := list(domain.Page{Size: 2, Token: token})
	if err != nil {
		var de *domain.Error
		if domain.KindOf(err) != domain.KindInvalid || !errors.As(err, &de) || de.Field != "page_token" {
			t.Fatalf("forged token %s: %v (kind %v), want a page or invalid page_token", raw, err, domain.KindOf(err))
		}
	}
}
