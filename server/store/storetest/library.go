package storetest

import (
	"slices"
	"testing"

	"github.com/backbeat/backbeat/server/domain"
)

var libraryTests = []test{
	{"LibrarySaveList", testLibrarySaveList},
	{"LibraryRemove", testLibraryRemove},
	{"LibraryResavePaging", testLibraryResavePaging},
	{"LibraryDeleteUser", testLibraryDeleteUser},
}

func (f *fixture) saved(userID string, kind domain.LibraryKind) []domain.SavedItem {
	f.t.Helper()
	return mustList(f.t, func(p domain.Page) ([]domain.SavedItem, string, error) {
		return f.s.Library.ListSaved(f.ctx, userID, kind, p)
	})
}

func savedIDs(items []domain.SavedItem) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	return out
}

func (f *fixture) areSaved(userID string, kind domain.LibraryKind, ids ...string) []bool {
	f.t.Helper()
	got, err := f.s.Library.AreSaved(f.ctx, userID, kind, ids)
	must(f.t, err)
	return got
}

// testLibrarySaveList: latest save first, ties by id descending; a re-save
// moves an item to the top; kinds and users are separate.
func testLibrarySaveList(t *testing.T, f *fixture) {
	u, other := f.user("saver"), f.user("other")
	a, b, c := f.id(), f.id(), f.id()
	t1, t2, t3 := f.now(), f.now(), f.now()
	must(t, f.s.Library.SaveItems(f.ctx, u.ID, domain.LibraryTracks, []string{a, b}, t1))
	must(t, f.s.Library.SaveItems(f.ctx, u.ID, domain.LibraryTracks, []string{c}, t2))
	got := f.saved(u.ID, domain.LibraryTracks)
	if ids := savedIDs(got); !slices.Equal(ids, []string{c, b, a}) {
		t.Fatalf("saved = %v, want [c b a] = %v", ids, []string{c, b, a})
	}
	if !got[0].SaveTime.Equal(t2) || !got[2].SaveTime.Equal(t1) {
		t.Fatalf("save times = %v, %v; want %v, %v", got[0].SaveTime, got[2].SaveTime, t2, t1)
	}
	must(t, f.s.Library.SaveItems(f.ctx, u.ID, domain.LibraryTracks, []string{a}, t3))
	if ids := savedIDs(f.saved(u.ID, domain.LibraryTracks)); !slices.Equal(ids, []string{a, c, b}) {
		t.Fatalf("after re-save: %v, want [a c b]", ids)
	}
	if got := f.areSaved(u.ID, domain.LibraryTracks, a, "nothing", c); !slices.Equal(got, []bool{true, false, true}) {
		t.Fatalf("AreSaved = %v", got)
	}
	if got := f.areSaved(u.ID, domain.LibraryAlbums, a); got[0] {
		t.Fatal("a saved track shows as a saved album")
	}
	if got := f.saved(u.ID, domain.LibraryAlbums); len(got) != 0 {
		t.Fatalf("albums = %v, want none", got)
	}
	if got := f.areSaved(other.ID, domain.LibraryTracks, a); got[0] {
		t.Fatal("another user's library shows the save")
	}
	must(t, f.s.Library.SaveItems(f.ctx, u.ID, domain.LibraryAlbums, []string{b}, f.now()))
	if ids := savedIDs(f.saved(u.ID, domain.LibraryAlbums)); !slices.Equal(ids, []string{b}) {
		t.Fatalf("albums = %v, want [b]", ids)
	}
}

// testLibraryRemove: removal is idempotent, and a removed item saved again
// comes back on top.
func testLibraryRemove(t *testing.T, f *fixture) {
	u := f.user("remover")
	a, b, c := f.id(), f.id(), f.id()
	must(t, f.s.Library.SaveItems(f.ctx, u.ID, domain.LibraryTracks, []string{a, b, c}, f.now()))
	must(t, f.s.Library.RemoveItems(f.ctx, u.ID, domain.LibraryTracks, []string{b, "never-saved"}))
	must(t, f.s.Library.RemoveItems(f.ctx, u.ID, domain.LibraryTracks, []string{b}))
	if ids := savedIDs(f.saved(u.ID, domain.LibraryTracks)); !slices.Equal(ids, []string{c, a}) {
		t.Fatalf("after remove: %v, want [c a]", ids)
	}
	if got := f.areSaved(u.ID, domain.LibraryTracks, a, b); !slices.Equal(got, []bool{true, false}) {
		t.Fatalf("AreSaved = %v", got)
	}
	must(t, f.s.Library.SaveItems(f.ctx, u.ID, domain.LibraryTracks, []string{b}, f.now()))
	if ids := savedIDs(f.saved(u.ID, domain.LibraryTracks)); !slices.Equal(ids, []string{b, c, a}) {
		t.Fatalf("after re-save: %v, want [b c a]", ids)
	}
}

// testLibraryResavePaging: however often items were re-saved or removed,
// every page size walks each saved item exactly once, newest first.
func testLibraryResavePaging(t *testing.T, f *fixture) {
	u := f.user("churner")
	var items []string
	for range 6 {
		items = append(items, f.id())
	}
	for range 3 {
		for _, id := range items {
			must(t, f.s.Library.SaveItems(f.ctx, u.ID, domain.LibraryTracks, []string{id}, f.now()))
		}
	}
	must(t, f.s.Library.RemoveItems(f.ctx, u.ID, domain.LibraryTracks, items[4:5]))
	want := slices.Clone(items)
	want = slices.Delete(want, 4, 5)
	slices.Reverse(want)
	for _, size := range []int{1, 2, 5, 100} {
		got := collect(t, size, func(p domain.Page) ([]string, string, error) {
			its, next, err := f.s.Library.ListSaved(f.ctx, u.ID, domain.LibraryTracks, p)
			return savedIDs(its), next, err
		})
		if !slices.Equal(got, want) {
			t.Fatalf("page size %d: %v, want %v", size, got, want)
		}
	}
}

func testLibraryDeleteUser(t *testing.T, f *fixture) {
	u := f.user("leaver")
	a := f.id()
	must(t, f.s.Library.SaveItems(f.ctx, u.ID, domain.LibraryTracks, []string{a}, f.now()))
	must(t, f.s.Library.SaveItems(f.ctx, u.ID, domain.LibraryAlbums, []string{a}, f.now()))
	must(t, f.s.Users.DeleteUser(f.ctx, u.ID))
	for _, k := range []domain.LibraryKind{domain.LibraryTracks, domain.LibraryAlbums} {
		if got := f.areSaved(u.ID, k, a); got[0] {
			t.Fatalf("%s still saved after the user was deleted", k)
		}
		if got := f.saved(u.ID, k); len(got) != 0 {
			t.Fatalf("%s library = %v after the user was deleted", k, got)
		}
	}
}

// librarySaver saves pagedItems tracks for the paging suite.
func librarySaver(f *fixture) ([]string, lister, func(string) error) {
	u := f.user("collector")
	var want []string
	for range pagedItems {
		id := f.id()
		must(f.t, f.s.Library.SaveItems(f.ctx, u.ID, domain.LibraryTracks, []string{id}, f.now()))
		want = append(want, id)
	}
	slices.Reverse(want) // newest first
	return want, func(p domain.Page) ([]string, string, error) {
			its, next, err := f.s.Library.ListSaved(f.ctx, u.ID, domain.LibraryTracks, p)
			return savedIDs(its), next, err
		}, func(id string) error {
			return f.s.Library.RemoveItems(f.ctx, u.ID, domain.LibraryTracks, []string{id})
		}
}
