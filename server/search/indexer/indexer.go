// Package indexer tails a store's search change feed (domain.SearchFeed)
// into a search engine (domain.SearchEngine).
//
// A feed record only names a document; the indexer reads the document
// back from the store, so what it indexes is always the store's current
// state and replaying a record is harmless. It saves, per shard, the
// position of the last record indexed, after the engine took it: a crash
// or an engine outage replays from there, losing nothing. A record whose
// write lands after the position passed its time (a batch retried for
// seconds) is caught by a periodic re-read of each shard's recent past.
// Writes carry the
// time the document was read as their version, and the engine keeps the
// highest, so a stale write (an old lease holder's, late) loses to a newer
// one and a delete wins over any upsert read before it.
//
// Exactly one indexer works at a time across replicas: each pass starts by
// taking or renewing a lease (a lightweight transaction with a TTL); a
// replica that stops renewing loses it when the TTL runs out, and another
// takes over from the saved positions.
package indexer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/backbeat/backbeat/server/derrors"
	"github.com/backbeat/backbeat/server/domain"
)

// Config tunes an indexer; zero fields take the defaults below.
type Config struct {
	// Name names the lease and the checkpoints: indexers of one name share
	// them. Default "search".
	Name string
	// Holder identifies this indexer in the lease. Default: random.
	Holder string
	// LeaseTTL is how long a lease outlives its holder's last renewal: how
	// long a dead holder delays a takeover. Default 10 s.
	LeaseTTL time.Duration
	// Poll is the pause between passes that found nothing. Default 250 ms.
	Poll time.Duration
	// Settle is how old a record must be before it is read, so the
	// position rarely passes a record whose write is still landing (those
	// that land later are caught by the recheck, see Late). Default 2 s;
	// the index lag is at least Settle.
	Settle time.Duration
	// Late is how long after its time a record may still land (a batch
	// retried until the Cassandra timeout) and be indexed: every
	// RecheckEvery, each shard's last Late before its position is read
	// again for records not indexed yet. Default 10 s.
	Late time.Duration
	// Batch is how many records are indexed per engine request. Default 500.
	Batch  int
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Name == "" {
		c.Name = "search"
	}
	if c.Holder == "" {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		c.Holder = hex.EncodeToString(b)
	}
	if c.LeaseTTL <= 0 {
		c.LeaseTTL = 10 * time.Second
	}
	if c.Poll <= 0 {
		c.Poll = 250 * time.Millisecond
	}
	if c.Settle <= 0 {
		c.Settle = 2 * time.Second
	}
	if c.Batch <= 0 {
		c.Batch = 500
	}
	if c.Late <= 0 {
		c.Late = 10 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Indexer tails the feed into the engine. Run it in one goroutine; Status
// may be called from any.
type Indexer struct {
	feed   domain.SearchFeed
	engine domain.SearchEngine
	cfg    Config
	log    *slog.Logger

	// leaseMu serializes lease renewals (shards are read concurrently);
	// renewed is when the lease was last taken or renewed.
	leaseMu sync.Mutex
	renewed time.Time
	asked   bool // whether the lease was asked for yet (to log the first answer)

	mu     sync.Mutex
	status Status
	saved  map[int]time.Time // when each shard's position was last saved

	// Per shard, each used only by its shard's goroutine of a pass: the
	// positions indexed within Late of the shard's position (so a recheck
	// indexes only what it had not), and when the shard was last rechecked.
	seen      []map[string]time.Time
	rechecked []time.Time
	lags      []time.Duration // ring of recent record lags
	next      int
}

// Status is what an indexer reports about itself.
type Status struct {
	// Holding reports whether this indexer holds the lease (is the active
	// one).
	Holding bool
	// Watermark is the time up to which every record has been indexed (the
	// oldest shard's); zero before the first pass.
	Watermark time.Time
	// Indexed counts documents written to the engine (upserts and deletes).
	Indexed int64
	// LastError is the last pass's error, "" if it succeeded.
	LastError string
}

// lagSamples bounds the ring of record lags kept for LagPercentile.
const lagSamples = 4096

// New returns an indexer of feed into engine.
func New(feed domain.SearchFeed, engine domain.SearchEngine, cfg Config) *Indexer {
	cfg = cfg.withDefaults()
	ix := &Indexer{feed: feed, engine: engine, cfg: cfg, log: cfg.Logger.With("indexer", cfg.Name, "holder", cfg.Holder),
		saved: make(map[int]time.Time), rechecked: make([]time.Time, feed.FeedShards())}
	ix.seen = make([]map[string]time.Time, feed.FeedShards())
	for i := range ix.seen {
		ix.seen[i] = make(map[string]time.Time)
	}
	return ix
}

// Status returns a snapshot of the indexer's state.
func (ix *Indexer) Status() Status {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.status
}

// LagPercentile returns the p-th percentile (0–100) of the recent records'
// index lag: the time from a record's write to its document being in the
// engine. Zero before any record was indexed.
func (ix *Indexer) LagPercentile(p float64) time.Duration {
	ix.mu.Lock()
	s := slices.Clone(ix.lags)
	ix.mu.Unlock()
	if len(s) == 0 {
		return 0
	}
	slices.Sort(s)
	i := int(p / 100 * float64(len(s)-1))
	return s[min(max(i, 0), len(s)-1)]
}

func (ix *Indexer) update(f func(*Status)) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	f(&ix.status)
}

// Run indexes until ctx ends: it takes the lease when it is free, and while
// it holds it, reads every shard up to now minus Settle. It gives the lease
// up on the way out, so another replica need not wait out the TTL.
func (ix *Indexer) Run(ctx context.Context) error {
	defer func() {
		// A short deadline of its own: ctx is done by now.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		if ix.Status().Holding {
			if err := ix.feed.ReleaseLease(rctx, ix.cfg.Name, ix.cfg.Holder); err != nil {
				ix.log.Warn("search indexer: releasing the lease failed; another replica takes over when it expires", "err", err)
			}
		}
	}()
	var failing bool
	for {
		worked, err := ix.pass(ctx)
		if ctx.Err() != nil {
			return nil
		}
		ix.update(func(s *Status) { s.LastError = errString(err) })
		wait := ix.cfg.Poll
		switch {
		case err != nil:
			// Logged once per outage, not per pass.
			if !failing {
				ix.log.Warn("search indexer: pass failed, retrying from the saved positions", "err", err)
			}
			failing, wait = true, max(ix.cfg.Poll, time.Second)
		case failing:
			ix.log.Info("search indexer: passes succeed again")
			failing = false
		}
		if worked && err == nil {
			continue
		}
		if !ix.Status().Holding {
			// A standby asks for the lease a few times per TTL, not per
			// poll: each ask is a lightweight transaction.
			wait = max(wait, ix.cfg.LeaseTTL/4)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// errLeaseLost ends a pass whose lease may have run out.
var errLeaseLost = errors.New("search indexer lease lost")

// pass takes or renews the lease and, holding it, indexes what the feed
// has. worked reports whether it indexed anything (so the next pass need
// not wait).
func (ix *Indexer) pass(ctx context.Context) (worked bool, err error) {
	held, err := ix.holdLease(ctx)
	if err != nil || !held {
		return false, err
	}
	cps, err := ix.feed.Checkpoints(ctx, ix.cfg.Name)
	if err != nil {
		return false, err
	}
	if len(cps) == 0 {
		// No position saved: nothing was ever indexed under this name, and
		// the feed keeps only days. Build the index from the store, then
		// tail the feed from where the build began.
		began := time.Now().Add(-ix.cfg.Settle)
		ix.log.Info("search indexer: no saved position; building the index from the store")
		n, err := Reindex(ctx, ix.feed, ix.engine, 500, nil)
		if err != nil {
			return false, err
		}
		ix.log.Info("search indexer: index built", "documents", n)
		for shard := range ix.feed.FeedShards() {
			if err := ix.feed.SaveCheckpoint(ctx, ix.cfg.Name, shard, ix.feed.FeedPos(began)); err != nil {
				return false, err
			}
		}
		return true, nil
	}
	// Shards are independent (a document's records are all in one), so
	// they are read side by side: a pass takes as long as its busiest
	// shard, not the sum.
	until := time.Now().Add(-ix.cfg.Settle)
	n := ix.feed.FeedShards()
	did := make([]bool, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for shard := range n {
		wg.Go(func() {
			if cps[shard] != "" && time.Since(ix.rechecked[shard]) >= recheckEvery {
				if did[shard], errs[shard] = ix.recheck(ctx, shard, cps[shard]); errs[shard] != nil {
					return
				}
			}
			d, err := ix.shard(ctx, shard, cps[shard], until)
			did[shard], errs[shard] = did[shard] || d, err
		})
	}
	wg.Wait()
	worked = slices.Contains(did, true)
	if err := errors.Join(errs...); err != nil {
		// Shards that succeeded keep their positions; the watermark stays
		// that of the last full pass.
		return worked, err
	}
	ix.update(func(s *Status) { s.Watermark = until })
	return worked, nil
}

// holdLease takes or renews the lease and records the outcome. A lease
// renewed less than a third of its TTL ago counts as held without asking
// again: a lightweight transaction per poll would be most of the
// indexer's load on an idle feed.
func (ix *Indexer) holdLease(ctx context.Context) (bool, error) {
	ix.leaseMu.Lock()
	defer ix.leaseMu.Unlock()
	if ix.Status().Holding && time.Since(ix.renewed) < ix.cfg.LeaseTTL/3 {
		return true, nil
	}
	asked := time.Now()
	held, err := ix.feed.HoldLease(ctx, ix.cfg.Name, ix.cfg.Holder, ix.cfg.LeaseTTL)
	if err != nil {
		held = false
	}
	was := ix.Status().Holding
	if held != was || ix.renewed.IsZero() && !ix.asked {
		ix.asked = true
		if held {
			ix.log.Info("search indexer: lease taken; this replica indexes")
		} else {
			ix.log.Info("search indexer: lease not held; another replica indexes")
		}
	}
	if held {
		ix.renewed = asked
	}
	ix.update(func(s *Status) { s.Holding = held })
	return held, err
}

// shard indexes one shard's records after pos up to until, a batch at a
// time, saving the position after each batch the engine took. It renews
// the lease between batches so a long catch-up keeps it.
func (ix *Indexer) shard(ctx context.Context, shard int, pos string, until time.Time) (worked bool, err error) {
	defer derrors.Wrap(&err, "indexer.shard(%d)", shard)
	var since time.Time
	if pos == "" {
		// A shard added since the others were saved: from the feed's start.
		since = until.Add(-7 * 24 * time.Hour)
	}
	for {
		recs, err := ix.feed.ReadFeed(ctx, shard, pos, since, until, ix.cfg.Batch)
		if err != nil {
			return worked, err
		}
		if len(recs) > 0 {
			if err := ix.apply(ctx, recs); err != nil {
				return worked, err
			}
			ix.markSeen(shard, recs)
			worked = true
			pos = recs[len(recs)-1].Pos
			if err := ix.feed.SaveCheckpoint(ctx, ix.cfg.Name, shard, pos); err != nil {
				return worked, err
			}
		}
		if len(recs) < ix.cfg.Batch {
			break
		}
		held, err := ix.holdLease(ctx)
		if err != nil {
			return worked, err
		}
		if !held {
			return worked, errLeaseLost
		}
	}
	// Read through to until: start there next time, so an idle shard's
	// reads stay within the current minute's partition. An idle shard's
	// position is saved every idleSave only, not every poll: all it saves
	// is a re-read of empty partitions after a restart, and the lag
	// 'backbeat search status' shows is that much coarser.
	end := ix.feed.FeedPos(until)
	ix.mu.Lock()
	due := worked || time.Since(ix.saved[shard]) >= idleSave
	ix.mu.Unlock()
	if !due || !(pos == "" || ix.after(end, pos)) {
		return worked, nil
	}
	if err := ix.feed.SaveCheckpoint(ctx, ix.cfg.Name, shard, end); err != nil {
		return worked, err
	}
	ix.mu.Lock()
	ix.saved[shard] = time.Now()
	ix.mu.Unlock()
	return worked, nil
}

// recheckEvery is how often each shard's last Late is read again.
const recheckEvery = 5 * time.Second

// recheck indexes the records of the shard's last Late before its
// position cp that it has not indexed: records whose write landed after
// the position had passed their time. Records are read back, not
// indexed again, so the cost is a read of Late's records every
// recheckEvery. After a restart nothing is remembered, and the window is
// indexed once more (harmless: writes are idempotent).
func (ix *Indexer) recheck(ctx context.Context, shard int, cp string) (worked bool, err error) {
	defer derrors.Wrap(&err, "indexer.recheck(%d)", shard)
	t, err := ix.feed.FeedPosTime(cp)
	if err != nil {
		return false, err
	}
	after := ix.feed.FeedPos(t.Add(-ix.cfg.Late))
	var missed []domain.FeedRecord
	for {
		recs, err := ix.feed.ReadFeed(ctx, shard, after, time.Time{}, t, ix.cfg.Batch)
		if err != nil {
			return false, err
		}
		for _, r := range recs {
			if _, ok := ix.seen[shard][r.Pos]; !ok {
				missed = append(missed, r)
			}
		}
		if len(recs) < ix.cfg.Batch {
			break
		}
		after = recs[len(recs)-1].Pos
	}
	for i := 0; i < len(missed); i += ix.cfg.Batch {
		batch := missed[i:min(i+ix.cfg.Batch, len(missed))]
		if err := ix.apply(ctx, batch); err != nil {
			return false, err
		}
		ix.markSeen(shard, batch)
	}
	if len(missed) > 0 && !ix.rechecked[shard].IsZero() {
		ix.log.Info("search indexer: indexed records that landed after the position passed them", "shard", shard, "records", len(missed))
	}
	for pos, at := range ix.seen[shard] {
		if at.Before(t.Add(-ix.cfg.Late)) {
			delete(ix.seen[shard], pos)
		}
	}
	ix.rechecked[shard] = time.Now()
	return len(missed) > 0, nil
}

// markSeen remembers the records as indexed, for recheck.
func (ix *Indexer) markSeen(shard int, recs []domain.FeedRecord) {
	for _, r := range recs {
		ix.seen[shard][r.Pos] = r.Time
	}
}

// idleSave is how often an idle shard's position is saved.
const idleSave = 5 * time.Second

// after reports whether position a is later than b.
func (ix *Indexer) after(a, b string) bool {
	ta, err1 := ix.feed.FeedPosTime(a)
	tb, err2 := ix.feed.FeedPosTime(b)
	return err1 == nil && err2 == nil && ta.After(tb)
}

// fetchParallel bounds the concurrent document reads of one batch (one
// per shard at a time).
const fetchParallel = 8

// apply indexes the documents the records name, each once, as the store
// has them now: an upsert if it is there, a delete if not.
func (ix *Indexer) apply(ctx context.Context, recs []domain.FeedRecord) error {
	type key struct {
		kind domain.ItemType
		id   string
	}
	var keys []key
	seen := make(map[key]bool, len(recs))
	for _, r := range recs {
		k := key{r.Kind, r.ID}
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	docs := make([]*domain.SearchDoc, len(keys))
	gone := make([]int64, len(keys)) // the read's time, for a delete
	errs := make([]error, len(keys))
	sem := make(chan struct{}, fetchParallel)
	var wg sync.WaitGroup
	for i, k := range keys {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			at := time.Now().UnixMicro()
			d, err := ix.feed.SearchDoc(ctx, k.kind, k.id)
			switch {
			case domain.IsKind(err, domain.KindNotFound):
				gone[i] = at
			case domain.IsKind(err, domain.KindInvalid):
				// A record of a kind this binary does not index (a newer
				// writer's): nothing to do with it.
				ix.log.Warn("search indexer: skipping a record", "kind", k.kind, "id", k.id, "err", err)
			case err != nil:
				errs[i] = err
			default:
				docs[i] = d
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	var up []domain.SearchDoc
	var del []domain.SearchRef
	for i, k := range keys {
		switch {
		case docs[i] != nil:
			up = append(up, *docs[i])
		case gone[i] != 0:
			del = append(del, domain.SearchRef{Kind: k.kind, ID: k.id, Version: gone[i]})
		}
	}
	if err := ix.engine.Upsert(ctx, up); err != nil {
		return err
	}
	if err := ix.engine.Delete(ctx, del); err != nil {
		return err
	}
	now := time.Now()
	ix.mu.Lock()
	ix.status.Indexed += int64(len(up) + len(del))
	for _, r := range recs {
		lag := now.Sub(r.Time)
		if len(ix.lags) < lagSamples {
			ix.lags = append(ix.lags, lag)
		} else {
			ix.lags[ix.next] = lag
			ix.next = (ix.next + 1) % lagSamples
		}
	}
	ix.mu.Unlock()
	return nil
}

// Kinds are the document kinds Reindex builds, in order.
var Kinds = []domain.ItemType{domain.ItemArtist, domain.ItemAlbum, domain.ItemTrack, domain.ItemPlaylist}

// Progress is told, after each page, the kind being built and how many
// documents of it are indexed so far.
type Progress func(kind domain.ItemType, done int)

// Reindex writes every document of the store into the engine, a page of
// pageSize at a time, and returns how many it wrote. Each carries the time
// it was read as its version, so running it beside a live indexer is safe:
// whichever read a document last wins.
func Reindex(ctx context.Context, feed domain.SearchFeed, engine domain.SearchEngine, pageSize int, progress Progress) (n int, err error) {
	defer derrors.Wrap(&err, "indexer.Reindex")
	for _, kind := range Kinds {
		done := 0
		p := domain.Page{Size: pageSize}
		for {
			docs, next, err := feed.ScanSearchDocs(ctx, kind, p)
			if err != nil {
				return n, fmt.Errorf("%s: %w", kind, err)
			}
			if err := engine.Upsert(ctx, docs); err != nil {
				return n, fmt.Errorf("%s: %w", kind, err)
			}
			done += len(docs)
			n += len(docs)
			if progress != nil {
				progress(kind, done)
			}
			if next == "" {
				break
			}
			p.Token = next
		}
	}
	return n, nil
}

// Lag is how far behind the feed the checkpoints of indexer name are:
// now minus the oldest shard's position, or an error if nothing was ever
// indexed under that name. A caught-up indexer shows about Settle plus Poll.
func Lag(ctx context.Context, feed domain.SearchFeed, name string, now time.Time) (time.Duration, error) {
	cps, err := feed.Checkpoints(ctx, name)
	if err != nil {
		return 0, err
	}
	if len(cps) == 0 {
		return 0, fmt.Errorf("no indexer named %q has indexed anything yet", name)
	}
	oldest := now
	for shard := range feed.FeedShards() {
		pos, ok := cps[shard]
		if !ok {
			return 0, fmt.Errorf("indexer %q has not read shard %d yet", name, shard)
		}
		t, err := feed.FeedPosTime(pos)
		if err != nil {
			return 0, err
		}
		if t.Before(oldest) {
			oldest = t
		}
	}
	return now.Sub(oldest), nil
}
