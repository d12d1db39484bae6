package cassandra

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestPositionKeys inserts batches at random places, as AddEntries does,
// and checks order, contiguity of batches and key growth.
func TestPositionKeys(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var keys []string // sorted, as the clustering order keeps them
	for range 2000 {
		at := rng.IntN(len(keys) + 1)
		if rng.IntN(3) == 0 {
			at = len(keys) // appends dominate real use
		}
		prev, next := "", ""
		if at > 0 {
			prev = keys[at-1]
		}
		if at < len(keys) {
			next = keys[at]
		}
		prefix, err := batchKey(prev, next)
		if err != nil {
			t.Fatalf("batchKey(%q, %q): %v", prev, next, err)
		}
		n := 1 + rng.IntN(5)
		var batch []string
		for i := range n {
			k := entryKey(prefix, i)
			if !(prev < k && (next == "" || k < next)) {
				t.Fatalf("key %q not between %q and %q", k, prev, next)
			}
			batch = append(batch, k)
		}
		keys = slices.Insert(keys, at, batch...)
	}
	if !slices.IsSorted(keys) {
		t.Fatal("keys out of order")
	}
	longest := 0
	for _, k := range keys {
		longest = max(longest, len(k))
	}
	if longest > 128 {
		t.Errorf("longest key %d bytes after 2000 random inserts", longest)
	}
	t.Logf("%d keys, longest %d bytes", len(keys), longest)

	// Two batches made for the same place at once stay whole.
	a, _ := batchKey("V", "W")
	b, _ := batchKey("V", "W")
	all := []string{entryKey(a, 0), entryKey(a, 1), entryKey(a, 2), entryKey(b, 0), entryKey(b, 1), entryKey(b, 2)}
	slices.Sort(all)
	firstA := strings.HasPrefix(all[0], a)
	for i, k := range all {
		if strings.HasPrefix(k, a) != (firstA == (i < 3)) {
			t.Fatalf("concurrent batches interleave: %q", all)
		}
	}
}

func TestBetweenEdges(t *testing.T) {
	for _, tc := range [][2]string{{"", ""}, {"", "1"}, {"", "0001"}, {"z", ""}, {"zzz", ""}, {"a", "a1"}, {"a", "b"}, {"az", "b"}, {"a0", "a01"}} {
		k, err := between(tc[0], tc[1])
		if err != nil {
			t.Fatalf("between(%q, %q): %v", tc[0], tc[1], err)
		}
		if !(tc[0] < k && (tc[1] == "" || k < tc[1])) || tc[1] != "" && strings.HasPrefix(tc[1], k) {
			t.Fatalf("between(%q, %q) = %q", tc[0], tc[1], k)
		}
	}
	for _, tc := range [][2]string{{"b", "a"}, {"a", "a"}, {"a", "a0"}} {
		if k, err := between(tc[0], tc[1]); err == nil {
			t.Fatalf("between(%q, %q) = %q, want no room", tc[0], tc[1], k)
		}
	}
}
