package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/backbeat/backbeat/server/auth"
	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/store/cassandra"
	"github.com/backbeat/backbeat/server/store/embedded"
	"github.com/backbeat/backbeat/server/store/storeseed"
)

// seed fills an embedded data directory with a generated catalog and
// playlists, plus a user to sign in as, and writes the ids file 'run' reads.
func seed(args []string) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	dir := fs.String("data-dir", "./bench-data", "embedded data directory to fill (must be new)")
	tracks := fs.Int("tracks", 100_000, "tracks to generate")
	playlists := fs.Int("playlists", 10_000, "public playlists to generate")
	entries := fs.Int("entries", 30, "average entries per playlist")
	store := fs.String("store", "embedded", "embedded or cassandra (ids file still goes to -data-dir)")
	hosts := fs.String("cassandra-hosts", "127.0.0.1", "Cassandra contact points")
	keyspace := fs.String("cassandra-keyspace", "backbeat", "migrated keyspace to fill")
	concurrency := fs.Int("concurrency", storeseed.DefaultConcurrency, "writes in flight on a store without batches (cassandra)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	var stores domain.Stores
	switch *store {
	case "embedded":
		st, err := embedded.Open(ctx, *dir, log)
		if err != nil {
			return err
		}
		defer st.Close()
		stores = st.Stores()
	case "cassandra":
		if err := os.MkdirAll(*dir, 0o755); err != nil {
			return err
		}
		st, err := cassandra.Open(ctx, cassandra.Config{Hosts: strings.Split(*hosts, ","), LocalDC: "dc1", Keyspace: *keyspace, Logger: log})
		if err != nil {
			return err
		}
		defer st.Close()
		stores = st.Stores()
	default:
		return fmt.Errorf("-store: unknown %q", *store)
	}

	if *concurrency < 1 {
		return fmt.Errorf("-concurrency: %d, want at least 1", *concurrency)
	}
	start := time.Now()
	opts := storeseed.Options{Concurrency: *concurrency, Progress: func(p storeseed.Progress) {
		log.Info("seeding", "phase", p.Phase, "done", p.Done, "total", p.Total, "elapsed", time.Since(start).Round(time.Millisecond))
	}}
	cat, err := storeseed.FillCatalog(ctx, stores, *tracks, opts)
	if err != nil {
		return err
	}
	log.Info("catalog seeded", "tracks", len(cat.TrackIDs), "took", time.Since(start))
	start = time.Now()
	plIDs, err := storeseed.FillPlaylists(ctx, stores, cat.TrackIDs, *playlists, *entries, opts)
	if err != nil {
		return err
	}
	log.Info("playlists seeded", "playlists", len(plIDs), "took", time.Since(start))

	ids := benchIDs{Username: "bench", Password: "bench-password"}
	hash, err := auth.HashPassword(ids.Password)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	if err := stores.Users.CreateUser(ctx, &domain.User{ID: domain.NewID(), Username: ids.Username, Email: "bench@example.com",
		DisplayName: "Bench", Roles: []domain.Role{domain.RoleListener}, PasswordHash: hash, CreateTime: now, UpdateTime: now}); err != nil {
		return fmt.Errorf("create bench user: %w", err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		ids.TrackIDs = append(ids.TrackIDs, cat.TrackIDs[r.IntN(len(cat.TrackIDs))])
	}
	for range 1000 {
		ids.PlaylistIDs = append(ids.PlaylistIDs, plIDs[r.IntN(len(plIDs))])
	}
	// A mix a search box sees: whole words, prefixes as typed, two words.
	for _, w := range cat.Words {
		ids.Queries = append(ids.Queries, w)
		if len([]rune(w)) > 3 {
			ids.Queries = append(ids.Queries, string([]rune(w)[:3]))
		}
		ids.Queries = append(ids.Queries, w+" "+cat.Words[r.IntN(len(cat.Words))])
	}
	b, err := json.MarshalIndent(ids, "", " ")
	if err != nil {
		return err
	}
	out := filepath.Join(*dir, "bench-ids.json")
	if err := os.WriteFile(out, b, 0o644); err != nil {
		return err
	}
	fmt.Println("wrote", out)
	return nil
}
