package cassandra

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/domain"
)

// testClaims races sign-ups for one username and makes the user and claim
// writes apply and then time out (the ambiguous case), against a real
// Cassandra: exactly one racer wins; an ambiguous write is settled by a
// SERIAL read, so the username stays held by the user that has it and a
// retry of the same request succeeds; a write that never applied gives its
// claims back.
func testClaims(t *testing.T, s *Store, f *failingSession) {
	ctx := t.Context()
	users := s.Stores().Users
	newUser := func(name string) *domain.User {
		now := time.Now().UTC().Truncate(time.Millisecond)
		return &domain.User{ID: domain.NewID(), Username: name, Email: name + "@example.test", DisplayName: name,
			Roles: []domain.Role{domain.RoleListener}, CreateTime: now, UpdateTime: now}
	}
	holder := func(name string) string {
		t.Helper()
		u, err := users.GetUserByUsername(ctx, name)
		if err != nil {
			t.Fatalf("GetUserByUsername(%q): %v", name, err)
		}
		return u.ID
	}
	wantTaken := func(name string) {
		t.Helper()
		if err := users.CreateUser(ctx, newUser(name)); !domain.IsKind(err, domain.KindAlreadyExists) {
			t.Fatalf("CreateUser of another user named %q: %v; want AlreadyExists (the name is held)", name, err)
		}
	}

	t.Run("Race", func(t *testing.T) {
		const racers = 12
		errs := make([]error, racers)
		us := make([]*domain.User, racers)
		var wg sync.WaitGroup
		for i := range racers {
			us[i] = newUser("racer")
			us[i].Email = fmt.Sprintf("racer%d@example.test", i)
			wg.Go(func() { errs[i] = users.CreateUser(ctx, us[i]) })
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Fatalf("racers %d and %d both created username racer", winner, i)
			case err == nil:
				winner = i
			case !domain.IsKind(err, domain.KindAlreadyExists):
				t.Fatalf("racer %d: %v; want AlreadyExists", i, err)
			}
		}
		if winner < 0 {
			t.Fatal("no racer created username racer")
		}
		if id := holder("racer"); id != us[winner].ID {
			t.Fatalf("racer is user %s, want the winner %s", id, us[winner].ID)
		}
	})

	t.Run("UserInsertAppliedThenTimedOut", func(t *testing.T) {
		f.setFaults(&fault{match: "INSERT INTO users (", kind: applyThenTimeout, times: 1})
		u := newUser("ambiguous")
		if err := users.CreateUser(ctx, u); err != nil {
			t.Fatalf("CreateUser whose insert applied and timed out: %v; want it settled as created", err)
		}
		if id := holder("ambiguous"); id != u.ID {
			t.Fatalf("ambiguous is user %s, want %s", id, u.ID)
		}
		wantTaken("ambiguous")
		// The client's retry of the same request finds its own user.
		if err := users.CreateUser(ctx, u); err != nil {
			t.Fatalf("retry of the same CreateUser: %v", err)
		}
		if id := holder("ambiguous"); id != u.ID {
			t.Fatalf("after the retry ambiguous is user %s, want %s", id, u.ID)
		}
	})

	t.Run("ClaimAppliedThenTimedOut", func(t *testing.T) {
		f.setFaults(&fault{match: "INSERT INTO users_by_username", kind: applyThenTimeout, times: 1})
		u := newUser("claimlost")
		if err := users.CreateUser(ctx, u); err != nil {
			t.Fatalf("CreateUser whose username claim applied and timed out: %v", err)
		}
		if id := holder("claimlost"); id != u.ID {
			t.Fatalf("claimlost is user %s, want %s", id, u.ID)
		}
	})

	t.Run("UserInsertNeverApplied", func(t *testing.T) {
		f.setFaults(&fault{match: "INSERT INTO users (", kind: timeoutBefore})
		u := newUser("nevermade")
		if err := users.CreateUser(ctx, u); !domain.IsKind(err, domain.KindUnavailable) {
			t.Fatalf("CreateUser whose insert never got through: %v; want Unavailable", err)
		}
		f.setFaults()
		// Its claims went back: someone else signs up with the name at once.
		other := newUser("nevermade")
		other.Email = u.Email
		if err := users.CreateUser(ctx, other); err != nil {
			t.Fatalf("CreateUser after a failed sign-up released its claims: %v", err)
		}
	})

	t.Run("RenameAppliedThenTimedOut", func(t *testing.T) {
		f.setFaults()
		u := newUser("oldname")
		if err := users.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		f.setFaults(&fault{match: "users SET username = ?", kind: applyThenTimeout, times: 1})
		renamed := *u
		renamed.Username, renamed.UpdateTime = "newname", u.UpdateTime.Add(time.Millisecond)
		if err := users.UpdateUser(ctx, &renamed); err != nil {
			t.Fatalf("UpdateUser whose update applied and timed out: %v; want it settled as renamed", err)
		}
		f.setFaults()
		if id := holder("newname"); id != u.ID {
			t.Fatalf("newname is user %s, want %s", id, u.ID)
		}
		wantTaken("newname")
		// The old name is free again.
		again := newUser("oldname")
		again.Email = "another@example.test"
		if err := users.CreateUser(ctx, again); err != nil {
			t.Fatalf("CreateUser of the old name after the rename: %v", err)
		}
	})
}

// setFaults replaces the session's faults.
func (f *failingSession) setFaults(faults ...*fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = faults
}
