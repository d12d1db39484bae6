package storetest

import (
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/domain"
)

// What revoking accounts relies on: the disabled flag and the session epoch
// are stored, read back with the user, changed only by their own methods
// (an UpdateUser holding stale values must not undo a revocation), and
// ending sessions deletes the user's refresh sessions but no one else's.
var revocationTests = []test{
	{"Revocation/Disabled", testUserDisabled},
	{"Revocation/EndSessions", testEndUserSessions},
	{"Revocation/UpdateKeepsRevocation", testUpdateKeepsRevocation},
	{"Revocation/SessionEpoch", testSessionEpoch},
}

func testUserDisabled(t *testing.T, f *fixture) {
	u := f.user("dis")
	must(t, f.s.Users.SetUserDisabled(f.ctx, u.ID, true))
	must(t, f.s.Users.SetUserDisabled(f.ctx, u.ID, true))
	got, err := f.s.Users.GetUser(f.ctx, u.ID)
	must(t, err)
	if !got.Disabled {
		t.Fatal("GetUser after SetUserDisabled(true): Disabled = false")
	}
	got, err = f.s.Users.GetUserByUsername(f.ctx, u.Username)
	must(t, err)
	if !got.Disabled {
		t.Fatal("GetUserByUsername after SetUserDisabled(true): Disabled = false")
	}
	users, _, err := f.s.Users.ListUsers(f.ctx, "dis", domain.Page{Size: 10})
	must(t, err)
	if len(users) != 1 || !users[0].Disabled {
		t.Fatalf("ListUsers after SetUserDisabled(true) = %+v, want the user disabled", users)
	}
	must(t, f.s.Users.SetUserDisabled(f.ctx, u.ID, false))
	got, err = f.s.Users.GetUser(f.ctx, u.ID)
	must(t, err)
	if got.Disabled {
		t.Fatal("GetUser after SetUserDisabled(false): Disabled = true")
	}
	wantKind(t, f.s.Users.SetUserDisabled(f.ctx, domain.NewID(), true), domain.KindNotFound)
	// A failed call on a missing user must not create one.
	missing := domain.NewID()
	wantKind(t, f.s.Users.SetUserDisabled(f.ctx, missing, true), domain.KindNotFound)
	_, err = f.s.Users.GetUser(f.ctx, missing)
	wantKind(t, err, domain.KindNotFound)
}

func testEndUserSessions(t *testing.T, f *fixture) {
	u := f.user("ender")
	other := f.user("bystander")
	later := time.Now().Add(time.Hour).Truncate(time.Millisecond)
	for _, s := range []*domain.Session{
		{TokenHash: "end-1", UserID: u.ID, FamilyID: "end-1", CreateTime: f.now(), ExpireTime: later},
		{TokenHash: "end-2", UserID: u.ID, FamilyID: "end-2", CreateTime: f.now(), ExpireTime: later},
		{TokenHash: "keep-1", UserID: other.ID, FamilyID: "keep-1", CreateTime: f.now(), ExpireTime: later},
	} {
		must(t, f.s.Users.CreateSession(f.ctx, s))
	}
	const epoch = int64(1_700_000_000_123_456)
	must(t, f.s.Users.EndUserSessions(f.ctx, u.ID, epoch))
	got, err := f.s.Users.GetUser(f.ctx, u.ID)
	must(t, err)
	if got.SessionEpoch != epoch {
		t.Fatalf("SessionEpoch = %d, want %d", got.SessionEpoch, epoch)
	}
	for _, h := range []string{"end-1", "end-2"} {
		_, err := f.s.Users.ConsumeSession(f.ctx, h)
		wantKind(t, err, domain.KindNotFound)
	}
	kept, err := f.s.Users.ConsumeSession(f.ctx, "keep-1")
	must(t, err)
	if kept.UserID != other.ID {
		t.Fatalf("other user's session belongs to %q", kept.UserID)
	}
	// Again, with no sessions left: fine.
	must(t, f.s.Users.EndUserSessions(f.ctx, u.ID, epoch+1))
	missing := domain.NewID()
	wantKind(t, f.s.Users.EndUserSessions(f.ctx, missing, epoch), domain.KindNotFound)
	_, err = f.s.Users.GetUser(f.ctx, missing)
	wantKind(t, err, domain.KindNotFound)
}

func testUpdateKeepsRevocation(t *testing.T, f *fixture) {
	u := f.user("stale")
	stale := *u // read before the revocation
	must(t, f.s.Users.SetUserDisabled(f.ctx, u.ID, true))
	must(t, f.s.Users.EndUserSessions(f.ctx, u.ID, 42))
	stale.DisplayName = "Renamed"
	stale.UpdateTime = f.now()
	must(t, f.s.Users.UpdateUser(f.ctx, &stale))
	got, err := f.s.Users.GetUser(f.ctx, u.ID)
	must(t, err)
	if !got.Disabled || got.SessionEpoch != 42 || got.DisplayName != "Renamed" {
		t.Fatalf("after UpdateUser with stale values: Disabled=%t SessionEpoch=%d DisplayName=%q, want true, 42, Renamed",
			got.Disabled, got.SessionEpoch, got.DisplayName)
	}
}

func testSessionEpoch(t *testing.T, f *fixture) {
	u := f.user("epochs")
	s := &domain.Session{TokenHash: "ep-1", UserID: u.ID, FamilyID: "ep-1", Epoch: 1_700_000_000_000_001,
		CreateTime: f.now(), ExpireTime: time.Now().Add(time.Hour).Truncate(time.Millisecond)}
	must(t, f.s.Users.CreateSession(f.ctx, s))
	got, err := f.s.Users.ConsumeSession(f.ctx, "ep-1")
	must(t, err)
	wantEqual(t, "consumed session with an epoch", got, s)
}
