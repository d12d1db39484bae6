package apptest

import (
	"testing"
	"time"
)

// SearchLagBound is how long a write may take to become searchable in a
// test: at once on the embedded store; on the Cassandra deployment with a
// search engine, after its indexer's lag (about 2–3 s: the feed's settle
// time, a poll, OpenSearch's refresh), with slack for a loaded machine.
const SearchLagBound = 30 * time.Second

// Eventually runs check until it returns nil, and returns its last error
// once SearchLagBound has passed. Searches after writes use it: the search
// engine follows the store, it does not read through it.
func Eventually(t testing.TB, check func() error) error {
	t.Helper()
	deadline := time.Now().Add(SearchLagBound)
	for {
		err := check()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}
