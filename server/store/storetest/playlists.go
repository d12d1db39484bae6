package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/domain"
)

var playlistTests = []test{
	{"Playlist/CreateGetUpdateDelete", testPlaylistCRUD},
	{"Playlist/NotFound", testPlaylistNotFound},
	{"Playlist/DeleteCascade", testDeletePlaylistCascade},
	{"Entries/AddAtPosition", testAddEntriesAt},
	{"Entries/RemoveDuplicateTrack", testRemoveOneOfDuplicates},
	{"Entries/RemoveUnknown", testRemoveUnknownEntry},
	{"Entries/Move", testMoveEntries},
	{"Entries/MaxPlaylistEntries", testMaxPlaylistEntries},
	{"Playlist/Follow", testFollowPlaylist},
	{"Playlist/Collaborators", testCollaborators},
	{"Playlist/CreateWithoutCollaborators", testCreateWithoutCollaborators},
	{"Entries/AddUnknownTrack", testAddUnknownTrack},
	{"Cascade/DeleteUser", testDeleteUserCascade},
}

func testPlaylistCRUD(t *testing.T, f *fixture) {
	u, collab := f.user("owner"), f.user("collab")
	pl := f.newPlaylist(u, "Road Trip")
	pl.TrackCount, pl.FollowerCount = 5, 7 // the store's to keep: ignored
	must(t, f.s.Playlists.CreatePlaylist(f.ctx, pl))
	pl.TrackCount, pl.FollowerCount = 0, 0
	wantEqual(t, "GetPlaylist", f.getPlaylist(pl.ID), pl)

	tracks := f.tracks(2)
	f.add(pl, u, tracks...)
	must(t, f.s.Playlists.AddCollaborator(f.ctx, pl.ID, collab.ID))
	must(t, f.s.Playlists.FollowPlaylist(f.ctx, collab.ID, pl.ID))
	stored := f.getPlaylist(pl.ID)

	// UpdatePlaylist stores the editable fields only.
	edit := *stored
	edit.Name, edit.Description, edit.Public, edit.Collaborative = "Road Trip 2", "Longer", false, true
	edit.UpdateTime = stored.UpdateTime.Add(time.Second)
	edit.TrackCount, edit.FollowerCount, edit.CollaboratorIDs = 99, 99, nil
	must(t, f.s.Playlists.UpdatePlaylist(f.ctx, &edit))
	want := *stored
	want.Name, want.Description, want.Public, want.Collaborative, want.UpdateTime = edit.Name, edit.Description, false, true, edit.UpdateTime
	wantEqual(t, "after UpdatePlaylist", f.getPlaylist(pl.ID), &want)

	must(t, f.s.Playlists.DeletePlaylist(f.ctx, pl.ID))
	_, err := f.s.Playlists.GetPlaylist(f.ctx, pl.ID)
	wantKind(t, err, domain.KindNotFound)
	wantKind(t, f.s.Playlists.DeletePlaylist(f.ctx, pl.ID), domain.KindNotFound)
}

func testPlaylistNotFound(t *testing.T, f *fixture) {
	u := f.user("owner")
	f.playlist(u, "Real")
	tr := f.tracks(1)[0]
	ghost := f.newPlaylist(u, "Ghost")
	calls := map[string]func() error{
		"GetPlaylist":    func() error { _, err := f.s.Playlists.GetPlaylist(f.ctx, ghost.ID); return err },
		"UpdatePlaylist": func() error { return f.s.Playlists.UpdatePlaylist(f.ctx, ghost) },
		"DeletePlaylist": func() error { return f.s.Playlists.DeletePlaylist(f.ctx, ghost.ID) },
		"ListEntries": func() error {
			_, _, err := f.s.Playlists.ListEntries(f.ctx, ghost.ID, domain.Page{Size: 10})
			return err
		},
		"AddEntries": func() error {
			return f.s.Playlists.AddEntries(f.ctx, ghost.ID, f.newEntries(u, tr), -1)
		},
		"RemoveEntries":   func() error { return f.s.Playlists.RemoveEntries(f.ctx, ghost.ID, []string{f.id()}) },
		"MoveEntries":     func() error { return f.s.Playlists.MoveEntries(f.ctx, ghost.ID, []string{f.id()}, "") },
		"FollowPlaylist":  func() error { return f.s.Playlists.FollowPlaylist(f.ctx, u.ID, ghost.ID) },
		"AddCollaborator": func() error { return f.s.Playlists.AddCollaborator(f.ctx, ghost.ID, u.ID) },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) { wantKind(t, call(), domain.KindNotFound) })
	}
	_, err := f.s.Playlists.GetPlaylist(f.ctx, ghost.ID)
	wantKind(t, err, domain.KindNotFound)
}

func testDeletePlaylistCascade(t *testing.T, f *fixture) {
	u, fan := f.user("owner"), f.user("fan")
	pl := f.playlist(u, "Doomed")
	f.add(pl, u, f.tracks(3)...)
	must(t, f.s.Playlists.FollowPlaylist(f.ctx, fan.ID, pl.ID))
	must(t, f.s.Playlists.AddCollaborator(f.ctx, pl.ID, fan.ID))

	must(t, f.s.Playlists.DeletePlaylist(f.ctx, pl.ID))
	_, _, err := f.s.Playlists.ListEntries(f.ctx, pl.ID, domain.Page{Size: 10})
	wantKind(t, err, domain.KindNotFound)
	following, err := f.s.Playlists.IsFollowingPlaylist(f.ctx, fan.ID, pl.ID)
	if err == nil && following {
		t.Fatal("fan still follows the deleted playlist")
	}
	pls, _, err := f.s.Playlists.ListPlaylistsByOwner(f.ctx, u.ID, false, domain.Page{Size: 10})
	must(t, err)
	wantIDs(t, "owner's playlists", ids(pls, playlistID), nil)
}

func testAddEntriesAt(t *testing.T, f *fixture) {
	u := f.user("owner")
	ts := f.tracks(5)
	tests := []struct {
		name     string
		position int
		want     []string // over initial a, b, c and added x, y
	}{
		{"at 0", 0, []string{"x", "y", "a", "b", "c"}},
		{"in the middle", 1, []string{"a", "x", "y", "b", "c"}},
		{"before the last", 2, []string{"a", "b", "x", "y", "c"}},
		{"at the end", 3, []string{"a", "b", "c", "x", "y"}},
		{"past the end", 10, []string{"a", "b", "c", "x", "y"}},
		{"negative", -1, []string{"a", "b", "c", "x", "y"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pl := f.playlist(u, tt.name)
			before := f.getPlaylist(pl.ID)
			names := map[string]string{}
			for i, id := range f.add(pl, u, ts[0], ts[1], ts[2]) {
				names[id] = []string{"a", "b", "c"}[i]
			}
			added := f.newEntries(u, ts[3], ts[4])
			names[added[0].ID], names[added[1].ID] = "x", "y"
			must(t, f.s.Playlists.AddEntries(f.ctx, pl.ID, added, tt.position))

			es := f.entries(pl.ID)
			got := make([]string, len(es))
			for i, e := range es {
				got[i] = names[e.ID]
			}
			wantIDs(t, "order", got, tt.want)
			wantEqual(t, "added entries as listed", []*domain.PlaylistEntry{es[slices.Index(got, "x")], es[slices.Index(got, "y")]}, added)
			after := f.getPlaylist(pl.ID)
			if after.TrackCount != 5 {
				t.Fatalf("TrackCount = %d, want 5", after.TrackCount)
			}
			if !after.UpdateTime.After(before.UpdateTime) {
				t.Fatalf("UpdateTime %v not after %v", after.UpdateTime, before.UpdateTime)
			}
		})
	}
}

func testRemoveOneOfDuplicates(t *testing.T, f *fixture) {
	u := f.user("owner")
	ts := f.tracks(2)
	pl := f.playlist(u, "Dups")
	e := f.add(pl, u, ts[0], ts[1], ts[0])
	must(t, f.s.Playlists.RemoveEntries(f.ctx, pl.ID, []string{e[2]}))
	es := f.entries(pl.ID)
	wantIDs(t, "entries", ids(es, entryID), []string{e[0], e[1]})
	wantIDs(t, "tracks", ids(es, entryTrack), []string{ts[0].ID, ts[1].ID})
	if n := f.getPlaylist(pl.ID).TrackCount; n != 2 {
		t.Fatalf("TrackCount = %d, want 2", n)
	}
	must(t, f.s.Playlists.RemoveEntries(f.ctx, pl.ID, []string{e[0], e[1]}))
	wantIDs(t, "entries after removing all", f.entryOrder(pl.ID), nil)
	if n := f.getPlaylist(pl.ID).TrackCount; n != 0 {
		t.Fatalf("TrackCount = %d, want 0", n)
	}
}

func testRemoveUnknownEntry(t *testing.T, f *fixture) {
	u := f.user("owner")
	ts := f.tracks(2)
	pl, other := f.playlist(u, "Mine"), f.playlist(u, "Other")
	e := f.add(pl, u, ts...)
	elsewhere := f.add(other, u, ts[0])
	for name, ids := range map[string][]string{
		"unknown id":                {f.id()},
		"known and unknown":         {e[0], f.id()},
		"entry of another playlist": {e[1], elsewhere[0]},
	} {
		t.Run(name, func(t *testing.T) {
			wantKind(t, f.s.Playlists.RemoveEntries(f.ctx, pl.ID, ids), domain.KindNotFound)
			wantIDs(t, "entries, untouched", f.entryOrder(pl.ID), e)
			if n := f.getPlaylist(pl.ID).TrackCount; n != 2 {
				t.Fatalf("TrackCount = %d, want 2", n)
			}
		})
	}
	wantIDs(t, "other playlist, untouched", f.entryOrder(other.ID), elsewhere)
}

func testMoveEntries(t *testing.T, f *fixture) {
	u := f.user("owner")
	ts := f.tracks(6)
	tests := []struct {
		name   string
		move   []int
		before int // -1: to the end
		want   []int
		kind   domain.Kind // of the expected error, KindInternal for none
	}{
		{"two to the front", []int{3, 1}, 0, []int{3, 1, 0, 2, 4, 5}, domain.KindInternal},
		{"two to the middle", []int{5, 0}, 3, []int{1, 2, 5, 0, 3, 4}, domain.KindInternal},
		{"two to the end", []int{2, 0}, -1, []int{1, 3, 4, 5, 2, 0}, domain.KindInternal},
		{"in the given order", []int{4, 2, 3}, 1, []int{0, 4, 2, 3, 1, 5}, domain.KindInternal},
		{"already in place", []int{1}, 2, []int{0, 1, 2, 3, 4, 5}, domain.KindInternal},
		{"the last to the end", []int{5}, -1, []int{0, 1, 2, 3, 4, 5}, domain.KindInternal},
		{"all, reversed", []int{5, 4, 3, 2, 1, 0}, -1, []int{5, 4, 3, 2, 1, 0}, domain.KindInternal},
		{"before one of the moved", []int{1, 3}, 3, nil, domain.KindInvalid},
		{"unknown entry", []int{1, -2}, 0, nil, domain.KindNotFound},
		{"unknown before", []int{1}, -2, nil, domain.KindNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pl := f.playlist(u, tt.name)
			e := f.add(pl, u, ts...)
			pick := func(i int) string {
				switch i {
				case -1:
					return ""
				case -2:
					return f.id() // in no playlist
				}
				return e[i]
			}
			moving := make([]string, len(tt.move))
			for i, m := range tt.move {
				moving[i] = pick(m)
			}
			err := f.s.Playlists.MoveEntries(f.ctx, pl.ID, moving, pick(tt.before))
			want := e
			if tt.kind != domain.KindInternal {
				wantKind(t, err, tt.kind)
			} else {
				must(t, err)
				want = make([]string, len(tt.want))
				for i, w := range tt.want {
					want[i] = e[w]
				}
			}
			wantIDs(t, "order", f.entryOrder(pl.ID), want)
			if n := f.getPlaylist(pl.ID).TrackCount; n != len(ts) {
				t.Fatalf("TrackCount = %d, want %d", n, len(ts))
			}
		})
	}
}

func testMaxPlaylistEntries(t *testing.T, f *fixture) {
	if testing.Short() {
		t.Skip("fills a playlist with 10,000 entries (seconds per store): skipped in -short mode")
	}
	u := f.user("owner")
	ts := f.tracks(10)
	pl := f.playlist(u, "Huge")
	batch := func(n int) []*domain.PlaylistEntry {
		picked := make([]*domain.Track, n)
		for i := range picked {
			picked[i] = ts[i%len(ts)]
		}
		return f.newEntries(u, picked...)
	}
	const almost = domain.MaxPlaylistEntries - 50
	for added := 0; added < almost; added += domain.MaxBatch {
		must(t, f.s.Playlists.AddEntries(f.ctx, pl.ID, batch(min(domain.MaxBatch, almost-added)), -1))
	}
	count := func(want int) {
		t.Helper()
		if n := f.getPlaylist(pl.ID).TrackCount; n != want {
			t.Fatalf("TrackCount = %d, want %d", n, want)
		}
	}
	count(almost)

	// A batch that would pass the limit writes nothing, wherever it goes.
	wantKind(t, f.s.Playlists.AddEntries(f.ctx, pl.ID, batch(51), -1), domain.KindFailedPrecondition)
	wantKind(t, f.s.Playlists.AddEntries(f.ctx, pl.ID, batch(100), 0), domain.KindFailedPrecondition)
	count(almost)
	first := f.entryOrder(pl.ID)[0]

	must(t, f.s.Playlists.AddEntries(f.ctx, pl.ID, batch(50), -1))
	count(domain.MaxPlaylistEntries)
	wantKind(t, f.s.Playlists.AddEntries(f.ctx, pl.ID, batch(1), 0), domain.KindFailedPrecondition)
	count(domain.MaxPlaylistEntries)
	order := f.entryOrder(pl.ID)
	if len(order) != domain.MaxPlaylistEntries || order[0] != first {
		t.Fatalf("listed %d entries starting %q, want %d starting %q", len(order), order[0], domain.MaxPlaylistEntries, first)
	}

	// Removing makes room again.
	must(t, f.s.Playlists.RemoveEntries(f.ctx, pl.ID, order[:1]))
	must(t, f.s.Playlists.AddEntries(f.ctx, pl.ID, batch(1), 0))
	count(domain.MaxPlaylistEntries)
}

func testFollowPlaylist(t *testing.T, f *fixture) {
	owner, a, b := f.user("owner"), f.user("a"), f.user("b")
	pl := f.playlist(owner, "Popular")
	followers := func(want int64) {
		t.Helper()
		if n := f.getPlaylist(pl.ID).FollowerCount; n != want {
			t.Fatalf("FollowerCount = %d, want %d", n, want)
		}
	}
	isFollowing := func(u *domain.User, want bool) {
		t.Helper()
		got, err := f.s.Playlists.IsFollowingPlaylist(f.ctx, u.ID, pl.ID)
		must(t, err)
		if got != want {
			t.Fatalf("IsFollowingPlaylist(%s) = %v, want %v", u.Username, got, want)
		}
	}
	isFollowing(a, false)
	must(t, f.s.Playlists.FollowPlaylist(f.ctx, a.ID, pl.ID))
	must(t, f.s.Playlists.FollowPlaylist(f.ctx, b.ID, pl.ID))
	must(t, f.s.Playlists.FollowPlaylist(f.ctx, a.ID, pl.ID))
	followers(2)
	isFollowing(a, true)
	isFollowing(owner, false)

	must(t, f.s.Playlists.UnfollowPlaylist(f.ctx, a.ID, pl.ID))
	must(t, f.s.Playlists.UnfollowPlaylist(f.ctx, a.ID, pl.ID))
	must(t, f.s.Playlists.UnfollowPlaylist(f.ctx, owner.ID, pl.ID)) // never followed
	followers(1)
	isFollowing(a, false)
	isFollowing(b, true)
}

func testCollaborators(t *testing.T, f *fixture) {
	owner, a, b := f.user("owner"), f.user("a"), f.user("b")
	pl := f.playlist(owner, "Shared")
	collaborators := func(want ...string) {
		t.Helper()
		wantIDs(t, "collaborators", sorted(f.getPlaylist(pl.ID).CollaboratorIDs), sorted(want))
	}
	must(t, f.s.Playlists.AddCollaborator(f.ctx, pl.ID, a.ID))
	must(t, f.s.Playlists.AddCollaborator(f.ctx, pl.ID, b.ID))
	must(t, f.s.Playlists.AddCollaborator(f.ctx, pl.ID, a.ID))
	collaborators(a.ID, b.ID)
	must(t, f.s.Playlists.RemoveCollaborator(f.ctx, pl.ID, a.ID))
	must(t, f.s.Playlists.RemoveCollaborator(f.ctx, pl.ID, a.ID))
	collaborators(b.ID)
}

// testCreateWithoutCollaborators pins what the API promises: a new playlist
// has no collaborators, whatever the request carried; only the owner adds
// them, one by one, through AddCollaborator.
func testCreateWithoutCollaborators(t *testing.T, f *fixture) {
	owner, friend := f.user("owner"), f.user("friend")
	pl := f.newPlaylist(owner, "Shared")
	pl.Collaborative = true
	pl.CollaboratorIDs = []string{friend.ID}
	must(t, f.s.Playlists.CreatePlaylist(f.ctx, pl))
	if got := f.getPlaylist(pl.ID).CollaboratorIDs; len(got) != 0 {
		t.Fatalf("CollaboratorIDs = %v after CreatePlaylist, want none", got)
	}
	must(t, f.s.Playlists.AddCollaborator(f.ctx, pl.ID, friend.ID))
	wantIDs(t, "collaborators", f.getPlaylist(pl.ID).CollaboratorIDs, []string{friend.ID})
}

// testAddUnknownTrack: an entry of a track that does not exist is refused
// NotFound and nothing of the call is written, not even its known tracks.
func testAddUnknownTrack(t *testing.T, f *fixture) {
	u := f.user("owner")
	ts := f.tracks(2)
	pl := f.playlist(u, "Mine")
	e := f.add(pl, u, ts[0])
	before := f.getPlaylist(pl.ID)
	es := f.newEntries(u, ts[1], ts[1])
	es[1].TrackID = f.id()
	wantKind(t, f.s.Playlists.AddEntries(f.ctx, pl.ID, es, -1), domain.KindNotFound)
	wantIDs(t, "entries, untouched", f.entryOrder(pl.ID), e)
	after := f.getPlaylist(pl.ID)
	if after.TrackCount != 1 || !after.UpdateTime.Equal(before.UpdateTime) {
		t.Fatalf("playlist after refused add: TrackCount %d, UpdateTime %v; want 1, %v",
			after.TrackCount, after.UpdateTime, before.UpdateTime)
	}
}

func testDeleteUserCascade(t *testing.T, f *fixture) {
	doomed, friend := f.user("doomed"), f.user("friend")
	ts := f.tracks(3)
	own := f.playlist(doomed, "Own")
	f.add(own, doomed, ts...)
	must(t, f.s.Playlists.FollowPlaylist(f.ctx, friend.ID, own.ID))

	friends := f.playlist(friend, "Friend's")
	must(t, f.s.Playlists.FollowPlaylist(f.ctx, doomed.ID, friends.ID))
	must(t, f.s.Playlists.FollowPlaylist(f.ctx, friend.ID, friends.ID))
	must(t, f.s.Playlists.AddCollaborator(f.ctx, friends.ID, doomed.ID))
	must(t, f.s.Playlists.AddCollaborator(f.ctx, friends.ID, friend.ID))
	kept := f.add(friends, friend, ts[0])

	ar := f.artist("Followed")
	must(t, f.s.Users.FollowArtist(f.ctx, doomed.ID, ar.ID))
	must(t, f.s.Users.CreateSession(f.ctx, &domain.Session{TokenHash: "doomed-session", UserID: doomed.ID,
		CreateTime: f.now(), ExpireTime: f.now().AddDate(100, 0, 0)}))

	must(t, f.s.Users.DeleteUser(f.ctx, doomed.ID))

	_, err := f.s.Playlists.GetPlaylist(f.ctx, own.ID)
	wantKind(t, err, domain.KindNotFound)
	_, _, err = f.s.Playlists.ListEntries(f.ctx, own.ID, domain.Page{Size: 10})
	wantKind(t, err, domain.KindNotFound)
	pls, _, err := f.s.Playlists.ListPlaylistsByOwner(f.ctx, doomed.ID, false, domain.Page{Size: 10})
	must(t, err)
	wantIDs(t, "deleted user's playlists", ids(pls, playlistID), nil)

	got := f.getPlaylist(friends.ID)
	if got.FollowerCount != 1 {
		t.Fatalf("friend's playlist FollowerCount = %d, want 1", got.FollowerCount)
	}
	wantIDs(t, "friend's playlist collaborators", got.CollaboratorIDs, []string{friend.ID})
	wantIDs(t, "friend's playlist entries", f.entryOrder(friends.ID), kept)

	followed, _, err := f.s.Users.ListFollowedArtists(f.ctx, doomed.ID, domain.Page{Size: 10})
	must(t, err)
	wantIDs(t, "deleted user's follows", followed, nil)
	_, err = f.s.Users.ConsumeSession(f.ctx, "doomed-session")
	wantKind(t, err, domain.KindNotFound)
	if _, err := f.s.Catalog.GetArtist(f.ctx, ar.ID); err != nil {
		t.Fatalf("followed artist: %v", err)
	}
}
