package cassandra

import (
	"crypto/rand"
	"errors"
	"strings"
)

// Playlist order is kept in fractional position keys: strings compared
// byte-wise, as Cassandra orders text clustering keys. Inserting between two
// entries makes a key strictly between theirs, so no other row is
// rewritten, and concurrent inserts never need to agree on a numbering.
//
// A batch of entries gets one fresh key between its neighbours plus a random
// part (batchKey), and each entry that key plus its fixed-width index in the
// batch. Two batches inserted at the same place at the same time therefore
// both land, each contiguous and in its own order, one after the other.

// keyDigits are the key alphabet in byte order.
const keyDigits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

const (
	keyBase = len(keyDigits)
	// randomDigits separate concurrent batches: 62^6 ≈ 5.7e10 choices.
	randomDigits = 6
	// indexDigits number the entries of a batch: up to 62^3 = 238,328.
	indexDigits = 3
)

func digitOf(c byte) int { return strings.IndexByte(keyDigits, c) }

var errNoRoom = errors.New("cassandra: no position key between neighbours")

// between returns a key k with a < k < b such that every extension of k is
// also between them ("" for a means no lower bound, for b no upper bound).
// Appends step the first digit that can move up by one and front inserts
// the first that can move down, so keys grow by a character only every few
// dozen of either; inserts between two keys take the midpoint, so repeated
// inserts at one spot grow keys by a character every five or six.
func between(a, b string) (string, error) {
	if b != "" && a >= b {
		return "", errNoRoom
	}
	var out []byte
	bounded := b != "" // whether b still bounds the digits from here on
	for i := 0; ; i++ {
		if bounded && i >= len(b) {
			return "", errNoRoom
		}
		lo := 0
		if i < len(a) {
			lo = digitOf(a[i])
		}
		hi := keyBase
		if bounded {
			hi = digitOf(b[i])
		}
		if lo < 0 || hi < 0 {
			return "", errNoRoom
		}
		switch {
		case hi-lo >= 2 && bounded && a == "":
			// Inserting at the front: step down one, leaving room for
			// the next front insert.
			return string(append(out, keyDigits[hi-1])), nil
		case hi-lo >= 2 && bounded:
			return string(append(out, keyDigits[(lo+hi)/2])), nil
		case hi-lo >= 2 && i < len(a):
			return string(append(out, keyDigits[lo+1])), nil
		case hi-lo >= 2 && a == "":
			return string(append(out, keyDigits[keyBase-1])), nil
		case hi-lo >= 2:
			return string(append(out, keyDigits[keyBase/2])), nil
		case hi-lo == 1:
			// Take a's digit: everything after it is below b, so b stops
			// bounding; continue past a's remaining digits.
			out = append(out, keyDigits[lo])
			bounded = false
		default:
			out = append(out, keyDigits[lo])
		}
	}
}

// batchKey returns the key prefix of a batch inserted between a and b.
func batchKey(a, b string) (string, error) {
	k, err := between(a, b)
	if err != nil {
		return "", err
	}
	var r [randomDigits]byte
	if _, err := rand.Read(r[:]); err != nil {
		return "", err
	}
	for i := range r {
		r[i] = keyDigits[int(r[i])%keyBase]
	}
	return k + string(r[:]), nil
}

// entryKey is the key of the i-th entry of a batch.
func entryKey(prefix string, i int) string {
	var d [indexDigits]byte
	for j := indexDigits - 1; j >= 0; j-- {
		d[j] = keyDigits[i%keyBase]
		i /= keyBase
	}
	return prefix + string(d[:])
}
