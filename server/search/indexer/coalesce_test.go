package indexer

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/domain"
)

// countingFeed answers SearchDoc from docs and counts the reads; the rest
// of the feed is not used by apply.
type countingFeed struct {
	domain.SearchFeed
	mu    sync.Mutex
	docs  map[string]domain.SearchDoc
	reads int
}

func (*countingFeed) FeedShards() int { return 1 }

func (f *countingFeed) SearchDoc(_ context.Context, kind domain.ItemType, id string) (*domain.SearchDoc, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	d, ok := f.docs[string(kind)+":"+id]
	if !ok {
		return nil, domain.NotFound(string(kind), id)
	}
	return &d, nil
}

// countingEngine records each write request.
type countingEngine struct {
	domain.SearchEngine
	upserts [][]domain.SearchDoc
	deletes [][]domain.SearchRef
}

func (e *countingEngine) Upsert(_ context.Context, docs []domain.SearchDoc) error {
	if len(docs) > 0 {
		e.upserts = append(e.upserts, docs)
	}
	return nil
}

func (e *countingEngine) Delete(_ context.Context, refs []domain.SearchRef) error {
	if len(refs) > 0 {
		e.deletes = append(e.deletes, refs)
	}
	return nil
}

// TestApplyCoalescesRecords: a batch with many records of one document (a
// hit track whose popularity steps, renamed meanwhile) reads and writes it
// once, in one engine request with the batch's other documents, so the
// engine's load follows the documents changed, not the writes made.
func TestApplyCoalescesRecords(t *testing.T) {
	feed := &countingFeed{docs: map[string]domain.SearchDoc{
		"track:hit":   {Kind: domain.ItemTrack, ID: "hit", Name: "Hit", Popularity: 4096},
		"track:other": {Kind: domain.ItemTrack, ID: "other", Name: "Other"},
	}}
	eng := &countingEngine{}
	ix := New(feed, eng, Config{})
	now := time.Now()
	var recs []domain.FeedRecord
	for i := range 200 {
		recs = append(recs, domain.FeedRecord{Pos: fmt.Sprint(i), Time: now, Kind: domain.ItemTrack, ID: "hit"})
	}
	recs = append(recs,
		domain.FeedRecord{Pos: "200", Time: now, Kind: domain.ItemTrack, ID: "other"},
		domain.FeedRecord{Pos: "201", Time: now, Kind: domain.ItemTrack, ID: "gone"},
		domain.FeedRecord{Pos: "202", Time: now, Kind: domain.ItemTrack, ID: "gone"},
		// The same id of another kind is another document.
		domain.FeedRecord{Pos: "203", Time: now, Kind: domain.ItemAlbum, ID: "hit"},
	)
	if err := ix.apply(t.Context(), recs); err != nil {
		t.Fatal(err)
	}
	if feed.reads != 4 {
		t.Errorf("read %d documents, want 4 (track hit, track other, track gone, album hit)", feed.reads)
	}
	if len(eng.upserts) != 1 || len(eng.upserts[0]) != 2 {
		t.Fatalf("upserts = %v, want one request of the 2 documents found", eng.upserts)
	}
	if len(eng.deletes) != 1 || len(eng.deletes[0]) != 2 {
		t.Fatalf("deletes = %v, want one request deleting track gone and album hit", eng.deletes)
	}
	if got := ix.Status().Indexed; got != 4 {
		t.Errorf("Indexed = %d, want 4", got)
	}
}
