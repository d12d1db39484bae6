package cassandra

import (
	"context"
	"hash/fnv"
	"slices"
	"sync"

	"github.com/backbeat/backbeat/server/domain"
)

// Kinds of bucketed listing, as listing_buckets.kind and catalog_by_bucket.kind.
const (
	kindUser   = "user"
	kindArtist = "artist"
	kindAlbum  = "album"
	kindTrack  = "track"
)

// catalogBucket is the listing partition of a catalog id: its first five
// characters, which encode the top 25 bits of its creation time in
// milliseconds (buckets of about 2.3 hours). Ids order the way their
// buckets do, so walking buckets in order lists ids in order.
func catalogBucket(id string) string {
	if len(id) > 5 {
		return id[:5]
	}
	return id
}

// walkBuckets calls visit with each bucket of kind, from start on, in
// order, until visit reports false or the buckets run out. The registry is
// one partition of a few thousand rows a year, read in chunks.
func (s *Store) walkBuckets(ctx context.Context, kind, start string, visit func(bucket string) (bool, error)) error {
	const chunk = 64
	var buckets []string
	err := s.read(ctx, `SELECT bucket FROM listing_buckets WHERE kind = ? AND bucket >= ? LIMIT ?`, kind, start, chunk).Select(&buckets)
	for err == nil && len(buckets) > 0 {
		for _, b := range buckets {
			more, err := visit(b)
			if err != nil || !more {
				return err
			}
		}
		last := buckets[len(buckets)-1]
		buckets = buckets[:0]
		err = s.read(ctx, `SELECT bucket FROM listing_buckets WHERE kind = ? AND bucket > ? LIMIT ?`, kind, last, chunk).Select(&buckets)
	}
	return err
}

// listingShards is how many partitions of catalog_listing a bucket's ids
// spread over (015_catalog_listing_shards.cql): a bulk import's writes go
// to 16 partitions, not one.
const listingShards = 16

// listIDs returns up to n ids of kind after the id after ("" for the
// start), in id order, walking the buckets.
func (s *Store) listIDs(ctx context.Context, kind, after string, n int) ([]string, error) {
	var ids []string
	start := ""
	if after != "" {
		start = catalogBucket(after)
	}
	err := s.walkBuckets(ctx, kind, start, func(bucket string) (bool, error) {
		from := ""
		if after != "" && bucket == catalogBucket(after) {
			from = after
		}
		got, err := s.bucketIDs(ctx, kind, bucket, from, n-len(ids))
		ids = append(ids, got...)
		return len(ids) < n, err
	})
	return ids, err
}

// bucketIDs returns the first n ids of one bucket after from, in order:
// each shard's first n (one partition read each, run in parallel) and the
// rows catalog_by_bucket holds from before the shards, merged.
func (s *Store) bucketIDs(ctx context.Context, kind, bucket, after string, n int) ([]string, error) {
	parts := make([]int, listingShards+1) // shards, then -1 for the old table
	for i := range listingShards {
		parts[i] = i
	}
	parts[listingShards] = -1
	lists, err := fetchAll(ctx, parts, func(ctx context.Context, shard int) ([]string, error) {
		table, key, args := `catalog_listing`, `kind = ? AND bucket = ? AND shard = ?`, []any{kind, bucket, shard}
		if shard < 0 {
			table, key, args = `catalog_by_bucket`, `kind = ? AND bucket = ?`, []any{kind, bucket}
		}
		var got []string
		err := s.read(ctx, `SELECT id FROM `+table+` WHERE `+key+` AND id > ? LIMIT ?`, append(args, after, n)...).Select(&got)
		return got, err
	})
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, l := range lists {
		ids = append(ids, l...)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids) // an id both in the old table and a shard
	return ids[:min(n, len(ids))], nil
}

// addListing and removeListing add the statements that keep an id in its
// kind's "list all".
func addListing(b *batch, kind, id string) {
	b.add(`INSERT INTO listing_buckets (kind, bucket) VALUES (?, ?)`, kind, catalogBucket(id))
	b.add(`INSERT INTO catalog_listing (kind, bucket, shard, id) VALUES (?, ?, ?, ?)`, kind, catalogBucket(id), shardOf(id, listingShards), id)
}

func removeListing(b *batch, kind, id string) {
	b.add(`DELETE FROM catalog_listing WHERE kind = ? AND bucket = ? AND shard = ? AND id = ?`, kind, catalogBucket(id), shardOf(id, listingShards), id)
	b.add(`DELETE FROM catalog_by_bucket WHERE kind = ? AND bucket = ? AND id = ?`, kind, catalogBucket(id), id)
}

// fetchParallel bounds how many single-row reads one call runs at once.
const fetchParallel = 16

// fetchAll gets the entities of ids with get, concurrently, in the order of
// ids, leaving out those not found (deleted since they were listed).
func fetchAll[K, T any](ctx context.Context, ids []K, get func(context.Context, K) (T, error)) ([]T, error) {
	out := make([]T, len(ids))
	found := make([]bool, len(ids))
	errs := make([]error, len(ids))
	sem := make(chan struct{}, fetchParallel)
	var wg sync.WaitGroup
	for i, id := range ids {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			v, err := get(ctx, id)
			switch {
			case err == nil:
				out[i], found[i] = v, true
			case !domain.IsKind(err, domain.KindNotFound):
				errs[i] = err
			}
		})
	}
	wg.Wait()
	kept := out[:0]
	for i := range ids {
		if errs[i] != nil {
			return nil, errs[i]
		}
		if found[i] {
			kept = append(kept, out[i])
		}
	}
	return kept, nil
}

// shardOf spreads keys over n shards, the same way on every node and run.
func shardOf(key string, n int) int {
	h := fnv.New32a()
	h.Write([]byte(key))
	return int(h.Sum32() % uint32(n))
}
