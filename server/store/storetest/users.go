package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/domain"
)

var userTests = []test{
	{"User/CreateAndGet", testUserCreateGet},
	{"User/NotFound", testUserNotFound},
	{"User/UniqueUsernameAndEmail", testUserUnique},
	{"User/Update", testUserUpdate},
	{"User/Delete", testUserDelete},
	{"User/ExternalID", testUserExternalID},
	{"User/ListByPrefix", testListUsers},
	{"Session/ConsumeOnce", testSessionConsume},
	{"Session/Expired", testSessionExpired},
	{"Session/Delete", testSessionDelete},
	{"Session/Family", testSessionFamily},
	{"Session/Consumed", testSessionConsumed},
	{"FollowArtist", testFollowArtist},
}

func testUserCreateGet(t *testing.T, f *fixture) {
	u := f.newUser("Marta")
	u.Roles = []domain.Role{domain.RoleListener, domain.RoleArtist}
	must(t, f.s.Users.CreateUser(f.ctx, u))

	got, err := f.s.Users.GetUser(f.ctx, u.ID)
	must(t, err)
	wantEqual(t, "GetUser", got, u)

	got, err = f.s.Users.GetUserByUsername(f.ctx, "MARTA")
	must(t, err)
	wantEqual(t, "GetUserByUsername, other case", got, u)

	got, err = f.s.Users.GetUserByEmail(f.ctx, "marta@EXAMPLE.com")
	must(t, err)
	wantEqual(t, "GetUserByEmail, other case", got, u)
}

func testUserNotFound(t *testing.T, f *fixture) {
	f.user("someone")
	missing := f.newUser("nobody")
	calls := map[string]func() error{
		"GetUser": func() error { _, err := f.s.Users.GetUser(f.ctx, missing.ID); return err },
		"GetUserByUsername": func() error {
			_, err := f.s.Users.GetUserByUsername(f.ctx, missing.Username)
			return err
		},
		"GetUserByEmail": func() error { _, err := f.s.Users.GetUserByEmail(f.ctx, missing.Email); return err },
		"GetUserByExternalID": func() error {
			_, err := f.s.Users.GetUserByExternalID(f.ctx, "https://idp.example.com", "nobody")
			return err
		},
		"UpdateUser": func() error { return f.s.Users.UpdateUser(f.ctx, missing) },
		"DeleteUser": func() error { return f.s.Users.DeleteUser(f.ctx, missing.ID) },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) { wantKind(t, call(), domain.KindNotFound) })
	}
}

func testUserUnique(t *testing.T, f *fixture) {
	first := f.user("karl")
	tests := []struct {
		name  string
		edit  func(u *domain.User)
		field string
	}{
		{"same username", func(u *domain.User) { u.Username = "karl" }, "username"},
		{"username in other case", func(u *domain.User) { u.Username = "KaRL" }, "username"},
		{"same email", func(u *domain.User) { u.Email = first.Email }, "email"},
		{"email in other case", func(u *domain.User) { u.Email = strings.ToUpper(first.Email) }, "email"},
		{"same id", func(u *domain.User) { u.ID = first.ID }, "id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := f.newUser("other" + strings.ReplaceAll(tt.name, " ", ""))
			tt.edit(u)
			wantField(t, f.s.Users.CreateUser(f.ctx, u), domain.KindAlreadyExists, tt.field)
			// A failed call writes nothing: the parts that did not clash
			// are not there either.
			if tt.field != "username" {
				_, err := f.s.Users.GetUserByUsername(f.ctx, u.Username)
				wantKind(t, err, domain.KindNotFound)
			}
			if tt.field != "email" {
				_, err := f.s.Users.GetUserByEmail(f.ctx, u.Email)
				wantKind(t, err, domain.KindNotFound)
			}
		})
	}
	got, err := f.s.Users.GetUser(f.ctx, first.ID)
	must(t, err)
	wantEqual(t, "first user after clashes", got, first)
}

func testUserUpdate(t *testing.T, f *fixture) {
	u := f.user("lena")
	other := f.user("omar")

	u.Username = "Lena2"
	u.Email = "lena@new.example.com"
	u.DisplayName = "Lena L."
	u.Roles = []domain.Role{domain.RoleListener, domain.RoleAdmin}
	u.PasswordHash = "new-hash"
	u.UpdateTime = f.now()
	must(t, f.s.Users.UpdateUser(f.ctx, u))
	got, err := f.s.Users.GetUser(f.ctx, u.ID)
	must(t, err)
	wantEqual(t, "after update", got, u)
	got, err = f.s.Users.GetUserByEmail(f.ctx, "LENA@new.example.com")
	must(t, err)
	wantEqual(t, "by new email", got, u)
	_, err = f.s.Users.GetUserByEmail(f.ctx, "lena@example.com")
	wantKind(t, err, domain.KindNotFound)

	clash := *u
	clash.Email = strings.ToUpper(other.Email)
	clash.DisplayName = "should not be stored"
	wantField(t, f.s.Users.UpdateUser(f.ctx, &clash), domain.KindAlreadyExists, "email")
	got, err = f.s.Users.GetUser(f.ctx, u.ID)
	must(t, err)
	wantEqual(t, "after failed update", got, u)
}

func testUserDelete(t *testing.T, f *fixture) {
	u := f.user("gone")
	keep := f.user("kept")
	must(t, f.s.Users.DeleteUser(f.ctx, u.ID))
	_, err := f.s.Users.GetUser(f.ctx, u.ID)
	wantKind(t, err, domain.KindNotFound)
	_, err = f.s.Users.GetUserByUsername(f.ctx, u.Username)
	wantKind(t, err, domain.KindNotFound)
	wantKind(t, f.s.Users.DeleteUser(f.ctx, u.ID), domain.KindNotFound)
	// The name is free again.
	again := f.newUser("gone")
	must(t, f.s.Users.CreateUser(f.ctx, again))
	if _, err := f.s.Users.GetUser(f.ctx, keep.ID); err != nil {
		t.Fatalf("other user: %v", err)
	}
}

func testUserExternalID(t *testing.T, f *fixture) {
	u := f.newUser("oidc")
	u.PasswordHash = ""
	u.ExternalIssuer, u.ExternalSubject = "https://idp.example.com", "sub-123"
	must(t, f.s.Users.CreateUser(f.ctx, u))
	f.user("local")

	got, err := f.s.Users.GetUserByExternalID(f.ctx, "https://idp.example.com", "sub-123")
	must(t, err)
	wantEqual(t, "GetUserByExternalID", got, u)
	for _, id := range [][2]string{{"https://idp.example.com", "sub-124"}, {"https://other.example.com", "sub-123"}} {
		_, err := f.s.Users.GetUserByExternalID(f.ctx, id[0], id[1])
		wantKind(t, err, domain.KindNotFound)
	}
}

func testListUsers(t *testing.T, f *fixture) {
	for _, name := range []string{"carol", "alfred", "bob", "al", "albert", "alice", "zed"} {
		f.user(name)
	}
	tests := []struct {
		prefix string
		want   []string
	}{
		{"", []string{"al", "albert", "alfred", "alice", "bob", "carol", "zed"}},
		{"al", []string{"al", "albert", "alfred", "alice"}},
		{"alf", []string{"alfred"}},
		{"b", []string{"bob"}},
		{"zz", nil},
	}
	for _, tt := range tests {
		t.Run("prefix "+tt.prefix, func(t *testing.T) {
			for _, size := range []int{1, 3, 10} {
				got := collect(t, size, func(p domain.Page) ([]string, string, error) {
					us, next, err := f.s.Users.ListUsers(f.ctx, tt.prefix, p)
					return ids(us, func(u *domain.User) string { return u.Username }), next, err
				})
				wantIDs(t, "usernames", got, tt.want)
			}
		})
	}
}

func testSessionConsume(t *testing.T, f *fixture) {
	u := f.user("sess")
	s := &domain.Session{TokenHash: "hash-1", UserID: u.ID, CreateTime: f.now(), ExpireTime: time.Now().Add(time.Hour).Truncate(time.Millisecond)}
	must(t, f.s.Users.CreateSession(f.ctx, s))
	got, err := f.s.Users.ConsumeSession(f.ctx, "hash-1")
	must(t, err)
	wantEqual(t, "consumed session", got, s)
	_, err = f.s.Users.ConsumeSession(f.ctx, "hash-1")
	wantKind(t, err, domain.KindNotFound)
	_, err = f.s.Users.ConsumeSession(f.ctx, "never-created")
	wantKind(t, err, domain.KindNotFound)
}

func testSessionExpired(t *testing.T, f *fixture) {
	u := f.user("sess")
	s := &domain.Session{TokenHash: "old", UserID: u.ID, CreateTime: f.now(), ExpireTime: time.Now().Add(-time.Minute)}
	must(t, f.s.Users.CreateSession(f.ctx, s))
	_, err := f.s.Users.ConsumeSession(f.ctx, "old")
	wantKind(t, err, domain.KindNotFound)
	_, err = f.s.Users.ConsumeSession(f.ctx, "old")
	wantKind(t, err, domain.KindNotFound)
}

func testSessionDelete(t *testing.T, f *fixture) {
	u := f.user("sess")
	s := &domain.Session{TokenHash: "del", UserID: u.ID, CreateTime: f.now(), ExpireTime: time.Now().Add(time.Hour)}
	must(t, f.s.Users.CreateSession(f.ctx, s))
	must(t, f.s.Users.DeleteSession(f.ctx, "del"))
	must(t, f.s.Users.DeleteSession(f.ctx, "del"))
	must(t, f.s.Users.DeleteSession(f.ctx, "never-created"))
	_, err := f.s.Users.ConsumeSession(f.ctx, "del")
	wantKind(t, err, domain.KindNotFound)
}

func testSessionFamily(t *testing.T, f *fixture) {
	u, other := f.user("sess"), f.user("other")
	later := time.Now().Add(time.Hour).Truncate(time.Millisecond)
	create := func(hash, userID, family string) *domain.Session {
		t.Helper()
		s := &domain.Session{TokenHash: hash, UserID: userID, FamilyID: family, CreateTime: f.now(), ExpireTime: later}
		must(t, f.s.Users.CreateSession(f.ctx, s))
		return s
	}
	first := create("fam-1", u.ID, "fam-1")
	create("fam-2", u.ID, "fam-1")
	create("fam-3", u.ID, "fam-1")
	create("own", u.ID, "own")
	create("legacy", u.ID, "")
	create("theirs", other.ID, "theirs")
	got, err := f.s.Users.ConsumeSession(f.ctx, "fam-1")
	must(t, err)
	wantEqual(t, "consumed session", got, first)
	must(t, f.s.Users.DeleteSession(f.ctx, "fam-3"))
	must(t, f.s.Users.RevokeSessionFamily(f.ctx, "fam-1"))
	must(t, f.s.Users.RevokeSessionFamily(f.ctx, "fam-1"))
	must(t, f.s.Users.RevokeSessionFamily(f.ctx, "never-created"))
	wantKind(t, f.s.Users.RevokeSessionFamily(f.ctx, ""), domain.KindInvalid)
	_, err = f.s.Users.ConsumeSession(f.ctx, "fam-2")
	wantKind(t, err, domain.KindNotFound)
	for _, alive := range []string{"own", "legacy", "theirs"} {
		s, err := f.s.Users.ConsumeSession(f.ctx, alive)
		must(t, err)
		if s.TokenHash != alive {
			t.Fatalf("consumed %q, want %q", s.TokenHash, alive)
		}
	}
	// A revoked family's user can still be deleted with all its sessions.
	create("fam-4", u.ID, "fam-4")
	must(t, f.s.Users.RevokeSessionFamily(f.ctx, "fam-4"))
	must(t, f.s.Users.DeleteUser(f.ctx, u.ID))
}

func testSessionConsumed(t *testing.T, f *fixture) {
	c := &domain.ConsumedSession{TokenHash: "spent", FamilyID: "fam", ExpireTime: time.Now().Add(time.Hour).Truncate(time.Millisecond)}
	must(t, f.s.Users.RecordConsumedSession(f.ctx, c))
	got, err := f.s.Users.GetConsumedSession(f.ctx, "spent")
	must(t, err)
	wantEqual(t, "consumed session", got, c)
	_, err = f.s.Users.GetConsumedSession(f.ctx, "never-consumed")
	wantKind(t, err, domain.KindNotFound)
	must(t, f.s.Users.RecordConsumedSession(f.ctx, &domain.ConsumedSession{TokenHash: "old", FamilyID: "fam", ExpireTime: time.Now().Add(-time.Minute)}))
	_, err = f.s.Users.GetConsumedSession(f.ctx, "old")
	wantKind(t, err, domain.KindNotFound)
}

func testFollowArtist(t *testing.T, f *fixture) {
	u := f.user("fan")
	other := f.user("other")
	a1, a2, a3 := f.artist("First"), f.artist("Second"), f.artist("Third")
	follow := func(u *domain.User, a *domain.Artist) {
		t.Helper()
		must(t, f.s.Users.FollowArtist(f.ctx, u.ID, a.ID))
		// Follows are ordered by when they happened; a store may keep that
		// to the millisecond.
		time.Sleep(2 * time.Millisecond)
	}
	list := func(u *domain.User) []string {
		return collect(t, 2, func(p domain.Page) ([]string, string, error) {
			return f.s.Users.ListFollowedArtists(f.ctx, u.ID, p)
		})
	}
	follow(u, a1)
	follow(u, a2)
	follow(other, a1)
	follow(u, a3)
	wantIDs(t, "followed, newest first", list(u), []string{a3.ID, a2.ID, a1.ID})
	wantIDs(t, "other's follows", list(other), []string{a1.ID})

	// Following again changes nothing visible but, perhaps, the order.
	follow(u, a2)
	got := list(u)
	if len(got) != 3 || !slices.Contains(got, a2.ID) || slices.Index(got, a3.ID) > slices.Index(got, a1.ID) {
		t.Fatalf("after following again = %q, want %q, %q and %q once each, %q before %q", got, a1.ID, a2.ID, a3.ID, a3.ID, a1.ID)
	}

	must(t, f.s.Users.UnfollowArtist(f.ctx, u.ID, a2.ID))
	must(t, f.s.Users.UnfollowArtist(f.ctx, u.ID, a2.ID))
	must(t, f.s.Users.UnfollowArtist(f.ctx, other.ID, a3.ID)) // never followed
	wantIDs(t, "after unfollow", list(u), []string{a3.ID, a1.ID})

	wantKind(t, f.s.Users.FollowArtist(f.ctx, u.ID, f.id()), domain.KindNotFound)
	wantIDs(t, "after following a missing artist", list(u), []string{a3.ID, a1.ID})
}
