package app

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/domain"
)

// TestAccountCache pins what revocation relies on: entries live for the TTL
// and no longer, forget drops one at once, a load that raced a forget does
// not store what it read, refusals are cached and store failures are not.
func TestAccountCache(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1000, 0)
	c := newAccountCache(2*time.Second, func() time.Time { return now })
	loads := 0
	roles := []domain.Role{domain.RoleListener, domain.RoleAdmin}
	load := func(_ context.Context, id string) (domain.Account, error) {
		loads++
		return domain.Account{UserID: id, Roles: roles}, nil
	}
	get := func() domain.Account {
		t.Helper()
		a, err := c.get(ctx, "u1", load)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	get()
	get()
	if loads != 1 {
		t.Fatalf("%d loads for two gets within the TTL, want 1", loads)
	}
	now = now.Add(2 * time.Second)
	get()
	if loads != 2 {
		t.Fatalf("%d loads after the TTL, want 2", loads)
	}
	roles = []domain.Role{domain.RoleListener}
	c.forget("u1")
	if a := get(); len(a.Roles) != 1 || loads != 3 {
		t.Fatalf("after forget: roles %v, %d loads; want the new roles from a third load", a.Roles, loads)
	}

	// A load that started before a forget keeps its answer to itself.
	racing := func(_ context.Context, id string) (domain.Account, error) {
		c.forget(id)
		return domain.Account{UserID: id, Roles: []domain.Role{domain.RoleAdmin}}, nil
	}
	c.forget("u2")
	if _, err := c.get(ctx, "u2", racing); err != nil {
		t.Fatal(err)
	}
	c.mu.RLock()
	_, stored := c.m["u2"]
	c.mu.RUnlock()
	if stored {
		t.Fatal("a load that raced a forget was stored")
	}

	gone := 0
	refuse := func(context.Context, string) (domain.Account, error) {
		gone++
		return domain.Account{}, domain.Unauthenticated("account no longer exists")
	}
	for range 3 {
		if _, err := c.get(ctx, "gone", refuse); !domain.IsKind(err, domain.KindUnauthenticated) {
			t.Fatalf("get of a deleted account: %v, want unauthenticated", err)
		}
	}
	if gone != 1 {
		t.Fatalf("%d loads of a deleted account within the TTL, want 1 (refusals are cached)", gone)
	}
	down := 0
	fail := func(context.Context, string) (domain.Account, error) {
		down++
		return domain.Account{}, errors.New("store unavailable")
	}
	c.get(ctx, "u3", fail)
	c.get(ctx, "u3", fail)
	if down != 2 {
		t.Fatalf("%d loads with the store failing, want 2 (failures are not cached)", down)
	}
}

// BenchmarkAccountCacheHit is the per-request cost revocable roles add on
// a hit (the common case): compare with a GetTrack's total in bench.sh.
func BenchmarkAccountCacheHit(b *testing.B) {
	ctx := context.Background()
	c := newAccountCache(time.Hour, nil)
	load := func(_ context.Context, id string) (domain.Account, error) {
		return domain.Account{UserID: id, Roles: []domain.Role{domain.RoleListener}}, nil
	}
	id := domain.NewID()
	c.get(ctx, id, load)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			a, _ := c.get(ctx, id, load)
			if _, err := a.Admit(0); err != nil {
				b.Fatal(err)
			}
		}
	})
}
